"""One-time links sent by e-mail: account invitations, password resets and the nominee's
consent to personal data processing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.core import Candidate, RowScope, User, UTCDateTime, utcnow


class TokenPurpose(StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password
    # Sent to a nominee (no account): the link to give consent electronically (Law No. 94-V).
    CONSENT = "consent"


class AccountToken(db.Model):
    """A one-time link. The database keeps only a SHA-256 of the token, never the token itself.

    The token is an HMAC of ``nonce`` under the application's secret key, so the e-mail task
    can rebuild the same link when it is retried, while a copy of the database alone opens
    nothing.
    """

    __tablename__ = "account_tokens"
    __scope__ = RowScope.INTERNAL

    id: Mapped[int] = mapped_column(primary_key=True)
    # An account's link names the user; a consent link names the person (no account).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    # Where the link was sent (a consent link: the record says to which address).
    sent_to: Mapped[str | None] = mapped_column(String(254))
    purpose: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    candidate: Mapped[Candidate | None] = relationship()

    def __repr__(self) -> str:  # never the hash
        return f"<AccountToken {self.id} {self.purpose}>"
