"""Council meetings: plan one, build its agenda, record its votes and apply the outcomes.

The rule (Law No. 70-IV Art. 10) comes from configuration: a quorum of two thirds of all
Council members, a decision by two thirds of those present. A record is applied all or
nothing: every outcome and every pipeline transition in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from workflow import bulk, pipeline, quotas
from workflow.database import transaction
from workflow.documents.services import store
from workflow.domain import DocumentKind, State
from workflow.extensions import db
from workflow.models import CouncilAgendaItem, CouncilMeeting, Nomination, utcnow
from workflow.permissions import scoped
from workflow.refusal import Refusal, not_found
from workflow.validators import today
from workflow.voting import ItemRefusals, Recusal, Tally, VotingRule, check_item

CHANNEL = pipeline.Channel.COUNCIL_MEETING


def council_rule() -> VotingRule:
    config = current_app.config
    return VotingRule.parse(config["COUNCIL_QUORUM"], config["COUNCIL_MAJORITY"])


@dataclass(frozen=True)
class Votes:
    votes_for: int
    against: int = 0
    abstained: int = 0
    # Members recused from the item: counted in neither its quorum nor its majority.
    recusal: Recusal = Recusal()


def outcome(rule: VotingRule, votes: Votes, present: int) -> str:
    """The pipeline action the Council's votes lead to (those recused not counted)."""
    return ("recommend" if rule.passes(votes.votes_for, present, votes.recusal.count)
            else "decline_by_council")


def check_record(rule: VotingRule, members_total: int, present: int,
                 votes: Mapping[str, Votes]) -> None:
    """Refuse a record below quorum or with more votes than people present, saying which.

    ``votes`` maps an item's label (the candidate's name) to its votes.

    :raise Refusal: what is wrong, in words.
    """
    if present < 0 or present > members_total:
        raise Refusal(_l("Attendance must be between 0 and the Council's %(n)s members.",
                         n=members_total), field="present")
    if not rule.has_quorum(present, members_total):
        raise Refusal(_l(
            "No quorum: %(present)s of %(total)s members present; at least %(needed)s are needed.",
            present=present, total=members_total, needed=rule.quorum.minimum(members_total)),
            field="present")
    for label, v in votes.items():
        check_item(rule, members_total, present, v.recusal.count,
                   (v.votes_for, v.against, v.abstained), _Item(label))


@dataclass(frozen=True)
class _Item(ItemRefusals):
    """The Council's words for an item's faults, the item named by its candidate (the form
    shows them above the table: no field)."""

    label: str

    def negative(self, t: Tally) -> Refusal:
        return Refusal(_l("Votes cannot be negative (%(item)s).", item=self.label))

    def recused_above_present(self, t: Tally) -> Refusal:
        return Refusal(_l("%(item)s: %(recused)s recused but only %(present)s present.",
                          item=self.label, recused=t.recused, present=t.present))

    def no_quorum(self, t: Tally) -> Refusal:
        return Refusal(_l(
            "%(item)s: with %(recused)s recused, %(counted)s of %(total)s members count, "
            "and the quorum needs %(needed)s. Mark the item deferred.", item=self.label,
            recused=t.recused, counted=t.counted, total=t.members, needed=t.needed))

    def votes_above_counted(self, t: Tally) -> Refusal:
        return Refusal(_l(
            "%(item)s: %(cast)s votes recorded but only %(present)s members present.",
            item=self.label, cast=t.cast, present=t.present) if not t.recused else _l(
            "%(item)s: %(cast)s votes recorded but only %(counted)s members count "
            "(%(present)s present, %(recused)s recused).", item=self.label, cast=t.cast,
            counted=t.counted, present=t.present, recused=t.recused))


def plan_meeting(user, *, meeting_date: date, members_total: int, title: str = "") -> CouncilMeeting:
    """Plan a Council meeting: today or later.

    :raise Refusal: the date is in the past (a meeting held already is not planned).
    """
    if meeting_date < today():
        raise Refusal(_l("This date is in the past: a meeting is planned for today or a later "
                         "day."), field="meeting_date")
    with transaction(actor=user):
        meeting = CouncilMeeting(meeting_date=meeting_date, members_total=members_total,
                                 title=title, created_by_id=user.id)
        db.session.add(meeting)
    return meeting


def meetings(user, *, planned_only: bool = False, limit: int = 50) -> list[CouncilMeeting]:
    """The meetings ``user`` may see, the latest first."""
    stmt = scoped(select(CouncilMeeting), user).order_by(
        CouncilMeeting.meeting_date.desc(), CouncilMeeting.id.desc()).limit(limit)
    if planned_only:
        stmt = stmt.where(CouncilMeeting.recorded_at.is_(None))
    return list(db.session.scalars(stmt))


def item_counts(meeting_ids: Iterable[int]) -> dict[int, int]:
    ids = list(meeting_ids)
    if not ids:
        return {}
    stmt = (select(CouncilAgendaItem.meeting_id, func.count())
            .where(CouncilAgendaItem.meeting_id.in_(ids)).group_by(CouncilAgendaItem.meeting_id))
    return dict(db.session.execute(stmt).all())


def get_meeting(user, meeting_id: int, *, lock: bool = False) -> CouncilMeeting | None:
    """The meeting with its agenda, if ``user`` may see it (the Secretariat); else None."""
    stmt = scoped(select(CouncilMeeting).where(CouncilMeeting.id == meeting_id), user).options(
        selectinload(CouncilMeeting.items).joinedload(CouncilAgendaItem.nomination)
        .options(joinedload(Nomination.candidate), joinedload(Nomination.region)))
    return db.session.scalar(stmt.with_for_update(of=CouncilMeeting) if lock else stmt)


def candidates_for_agenda(user, limit: int = 200) -> list[Nomination]:
    """Nominations under review, oldest in that state first: what may go on an agenda."""
    stmt = (scoped(select(Nomination), user).where(Nomination.status == State.UNDER_REVIEW)
            .options(joinedload(Nomination.candidate), joinedload(Nomination.region))
            .order_by(Nomination.status_changed_at, Nomination.id).limit(limit))
    return list(db.session.scalars(stmt))


def meeting_data(meeting: CouncilMeeting) -> dict:
    """What every step a meeting takes records of it (rendered for each reader later)."""
    return {"council_meeting_id": meeting.id, "meeting_date": meeting.meeting_date}


def _planned(meeting_id: int) -> CouncilMeeting:
    meeting = db.session.get(CouncilMeeting, meeting_id, with_for_update=True)
    if meeting is None:
        raise not_found(_l("This Council meeting does not exist."))
    if meeting.is_recorded:
        raise Refusal(_l("This meeting is already recorded; plan a new one."),
                      code="wrong_state", status=409)
    return meeting


def add_to_agenda(user, meeting_id: int, nomination_ids: Iterable[int]) -> int:
    """Put nominations under review on a planned meeting's agenda, all or none.

    :raise Refusal: the meeting is recorded or unknown, or a nomination is no longer under
        review (nothing changed).
    """
    ids = sorted(set(nomination_ids))
    if not ids:
        raise Refusal(_l("Choose at least one nomination under review."),
                      code="missing_data", field="nomination_ids")
    put_on_agenda(user, meeting_id, dict.fromkeys(ids)).raise_first()
    return len(ids)


def put_on_agenda(user, meeting_id: int, versions: Mapping[int, int | None]) -> bulk.Batch:
    """Put nominations under review on a planned meeting's agenda, all or none, each checked
    against the version the person saw; the batch says what happened to each.

    :raise Refusal: the meeting is recorded or unknown (a nomination's refusal is in the batch).
    """
    return bulk.apply_all(user, "put_on_council_agenda", versions, channel=CHANNEL,
                          data=lambda: meeting_data(_planned(meeting_id)))


def take_off_agenda(user, meeting_id: int, nomination_id: int, *, comment: str = "") -> None:
    """Take a nomination off a planned meeting's agenda: it is under review again.

    :raise Refusal: the meeting is recorded or unknown, or the nomination is not on it.
    """
    with transaction():
        meeting = _planned(meeting_id)
        pipeline.apply(nomination_id, "take_off_council_agenda", user, channel=CHANNEL,
                       comment=comment, data=meeting_data(meeting))


# --- The meeting's effects on the pipeline (connected in workflow.setup). ---------------------


def _meeting_of_step(ctx: pipeline.Context) -> CouncilMeeting:
    meeting = db.session.get(CouncilMeeting, ctx.data["council_meeting_id"],
                             with_for_update=True)
    if meeting is None:
        raise Refusal(_l("This Council meeting does not exist."), code="invalid",
                      field="council_meeting_id")
    if ctx.data.get("meeting_date") != meeting.meeting_date.isoformat():
        raise Refusal(_l("The step does not agree with the meeting's date."), code="invalid",
                      field="council_meeting_id")
    return meeting


def _item(meeting: CouncilMeeting, nomination: Nomination) -> CouncilAgendaItem | None:
    return db.session.scalar(select(CouncilAgendaItem).where(
        CouncilAgendaItem.meeting_id == meeting.id,
        CouncilAgendaItem.nomination_id == nomination.id))


def effect_agenda_item(nomination: Nomination, ctx: pipeline.Context) -> None:
    """``put_on_council_agenda``: the nomination becomes an item of a planned meeting."""
    meeting = _meeting_of_step(ctx)
    if meeting.is_recorded:
        raise Refusal(_l("This meeting is already recorded; plan a new one."),
                      code="wrong_state", status=409)
    if _item(meeting, nomination) is not None:
        raise Refusal(_l("The nomination is already on this meeting's agenda."),
                      code="duplicate", status=409)
    db.session.add(CouncilAgendaItem(meeting_id=meeting.id, nomination_id=nomination.id))


def effect_agenda_item_removed(nomination: Nomination, ctx: pipeline.Context) -> None:
    """``take_off_council_agenda``: before the record the item leaves the agenda; at the
    record (``deferred``) it stays, marked deferred by the meeting."""
    meeting = _meeting_of_step(ctx)
    item = _item(meeting, nomination)
    if item is None:
        raise Refusal(_l("The nomination is not on this meeting's agenda."), code="invalid",
                      field="council_meeting_id")
    if ctx.data.get("deferred"):
        item.outcome = "defer"
    elif meeting.is_recorded:
        raise Refusal(_l("This meeting is already recorded."), code="wrong_state", status=409)
    else:
        db.session.delete(item)


def effect_decision(nomination: Nomination, ctx: pipeline.Context) -> None:
    """``recommend``, ``decline_by_council``: the agenda item records the votes, and they must
    give this outcome under the Council's rule with the meeting's attendance.

    :raise Refusal: no quorum, more votes than present, another outcome, not on the agenda.
    """
    meeting = _meeting_of_step(ctx)
    item = _item(meeting, nomination)
    if item is None:
        raise Refusal(_l("The nomination is not on this meeting's agenda."), code="invalid",
                      field="council_meeting_id")
    data = ctx.data
    if data["members_total"] != meeting.members_total or (
            meeting.present is not None and data["present"] != meeting.present):
        raise Refusal(_l("The step does not agree with the meeting's attendance."),
                      code="invalid", field="present")
    recused = data.get("recused", 0)
    votes = Votes(data["votes_for"], data["votes_against"], data["votes_abstained"],
                  Recusal(recused, reason=data.get("recusal_reason", "")))
    rule = council_rule()
    name = nomination.candidate.full_name
    check_record(rule, meeting.members_total, data["present"], {name: votes})
    if outcome(rule, votes, data["present"]) != ctx.action:
        raise Refusal(_l("The votes recorded give another outcome under the Council's rule."),
                      code="invalid", status=409)
    item.votes_for, item.votes_against, item.votes_abstained = (
        votes.votes_for, votes.against, votes.abstained)
    item.recused = recused or None
    item.recusal_reason = data.get("recusal_reason") if recused else None
    item.outcome = ctx.action


def record_meeting(user, meeting_id: int, *, present: int, votes: Mapping[int, Votes],
                   deferred: Iterable[int] = (),
                   protocol: FileStorage | None = None,
                   quota_override: str | None = None) -> dict[str, int]:
    """Record attendance and votes and apply every outcome in one transaction.

    ``votes`` maps agenda item ids to their votes; ``deferred`` names items the meeting
    deferred (they return to review). Items whose nomination left the agenda (withdrawn
    meanwhile) are not voted on. ``quota_override`` is the officer's reason for taking a seat
    quota past its ceiling (None: not asked; see ``workflow.quotas.override``).

    :raise Refusal: no quorum, more votes than present, a missing item's votes, a transition
        refused, or the protocol is not acceptable (nothing changed).
    """
    rule = council_rule()
    deferred = set(deferred)
    votes = dict(votes)
    with transaction():
        meeting = get_meeting(user, meeting_id, lock=True)
        if meeting is None:
            raise not_found(_l("This Council meeting does not exist."))
        if meeting.is_recorded:
            raise Refusal(_l("This meeting is already recorded."), code="wrong_state",
                          status=409)
        if meeting.meeting_date > today():
            raise Refusal(_l("This meeting is dated %(date)s, a day still to come: its votes "
                             "are recorded on the day of the meeting or later.",
                             date=format_date(meeting.meeting_date, "long")),
                          code="too_early", status=409)
        open_items = [i for i in meeting.items if i.nomination.status == State.COUNCIL_AGENDA]
        voted = [i for i in open_items if i.id not in deferred]
        missing = [i for i in voted if i.id not in votes]
        if missing:
            raise Refusal(_l("Enter the votes for %(item)s.",
                             item=missing[0].nomination.candidate.full_name),
                          field=f"item-{missing[0].id}")
        for item in voted:  # who and why, tidied and checked (the form's row named)
            votes[item.id] = replace(votes[item.id], recusal=votes[item.id].recusal.checked(
                present, item.nomination.candidate.full_name, f"item-{item.id}"))
        check_record(rule, meeting.members_total, present,
                     {i.nomination.candidate.full_name: votes[i.id] for i in voted})
        meeting.present = present
        beyond_ceiling = quotas.override(meeting, user, quota_override, [
            i.nomination_id for i in voted if outcome(rule, votes[i.id], present) == "recommend"],
            "recommend")
        tally = {"recommend": 0, "decline_by_council": 0, "defer": 0}
        for item in open_items:
            if item.id in deferred:
                pipeline.apply(item.nomination_id, "take_off_council_agenda", user,
                               channel=CHANNEL, data={**meeting_data(meeting), "deferred": True})
                tally["defer"] += 1
                continue
            v = votes[item.id]
            action = outcome(rule, v, present)
            recusal = ({"recused": v.recusal.count, "recusal_reason": v.recusal.reason}
                       if v.recusal.count else {})
            pipeline.apply(item.nomination_id, action, user, channel=CHANNEL, data={
                **meeting_data(meeting), "members_total": meeting.members_total,
                "present": present, "votes_for": v.votes_for, "votes_against": v.against,
                "votes_abstained": v.abstained, **recusal,
                **(beyond_ceiling if action == "recommend" else {})})
            # Who was recused stays with the agenda item, out of the decision's data.
            item.recusal_names = v.recusal.names or None
            item.recusal_note = v.recusal.note or None
            tally[action] += 1
        if protocol is not None and protocol.filename:
            meeting.protocol_document_id = store(protocol, DocumentKind.PROTOCOL,
                                                 uploaded_by_id=user.id).id
        meeting.recorded_at = utcnow()
        meeting.recorded_by_id = user.id
    return tally
