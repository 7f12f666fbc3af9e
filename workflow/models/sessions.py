"""A regional assembly session, its agenda and the record of what it decided."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    exists,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.core import (
    Document,
    InRegion,
    Nomination,
    Region,
    RowScope,
    User,
    UTCDateTime,
    utcnow,
)


class SessionStatus(StrEnum):
    PLANNED = "planned"  # agenda being built
    RECORDED = "recorded"  # attendance and votes entered, decisions not yet applied
    CLOSED = "closed"  # decisions applied through the pipeline
    CANCELLED = "cancelled"  # called off before it was held; its agenda went back


SESSION_STATUS_LABELS = {
    SessionStatus.PLANNED: _l("Planned"),
    SessionStatus.RECORDED: _l("Votes recorded"),
    SessionStatus.CLOSED: _l("Closed"),
    SessionStatus.CANCELLED: _l("Cancelled"),
}


class Outcome(StrEnum):
    """What the session decided on one item; each is the pipeline action that applies it."""

    SUPPORT = "support"
    DECLINE = "decline_regionally"
    DEFER = "defer"


OUTCOME_LABELS = {
    Outcome.SUPPORT: _l("Supported"),
    Outcome.DECLINE: _l("Not supported"),
    Outcome.DEFER: _l("Deferred"),
}


class RegionalSession(InRegion, db.Model):
    __tablename__ = "regional_sessions"
    __scope__ = RowScope.REGION

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    number: Mapped[str] = mapped_column(String(32))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(300))
    # The regional assembly's membership on the day: the quorum is counted against it.
    members_total: Mapped[int] = mapped_column(Integer)
    # Copied from the region's rule when planned; may be overridden, with the reason.
    quorum: Mapped[str] = mapped_column(String(16))
    majority: Mapped[str] = mapped_column(String(16))
    rule_override_reason: Mapped[str | None] = mapped_column(Text)
    members_present: Mapped[int | None] = mapped_column(Integer)
    # Held, but fewer members came than the quorum: every item is deferred for that reason.
    no_quorum: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.PLANNED)
    protocol_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship()
    protocol: Mapped[Document | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[SessionItem]] = relationship(
        back_populates="session", order_by="SessionItem.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("region_id", "number", name="uq_regional_sessions_region_number"),
        Index("ix_regional_sessions_region_held", "region_id", "held_on"),
        CheckConstraint("members_total > 0", name="members_total_positive"),
    )

    def __repr__(self) -> str:
        return f"<RegionalSession {self.id} {self.number!r}>"


class SessionItem(db.Model):
    """One nomination on a session's agenda, with the votes cast on it or its deferral."""

    __tablename__ = "session_items"
    __scope__ = RowScope.REGION

    @classmethod
    def in_region(cls, region_id: int):
        return exists().where(RegionalSession.id == cls.session_id,
                              RegionalSession.region_id == region_id)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("regional_sessions.id"))
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    votes_abstain: Mapped[int | None] = mapped_column(Integer)
    deferred: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why the session put its decision off: printed in the protocol.
    deferral_reason: Mapped[str | None] = mapped_column(Text)
    # Computed from the rule when the votes are recorded; never typed by a person.
    outcome: Mapped[str | None] = mapped_column(String(24))
    recused: Mapped[int | None] = mapped_column(Integer)
    recusal_names: Mapped[str | None] = mapped_column(Text)
    recusal_reason: Mapped[str | None] = mapped_column(String(24))  # RECUSAL_REASON_LABELS
    recusal_note: Mapped[str | None] = mapped_column(Text)

    session: Mapped[RegionalSession] = relationship(back_populates="items")
    nomination: Mapped[Nomination] = relationship()

    __table_args__ = (
        UniqueConstraint("session_id", "nomination_id", name="uq_session_items_session_nomination"),
    )
