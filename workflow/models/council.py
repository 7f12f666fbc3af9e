"""Council meetings: the plan, the agenda, attendance and each item's votes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.core import Document, Nomination, RowScope, User, UTCDateTime, utcnow


class CouncilMeeting(db.Model):
    """A meeting of the Council of the Assembly; recorded once, with its outcomes."""

    __tablename__ = "council_meetings"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_date: Mapped[date] = mapped_column(Date, index=True)
    # The Council's membership on the day: the quorum is a share of it.
    members_total: Mapped[int] = mapped_column(Integer)
    present: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300), default="")
    protocol_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[CouncilAgendaItem]] = relationship(
        back_populates="meeting", order_by="CouncilAgendaItem.id", cascade="all, delete-orphan"
    )
    protocol: Mapped[Document | None] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    @property
    def is_recorded(self) -> bool:
        return self.recorded_at is not None


class CouncilAgendaItem(db.Model):
    """One nomination on one meeting's agenda, and how the Council voted on it."""

    __tablename__ = "council_agenda_items"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("council_meetings.id"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    votes_abstained: Mapped[int | None] = mapped_column(Integer)
    # The pipeline action the votes led to: recommend | decline_by_council.
    outcome: Mapped[str | None] = mapped_column(String(24))
    # Participants recused from this item (a conflict of interest): not counted in its quorum
    # or majority. Who and why are kept here; the count and the reason's code go with the
    # decision's data too.
    recused: Mapped[int | None] = mapped_column(Integer)
    recusal_names: Mapped[str | None] = mapped_column(Text)
    recusal_reason: Mapped[str | None] = mapped_column(String(24))  # RECUSAL_REASON_LABELS
    recusal_note: Mapped[str | None] = mapped_column(Text)

    meeting: Mapped[CouncilMeeting] = relationship(back_populates="items")
    nomination: Mapped[Nomination] = relationship()

    __table_args__ = (UniqueConstraint("meeting_id", "nomination_id"),)
