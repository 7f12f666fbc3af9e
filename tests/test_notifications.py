"""Notifications: who hears of a transition, through which channel, once; the bell; settings."""

from smtplib import SMTPRecipientsRefused, SMTPServerDisconnected

import pytest
from sqlalchemy import func, select

from tests import factories as f
from workflow import pipeline
from workflow.database import transaction
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.mail import sent
from workflow.models import (
    DeliveryStatus,
    EmailDelivery,
    Notification,
    NotificationPreference,
)
from workflow.notifications import services
from workflow.outbox import OutboxMessage


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def people(app):
    """A coordinator in Almaty, one in Astana, two officers; mail outbox emptied."""
    sent().clear()
    almaty = f.user(Role.COORDINATOR, "KZ-75", email="almaty@test.kz", language="ru")
    astana = f.user(Role.COORDINATOR, "KZ-71", email="astana@test.kz")
    officers = [f.user(Role.SECRETARIAT, email=f"officer{i}@test.kz", language="en")
                for i in (1, 2)]
    return {"almaty": almaty, "astana": astana, "officers": officers}


def test_forward_tells_the_secretariat_and_the_nominee_in_their_languages(app, people):
    with transaction():
        nomination = f.nomination(State.SUPPORTED)
    sent().clear()
    actor = people["almaty"]
    before = count(Notification), count(EmailDelivery, EmailDelivery.status == DeliveryStatus.SENT)
    with transaction():
        pipeline.apply(nomination, "forward", actor, channel=pipeline.Channel.BUTTON)
    to = sorted(m["To"] for m in sent())
    assert to == sorted(["officer1@test.kz", "officer2@test.kz", nomination.candidate.email])
    officer_mail = next(m for m in sent() if m["To"] == "officer1@test.kz")
    body = officer_mail.get_body(("plain",)).get_content()
    assert nomination.reference_code in body and "forwarded to the Secretariat" in body
    assert officer_mail.get_body(("html",)) is not None
    assert nomination.candidate.iin not in officer_mail.as_string()
    nominee_mail = next(m for m in sent() if m["To"] == nomination.candidate.email)
    text = nominee_mail.get_body(("plain",)).get_content()
    assert nomination.reference_code in text and "/status" in text
    # Two officers in the app; the coordinator who acted is not told of their own act.
    assert count(Notification) == before[0] + 2
    assert count(Notification, Notification.action == "forward") == 2
    assert count(Notification, Notification.user_id == actor.id,
                 Notification.action == "forward") == 0
    assert count(EmailDelivery, EmailDelivery.status == DeliveryStatus.SENT) == before[1] + 3


def test_coordinators_of_other_regions_hear_nothing(app, people):
    with transaction():
        nomination = f.nomination(State.FORWARDED)
    sent().clear()
    with transaction():
        pipeline.apply(nomination, "accept", people["officers"][0], channel=pipeline.Channel.BUTTON)
    to = [m["To"] for m in sent()]
    assert "almaty@test.kz" in to and "astana@test.kz" not in to
    assert not any(t.startswith("officer") for t in to)  # "accept" tells coordinators only
    # The Almaty coordinator reads Russian: subject and body are in Russian.
    mail = next(m for m in sent() if m["To"] == "almaty@test.kz")
    assert "Секретариат принял выдвижение" in mail.get_body(("plain",)).get_content()
    assert "Выдвижение" in str(mail["Subject"]) or "Выдвижение" in mail.get("Subject", "")
    assert count(Notification, Notification.user_id == people["astana"].id) == 0


def test_a_rolled_back_transition_writes_and_sends_nothing(app, people):
    with transaction():
        nomination = f.nomination(State.FORWARDED)
    before = (count(Notification), count(EmailDelivery), count(OutboxMessage))
    sent().clear()
    with pytest.raises(RuntimeError), transaction():
        pipeline.apply(nomination, "accept", people["officers"][0], channel=pipeline.Channel.BUTTON)
        raise RuntimeError("the rest of the service failed")
    assert sent() == []
    assert (count(Notification), count(EmailDelivery), count(OutboxMessage)) == before


def test_preferences_decide_the_channels(app, people):
    officer = people["officers"][0]
    assert services.channels_for(officer, "transition") == {"email", "app"}
    with transaction():
        services.set_preferences(officer, {"transition": "app"})
        services.set_preferences(people["officers"][1], {"transition": "off"})
    assert services.channels_for(officer, "transition") == {"app"}
    with transaction():
        nomination = f.nomination(State.SUPPORTED)
    sent().clear()
    with transaction():
        pipeline.apply(nomination, "forward", people["almaty"], channel=pipeline.Channel.BUTTON)
    assert [m["To"] for m in sent()] == [nomination.candidate.email]
    assert count(Notification, Notification.user_id == officer.id) == 1
    assert count(Notification, Notification.user_id == people["officers"][1].id) == 0
    assert count(EmailDelivery, EmailDelivery.user_id == officer.id) == 0


def test_a_delivery_is_sent_once_however_often_its_task_runs(app, people):
    with transaction():
        nomination = f.nomination(State.FORWARDED)
    sent().clear()
    with transaction():
        pipeline.apply(nomination, "accept", people["officers"][0], channel=pipeline.Channel.BUTTON)
    delivery = db.session.scalar(select(EmailDelivery).order_by(EmailDelivery.id.desc()))
    task = app.extensions["celery"].tasks["tasks.notifications.send_email"]
    assert task.apply(kwargs={"delivery_id": delivery.id}).get() == "skipped"
    assert [m["X-Tizim-Delivery"] for m in sent()].count(delivery.key) == 1
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    # The delivery key is unique: the same (event, recipient, channel) cannot be written twice.
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), transaction():
        db.session.add(EmailDelivery(key=delivery.key, recipient="x@test.kz", language="kk",
                                     template="transition"))
        db.session.flush()


def test_an_smtp_failure_keeps_the_delivery_for_a_retry(app, people, monkeypatch):
    with transaction():
        nomination = f.nomination(State.FORWARDED)

    def refuse(message):
        raise SMTPServerDisconnected("the server went away")

    monkeypatch.setattr(services, "send", refuse)
    with transaction():
        pipeline.apply(nomination, "accept", people["officers"][0], channel=pipeline.Channel.BUTTON)
    delivery = db.session.scalar(select(EmailDelivery).order_by(EmailDelivery.id.desc()))
    # The failed try put the delivery back in the queue, with the reason, for the next try.
    assert delivery.status == DeliveryStatus.QUEUED
    assert "went away" in delivery.error and delivery.attempts == 1
    monkeypatch.undo()
    sent().clear()
    # The relay publishes deliveries not confirmed in time (here: at once).
    monkeypatch.setitem(app.config, "NOTIFY_STALE_SECONDS", -1)
    assert services.requeue_stale() >= 1
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    keys = [m["X-Tizim-Delivery"] for m in sent()]
    assert delivery.key in keys and len(keys) == len(set(keys))


@pytest.mark.parametrize("failure, final_status", [
    (ConnectionRefusedError(111, "Connection refused"), DeliveryStatus.QUEUED),
    (SMTPServerDisconnected("the server went away"), DeliveryStatus.QUEUED),
    (SMTPRecipientsRefused({"almaty@test.kz": (450, b"mailbox busy")}), DeliveryStatus.QUEUED),
    (SMTPRecipientsRefused({"almaty@test.kz": (550, b"no such user")}), DeliveryStatus.FAILED),
])
def test_only_a_refusal_for_good_fails_a_delivery_after_its_last_try(app, people, monkeypatch,
                                                                     failure, final_status):
    with transaction():
        nomination = f.nomination(State.FORWARDED)
    monkeypatch.setattr(services, "send", lambda message: None)  # the transition's own send
    with transaction():
        pipeline.apply(nomination, "accept", people["officers"][0], channel=pipeline.Channel.BUTTON)
    delivery = db.session.scalar(select(EmailDelivery).order_by(EmailDelivery.id.desc()))

    def fail(message):
        raise failure

    with transaction():  # as if its tries had not been made yet: queued again
        delivery.status = DeliveryStatus.QUEUED
    monkeypatch.setattr(services, "send", fail)
    with pytest.raises(type(failure)):
        services.send_delivery(delivery.id, final_attempt=True)
    db.session.refresh(delivery)
    # An unreachable server or a "try later" keeps it for the relay; a 5xx refusal ends it.
    assert delivery.status == final_status


def test_the_bell_counts_and_marks_read(app, client, auth, people):
    officer = people["officers"][0]
    with transaction():
        for state in (State.SUPPORTED, State.SUPPORTED):
            nomination = f.nomination(state)
            pipeline.apply(nomination, "forward", people["almaty"], channel=pipeline.Channel.BUTTON)
    assert services.unread_count(officer) == 2
    auth.login(officer)
    page = client.get("/nominations/").get_data(as_text=True)
    assert 'data-unread="2"' in page
    listing = client.get("/notifications/").get_data(as_text=True)
    assert "forwarded to the Secretariat" in listing
    first = db.session.scalar(select(Notification.id).where(Notification.user_id == officer.id))
    client.post(f"/notifications/{first}/read", data={"next": "/notifications/"})
    assert services.unread_count(officer) == 1
    client.post("/notifications/read-all")
    assert services.unread_count(officer) == 0
    assert services.unread_count(people["officers"][1]) == 2  # others' rows untouched
    other = db.session.scalar(select(Notification.id).where(
        Notification.user_id == people["officers"][1].id))
    client.post(f"/notifications/{other}/read")
    assert services.unread_count(people["officers"][1]) == 2


def test_the_count_read_with_the_user_is_recounted_after_a_change(app, people):
    """A page reads the bell's count with the user (one statement: auth.services.load_user).
    Marking read or a new notification in the same session makes the next count a fresh one:
    the bell never shows the number from before the change."""
    from workflow.auth.services import load_user

    officer = people["officers"][0]
    with transaction():
        for _ in range(3):
            pipeline.apply(f.nomination(State.SUPPORTED), "forward", people["almaty"],
                           channel=pipeline.Channel.BUTTON)
    token = officer.get_id()
    db.session.expunge(officer)  # as at a request's start: the user is read afresh
    loaded = load_user(token)
    assert loaded.unread_notifications == 3 and services.unread_count(loaded) == 3
    first = db.session.scalar(select(Notification.id).where(Notification.user_id == loaded.id))
    services.mark_read(loaded, first)
    assert services.unread_count(loaded) == 2
    pipeline.apply(f.nomination(State.SUPPORTED), "forward", people["almaty"],
                   channel=pipeline.Channel.BUTTON)
    db.session.flush()
    assert services.unread_count(loaded) == 3
    services.mark_read(loaded)
    assert services.unread_count(loaded) == 0
    db.session.rollback()
    db.session.expunge(loaded)
    assert load_user(token).unread_notifications == 3  # nothing of the above was committed


def test_preferences_page_saves_the_choice(app, client, auth, people):
    coordinator = people["almaty"]
    auth.login(coordinator)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="reminder"' in page and 'name="digest"' not in page
    response = client.post("/notifications/preferences",
                           data={"transition": "off", "reminder": "app"})
    assert response.status_code == 302
    chosen = dict(db.session.execute(select(NotificationPreference.kind,
                                            NotificationPreference.channel)).all())
    assert chosen == {"transition": "off", "reminder": "app"}
    assert client.post("/notifications/preferences",
                       data={"transition": "loud", "reminder": "app"}).status_code == 200


def test_a_role_without_kinds_sees_an_empty_settings_page(app, client, auth):
    auth.login(f.user(Role.MEMBER))
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "<select" not in page and "/notifications/" in page


def test_the_nominee_learns_their_reference_code_on_submit(app, people):
    with transaction():
        nomination = f.nomination(State.DRAFT)
    sent().clear()
    with transaction():
        pipeline.apply(nomination, "submit", people["almaty"], channel=pipeline.Channel.BUTTON)
    [mail] = [m for m in sent() if m["To"] == nomination.candidate.email]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert nomination.reference_code in body
        assert "http://127.0.0.1:5000/status" in body
        assert nomination.candidate.iin not in body
    assert nomination.candidate.surname in text  # their name, and nothing more personal
