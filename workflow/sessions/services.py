"""Regional sessions: plan, build the agenda, record the votes, close, forward the supported.

Every status change goes through the pipeline, named with the session's id; each step is one
transaction, so closing a session applies every decision or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from workflow import pipeline
from workflow.database import transaction
from workflow.documents import services as documents
from workflow.domain import DocumentKind, Role, State
from workflow.extensions import db
from workflow.models import Nomination, Region, utcnow
from workflow.sessions.models import (
    SESSION_STATUS_LABELS,
    Outcome,
    RegionalSession,
    SessionItem,
    SessionStatus,
)
from workflow.voting import Threshold, VotingRule


class SessionRefused(Exception):
    """The step cannot be taken; ``message`` says why, in the reader's language."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def _scoped(stmt, user):
    if user.role == Role.COORDINATOR:
        return stmt.where(RegionalSession.region_id == user.region_id)
    if user.role != Role.SECRETARIAT:
        return stmt.where(False)
    return stmt


def list_sessions(user, *, limit: int = 200) -> list[RegionalSession]:
    stmt = (_scoped(select(RegionalSession), user).options(joinedload(RegionalSession.region))
            .order_by(RegionalSession.held_on.desc(), RegionalSession.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def item_counts(sessions: list[RegionalSession]) -> dict[int, int]:
    if not sessions:
        return {}
    stmt = (select(SessionItem.session_id, func.count()).group_by(SessionItem.session_id)
            .where(SessionItem.session_id.in_([s.id for s in sessions])))
    return dict(db.session.execute(stmt).all())


def get_session(user, session_id: int) -> RegionalSession | None:
    """The session if ``user`` may see it; None otherwise (the view answers 404)."""
    stmt = _scoped(select(RegionalSession).where(RegionalSession.id == session_id), user).options(
        selectinload(RegionalSession.items).joinedload(SessionItem.nomination)
        .joinedload(Nomination.candidate))
    return db.session.scalar(stmt)


def _own(user, session_id: int, *statuses: SessionStatus) -> RegionalSession:
    """The coordinator's own session, locked, in one of ``statuses``.

    :raise SessionRefused: not theirs, or not in a state that allows the step.
    """
    stmt = (select(RegionalSession).where(RegionalSession.id == session_id,
                                          RegionalSession.region_id == user.region_id)
            .with_for_update())
    session = db.session.scalar(stmt) if user.role == Role.COORDINATOR else None
    if session is None:
        raise SessionRefused(_l("This session does not exist."))
    if statuses and session.status not in statuses:
        raise SessionRefused(_l("This step is not possible while the session is “%(status)s”.",
                                status=SESSION_STATUS_LABELS[session.status]))
    return session


def rule_of(session: RegionalSession) -> VotingRule:
    return VotingRule.parse(session.quorum, session.majority)


def plan_session(user, fields: Mapping) -> RegionalSession:
    """Plan a session with the region's voting rule, or an override given with its reason.

    :raise SessionRefused: a rule that does not parse, an override without a reason, a number
        already used in the region.
    """
    with transaction():
        region = db.session.get(Region, user.region_id)
        quorum = (fields.get("quorum") or region.session_quorum).strip()
        majority = (fields.get("majority") or region.session_majority).strip()
        for name, text in (("quorum", quorum), ("majority", majority)):
            try:
                Threshold.parse(text)
            except ValueError:
                raise SessionRefused(_l("Write the rule as >1/2 or >=2/3."), name) from None
        overridden = (quorum, majority) != (region.session_quorum, region.session_majority)
        reason = (fields.get("rule_override_reason") or "").strip()
        if overridden and not reason:
            raise SessionRefused(_l("Give the reason for departing from the region's rule."),
                                 "rule_override_reason")
        taken = db.session.scalar(select(func.count()).where(
            RegionalSession.region_id == region.id, RegionalSession.number == fields["number"]))
        if taken:
            raise SessionRefused(_l("Your region already has a session with this number."),
                                 "number")
        session = RegionalSession(
            region_id=region.id, number=fields["number"], held_on=fields["held_on"],
            place=fields["place"], members_total=fields["members_total"], quorum=quorum,
            majority=majority, rule_override_reason=reason if overridden else None,
            created_by_id=user.id, status=SessionStatus.PLANNED)
        db.session.add(session)
        try:
            db.session.flush()
        except IntegrityError:  # the same number planned a moment ago by a colleague
            raise SessionRefused(_l("Your region already has a session with this number."),
                                 "number") from None
        return session


def agenda_candidates(user, session: RegionalSession) -> list[Nomination]:
    """The region's submitted nominations, waiting for a session, oldest first."""
    stmt = (select(Nomination).where(Nomination.region_id == session.region_id,
                                     Nomination.status == State.SUBMITTED)
            .options(joinedload(Nomination.candidate), joinedload(Nomination.association))
            .order_by(Nomination.status_changed_at, Nomination.id).limit(500))
    return list(db.session.scalars(stmt)) if user.region_id == session.region_id else []


def add_to_agenda(user, session_id: int, nomination_ids: list[int]) -> int:
    """Put submitted nominations on a planned session's agenda, each through ``schedule``.

    :raise SessionRefused: the session is not planned, or none chosen.
    :raise pipeline.TransitionError: one of them cannot be scheduled (none is).
    """
    if not nomination_ids:
        raise SessionRefused(_l("Choose at least one nomination."))
    with transaction():
        session = _own(user, session_id, SessionStatus.PLANNED)
        position = db.session.scalar(select(func.coalesce(func.max(SessionItem.position), 0))
                                     .where(SessionItem.session_id == session.id))
        for nomination_id in nomination_ids:
            pipeline.apply(nomination_id, "schedule", user,
                           comment=str(_l("Session %(number)s", number=session.number)),
                           data={"session_id": session.id})
            position += 1
            db.session.add(SessionItem(session_id=session.id, nomination_id=nomination_id,
                                       position=position))
        db.session.flush()
        return len(nomination_ids)


@dataclass
class Votes:
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None
    deferred: bool = False


def decide(rule: VotingRule, present: int, votes: Votes) -> Outcome:
    """The outcome the rule gives for these votes: computed, never typed."""
    if votes.deferred:
        return Outcome.DEFER
    return Outcome.SUPPORT if rule.passes(votes.votes_for or 0, present) else Outcome.DECLINE


def record(user, session_id: int, present: int, votes: Mapping[int, Votes]) -> RegionalSession:
    """Record attendance and votes, and compute each item's outcome from the session's rule.

    :raise SessionRefused: below quorum, more present than members, or votes on an item above
        those present (the message names the item); nothing is recorded then.
    """
    with transaction():
        session = _own(user, session_id, SessionStatus.PLANNED, SessionStatus.RECORDED)
        items = list(db.session.scalars(
            select(SessionItem).where(SessionItem.session_id == session.id)
            .options(joinedload(SessionItem.nomination).joinedload(Nomination.candidate))
            .order_by(SessionItem.position)))
        if not items:
            raise SessionRefused(_l("The agenda is empty: add nominations first."))
        rule = rule_of(session)
        if present > session.members_total:
            raise SessionRefused(
                _l("%(present)s present is more than the %(total)s members of the assembly.",
                   present=present, total=session.members_total), "members_present")
        if not rule.has_quorum(present, session.members_total):
            raise SessionRefused(
                _l("No quorum: %(present)s of %(total)s members present, at least %(needed)s "
                   "needed (rule %(rule)s).", present=present, total=session.members_total,
                   needed=rule.quorum.minimum(session.members_total), rule=session.quorum),
                "members_present")
        # An item withdrawn since it was put on the agenda has nothing left to decide.
        items = [i for i in items if i.nomination.status == State.ON_AGENDA]
        for item in items:
            v = votes.get(item.id, Votes())
            cast = (v.votes_for or 0) + (v.votes_against or 0) + (v.votes_abstain or 0)
            if not v.deferred and v.votes_for is None:
                raise SessionRefused(_l("Item %(position)s (%(name)s): enter the votes or mark "
                                        "it deferred.", position=item.position,
                                        name=item.nomination.candidate.full_name))
            if not v.deferred and cast > present:
                raise SessionRefused(
                    _l("Item %(position)s (%(name)s): %(cast)s votes cast but only %(present)s "
                       "members present.", position=item.position,
                       name=item.nomination.candidate.full_name, cast=cast, present=present))
        session.members_present = present
        for item in items:
            v = votes.get(item.id, Votes())
            item.deferred = v.deferred
            item.votes_for = None if v.deferred else v.votes_for or 0
            item.votes_against = None if v.deferred else v.votes_against or 0
            item.votes_abstain = None if v.deferred else v.votes_abstain or 0
            item.outcome = decide(rule, present, v).value
        session.status = SessionStatus.RECORDED
        return session


def attach_protocol(user, session_id: int, file: FileStorage) -> RegionalSession:
    """Keep the signed protocol of the session.

    :raise documents.DocumentRejected: the file is not acceptable.
    """
    with transaction():
        session = _own(user, session_id, SessionStatus.PLANNED, SessionStatus.RECORDED)
        document = documents.store(file, DocumentKind.PROTOCOL, region_id=session.region_id,
                                   uploaded_by_id=user.id)
        session.protocol_document_id = document.id
        return session


def close(user, session_id: int) -> RegionalSession:
    """Apply every recorded decision through the pipeline, in one transaction: all or none.

    :raise SessionRefused: votes not recorded, or no protocol.
    :raise pipeline.TransitionError: one decision refused; nothing is applied.
    """
    with transaction():
        session = _own(user, session_id, SessionStatus.RECORDED)
        if session.protocol_document_id is None:
            raise SessionRefused(_l("Upload the signed protocol before closing the session."))
        items = list(db.session.scalars(select(SessionItem).where(
            SessionItem.session_id == session.id, SessionItem.outcome.is_not(None))
            .order_by(SessionItem.position)))
        for item in items:
            note = "" if item.deferred else str(_l(
                "Session %(number)s: %(yes)s for, %(no)s against, %(abstain)s abstaining, "
                "%(present)s present.", number=session.number, present=session.members_present,
                yes=item.votes_for, no=item.votes_against, abstain=item.votes_abstain))
            pipeline.apply(item.nomination_id, item.outcome, user, comment=note or str(_l(
                "Session %(number)s deferred the decision.", number=session.number)),
                data={"session_id": session.id, "item_id": item.id,
                      "votes_for": item.votes_for, "votes_against": item.votes_against,
                      "votes_abstain": item.votes_abstain,
                      "members_present": session.members_present,
                      "protocol_document_id": session.protocol_document_id})
        session.status = SessionStatus.CLOSED
        session.closed_at = utcnow()
        return session


def forward_supported(user, session_id: int) -> int:
    """Forward every supported nomination of a closed session at once: all or none.

    :raise SessionRefused: none is waiting to be forwarded.
    :raise pipeline.TransitionError: one cannot be forwarded; none is.
    """
    with transaction():
        session = _own(user, session_id, SessionStatus.CLOSED)
        ids = list(db.session.scalars(
            select(Nomination.id).join(SessionItem, SessionItem.nomination_id == Nomination.id)
            .where(SessionItem.session_id == session.id, Nomination.status == State.SUPPORTED)
            .order_by(SessionItem.position)))
        if not ids:
            raise SessionRefused(_l("No supported nomination of this session waits to be "
                                    "forwarded."))
        for nomination_id in ids:
            pipeline.apply(nomination_id, "forward", user,
                           comment=str(_l("Supported by session %(number)s.",
                                          number=session.number)))
        return len(ids)


def waiting_to_forward(session: RegionalSession) -> int:
    return db.session.scalar(
        select(func.count()).select_from(SessionItem)
        .join(Nomination, SessionItem.nomination_id == Nomination.id)
        .where(SessionItem.session_id == session.id, Nomination.status == State.SUPPORTED))


def upcoming(user, limit: int = 5) -> list[RegionalSession]:
    stmt = (_scoped(select(RegionalSession), user)
            .where(RegionalSession.status != SessionStatus.CLOSED)
            .order_by(RegionalSession.held_on, RegionalSession.id).limit(limit))
    return list(db.session.scalars(stmt))

