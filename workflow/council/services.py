"""Council meetings: plan one, build its agenda, record its votes and apply the outcomes.

The rule (Law No. 70-IV Art. 10) comes from configuration: a quorum of two thirds of all
Council members, a decision by two thirds of those present. A record is applied all or
nothing: every outcome and every pipeline transition in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from workflow import pipeline
from workflow.council.models import CouncilAgendaItem, CouncilMeeting
from workflow.database import transaction
from workflow.documents.services import store
from workflow.domain import DocumentKind, State
from workflow.extensions import db
from workflow.models import Nomination, utcnow
from workflow.voting import VotingRule


class CouncilError(Exception):
    """A Council record or agenda change refused; ``message`` says why, naming what."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def council_rule() -> VotingRule:
    config = current_app.config
    return VotingRule.parse(config["COUNCIL_QUORUM"], config["COUNCIL_MAJORITY"])


@dataclass(frozen=True)
class Votes:
    votes_for: int
    against: int = 0
    abstained: int = 0

    @property
    def cast(self) -> int:
        return self.votes_for + self.against + self.abstained


def outcome(rule: VotingRule, votes: Votes, present: int) -> str:
    """The pipeline action the Council's votes lead to."""
    return "recommend" if rule.passes(votes.votes_for, present) else "decline_by_council"


def check_record(rule: VotingRule, members_total: int, present: int,
                 votes: Mapping[str, Votes]) -> None:
    """Refuse a record below quorum or with more votes than people present, saying which.

    ``votes`` maps an item's label (the candidate's name) to its votes.

    :raise CouncilError: what is wrong, in words.
    """
    if present < 0 or present > members_total:
        raise CouncilError(_l("Attendance must be between 0 and the Council's %(n)s members.",
                              n=members_total))
    if not rule.has_quorum(present, members_total):
        raise CouncilError(_l(
            "No quorum: %(present)s of %(total)s members present; at least %(needed)s are needed.",
            present=present, total=members_total, needed=rule.quorum.minimum(members_total)))
    for label, v in votes.items():
        if min(v.votes_for, v.against, v.abstained) < 0:
            raise CouncilError(_l("Votes cannot be negative (%(item)s).", item=label))
        if v.cast > present:
            raise CouncilError(_l(
                "%(item)s: %(cast)s votes recorded but only %(present)s members present.",
                item=label, cast=v.cast, present=present))


def plan_meeting(user, *, meeting_date: date, members_total: int, title: str = "") -> CouncilMeeting:
    with transaction():
        meeting = CouncilMeeting(meeting_date=meeting_date, members_total=members_total,
                                 title=title, created_by_id=user.id)
        db.session.add(meeting)
    return meeting


def meetings(*, planned_only: bool = False, limit: int = 50) -> list[CouncilMeeting]:
    stmt = select(CouncilMeeting).order_by(CouncilMeeting.meeting_date.desc(),
                                           CouncilMeeting.id.desc()).limit(limit)
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


def get_meeting(meeting_id: int) -> CouncilMeeting | None:
    stmt = (select(CouncilMeeting).where(CouncilMeeting.id == meeting_id).options(
        selectinload(CouncilMeeting.items).joinedload(CouncilAgendaItem.nomination)
        .options(joinedload(Nomination.candidate), joinedload(Nomination.region))))
    return db.session.scalar(stmt)


def candidates_for_agenda(limit: int = 200) -> list[Nomination]:
    """Nominations under review, oldest in that state first: what may go on an agenda."""
    stmt = (select(Nomination).where(Nomination.status == State.UNDER_REVIEW)
            .options(joinedload(Nomination.candidate), joinedload(Nomination.region))
            .order_by(Nomination.status_changed_at, Nomination.id).limit(limit))
    return list(db.session.scalars(stmt))


def add_to_agenda(user, meeting_id: int, nomination_ids: Iterable[int]) -> int:
    """Put nominations under review on a planned meeting's agenda, all or none.

    :raise CouncilError: the meeting is recorded or unknown.
    :raise pipeline.TransitionError: a nomination is no longer under review (nothing changed).
    """
    ids = sorted(set(nomination_ids))
    with transaction():
        meeting = db.session.get(CouncilMeeting, meeting_id)
        if meeting is None:
            raise CouncilError(_l("This Council meeting does not exist."))
        if meeting.is_recorded:
            raise CouncilError(_l("This meeting is already recorded; plan a new one."))
        for nomination_id in ids:
            pipeline.apply(nomination_id, "put_on_council_agenda", user,
                           data={"council_meeting_id": meeting.id})
            db.session.add(CouncilAgendaItem(meeting_id=meeting.id, nomination_id=nomination_id))
    return len(ids)


def record_meeting(user, meeting_id: int, *, present: int, votes: Mapping[int, Votes],
                   protocol: FileStorage | None = None) -> dict[str, int]:
    """Record attendance and votes and apply every outcome in one transaction.

    ``votes`` maps agenda item ids to their votes. Items whose nomination left the agenda
    (withdrawn meanwhile) are not voted on.

    :raise CouncilError: no quorum, more votes than present, a missing item's votes.
    :raise pipeline.TransitionError: a transition refused (nothing changed).
    :raise DocumentRejected: the protocol is not acceptable (nothing changed).
    """
    rule = council_rule()
    with transaction():
        meeting = get_meeting(meeting_id)
        if meeting is None:
            raise CouncilError(_l("This Council meeting does not exist."))
        if meeting.is_recorded:
            raise CouncilError(_l("This meeting is already recorded."))
        open_items = [i for i in meeting.items if i.nomination.status == State.COUNCIL_AGENDA]
        missing = [i for i in open_items if i.id not in votes]
        if missing:
            raise CouncilError(_l("Enter the votes for %(item)s.",
                                  item=missing[0].nomination.candidate.full_name))
        check_record(rule, meeting.members_total, present,
                     {i.nomination.candidate.full_name: votes[i.id] for i in open_items})
        tally = {"recommend": 0, "decline_by_council": 0}
        for item in open_items:
            v = votes[item.id]
            item.votes_for, item.votes_against, item.votes_abstained = v.votes_for, v.against, v.abstained
            item.outcome = outcome(rule, v, present)
            pipeline.apply(item.nomination_id, item.outcome, user, data={
                "council_meeting_id": meeting.id, "present": present,
                "votes_for": v.votes_for, "votes_against": v.against,
                "votes_abstained": v.abstained})
            tally[item.outcome] += 1
        meeting.present = present
        if protocol is not None and protocol.filename:
            meeting.protocol_document_id = store(protocol, DocumentKind.PROTOCOL,
                                                 uploaded_by_id=user.id).id
        meeting.recorded_at = utcnow()
        meeting.recorded_by_id = user.id
    return tally
