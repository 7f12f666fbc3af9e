"""The Chairman's orders: which recommended nominations are approved and which rejected."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.core import Document, Nomination, RowScope, User, UTCDateTime, utcnow


class OrderDecision:
    APPROVE = "approve"
    REJECT = "reject"


class ChairmanOrder(db.Model):
    """An order of the Chairman of the Assembly; the basis of the memberships it approves."""

    __tablename__ = "chairman_orders"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    order_date: Mapped[date] = mapped_column(Date, index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[ChairmanOrderItem]] = relationship(
        back_populates="order", order_by="ChairmanOrderItem.id", cascade="all, delete-orphan"
    )
    document: Mapped[Document] = relationship()
    created_by: Mapped[User | None] = relationship()


class ChairmanOrderItem(db.Model):
    __tablename__ = "chairman_order_items"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("chairman_orders.id"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    decision: Mapped[str] = mapped_column(String(8))  # OrderDecision

    order: Mapped[ChairmanOrder] = relationship(back_populates="items")
    nomination: Mapped[Nomination] = relationship()

    __table_args__ = (UniqueConstraint("order_id", "nomination_id"),)
