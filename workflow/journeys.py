"""Take a nomination to any state through each transition's own channel, with the data the
table names — what the demo loader and the test factories use, so neither writes a side
effect by hand: a regional session's agenda item, a Council meeting's, an order's list and a
membership are written by the pipeline's effects, as they are in real use.

``Bodies`` provides the deciding bodies a walk needs — a planned session per region, a planned
Council meeting, a Chairman's order — creating each the first time it is needed, the way a
coordinator or an officer would plan it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, inspect, select
from werkzeug.datastructures import FileStorage

from workflow import pipeline
from workflow.council import services as council
from workflow.domain import DocumentKind, Route, State
from workflow.extensions import db
from workflow.models import (
    ChairmanOrder,
    CouncilAgendaItem,
    CouncilMeeting,
    Nomination,
    Region,
    RegionalSession,
    SessionItem,
    SessionStatus,
    utcnow,
)
from workflow.orders import services as orders
from workflow.sessions import services as sessions

# The smallest valid PDF: stands for a document a person would upload.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(PDF), filename=name, content_type="application/pdf")


@dataclass
class Inputs:
    """How one action is fired: its channel, the person's comment and the action's data."""

    channel: pipeline.Channel
    comment: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class Bodies:
    """The sessions, the Council meeting and the order a walk is decided by."""

    members_total: int = 45
    session_date: date = field(default_factory=lambda: date.today() - timedelta(days=30))
    meeting_date: date = field(default_factory=lambda: date.today() + timedelta(days=12))
    order_date: date = field(default_factory=lambda: date.today() - timedelta(days=3))
    order_number: str | None = None
    sessions: dict[int, RegionalSession] = field(default_factory=dict)
    meeting: CouncilMeeting | None = None
    order: ChairmanOrder | None = None

    def session_for(self, region_id: int) -> RegionalSession:
        session = self.sessions.get(region_id)
        if not _kept(session) or session.status == SessionStatus.CLOSED:
            region = db.session.get(Region, region_id)
            count = db.session.scalar(select(func.count()).where(
                RegionalSession.region_id == region_id)) or 0
            session = RegionalSession(
                region_id=region_id, number=f"{self.session_date.year}/{count + 1}",
                held_on=self.session_date, place="Үкімет үйі, мәжіліс залы",
                members_total=self.members_total, quorum=region.session_quorum,
                majority=region.session_majority, status=SessionStatus.PLANNED)
            db.session.add(session)
            db.session.flush()
            self.sessions[region_id] = session
        return session

    def council_meeting(self) -> CouncilMeeting:
        if not _kept(self.meeting) or self.meeting.is_recorded:
            self.meeting = CouncilMeeting(meeting_date=self.meeting_date,
                                          members_total=self.members_total,
                                          title="Заседание Совета АНК")
            db.session.add(self.meeting)
            db.session.flush()
        return self.meeting

    def chairman_order(self) -> ChairmanOrder:
        if not _kept(self.order):
            from workflow.documents.services import store

            count = db.session.scalar(select(func.count()).select_from(ChairmanOrder)) or 0
            document = store(upload("order.pdf"), DocumentKind.ORDER)
            self.order = ChairmanOrder(
                number=self.order_number or f"{self.order_date.year}-{count + 1}",
                order_date=self.order_date, document_id=document.id, applied_at=utcnow())
            db.session.add(self.order)
            db.session.flush()
        return self.order


def _kept(row) -> bool:
    """Whether a body made earlier is still in the database (not rolled back since)."""
    return row is not None and inspect(row).persistent


# The comments a person would write where the table requires or allows one.
COMMENTS = {
    "withdraw": "Ассоциация отозвала кандидатуру.",
    "forward_again": "Приложено подписанное согласие.",
    "return": "Не приложено письменное согласие на обработку персональных данных.",
}


def inputs(nomination: Nomination, transition: pipeline.Transition, bodies: Bodies) -> Inputs:
    """What firing ``transition`` on ``nomination`` through its own channel takes: the data
    its deciding body records, votes that give its outcome under that body's rule."""
    action, channel = transition.action, transition.channel
    comment = COMMENTS.get(action, "") if transition.comment != pipeline.Need.NONE else ""
    if channel == pipeline.Channel.FORM:
        data = {"reasons": ["consent_document"]} if action == "return" else {}
        return Inputs(channel, comment, data)
    if channel == pipeline.Channel.REGIONAL_SESSION:
        session = (bodies.session_for(nomination.region_id) if action == "schedule"
                   else _session_on_agenda(nomination) or bodies.session_for(nomination.region_id))
        data = sessions.session_data(session)
        if action in ("support", "decline_regionally"):
            present = session.members_total
            passing = action == "support"
            data |= {"members_total": session.members_total, "members_present": present,
                     "votes_for": present if passing else 0,
                     "votes_against": 0 if passing else present, "votes_abstain": 0}
        return Inputs(channel, data=data)
    if channel == pipeline.Channel.COUNCIL_MEETING:
        meeting = (bodies.council_meeting() if action == "put_on_council_agenda"
                   else _meeting_on_agenda(nomination) or bodies.council_meeting())
        data = council.meeting_data(meeting)
        if action in ("recommend", "decline_by_council"):
            passing = action == "recommend"
            total = meeting.members_total
            data |= {"members_total": total, "present": total,
                     "votes_for": total if passing else 0,
                     "votes_against": 0 if passing else total, "votes_abstained": 0}
        return Inputs(channel, data=data)
    if channel == pipeline.Channel.CHAIRMAN_ORDER:
        return Inputs(channel, data=orders.order_data(bodies.chairman_order()))
    if channel == pipeline.Channel.CONSENT_WITHDRAWAL:
        from workflow.documents.services import store

        document = store(upload("withdrawal.pdf"), DocumentKind.WITHDRAWAL,
                         nomination_id=nomination.id)
        return Inputs(channel, data={"withdrawn_on": date.today(), "document_id": document.id})
    return Inputs(channel, comment)


def _session_on_agenda(nomination: Nomination) -> RegionalSession | None:
    """The open session whose agenda holds the nomination (where it is decided)."""
    return db.session.scalar(
        select(RegionalSession).join(SessionItem, SessionItem.session_id == RegionalSession.id)
        .where(SessionItem.nomination_id == nomination.id,
               RegionalSession.status != SessionStatus.CLOSED)
        .order_by(RegionalSession.id.desc()).limit(1))


def _meeting_on_agenda(nomination: Nomination) -> CouncilMeeting | None:
    """The unrecorded Council meeting whose agenda holds the nomination."""
    return db.session.scalar(
        select(CouncilMeeting)
        .join(CouncilAgendaItem, CouncilAgendaItem.meeting_id == CouncilMeeting.id)
        .where(CouncilAgendaItem.nomination_id == nomination.id,
               CouncilMeeting.recorded_at.is_(None))
        .order_by(CouncilMeeting.id.desc()).limit(1))


Actors = Callable[[pipeline.Transition, Nomination], pipeline.Actor]


def fire(nomination: Nomination, action: str, actor: pipeline.Actor,
         bodies: Bodies) -> None:
    """Fire one action on ``nomination`` through its own channel."""
    transition = pipeline.BY_ACTION[action]
    given = inputs(nomination, transition, bodies)
    pipeline.apply(nomination, action, actor, channel=given.channel, comment=given.comment,
                   data=given.data)


def walk(nomination: Nomination, target: State, actors: Actors, bodies: Bodies,
         route: Route = Route.REGIONAL) -> None:
    """Take an entered nomination along the shortest path of the table to ``target``."""
    for action in pipeline.path_to(target, route):
        transition = pipeline.BY_ACTION[action]
        fire(nomination, action, actors(transition, nomination), bodies)
