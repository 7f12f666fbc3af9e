"""The registry of the papers Tizim issues: what each is, its verification code, its file.

A paper is generated from the record (workflow/papers) and sealed; the row is written first,
with its code, and the file follows (at once, or from a background task). The same record
gives the same paper: a row is keyed by its kind, its object, its language and the digest of
the facts it prints, so printing it again returns the same code and the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.core import InRegion, Region, RowScope, User, UTCDateTime, utcnow


class PaperKind(StrEnum):
    SESSION_AGENDA = "session_agenda"  # subject: RegionalSession
    SESSION_PROTOCOL = "session_protocol"  # subject: RegionalSession (votes recorded)
    COUNCIL_AGENDA = "council_agenda"  # subject: CouncilMeeting
    COUNCIL_MINUTES = "council_minutes"  # subject: CouncilMeeting (recorded)
    ORDER_EXTRACT = "order_extract"  # subject: ChairmanOrder
    CERTIFICATE = "certificate"  # subject: Membership
    ACKNOWLEDGEMENT = "acknowledgement"  # subject: Nomination


class PaperStatus(StrEnum):
    PENDING = "pending"  # registered, the file not made yet
    READY = "ready"
    FAILED = "failed"


class IssuedPaper(InRegion, db.Model):
    __tablename__ = "papers"
    # A session's papers are its region's; the national bodies' papers carry none.
    __scope__ = RowScope.REGION

    id: Mapped[int] = mapped_column(primary_key=True)
    # What a reader types or scans at /verify: random, never derived from an id.
    code: Mapped[str] = mapped_column(String(14), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[int] = mapped_column(Integer)
    # Whose paper it is, for scope: the region's, or national (None).
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    # kk or ru; "kk+ru" for the papers printed in both languages on one page.
    language: Mapped[str] = mapped_column(String(5))
    # The number the paper carries (session or order number, member number), as printed.
    number: Mapped[str] = mapped_column(String(64), default="")
    # sha256 of the facts printed: the same facts give the same paper.
    facts_digest: Mapped[str] = mapped_column(String(64))
    # What /verify may show: only what the paper itself prints (body, number, date, a name).
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8), default=PaperStatus.PENDING)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # The sealed file as issued: where it is kept and its sha256.
    storage_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 of the sealing certificate (DER): which key sealed it, across key changes.
    seal_fingerprint: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when the record changed and a paper with other facts was issued in its place.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region | None] = relationship()
    issued_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("kind", "subject_id", "language", "facts_digest",
                         name="uq_papers_facts"),
        Index("ix_papers_subject", "kind", "subject_id"),
        Index("ix_papers_status_updated", "status", "updated_at"),
    )

    def __repr__(self) -> str:
        return f"<IssuedPaper {self.id} {self.kind} {self.subject_id} {self.language}>"
