"""The nominee's own consent, given through a single-use link sent to their e-mail (issue 17.5)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from workflow import mail, pipeline
from workflow.consent import text
from workflow.domain import ConsentForm, Role, State
from workflow.extensions import db
from workflow.models import AccountToken, AuditEvent, Candidate, TokenPurpose, utcnow


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def outbox(app):
    sent = mail.sent()
    sent.clear()
    return sent


def consent_mail(outbox):
    return [m for m in outbox if "/consent/" in m.get_body(("plain",)).get_content()]


def link_path(message) -> str:
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(/consent/[A-Za-z0-9_\-]+)\?lang=(kk|ru)\s", body)
    assert match, body
    return match.group(1) + f"?lang={match.group(2)}"


def bare(path: str) -> str:
    """The link without its language: the page follows the reader's own."""
    return path.split("?")[0]


def waiting_for_consent(state=State.DRAFT, *, language="kk", email="Nominee.One@Test.kz",
                        region_code="KZ-75"):
    """A nomination whose candidate has not consented yet (its coordinator committed)."""
    candidate = f.CandidateFactory(region=f.region(region_code), email=email,
                                   language=language)
    nomination = f.nomination(state, candidate=candidate, region_code=region_code)
    # A returned nomination was submitted once (with a written consent, since withdrawn from
    # the record here): what matters is that none is on file now.
    candidate.consent_given_on = candidate.consent_form = candidate.consent_scope = None
    coordinator = f.user(Role.COORDINATOR, region_code)
    db.session.commit()
    return nomination, coordinator


def request_consent(client, nomination):
    client.get(f"/nominations/{nomination.id}")  # the CSRF token of the session
    return client.post(f"/nominations/{nomination.id}/consent/request")


def give(client, path, language="kk", confirm=True):
    data = {"language": language}
    if confirm:
        data["confirm"] = "y"
    return client.post(path, data=data)


def fresh(candidate) -> Candidate:
    db.session.expire_all()
    return db.session.get(Candidate, candidate.id)


def test_the_whole_flow_request_mail_open_give_once(app, client, auth, outbox):
    nomination, coordinator = waiting_for_consent()
    candidate = nomination.candidate
    auth.login(coordinator)
    page = client.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    assert "Consent: not recorded." in page and "Send the consent request by e-mail" in page
    # Without consent the nomination cannot be submitted.
    assert pipeline.consent_recorded(nomination, None) is not None

    response = request_consent(client, nomination)
    assert response.status_code == 302
    [message] = consent_mail(outbox)
    assert message["To"] == "nominee.one@test.kz"
    token = db.session.scalar(select(AccountToken).where(
        AccountToken.candidate_id == candidate.id))
    assert token.purpose == TokenPurpose.CONSENT and token.user_id is None
    assert message["Message-ID"] == f"<token{token.id}.email@tizim>"
    path = link_path(message)
    raw = bare(path).rsplit("/", 1)[1]
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert candidate.iin not in message.as_string()
    # In the nominee's language (kk here): the Kazakh subject.
    assert "келісім" in str(message["Subject"]).lower()

    page = client.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    assert "requested on" in page and "not yet given" in page and "n••••@test.kz" in page
    assert "Send the consent request again" in page
    auth.logout()

    opened = client.get(path)
    assert opened.status_code == 200
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    body = opened.get_data(as_text=True)
    assert "Хатшылығы" in body and candidate.iin not in body

    # The box must be ticked: nothing is recorded without it.
    unticked = give(client, path, confirm=False)
    assert unticked.status_code == 422 and fresh(candidate).consent_given_on is None

    given = give(client, path, language="kk")
    assert given.status_code == 200
    candidate = fresh(candidate)
    assert candidate.consent_form == ConsentForm.ELECTRONIC
    assert candidate.consent_given_on is not None and candidate.consent_given_at is not None
    assert candidate.consent_token_id == token.id
    assert candidate.consent_text_version == text.VERSION
    assert candidate.consent_text_hash == text.digest("kk")
    assert candidate.consent_text_hash == hashlib.sha256(
        candidate.consent_scope.encode()).hexdigest()
    assert candidate.consent_language == "kk" and candidate.consent_ip == "127.0.0.1"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent_given"))
    assert event.entity_id == candidate.id and event.nomination_id == nomination.id
    assert event.data["form"] == "electronic" and event.data["text_sha256"] == text.digest("kk")
    assert "127.0.0.1" not in str(event.data)
    assert db.session.get(AccountToken, token.id).used_at is not None

    # The guard accepts it: the coordinator can submit now.
    assert pipeline.consent_recorded(db.session.get(type(nomination), nomination.id),
                                     None) is None

    # Used once only.
    again = client.get(path)
    assert again.status_code == 410 and "no longer valid" in again.get_data(as_text=True)
    assert give(client, path).status_code == 410

    auth.login(coordinator)
    page = client.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    assert "given electronically on" in page and "through the link sent to n••••@test.kz" in page
    assert "Send the consent request" not in page


def test_an_expired_link_is_refused(app, client, auth, outbox):
    nomination, coordinator = waiting_for_consent()
    auth.login(coordinator)
    request_consent(client, nomination)
    auth.logout()
    path = link_path(consent_mail(outbox)[0])
    token = db.session.scalar(select(AccountToken).where(
        AccountToken.candidate_id == nomination.candidate_id))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 410
    response = give(client, path)
    assert response.status_code == 410 and "has expired" in response.get_data(as_text=True)
    assert fresh(nomination.candidate).consent_given_on is None


def test_sending_again_voids_the_earlier_link(app, client, auth, outbox):
    nomination, coordinator = waiting_for_consent(State.RETURNED)
    auth.login(coordinator)
    request_consent(client, nomination)
    request_consent(client, nomination)
    auth.logout()
    first, second = (link_path(m) for m in consent_mail(outbox))
    assert first != second
    assert client.get(first).status_code == 410
    assert give(client, first).status_code == 410
    assert client.get(second).status_code == 200
    assert give(client, second).status_code == 200
    assert fresh(nomination.candidate).consent_form == ConsentForm.ELECTRONIC


def test_an_unknown_link_is_not_valid(app, client):
    response = client.get("/consent/" + "A" * 43)
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_page_and_mail_in_the_nominees_language_with_a_switch(app, client, auth, outbox,
                                                                  language):
    nomination, coordinator = waiting_for_consent(language=language)
    auth.login(coordinator)
    request_consent(client, nomination)
    auth.logout()
    [message] = consent_mail(outbox)
    expected_subject = {"kk": "келісім", "ru": "согласие"}[language]
    assert expected_subject in str(message["Subject"]).lower()
    path = link_path(message)

    client.set_cookie("lang", "en")  # the page follows the nominee's language, not the cookie
    page = client.get(path).get_data(as_text=True)
    for heading, body in text.sections(language):
        assert heading in page and body in page
    button = {"kk": "Мен келісім беремін", "ru": "Я даю согласие"}[language]
    assert button in page

    other = "ru" if language == "kk" else "kk"
    switched = client.get(f"{bare(path)}?lang={other}").get_data(as_text=True)
    assert text.sections(other)[0][1] in switched
    # Without the language in the address, the page follows the reader's if the text has it,
    # else the nominee's (there is no English text).
    plain = client.get(bare(path)).get_data(as_text=True)
    assert f'<html lang="{language}">' in plain and text.sections(language)[0][1] in plain
    client.set_cookie("lang", other)
    assert f'<html lang="{other}">' in client.get(bare(path)).get_data(as_text=True)
    assert give(client, bare(path), language=other).status_code == 200
    candidate = fresh(nomination.candidate)
    assert candidate.consent_language == other
    assert candidate.consent_text_hash == text.digest(other) != text.digest(language)


def test_the_texts_say_what_the_law_asks_in_both_languages():
    for language in text.LANGUAGES:
        sections = text.sections(language)
        assert len(sections) == 6 and all(h and b for h, b in sections)
    assert text.digest("kk") != text.digest("ru")
    assert "Секретариат Ассамблеи" in text.plain("ru")


def test_another_regions_coordinator_cannot_send_the_request(app, client, auth, outbox):
    nomination, _ = waiting_for_consent(region_code="KZ-75")
    auth.login(f.user(Role.COORDINATOR, "KZ-11"))
    client.get("/")
    response = client.post(f"/nominations/{nomination.id}/consent/request")
    assert response.status_code == 404
    assert consent_mail(outbox) == []
    assert db.session.scalar(select(AccountToken).where(
        AccountToken.candidate_id == nomination.candidate_id)) is None


@pytest.mark.parametrize("case", ["submitted", "no_email", "given"])
def test_the_request_is_refused_when_it_makes_no_sense(app, client, auth, outbox, case):
    if case == "submitted":
        nomination, coordinator = waiting_for_consent(State.SUBMITTED)
    elif case == "no_email":
        nomination, coordinator = waiting_for_consent(email=None)
    else:
        nomination, coordinator = waiting_for_consent()
        nomination.candidate.consent_given_on = utcnow().date()
        nomination.candidate.consent_form = ConsentForm.WRITTEN
    db.session.commit()
    auth.login(coordinator)
    page = client.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    assert "Send the consent request" not in page
    if case == "given":
        assert "Consent: written, on" in page
    response = request_consent(client, nomination)
    assert response.status_code == 302
    assert consent_mail(outbox) == []


def test_the_nomination_form_keeps_the_nominees_language(app):
    from workflow.candidates import services as candidates

    candidate = f.CandidateFactory(region=f.region("KZ-75"))
    candidates._set(candidate, {"language": "ru"})
    assert candidate.language == "ru"
    candidates._set(candidate, {"language": "de"})
    assert candidate.language == "kk"


def test_the_consent_page_is_limited_per_address_like_status(limited, app):
    """Guessing links from one address is stopped: 6 an hour (the limit of /status)."""
    client = limited.test_client()
    client.set_cookie("lang", "en")
    answers = [client.get(f"/consent/{'A' * 42}{n}").status_code for n in range(7)]
    assert answers == [404] * 6 + [429]


def test_destruction_removes_the_consent_links_and_the_record_of_how(app, client, auth, outbox):
    from datetime import date

    from workflow.privacy import services as privacy

    nomination, coordinator = waiting_for_consent()
    auth.login(coordinator)
    request_consent(client, nomination)
    auth.logout()
    assert give(client, link_path(consent_mail(outbox)[0])).status_code == 200
    candidate = fresh(nomination.candidate)
    assert candidate.consent_ip is not None
    privacy.erase(candidate, privacy.Due("withdrawn", "withdrawn", date(2026, 1, 1), 365,
                                         date(2027, 1, 1)))
    db.session.commit()
    candidate = fresh(candidate)
    assert db.session.scalar(select(AccountToken).where(
        AccountToken.candidate_id == candidate.id)) is None
    for name in ("consent_given_at", "consent_token_id", "consent_text_hash", "consent_ip",
                 "consent_language", "consent_text_version", "consent_scope"):
        assert getattr(candidate, name) is None, name
