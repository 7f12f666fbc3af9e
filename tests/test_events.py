"""Words are rendered for the reader: what the system writes is stored as data and said in
the reader's language when read — every event kind and every notification, in kk, ru and en,
with no text of another language and no empty placeholder."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests import factories as f
from workflow import events, journeys, pipeline
from workflow.audit import AUDITED
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import AuditEvent, EmailDelivery, Notification, User
from workflow.notifications import emails
from workflow.notifications.services import describe as describe_notification

LANGUAGES = ("kk", "ru", "en")
# Words that stay as they are in every language: the system's name, codes.
ALLOWED_LATIN = {"Tizim", "KZ", "APK", "PDF", "API"}
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w*\}|\bNone\b|\bTrue\b|\bFalse\b")


def foreign_words(text: str, language: str) -> list[str]:
    """Words of another language: Latin words in kk or ru; Cyrillic words in en."""
    if language == "en":
        return re.findall(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]{2,}", text)
    return [w for w in re.findall(r"\b[A-Za-z]{3,}\b", text) if w not in ALLOWED_LATIN]


def without_proper_names(text: str, *names: str) -> str:
    """The text without what is nobody's language: addresses, reference codes, people's names."""
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", " ", text)
    for name in names:
        text = text.replace(name, " ")
    return text


def said(text: str, language: str) -> None:
    assert text.strip(), "an empty sentence"
    assert not PLACEHOLDER.search(text), text
    assert foreign_words(text, language) == [], (language, text)


def example_event(action: str) -> AuditEvent:
    """The event ``action`` writes, with the data its own channel records."""
    transition = pipeline.BY_ACTION.get(action)
    source = sorted(transition.sources)[0] if transition else None
    nomination = f.nomination(source or State.DRAFT)
    if transition is None:  # "create"
        return nomination.events[0]
    actor = f.actor_for(transition.who, "KZ-75")
    f.fire(nomination, action, actor)
    db.session.flush()
    return nomination.events[-1]


TRANSITION_KINDS = ["create", *pipeline.BY_ACTION]


@pytest.mark.parametrize("action", TRANSITION_KINDS)
def test_every_transition_is_said_in_every_language(app, action):
    event = example_event(action)
    assert event.comment == "" or pipeline.BY_ACTION[action].comment != pipeline.Need.NONE
    for language in LANGUAGES:
        with force_locale(language):
            d = events.describe(event)
            for text in [d.title, *d.lines, *d.reasons]:
                said(text, language)
            said(events.action_label(action), language)


def test_a_decision_is_said_with_its_numbers(app):
    event = example_event("support")
    data = event.data
    with force_locale("ru"):
        line = events.describe(event).lines[0]
    assert data["session_number"] in line
    assert f"за — {data['votes_for']}" in line and "присутствовали" in line


ENTITY_KINDS = sorted(events.ENTITY_TITLES)


@pytest.mark.parametrize(("entity_type", "action"), ENTITY_KINDS)
def test_every_change_to_the_record_is_said_in_every_language(app, entity_type, action):
    assert entity_type in AUDITED.values()
    event = AuditEvent(entity_type=entity_type, entity_id=1, action=action,
                       changes=sorted(events.FIELD_LABELS)[:6], data={}, comment="",
                       actor_role="secretariat")
    if (entity_type, action) == ("membership", "end"):
        event.data = {"ground": "rotation", "ended_on": "2026-12-01", "order_number": "19"}
    for language in LANGUAGES:
        with force_locale(language):
            d = events.describe(event)
            for text in [d.title, *d.lines]:
                said(text, language)


def test_every_field_a_change_may_name_has_words(app):
    """A change names its fields in the reader's words: every column a change may touch."""
    from workflow.audit import BOOKKEEPING, EXPLICIT_ONLY, FIELD_NAMES

    unnamed = sorted(
        f"{model.__name__}.{column.key}"
        for model in AUDITED if model not in EXPLICIT_ONLY
        for column in model.__mapper__.column_attrs
        if column.key != "id" and column.key.lstrip("_") not in BOOKKEEPING
        and FIELD_NAMES.get(column.key, column.key) not in events.FIELD_LABELS)
    assert unnamed == []


@pytest.mark.parametrize("action", [t.action for t in pipeline.TRANSITIONS if t.notify])
def test_every_notification_and_its_e_mail_are_said_in_every_language(app, action, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "memory")
    transition = pipeline.BY_ACTION[action]
    listeners = [f.user(Role.COORDINATOR, "KZ-75"), f.user(Role.SECRETARIAT)]
    event = example_event(action)
    names = [u.name for u in db.session.scalars(select(User))]
    names.append(event.nomination.candidate.full_name)
    db.session.flush()
    bells = list(db.session.scalars(select(Notification).where(
        Notification.key.like(f"ev{event.id}:%"))))
    deliveries = list(db.session.scalars(select(EmailDelivery).where(
        EmailDelivery.key.like(f"ev{event.id}:%"))))
    assert bells or deliveries, f"{action} tells no one although the table says {transition.notify}"
    for language in LANGUAGES:
        for bell in bells:
            with force_locale(language):
                said(describe_notification(bell), language)
        for delivery in deliveries:
            delivery.language = language
            subject, text, _html = emails.RENDERERS[delivery.template](delivery)
            said(without_proper_names(subject, *names), language)
            assert not PLACEHOLDER.search(text), text
            # The names of people and places are theirs; the sentences are the reader's.
            if language != "en":
                assert foreign_words(without_proper_names(text, *names), language) == [], (
                    language, text)
    assert listeners


def test_the_journey_inputs_name_every_channel(app):
    """The demo and the factories reach every channel through one table of inputs."""
    bodies = journeys.Bodies()
    seen = set()
    for transition in pipeline.TRANSITIONS:
        nomination = f.nomination(sorted(transition.sources)[0], bodies=bodies)
        seen.add(journeys.inputs(nomination, transition, bodies).channel)
    assert seen == set(pipeline.Channel)


def test_the_imported_event_is_said_in_every_language(app):
    from workflow.register import imports

    officer = f.user(Role.SECRETARIAT)
    row = ("member_number,iin,surname,given_name,ethnicity,region,route,started_on,basis\n"
           "OLD-1,680512301011,Ким,Виктор,кореец,KZ-75,council,2019-04-25,№ 12\n")
    assert imports.run(officer, "r.csv", row.encode()).imported
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "imported",
                                                       AuditEvent.entity_type == "nomination"))
    for language in LANGUAGES:
        with force_locale(language):
            d = events.describe(event)
            for text in [d.title, *without_proper_names(" ".join(d.lines), "Ким").split(";")]:
                said(without_proper_names(text), language)
            said(events.action_label("imported"), language)
