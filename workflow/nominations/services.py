"""Reading nominations within the actor's scope, and firing pipeline actions from the web."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from workflow import pipeline
from workflow.database import transaction
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import AuditEvent, Candidate, Nomination

PAGE_SIZE = 50


def scoped(stmt: Select, user) -> Select:
    """Filter a nomination query to what ``user`` may see: coordinators, their region only."""
    if user.role == Role.COORDINATOR:
        return stmt.where(Nomination.region_id == user.region_id)
    if user.role != Role.SECRETARIAT:
        return stmt.where(False)
    return stmt


def count_by_state(user) -> dict[State, int]:
    stmt = scoped(select(Nomination.status, func.count()).group_by(Nomination.status), user)
    found = {State(status): n for status, n in db.session.execute(stmt)}
    return {state: found.get(state, 0) for state in State}


@dataclass
class Page:
    items: list[Nomination]
    next_after: int | None


def list_nominations(user, *, state: str | None = None, text: str | None = None,
                     after: int | None = None, limit: int = PAGE_SIZE) -> Page:
    """Newest first, keyset-paginated by id so page 2,000 costs what page 1 does."""
    stmt = scoped(select(Nomination), user).options(
        joinedload(Nomination.candidate), joinedload(Nomination.region),
        joinedload(Nomination.association),
    )
    if state in State.__members__.values():
        stmt = stmt.where(Nomination.status == state)
    if text:
        like = f"{text.strip()}%"
        stmt = stmt.join(Candidate).where(
            or_(Nomination.reference_code == text.strip().upper(), Candidate.surname.ilike(like))
        )
    if after:
        stmt = stmt.where(Nomination.id < after)
    rows = list(db.session.scalars(stmt.order_by(Nomination.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def get_nomination(user, nomination_id: int) -> Nomination | None:
    """The nomination, if ``user`` may see it; None otherwise (the view answers 404)."""
    stmt = scoped(select(Nomination).where(Nomination.id == nomination_id), user)
    return db.session.scalar(stmt)


def timeline(nomination: Nomination) -> list[AuditEvent]:
    stmt = (select(AuditEvent).where(AuditEvent.nomination_id == nomination.id)
            .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id))
    return list(db.session.scalars(stmt))


def fire(user, nomination_id: int, action: str, *, comment: str, version: int | None) -> AuditEvent:
    """Apply one pipeline action in its own transaction.

    :raise pipeline.TransitionError: refused; nothing changed.
    """
    with transaction():
        return pipeline.apply(nomination_id, action, user, comment=comment,
                              expected_version=version)
