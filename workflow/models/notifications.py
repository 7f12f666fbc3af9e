"""What a person is told: in-app notifications, e-mail deliveries and per-kind preferences.

Every row that reaches a person carries a ``key`` — (event, recipient, channel) — that is UNIQUE
in the database: whatever runs twice (a redelivered task, a relay, a reminder run again the same
day) can insert or send it once only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    ScalarSelect,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db
from workflow.models.core import OwnedBy, RowScope, UTCDateTime, utcnow


class Notification(OwnedBy, db.Model):
    """One line under the bell. Holds ids and the stage, never personal data."""

    __tablename__ = "notifications"
    __scope__ = RowScope.OWN

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))  # transition | reminder | digest
    action: Mapped[str] = mapped_column(String(40), default="")
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id"), index=True)
    reference_code: Mapped[str | None] = mapped_column(String(9))
    to_status: Mapped[str | None] = mapped_column(String(24))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The bell counts a user's unread rows: this index answers it without touching the table.
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),)

    @classmethod
    def unread_of(cls, user_id) -> ScalarSelect:
        """How many of the user's notifications are unread: a scalar subquery, to be read on
        its own or with the user (``User.unread_notifications``)."""
        return (select(func.count()).select_from(cls)
                .where(cls.user_id == user_id, cls.read_at.is_(None)).scalar_subquery())


class DeliveryStatus:
    QUEUED = "queued"  # waiting for the send task
    SENDING = "sending"  # claimed by one task run; a lease (claimed_at) bounds the claim
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # gave up after the last retry; ``error`` says why
    VOID = "void"  # nothing to send any more (a one-time link spent or superseded meanwhile)


class EmailDelivery(db.Model):
    """One e-mail to one address; rendered at send time in ``language`` from ``template``."""

    __tablename__ = "email_deliveries"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    template: Mapped[str] = mapped_column(String(40))
    # Ids and plain values only (nomination_id, event_id, dates): the task reads the rest.
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    # What the e-mail is about, for the nomination page's "Messages sent" (one indexed read)
    # and the kind said in words (the event's action); None for links, reminders, digests.
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id"))
    status: Mapped[str] = mapped_column(String(8), default=DeliveryStatus.QUEUED)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The relay looks for deliveries stuck in queued/sending since some time.
    __table_args__ = (Index("ix_email_deliveries_status_updated", "status", "updated_at"),)


class NotificationPreference(OwnedBy, db.Model):
    """How a user wants to hear of one kind of notification; no row means the default."""

    __tablename__ = "notification_preferences"
    __scope__ = RowScope.OWN

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))  # email | app | off

    __table_args__ = (UniqueConstraint("user_id", "kind"),)


class EmailWording(db.Model):
    """The administrator's wording of one transition's e-mail in one language.

    ``kind`` is the audience's e-mail ("transition" for staff, "nominee"), ``action`` the
    pipeline's transition. Plain text with ``{placeholder}`` names from
    ``notifications.wording.PLACEHOLDERS``; no row means the shipped templates.
    """

    __tablename__ = "email_wordings"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("kind", "action", "language"),)
