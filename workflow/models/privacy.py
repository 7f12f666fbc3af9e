"""Personal data destroyed when its purpose ended (Law No. 94-V): the destruction records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.core import Candidate, Region, RowScope, User, UTCDateTime, utcnow


class DestructionGround:
    """Why a person's data reached their end: the retention rule that applied."""

    CONSENT_WITHDRAWN = "consent_withdrawn"
    NOMINATION_CLOSED = "nomination_closed"  # declined, withdrawn, rejected
    MEMBERSHIP_ENDED = "membership_ended"


class DestructionRecord(db.Model):
    """What was destroyed, when, and on which ground — never whose data they were."""

    __tablename__ = "destruction_records"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    # The anonymised person row: it says which record, not who.
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    ground: Mapped[str] = mapped_column(String(24))
    # The outcome the rule counts from (a state, or "membership_ended"), the day it ended,
    # the period kept and the day it ran out.
    outcome: Mapped[str] = mapped_column(String(24))
    ended_on: Mapped[date] = mapped_column(Date)
    retention_days: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    # What was destroyed: counts and names of kinds, never a value.
    destroyed: Mapped[dict] = mapped_column(JSON, default=dict)
    destroyed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    destroyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    candidate: Mapped[Candidate] = relationship()
    region: Mapped[Region | None] = relationship()
    destroyed_by: Mapped[User | None] = relationship()
