"""Regional sessions: plan, build the agenda, record the votes, close, forward the supported.

Every status change goes through the pipeline, named with the session's id; each step is one
transaction, so closing a session applies every decision or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from workflow import audit, bulk, pipeline
from workflow.database import transaction
from workflow.documents import services as documents
from workflow.domain import DocumentKind, Role, State
from workflow.extensions import db
from workflow.models import (
    SESSION_STATUS_LABELS,
    Nomination,
    Outcome,
    Region,
    RegionalSession,
    SessionItem,
    SessionStatus,
    utcnow,
)
from workflow.permissions import scoped
from workflow.refusal import Refusal, not_found
from workflow.validators import today
from workflow.voting import ItemRefusals, Recusal, Tally, Threshold, VotingRule, check_item

CHANNEL = pipeline.Channel.REGIONAL_SESSION


def _scoped(stmt, user):
    return scoped(stmt, user, RegionalSession)


def list_sessions(user, *, limit: int = 200, options=()) -> list[RegionalSession]:
    """The sessions ``user`` may see, newest first; ``options``: loader options for what the
    caller reads next (the API's list reads every agenda)."""
    stmt = (_scoped(select(RegionalSession), user)
            .options(joinedload(RegionalSession.region), *options)
            .order_by(RegionalSession.held_on.desc(), RegionalSession.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def session_choices(user, *, limit: int = 50) -> list:
    """The sessions a list may be filtered by, newest first, as (id, number, held_on) rows: a
    filter's options need no more than that, and whole sessions cost a tenth of a list page."""
    stmt = (_scoped(select(RegionalSession.id, RegionalSession.number, RegionalSession.held_on),
                    user)
            .order_by(RegionalSession.held_on.desc(), RegionalSession.id.desc()).limit(limit))
    return list(db.session.execute(stmt))


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

    :raise Refusal: not theirs (404), or not in a state that allows the step (409).
    """
    stmt = (select(RegionalSession).where(RegionalSession.id == session_id,
                                          RegionalSession.region_id == user.region_id)
            .with_for_update())
    session = db.session.scalar(stmt) if user.role == Role.COORDINATOR else None
    if session is None:
        raise not_found(_l("This session does not exist, or it is not in your area of work."))
    _in_status(session, *statuses)
    return session


def _in_status(session: RegionalSession, *statuses: SessionStatus) -> None:
    if statuses and session.status not in statuses:
        raise Refusal(_l("This step is not possible while the session is “%(status)s”.",
                         status=SESSION_STATUS_LABELS[session.status]),
                      code="wrong_state", status=409)


def rule_of(session: RegionalSession) -> VotingRule:
    return VotingRule.parse(session.quorum, session.majority)


def plan_session(user, fields: Mapping) -> RegionalSession:
    """Plan a session with the region's voting rule, or an override given with its reason.

    :raise Refusal: a rule that does not parse, an override without a reason, a number
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
                raise Refusal(_l("Write the rule as >1/2 or >=2/3."), field=name) from None
        overridden = (quorum, majority) != (region.session_quorum, region.session_majority)
        reason = (fields.get("rule_override_reason") or "").strip()
        if overridden and not reason:
            raise Refusal(_l("Give the reason for departing from the region's rule."),
                                 field="rule_override_reason")
        taken = db.session.scalar(select(func.count()).where(
            RegionalSession.region_id == region.id, RegionalSession.number == fields["number"]))
        if taken:
            raise Refusal(_l("Your region already has a session with this number."),
                                 field="number", code="duplicate", status=409)
        session = RegionalSession(
            region_id=region.id, number=fields["number"], held_on=fields["held_on"],
            place=fields["place"], members_total=fields["members_total"], quorum=quorum,
            majority=majority, rule_override_reason=reason if overridden else None,
            created_by_id=user.id, status=SessionStatus.PLANNED)
        db.session.add(session)
        try:
            db.session.flush()
        except IntegrityError:  # the same number planned a moment ago by a colleague
            raise Refusal(_l("Your region already has a session with this number."),
                                 field="number", code="duplicate", status=409) from None
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

    :raise Refusal: the session is not planned, none chosen, or one of them cannot be
        scheduled (then none is).
    """
    if not nomination_ids:
        raise Refusal(_l("Choose at least one nomination."), code="missing_data",
                      field="nominations")
    with transaction():
        session = _own(user, session_id, SessionStatus.PLANNED)
        for nomination_id in nomination_ids:
            pipeline.apply(nomination_id, "schedule", user, channel=CHANNEL,
                           data=session_data(session))
        return len(nomination_ids)


def remove_from_agenda(user, session_id: int, nomination_id: int) -> None:
    """Take a nomination off a planned session's agenda: it waits for a session again.

    :raise Refusal: the session is no longer planned, or the nomination is not on it.
    """
    with transaction():
        session = _own(user, session_id, SessionStatus.PLANNED)
        pipeline.apply(nomination_id, "unschedule", user, channel=CHANNEL,
                       data=session_data(session))


def _still_planned(user, session_id: int) -> RegionalSession:
    """The coordinator's own planned session, locked; a held one is the record and stays.

    :raise Refusal: not theirs (404), or its votes (or its want of a quorum) are recorded, or
        it was cancelled (409).
    """
    session = _own(user, session_id)
    if session.status == SessionStatus.CANCELLED:
        raise Refusal(_l("This session was cancelled: it can no longer be changed."),
                      code="wrong_state", status=409)
    if session.status != SessionStatus.PLANNED:
        raise Refusal(_l("This session is recorded: what it decided is the record, so it can no "
                         "longer be changed, rescheduled or cancelled."),
                      code="wrong_state", status=409)
    return session


def _number_taken(session: RegionalSession, number: str) -> bool:
    return bool(db.session.scalar(select(func.count()).where(
        RegionalSession.region_id == session.region_id, RegionalSession.number == number,
        RegionalSession.id != session.id)))


def edit_session(user, session_id: int, fields: Mapping) -> RegionalSession:
    """Change a planned session's number, place or membership on the day.

    :raise Refusal: the session is not the coordinator's, or no longer planned; the number is
        another session's of the region.
    """
    with transaction(actor=user):
        session = _still_planned(user, session_id)
        number = fields["number"].strip()
        if number != session.number and _number_taken(session, number):
            raise Refusal(_l("Your region already has a session with this number."),
                          field="number", code="duplicate", status=409)
        session.number, session.place = number, fields["place"].strip()
        session.members_total = fields["members_total"]
        changed = audit.changed_fields(session)
        if changed:
            audit.record(session, "edit", actor=user, changes=changed)
        return session


def reschedule(user, session_id: int, held_on: date) -> RegionalSession:
    """Move a planned session to another day: today or later.

    :raise Refusal: the day has passed, the session is not the coordinator's or no longer
        planned.
    """
    with transaction(actor=user):
        session = _still_planned(user, session_id)
        if held_on < today():
            raise Refusal(_l("This date is in the past: a session is rescheduled to today or a "
                             "later day."), field="held_on")
        if held_on != session.held_on:
            before, session.held_on = session.held_on, held_on
            audit.record(session, "reschedule", actor=user, changes=["held_on"],
                         data={"from": before, "to": held_on})
        return session


def cancel_session(user, session_id: int, reason: str) -> int:
    """Cancel a planned session: each nomination on its agenda is taken off it through the
    pipeline (``unschedule``) and waits for another session. Returns how many went back.

    :raise Refusal: no reason, the session is not the coordinator's, or it is recorded.
    """
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(_l("Give the reason for cancelling the session."), code="missing_data",
                      field="reason")
    with transaction(actor=user):
        session = _still_planned(user, session_id)
        ids = list(db.session.scalars(
            select(SessionItem.nomination_id).join(Nomination,
                                                   SessionItem.nomination_id == Nomination.id)
            .where(SessionItem.session_id == session.id, Nomination.status == State.ON_AGENDA)
            .order_by(SessionItem.position)))
        for nomination_id in ids:
            pipeline.apply(nomination_id, "unschedule", user, channel=CHANNEL,
                           data={**session_data(session), "cancelled": True})
        session.status = SessionStatus.CANCELLED
        session.cancel_reason, session.cancelled_at = reason, utcnow()
        audit.record(session, "cancel", actor=user, comment=reason,
                     changes=["cancel_reason", "cancelled_at"], data={"returned": len(ids)})
        return len(ids)


def record_no_quorum(user, session_id: int, present: int) -> RegionalSession:
    """Record that the session was held without a quorum: every open item is deferred for that
    reason, applied through the pipeline when the session is closed.

    :raise Refusal: the attendance makes a quorum (then the votes are recorded), is above the
        membership, the session is not the coordinator's or not planned, or its day is to come.
    """
    with transaction(actor=user):
        session = _own(user, session_id, SessionStatus.PLANNED, SessionStatus.RECORDED)
        _check_the_day(session)
        if present > session.members_total:
            raise Refusal(
                _l("%(present)s present is more than the %(total)s members of the assembly.",
                   present=present, total=session.members_total), field="members_present")
        rule = rule_of(session)
        if rule.has_quorum(present, session.members_total):
            raise Refusal(_l("%(present)s of %(total)s members present make a quorum: record "
                             "the votes on each item instead.", present=present,
                             total=session.members_total),
                          code="invalid", field="members_present")
        items = _open_items(session)
        if not items:
            raise Refusal(_l("The agenda is empty: add nominations first."), code="wrong_state",
                          status=409)
        session.members_present, session.no_quorum = present, True
        for item in items:
            item.deferred, item.outcome = True, Outcome.DEFER.value
            item.deferral_reason = None
            item.votes_for = item.votes_against = item.votes_abstain = None
            _set_recusal(item, Recusal())
        session.status = SessionStatus.RECORDED
        audit.record(session, "no_quorum", actor=user, changes=["members_present", "no_quorum"],
                     data={"present": present, "members_total": session.members_total,
                           "needed": rule.quorum.minimum(session.members_total)})
        return session


def session_data(session: RegionalSession) -> dict:
    """What every step a session takes records of it (rendered for each reader later)."""
    return {"session_id": session.id, "session_number": session.number,
            "held_on": session.held_on}


# --- The session's effects on the pipeline (connected in workflow.setup). ---------------------


def _session_of_step(nomination: Nomination, ctx: pipeline.Context,
                     *statuses: SessionStatus) -> RegionalSession:
    """The session a step names, locked; it must be the nomination's region's and agree with
    what the step records of it.

    :raise Refusal: no such session in the region, in another status, or other particulars.
    """
    session = db.session.scalar(select(RegionalSession).where(
        RegionalSession.id == ctx.data["session_id"],
        RegionalSession.region_id == nomination.region_id).with_for_update())
    if session is None:
        raise Refusal(_l("This session does not exist in the nomination's region."),
                      code="invalid", field="session_id")
    _in_status(session, *statuses)
    if (ctx.data.get("session_number") != session.number
            or ctx.data.get("held_on") != session.held_on.isoformat()):
        raise Refusal(_l("The step does not agree with the session's number and date."),
                      code="invalid", field="session_id")
    return session


def _item_of(session: RegionalSession, nomination: Nomination) -> SessionItem | None:
    return db.session.scalar(select(SessionItem).where(
        SessionItem.session_id == session.id, SessionItem.nomination_id == nomination.id))


def effect_agenda_item(nomination: Nomination, ctx: pipeline.Context) -> None:
    """``schedule``: the nomination becomes the next item of the planned session's agenda."""
    session = _session_of_step(nomination, ctx, SessionStatus.PLANNED)
    if _item_of(session, nomination) is not None:
        raise Refusal(_l("The nomination is already on this session's agenda."),
                      code="duplicate", status=409)
    position = db.session.scalar(select(func.coalesce(func.max(SessionItem.position), 0))
                                 .where(SessionItem.session_id == session.id))
    db.session.add(SessionItem(session_id=session.id, nomination_id=nomination.id,
                               position=position + 1))


def effect_agenda_item_removed(nomination: Nomination, ctx: pipeline.Context) -> None:
    """``unschedule``: the item leaves the planned session's agenda."""
    session = _session_of_step(nomination, ctx, SessionStatus.PLANNED)
    item = _item_of(session, nomination)
    if item is None:
        raise Refusal(_l("The nomination is not on this session's agenda."), code="invalid",
                      field="session_id")
    db.session.delete(item)


def effect_decision(nomination: Nomination, ctx: pipeline.Context) -> None:
    """``support``, ``decline_regionally``, ``defer``: the agenda item records the session's
    decision — the outcome its rule gives for the votes recorded, never another.

    :raise Refusal: the votes do not give this outcome, there was no quorum, more votes than
        members present, or the nomination is not on the session's agenda.
    """
    session = _session_of_step(nomination, ctx, SessionStatus.PLANNED, SessionStatus.RECORDED)
    item = _item_of(session, nomination)
    if item is None:
        raise Refusal(_l("The nomination is not on this session's agenda."), code="invalid",
                      field="session_id")
    data = ctx.data
    if data.get("no_quorum"):
        if not session.no_quorum:
            raise Refusal(_l("The session is not recorded as held without quorum."),
                          code="invalid", field="no_quorum")
        item.deferred, item.outcome = True, Outcome.DEFER.value
        item.votes_for = item.votes_against = item.votes_abstain = None
        return
    if ctx.data.get("members_total", session.members_total) != session.members_total or (
            session.members_present is not None
            and data.get("members_present", session.members_present) != session.members_present):
        raise Refusal(_l("The step does not agree with the session's attendance."),
                      code="invalid", field="members_present")
    if item.outcome and item.outcome != ctx.action:
        raise Refusal(_l("The session recorded another outcome for this item."),
                      code="invalid", status=409)
    votes = Votes(data.get("votes_for"), data.get("votes_against"), data.get("votes_abstain"),
                  deferred="votes_for" not in data)
    present = data.get("members_present", session.members_present)
    recused = data.get("recused", 0)
    if item.outcome and (item.recused or 0) != recused:
        raise Refusal(_l("The step does not agree with the recusals recorded for this item."),
                      code="invalid", field="recused")
    rule = rule_of(session)
    if not votes.deferred:
        check_item(rule, session.members_total, present, recused,
                   (votes.votes_for, votes.votes_against, votes.votes_abstain),
                   _StepItem(item, session))
    outcome = decide(rule, present or 0, votes, recused)
    if outcome.value != ctx.action:
        raise Refusal(_l("The votes recorded give another outcome under the session's rule."),
                      code="invalid", status=409)
    item.deferred = votes.deferred
    item.votes_for, item.votes_against, item.votes_abstain = (
        (None, None, None) if votes.deferred
        else (votes.votes_for, votes.votes_against, votes.votes_abstain))
    item.outcome = outcome.value


@dataclass(frozen=True)
class _RecordedItem(ItemRefusals):
    """How the record of the votes refuses an item's: named by its position and candidate,
    beside the item's row of the form where it is the row's recusal that is wrong."""

    item: SessionItem

    @property
    def name(self) -> str:
        return self.item.nomination.candidate.full_name

    @property
    def label(self):
        return _l("Item %(position)s (%(name)s)", position=self.item.position, name=self.name)

    @property
    def row(self) -> str:
        return f"items-{self.item.position - 1}"

    def negative(self, t: Tally) -> Refusal:
        return Refusal(_l("Votes cannot be negative (%(item)s).", item=self.label))

    def recused_above_present(self, t: Tally) -> Refusal:  # Recusal.checked says it first
        return Refusal(_l("%(item)s: %(recused)s recused but only %(present)s present.",
                          item=self.label, recused=t.recused, present=t.present),
                       field=f"{self.row}-recused")

    def no_quorum(self, t: Tally) -> Refusal:
        return Refusal(_l(
            "Item %(position)s (%(name)s): with %(recused)s recused, %(counted)s of "
            "%(total)s members count, and the quorum needs %(needed)s. Mark the item "
            "deferred.", position=self.item.position, name=self.name, recused=t.recused,
            counted=t.counted, total=t.members, needed=t.needed),
            field=f"{self.row}-recused")

    def votes_above_counted(self, t: Tally) -> Refusal:
        return Refusal(_l(
            "Item %(position)s (%(name)s): %(cast)s votes cast but only %(present)s "
            "members present.", position=self.item.position, name=self.name, cast=t.cast,
            present=t.present) if not t.recused else _l(
            "Item %(position)s (%(name)s): %(cast)s votes cast but only %(counted)s "
            "members count (%(present)s present, %(recused)s recused).",
            position=self.item.position, name=self.name, cast=t.cast, counted=t.counted,
            present=t.present, recused=t.recused))


@dataclass(frozen=True)
class _StepItem(_RecordedItem):
    """How a decision's step refuses the votes it records for an item: its fields are the
    step's data, and its figures the session's attendance, so a quorum broken is said as the
    session's (its rule named)."""

    session: RegionalSession

    def recused_above_present(self, t: Tally) -> Refusal:
        return Refusal(_l("More recused than present."), code="invalid", field="recused")

    def no_quorum(self, t: Tally) -> Refusal:
        return Refusal(_l("No quorum: %(present)s of %(total)s members present, at least "
                          "%(needed)s needed (rule %(rule)s).", present=t.present,
                          total=t.members, needed=t.needed, rule=self.session.quorum),
                       code="invalid", field="members_present")

    def votes_above_counted(self, t: Tally) -> Refusal:
        return Refusal(_l("Item %(position)s: %(cast)s votes cast but only %(present)s members "
                          "present.", position=self.item.position, cast=t.cast,
                          present=t.counted), code="invalid")


@dataclass
class Votes:
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None
    deferred: bool = False
    reason: str | None = None  # why the item was deferred: printed in the protocol
    recusal: Recusal = Recusal()


def decide(rule: VotingRule, present: int, votes: Votes, recused: int = 0) -> Outcome:
    """The outcome the rule gives for these votes: computed, never typed."""
    if votes.deferred:
        return Outcome.DEFER
    return (Outcome.SUPPORT if rule.passes(votes.votes_for or 0, present, recused)
            else Outcome.DECLINE)


def _check_the_day(session: RegionalSession) -> None:
    if session.held_on > today():
        raise Refusal(_l("This session is dated %(date)s, a day still to come: its votes "
                         "are recorded on the day of the session or later.",
                         date=format_date(session.held_on, "long")),
                      code="too_early", status=409)


def _open_items(session: RegionalSession) -> list[SessionItem]:
    """The agenda items still to decide (one withdrawn meanwhile has nothing left to decide)."""
    items = db.session.scalars(
        select(SessionItem).where(SessionItem.session_id == session.id)
        .options(joinedload(SessionItem.nomination).joinedload(Nomination.candidate))
        .order_by(SessionItem.position))
    return [i for i in items if i.nomination.status == State.ON_AGENDA]


def _set_recusal(item: SessionItem, recusal: Recusal) -> None:
    item.recused = recusal.count or None
    item.recusal_names = recusal.names or None
    item.recusal_reason = recusal.reason or None
    item.recusal_note = recusal.note or None


def record(user, session_id: int, present: int, votes: Mapping[int, Votes]) -> RegionalSession:
    """Record attendance and votes, and compute each item's outcome from the session's rule;
    participants recused from an item count in neither its quorum nor its majority.

    :raise Refusal: below quorum (pointing to the record of a session without quorum), more
        present than members, an item whose quorum its recusals break, or votes on an item
        above those who count (the message names the item); nothing is recorded then.
    """
    with transaction():
        session = _own(user, session_id, SessionStatus.PLANNED, SessionStatus.RECORDED)
        _check_the_day(session)
        has_items = db.session.scalar(select(func.count()).where(
            SessionItem.session_id == session.id))
        if not has_items:
            raise Refusal(_l("The agenda is empty: add nominations first."), code="wrong_state",
                          status=409)
        rule = rule_of(session)
        total = session.members_total
        if present > total:
            raise Refusal(
                _l("%(present)s present is more than the %(total)s members of the assembly.",
                   present=present, total=total), field="members_present")
        if not rule.has_quorum(present, total):
            raise Refusal(
                _l("No quorum: %(present)s of %(total)s members present, at least %(needed)s "
                   "needed (rule %(rule)s). Votes cannot be recorded: tick “No quorum” to "
                   "record the session as held without quorum; every item is then deferred.",
                   present=present, total=total, needed=rule.quorum.minimum(total),
                   rule=session.quorum),
                field="members_present", code="no_quorum")
        items = _open_items(session)
        recusals: dict[int, Recusal] = {}
        for item in items:
            v, say = votes.get(item.id, Votes()), _RecordedItem(item)
            if not v.deferred and v.votes_for is None:
                raise Refusal(_l("Item %(position)s (%(name)s): enter the votes or mark "
                                 "it deferred.", position=item.position, name=say.name),
                              field=f"{say.row}-votes_for")
            if v.deferred:
                continue
            recusal = v.recusal.checked(present, say.label, say.row)
            recusals[item.id] = recusal
            check_item(rule, total, present, recusal.count,
                       (v.votes_for, v.votes_against, v.votes_abstain), say)
        session.members_present = present
        session.no_quorum = False
        for item in items:
            v = votes.get(item.id, Votes())
            recusal = recusals.get(item.id, Recusal())
            item.deferred = v.deferred
            item.deferral_reason = ((v.reason or "").strip() or None) if v.deferred else None
            item.votes_for = None if v.deferred else v.votes_for or 0
            item.votes_against = None if v.deferred else v.votes_against or 0
            item.votes_abstain = None if v.deferred else v.votes_abstain or 0
            _set_recusal(item, recusal)
            item.outcome = decide(rule, present, v, recusal.count).value
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


def decision_data(session: RegionalSession, item: SessionItem) -> dict:
    """What the step that applies an item's outcome records: the session and the votes."""
    data = session_data(session)
    if item.deferred:
        if session.no_quorum:
            return {**data, "no_quorum": True}
        return {**data, "reason": item.deferral_reason} if item.deferral_reason else data
    recusal = ({"recused": item.recused, "recusal_reason": item.recusal_reason}
               if item.recused else {})
    return {**data, "members_total": session.members_total,
            "members_present": session.members_present, "votes_for": item.votes_for,
            "votes_against": item.votes_against, "votes_abstain": item.votes_abstain,
            **recusal}


def close(user, session_id: int) -> RegionalSession:
    """Apply every recorded decision through the pipeline, in one transaction: all or none.

    :raise Refusal: votes not recorded, no protocol, or one decision refused (then nothing
        is applied).
    """
    with transaction():
        session = _own(user, session_id, SessionStatus.RECORDED)
        if session.protocol_document_id is None:
            raise Refusal(_l("Upload the signed protocol before closing the session."),
                          code="missing_data", field="protocol")
        items = list(db.session.scalars(select(SessionItem).where(
            SessionItem.session_id == session.id, SessionItem.outcome.is_not(None))
            .order_by(SessionItem.position)))
        for item in items:
            pipeline.apply(item.nomination_id, item.outcome, user, channel=CHANNEL,
                           data=decision_data(session, item))
        session.status = SessionStatus.CLOSED
        session.closed_at = utcnow()
        return session


def forward_supported(user, session_id: int) -> bulk.Batch:
    """Forward every supported nomination of a closed session at once: all or none; the batch
    says what happened to each (all forwarded, or which was refused and why).

    :raise Refusal: none is waiting to be forwarded.
    """
    with transaction():
        session = _own(user, session_id, SessionStatus.CLOSED)
        ids = list(db.session.scalars(
            select(Nomination.id).join(SessionItem, SessionItem.nomination_id == Nomination.id)
            .where(SessionItem.session_id == session.id, Nomination.status == State.SUPPORTED)
            .order_by(SessionItem.position)))
    if not ids:
        raise Refusal(_l("No supported nomination of this session waits to be "
                         "forwarded."), code="wrong_state", status=409)
    # The same button as on each nomination's page, pressed for each supported one, as one
    # batch (workflow.bulk, as the Secretariat's queue does).
    return bulk.apply_all(user, "forward", dict.fromkeys(ids), channel=pipeline.Channel.BUTTON)


def waiting_to_forward(session: RegionalSession) -> int:
    return db.session.scalar(
        select(func.count()).select_from(SessionItem)
        .join(Nomination, SessionItem.nomination_id == Nomination.id)
        .where(SessionItem.session_id == session.id, Nomination.status == State.SUPPORTED))


def upcoming(user, limit: int = 5) -> list[RegionalSession]:
    stmt = (_scoped(select(RegionalSession), user)
            .where(RegionalSession.status.not_in([SessionStatus.CLOSED, SessionStatus.CANCELLED]))
            .order_by(RegionalSession.held_on, RegionalSession.id).limit(limit))
    return list(db.session.scalars(stmt))

