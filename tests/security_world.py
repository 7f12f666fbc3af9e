"""A small world holding one of every kind of record, for the tests that walk every route.

Each URL argument of the map gets a real id of its kind, so a walk opens real pages (and a
fuzz reaches real forms) rather than stopping at 404.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tests import factories as f
from workflow import pipeline
from workflow.domain import LOGIN_ROLES, Role, Route, State
from workflow.extensions import db
from workflow.models import Membership, Nomination, Notification, User


@dataclass
class World:
    users: dict[str, User]
    ids: dict[str, int]  # URL argument name -> a real id of that kind
    values: dict[str, str] = field(default_factory=dict)  # other URL arguments


@contextmanager
def tasks_queued(app):
    """Tasks queued, not run, for what the block does (committed at its end): the e-mails of the hundreds of steps test data
    takes would cost most of a minute to send, and are not what these tests are about."""
    celery = app.extensions["celery"]
    celery.conf.task_always_eager = False
    try:
        yield
        db.session.commit()  # what the block queued is published (not run) now
    finally:
        celery.conf.task_always_eager = True


def build(app) -> World:
    """Users of every role, nominations along the pipeline, a session, a Council meeting, an
    order with its issuing batch, a member with an account, notifications and documents."""
    with tasks_queued(app):
        return _build()


def _build() -> World:
    from workflow.council import services as council
    from workflow.orders import services as orders

    officer = f.user(Role.SECRETARIAT)
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    users = {Role.SECRETARIAT: officer, Role.COORDINATOR: coordinator,
             Role.ADMIN: f.user(Role.ADMIN, None)}
    nominations = {state: f.nomination(state) for state in (
        State.DRAFT, State.SUBMITTED, State.ON_AGENDA, State.SUPPORTED, State.FORWARDED,
        State.UNDER_REVIEW, State.RETURNED)}
    f.nomination(State.SUBMITTED, region_code="KZ-71")
    membership = f.membership()
    member = db.session.get(User, membership.user_id)
    member.password_hash = f.password_hash()
    users[Role.MEMBER] = member
    assert set(users) == set(LOGIN_ROLES)

    meeting = f.council_meeting()
    on_council = f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL)
    recommended = Nomination(candidate=f.CandidateFactory(region=f.region()), route=Route.COUNCIL,
                             region=f.region(), nominating_body="Council decision No. 1")
    pipeline.enter(recommended, officer)
    f.fire(recommended, "put_on_council_agenda", officer)
    f.fire(recommended, "recommend", officer)
    db.session.commit()
    council.add_to_agenda(officer, meeting.id, [on_council.id])
    order = orders.record_order(officer, number="W-1", order_date=date(2026, 1, 15),
                                document=f.pdf("order.pdf"),
                                decisions={recommended.id: "approve"})
    db.session.commit()

    from workflow.models import Document, IssuingBatch, RegionalSession

    session = db.session.scalar(db.select(RegionalSession).order_by(RegionalSession.id))
    ids = {
        "nomination_id": nominations[State.UNDER_REVIEW].id,
        "membership_id": membership.id,
        "association_id": nominations[State.DRAFT].association_id,
        "session_id": session.id,
        "meeting_id": meeting.id,
        "order_id": order.id,
        "batch_id": db.session.scalar(db.select(IssuingBatch.id)),
        "document_id": db.session.scalar(db.select(Document.id).order_by(Document.id)),
        "notification_id": db.session.scalar(
            db.select(Notification.id).where(Notification.user_id == coordinator.id)),
    }
    assert all(ids.values()), ids
    from workflow.models import PaperKind
    from workflow.papers.services import request_paper

    paper = request_paper(officer, PaperKind.SESSION_AGENDA, session.id, "kk")
    db.session.commit()
    ids |= {"paper_id": paper.id, "subject_id": session.id}
    return World(users=users, ids=ids, values={"state": "under_review", "fmt": "csv",
                                               "token": "not-a-token", "action": "withdraw",
                                               "kind": PaperKind.SESSION_AGENDA.value,
                                               "code": paper.code})


def url_for_rule(rule, world: World, override: dict[str, str] | None = None) -> str:
    """The rule's path with real ids (or the values in ``override``) in its arguments."""
    values = {**{k: str(v) for k, v in world.ids.items()}, **world.values, **(override or {})}
    path = rule.rule
    for argument in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{argument}>", values.get(argument, "x"), path)
    return path


def files_in(folder: str) -> set[Path]:
    return {p for p in Path(folder).rglob("*") if p.is_file()}


def memberships_without_a_basis() -> list[int]:
    return list(db.session.scalars(db.select(Membership.id).where(
        Membership.status == "ended", Membership.end_document_id.is_(None))))


def not_ready(rule, response) -> bool:
    """``/readyz`` answering 503 "not ready" is its answer, not a server error: a test database
    is built without a migration stamp and has no worker (tests/test_health.py checks both)."""
    return (rule.endpoint == "main.ready" and getattr(response, "status_code", None) == 503
            and response.get_json().get("status") == "not ready")
