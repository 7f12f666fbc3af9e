"""An issuing batch (one per Chairman's order) and its items (one per approved nomination)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db
from workflow.models.core import RowScope, UTCDateTime, utcnow


class ItemStatus:
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class IssuingBatch(db.Model):
    __tablename__ = "issuing_batches"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Chairman's order (workflow/orders on the Secretariat's branch); no FK until they meet.
    order_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssuingItem(db.Model):
    __tablename__ = "issuing_items"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("issuing_batches.id"))
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), default=ItemStatus.PENDING)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("batch_id", "nomination_id"),
        # Progress counts items per status; the relay finds pending items left behind.
        Index("ix_issuing_items_batch_status", "batch_id", "status"),
        Index("ix_issuing_items_status_updated", "status", "updated_at"),
    )
