"""Know what was sent: a nomination's messages, the e-mails not sent and their resend, and the
administrator's wording of each step's e-mail (issue 12, item 5)."""

from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from tests import factories as f
from workflow import pipeline
from workflow.database import transaction
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.mail import sent
from workflow.models import AuditEvent, DeliveryStatus, EmailDelivery, EmailWording, utcnow
from workflow.notifications import sent as messages_sent
from workflow.notifications import wording
from workflow.permissions import PERMISSIONS


@pytest.fixture
def people(app):
    sent().clear()
    return {
        "almaty": f.user(Role.COORDINATOR, "KZ-75", email="almaty@test.kz", language="ru"),
        "almaty2": f.user(Role.COORDINATOR, "KZ-75", email="almaty2@test.kz"),
        "astana": f.user(Role.COORDINATOR, "KZ-71", email="astana@test.kz"),
        "officer": f.user(Role.SECRETARIAT, email="officer@test.kz", language="en"),
        "admin": f.user(Role.ADMIN, email="admin@test.kz"),
    }


def forwarded(people):
    """A nomination of Almaty forwarded by its coordinator: the officer and the nominee hear."""
    with transaction():
        nomination = f.nomination(State.SUPPORTED)
    with transaction():
        pipeline.apply(nomination, "forward", people["almaty"], channel=pipeline.Channel.BUTTON)
    return nomination


def page(client, auth, user, url):
    auth.login(user)
    response = client.get(url)
    auth.logout()
    return response


# --- Messages sent, on the nomination page. ----------------------------------------------------


def test_the_page_lists_every_message_about_the_nomination(app, client, auth, people):
    nomination = forwarded(people)
    step = str(pipeline.BY_ACTION["forward"].label)
    listed = messages_sent.about(nomination, people["officer"])
    # The walk to "supported" told the region's coordinators of every step before.
    assert {m.address for m in listed if m.channel == "email"} >= {"almaty@test.kz",
                                                                   "almaty2@test.kz"}
    forward = [m for m in listed if step in m.kind]
    emails = [m for m in forward if m.channel == "email"]
    # The officer (e-mail and bell) and the nominee (e-mail), every one sent.
    assert sorted(m.address for m in emails) == sorted(
        ["officer@test.kz", nomination.candidate.email])
    assert all(m.status == DeliveryStatus.SENT and m.sent_at for m in emails)
    assert [m.recipient for m in forward if m.channel == "app"] == [people["officer"].name]
    assert {m.recipient for m in emails} == {people["officer"].name, "The nominee"}
    html = page(client, auth, people["officer"], f"/nominations/{nomination.id}").get_data(
        as_text=True)
    assert "Messages sent" in html and "officer@test.kz" in html
    assert nomination.candidate.iin not in html.split("Messages sent")[1]


def test_a_coordinator_sees_their_own_region_whole_and_others_masked(app, people):
    with transaction():
        nomination = f.nomination(State.FORWARDED)
    with transaction():
        pipeline.apply(nomination, "accept", people["officer"], channel=pipeline.Channel.BUTTON)
    with transaction():  # an officer hears of this one
        pipeline.apply(nomination, "withdraw", people["almaty"], channel=pipeline.Channel.FORM,
                       comment="The association asked.")
    listed = messages_sent.about(nomination, people["almaty"])
    addresses = {m.address for m in listed if m.channel == "email"}
    assert "almaty2@test.kz" in addresses  # a coordinator of the same region
    assert "officer@test.kz" not in addresses and "o••••@test.kz" in addresses
    assert nomination.candidate.email in addresses  # the region's coordinator sees the nominee's


def test_a_coordinator_of_another_region_sees_nothing(app, client, auth, people):
    nomination = forwarded(people)
    assert messages_sent.about(nomination, people["astana"]) == []
    assert page(client, auth, people["astana"],
                f"/nominations/{nomination.id}").status_code == 404


def test_the_list_is_one_statement_whatever_the_number_of_messages(app, people):
    nomination = forwarded(people)
    statements = []

    from sqlalchemy import event

    def count(*args):
        statements.append(args[2])

    reader = people["officer"]
    assert nomination.id and reader.id and reader.role  # loaded before counting
    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        listed = messages_sent.about(nomination, reader)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(listed) >= 3 and len(statements) == 1


# --- E-mails not sent, and resend. --------------------------------------------------------------


def fail(delivery_id: int, error: str = "SMTPRecipientsRefused: {'x@test.kz': (550, b'no')}"):
    with transaction():
        d = db.session.get(EmailDelivery, delivery_id)
        d.status, d.error, d.attempts = DeliveryStatus.FAILED, error, 9
        d.created_at = d.updated_at = utcnow() - timedelta(hours=1)


def nominee_delivery(nomination) -> EmailDelivery:
    return db.session.scalar(select(EmailDelivery).where(
        EmailDelivery.nomination_id == nomination.id, EmailDelivery.user_id.is_(None)))


def test_the_page_lists_failed_and_waiting_with_the_reason_in_words(app, client, auth, people):
    nomination = forwarded(people)
    failed = nominee_delivery(nomination)
    fail(failed.id)
    with transaction():  # a delivery the task never took, queued long ago
        waiting = db.session.scalar(select(EmailDelivery).where(
            EmailDelivery.recipient == "officer@test.kz"))
        waiting.status, waiting.sent_at = DeliveryStatus.QUEUED, None
        waiting.created_at = utcnow() - timedelta(hours=1)
    rows, more = messages_sent.problems(people["officer"])
    assert {r.id for r in rows} == {failed.id, waiting.id} and more is None
    row = next(r for r in rows if r.id == failed.id)
    assert row.reason == "The mail server refused the address. (550)"
    assert [r.id for r in messages_sent.problems(people["officer"], status="failed")[0]] == [
        failed.id]
    assert [r.id for r in messages_sent.problems(people["officer"], status="waiting")[0]] == [
        waiting.id]
    assert messages_sent.problems(people["officer"], template="digest")[0] == []
    html = page(client, auth, people["officer"], "/notifications/deliveries").get_data(
        as_text=True)
    assert "The mail server refused the address." in html and "SMTPRecipientsRefused" not in html
    assert "Resend" in html


def test_a_fresh_queued_delivery_is_not_listed_yet(app, people):
    nomination = forwarded(people)
    with transaction():
        d = nominee_delivery(nomination)
        d.status = DeliveryStatus.QUEUED
    assert messages_sent.problems(people["officer"])[0] == []


def test_resend_sends_a_failed_delivery_once_with_the_same_key(app, client, auth, people):
    nomination = forwarded(people)
    delivery = nominee_delivery(nomination)
    key = delivery.key
    fail(delivery.id)
    sent().clear()
    auth.login(people["officer"])
    response = client.post(f"/notifications/deliveries/{delivery.id}/resend")
    assert response.status_code == 302
    assert [m["Message-ID"] for m in sent()] == [f"<{key.replace(':', '.')}@tizim>"]
    db.session.expire_all()
    again = db.session.get(EmailDelivery, delivery.id)
    assert again.status == DeliveryStatus.SENT and again.key == key
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "email_delivery", AuditEvent.action == "resend",
        AuditEvent.entity_id == delivery.id)) == 1
    # Sent now: a second press is refused and nothing more goes out.
    response = client.post(f"/notifications/deliveries/{delivery.id}/resend",
                           follow_redirects=True)
    assert "never sent twice" in response.get_data(as_text=True)
    assert len(sent()) == 1


def test_resend_refuses_a_sent_delivery(app, people):
    from workflow.refusal import Refusal

    nomination = forwarded(people)
    delivery = nominee_delivery(nomination)
    sent().clear()
    with pytest.raises(Refusal) as refused:
        messages_sent.resend(people["officer"], delivery.id)
    assert refused.value.code == "already_sent" and refused.value.status == 409
    assert sent() == []


def test_resend_of_an_unknown_delivery_is_404(app, client, auth, people):
    auth.login(people["officer"])
    assert client.post("/notifications/deliveries/999999/resend").status_code == 404


def test_errors_are_said_in_words_never_as_they_were_stored():
    assert messages_sent.reason("ConnectionRefusedError: [Errno 111] refused") == (
        "The mail server could not be reached.")
    assert messages_sent.reason("KeyError: 'event_id' 850315400015") == (
        "The e-mail could not be made from the record.")
    assert messages_sent.reason(None) == ""


# --- Permissions, from the table. ---------------------------------------------------------------

ROUTES = {
    "deliveries.view": ("GET", "/notifications/deliveries"),
    "email.wording": ("GET", "/notifications/wording"),
}


@pytest.mark.parametrize("permission", sorted(ROUTES))
@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SECRETARIAT, Role.ADMIN, Role.MEMBER])
def test_pages_follow_the_permission_table(app, client, auth, permission, role):
    auth.login(f.user(role))
    method, url = ROUTES[permission]
    code = client.open(url, method=method).status_code
    assert (code == 200) == (role in PERMISSIONS[permission])
    assert (code == 403) == (role not in PERMISSIONS[permission])


# --- The wording of each step's e-mail. ---------------------------------------------------------


def test_unknown_and_missing_placeholders_are_refused():
    found = wording.problems("nominee", "About {reference}", "Hello {iin}, {reference}")
    assert "“{iin}” is not a placeholder" in found["body"][0]
    assert "{status_url}" in found["body"][1]
    assert "subject" not in found
    found = wording.problems("transition", "{details}", "{reference} {link} {reference.__class__}")
    assert "can be used in the text only" in found["subject"][0]
    assert "is not a placeholder" in found["body"][0]
    assert "Braces" in wording.problems("nominee", "x", "{reference} {status_url} }")["body"][0]
    assert wording.problems("nominee", "{stage}", "{person} {reference} {status_url}") == {}


@pytest.mark.parametrize("kind", sorted(wording.KINDS))
def test_every_shipped_wording_passes_its_own_checks(app, kind):
    for t in wording.actions(kind):
        for language in ("kk", "ru", "en"):
            subject, body = wording.shipped(kind, t.action, language)
            assert wording.problems(kind, subject, body) == {}, (t.action, language)


def test_the_form_refuses_and_the_preview_renders_in_the_chosen_language(app, client, auth,
                                                                          people):
    auth.login(people["admin"])
    url = "/notifications/wording/nominee/forward/ru"
    shown = client.get(url).get_data(as_text=True)
    assert "{status_url}" in shown and "Секретариат" in shown  # the shipped wording, in Russian
    refused = client.post(url, data={"subject": "x", "body": "{reference} {iin}", "save": "1"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "is not a placeholder" in text and "{status_url}" in text
    assert db.session.scalar(select(func.count()).select_from(EmailWording)) == 0
    preview = client.post(url, data={"subject": "Код {reference}", "preview": "1",
                                     "body": "Здравствуйте, {person}!\n<b>{reference}</b>\n\n"
                                             "{status_url}"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Код KM4T-7XQ9" in html
    assert "&lt;b&gt;KM4T-7XQ9&lt;/b&gt;" in html and "<b>KM4T" not in html
    assert db.session.scalar(select(func.count()).select_from(EmailWording)) == 0


def test_an_e_mail_uses_the_wording_and_reset_brings_back_the_shipped_one(app, client, auth,
                                                                          people):
    auth.login(people["admin"])
    url = "/notifications/wording/nominee/forward/kk"
    body = "Құрметті {person}!\n<script>x</script> {reference}\n\n{status_url}"
    assert client.post(url, data={"subject": "Өтініш {reference}", "body": body,
                                  "save": "1"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "email_wording", AuditEvent.action == "create")) == 1
    auth.logout()
    with transaction():
        nomination = f.nomination(State.SUPPORTED)
        nomination.candidate.language = "kk"
    sent().clear()
    with transaction():
        pipeline.apply(nomination, "forward", people["almaty"], channel=pipeline.Channel.BUTTON)
    mail = next(m for m in sent() if m["To"] == nomination.candidate.email)
    assert str(mail["Subject"]) == f"Өтініш {nomination.reference_code}"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert f"Құрметті {nomination.candidate.full_name}!" in text and "<script>" in text
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert nomination.reference_code in html and "/status</a>" in html
    # The staff's e-mail of the same step, not reworded, keeps the shipped wording.
    officer = next(m for m in sent() if m["To"] == "officer@test.kz")
    assert "forwarded to the Secretariat" in officer.get_body(("plain",)).get_content()

    auth.login(people["admin"])
    assert client.post(f"{url}/reset").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(EmailWording)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "email_wording", AuditEvent.action == "delete")) == 1
    subject, _ = wording.shipped("nominee", "forward", "kk")
    form = client.get(url).get_data(as_text=True)
    assert str(escape(subject)) in form and "shipped wording" in form


def test_an_unknown_e_mail_is_404(app, client, auth, people):
    auth.login(people["admin"])
    assert client.get("/notifications/wording/nominee/accept/ru").status_code == 404
    assert client.get("/notifications/wording/transition/forward/de").status_code == 404
