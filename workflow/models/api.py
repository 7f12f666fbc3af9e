"""The JSON API's own records: personal API tokens and the answers kept for Idempotency-Key.

A token is ``tzm_<prefix>_<secret>``: the prefix (public, unique) finds the row, and only the
SHA-256 of the whole token is kept, so a copy of the database opens nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.core import OwnedBy, RowScope, User, UTCDateTime, utcnow


class ApiToken(OwnedBy, db.Model):
    """A personal API token: it acts as its user (role, region), until revoked or expired."""

    __tablename__ = "api_tokens"
    __scope__ = RowScope.OWN

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:  # never the hash
        return f"<ApiToken {self.id} {self.prefix}>"


class IdempotentRequest(db.Model):
    """A POST sent with an ``Idempotency-Key``: the first answer, kept for 24 hours.

    UNIQUE (user, key): of two requests with one key, one inserts the row and does the work;
    the other finds the row and gets the stored answer (or waits for it).
    """

    __tablename__ = "api_idempotency"
    __scope__ = RowScope.INTERNAL
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_api_idempotency_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None while the first request is still at work.
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(Text)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
