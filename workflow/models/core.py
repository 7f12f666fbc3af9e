"""The domain model: regions, associations, candidates, nominations, their audit trail, users.

A nomination's status is read-only here: ``Nomination.status`` has no setter, and a flush
that changes the stored status without an ``AuditEvent`` for that change fails
(``workflow.audit``). The only writer is ``workflow.pipeline``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, validates
from sqlalchemy.sql import exists

from workflow.domain import MembershipStatus, State, name_key
from workflow.extensions import db
from workflow.i18n import language


class RowScope(StrEnum):
    """Whose rows a model holds; ``workflow.permissions.scoped`` limits every query by it.

    A ``REGION`` model says which region a row belongs to with ``in_region(region_id)`` (and
    which rows every region sees, with ``shared()``); an ``OWN`` model, or a region model a
    member may read, says whose a row is with ``owned_by(user_id)``.
    """

    REGION = "region"  # a region's rows: its coordinators see them; the Secretariat sees all
    NATIONAL = "national"  # the national bodies' rows: the Secretariat (and administrators)
    OWN = "own"  # one person's rows (notifications, preferences): only that person
    PUBLIC = "public"  # reference data anyone may read (the regions)
    INTERNAL = "internal"  # bookkeeping no page lists (counters, outbox, tokens, chain head)


class InRegion:
    """A ``REGION`` model whose rows carry their region in ``region_id`` (a row without one is
    national: no coordinator's)."""

    @classmethod
    def in_region(cls, region_id: int):
        return cls.region_id == region_id


class OwnedBy:
    """A model whose rows are one user's, in ``user_id``."""

    @classmethod
    def owned_by(cls, user_id: int):
        return cls.user_id == user_id


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class LocalizedName:
    """Mixin for rows named in Kazakh, Russian and English: ``.name`` follows the locale."""

    name_kk: Mapped[str]
    name_ru: Mapped[str]
    name_en: Mapped[str]

    @property
    def name(self) -> str:
        lang = language() or "kk"  # outside an application context: Kazakh
        return getattr(self, f"name_{lang}", None) or self.name_kk


class Region(LocalizedName, db.Model):
    __tablename__ = "regions"
    __scope__ = RowScope.PUBLIC

    id: Mapped[int] = mapped_column(primary_key=True)
    iso_code: Mapped[str] = mapped_column(String(8), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # capital | city | oblast
    name_kk: Mapped[str] = mapped_column(String(120))
    name_ru: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    centre_en: Mapped[str] = mapped_column(String(120), default="")
    # The regional session's rule: thresholds like ">1/2" (see workflow.voting).
    session_quorum: Mapped[str] = mapped_column(String(16), default=">1/2")
    session_majority: Mapped[str] = mapped_column(String(16), default=">1/2")
    # How long an item may wait in one state before it is overdue; None = the configured default.
    expected_days: Mapped[int | None] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Region {self.iso_code}>"


class Association(InRegion, db.Model):
    __tablename__ = "associations"
    __scope__ = RowScope.REGION

    @classmethod
    def shared(cls):
        """A republican association is seen in every region (and edited nationally)."""
        return cls.level == "republican"

    # The same association twice (the same name, as ``domain.name_key`` compares names, in one
    # region) is refused by associations.services with a message; this constraint holds it in
    # the database too. A republican association is compared with every republican one there.
    # (A unique index, which SQLite adds in place to a table others refer to; every row's key
    # is written by the ``name`` validator below.)
    __table_args__ = (Index("uq_associations_region_name_key", "region_id", "name_key",
                            unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    name_key: Mapped[str | None] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16), index=True)  # AssociationLevel
    kind: Mapped[str] = mapped_column(String(16))  # AssociationKind
    # A republican association has a seat too; it is visible in every region.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    bin: Mapped[str | None] = mapped_column(String(12), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region | None] = relationship()

    @validates("name")
    def _keep_name_key(self, _key, name):
        self.name_key = name_key(name)
        return name

    def __repr__(self) -> str:
        return f"<Association {self.id} {self.name!r}>"


class PersonName:
    """``full_name`` for whatever holds a person's surname, given name and patronymic: the
    candidate's record, a list's row (models.lists.RowCandidate)."""

    @property
    def full_name(self) -> str:
        if self.erased_at is not None:
            return str(_l("(personal data destroyed)"))
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)


class Candidate(PersonName, db.Model):
    """A person proposed for membership. The IIN is restricted personal data."""

    __tablename__ = "candidates"
    __scope__ = RowScope.REGION

    @classmethod
    def in_region(cls, region_id: int):
        """A person is in a region's reach through a nomination or a membership there."""
        return (exists().where(Nomination.candidate_id == cls.id,
                               Nomination.region_id == region_id)
                | exists().where(Membership.candidate_id == cls.id,
                                 Membership.region_id == region_id))

    @classmethod
    def owned_by(cls, user_id: int):
        """A member's own person record."""
        return exists().where(Membership.candidate_id == cls.id, Membership.user_id == user_id)

    id: Mapped[int] = mapped_column(primary_key=True)
    iin: Mapped[str] = mapped_column(String(12), unique=True)
    surname: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    patronymic: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(8))
    citizenship: Mapped[str] = mapped_column(String(2), default="KZ")
    ethnicity: Mapped[str] = mapped_column(String(100), index=True)  # as the person declares it
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    occupation: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    # Consent to personal data processing (Law No. 94-V): when, how, to what.
    consent_given_on: Mapped[date | None] = mapped_column(Date)
    consent_form: Mapped[str | None] = mapped_column(String(16))
    consent_scope: Mapped[str | None] = mapped_column(Text)
    # Consent given electronically through a single-use link (workflow.consent): the moment,
    # the link, the text shown (version and sha256), its language and the request's address.
    consent_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_token_id: Mapped[int | None] = mapped_column(Integer)
    consent_text_version: Mapped[str | None] = mapped_column(String(16))
    consent_text_hash: Mapped[str | None] = mapped_column(String(64))
    consent_language: Mapped[str | None] = mapped_column(String(2))
    consent_ip: Mapped[str | None] = mapped_column(String(45))
    # The language the nominee reads (kk or ru): their e-mails and the consent text.
    language: Mapped[str] = mapped_column(String(2), default="kk", server_default="kk")
    # The candidate withdrew consent (Law No. 94-V Art. 8): when, and the signed document.
    consent_withdrawn_on: Mapped[date | None] = mapped_column(Date)
    consent_withdrawal_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", use_alter=True))
    # The person's data were destroyed (workflow.privacy): the row stays, anonymised, so the
    # nominations and the audit trail keep what happened without who.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()

    __table_args__ = (Index("ix_candidates_name_birth", "surname", "given_name", "birth_date"),)

    def __repr__(self) -> str:  # never the IIN
        return f"<Candidate {self.id}>"


# No 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B, U/V: a code read over the phone survives.
REFERENCE_ALPHABET = "ACDEFHJKMNPQRTWXY3479"


def new_reference_code() -> str:
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


class Nomination(InRegion, db.Model):
    __tablename__ = "nominations"
    __scope__ = RowScope.REGION

    @classmethod
    def owned_by(cls, user_id: int):
        """The nomination a member's membership was issued from."""
        return exists().where(Membership.nomination_id == cls.id, Membership.user_id == user_id)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_code: Mapped[str] = mapped_column(String(9), unique=True, default=new_reference_code)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    route: Mapped[str] = mapped_column(String(16), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id"), index=True)
    # For routes decided by a body other than an association: which body and which decision.
    nominating_body: Mapped[str | None] = mapped_column(String(300))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    # Written only by workflow.pipeline; read through ``status``.
    _status: Mapped[str] = mapped_column("status", String(24), index=True)
    justification: Mapped[str] = mapped_column(Text, default="")
    # use_alter: nominations and memberships refer to each other; the FK is added after both.
    replaces_membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", use_alter=True)
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    candidate: Mapped[Candidate] = relationship()
    association: Mapped[Association | None] = relationship()
    region: Mapped[Region] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    events: Mapped[list[AuditEvent]] = relationship(
        back_populates="nomination", order_by="AuditEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_nominations_region_status", "region_id", "status", "id"),
        Index("ix_nominations_status_changed", "status", "status_changed_at"),
    )

    @hybrid_property
    def status(self) -> State:
        return State(self._status)

    @status.inplace.expression
    @classmethod
    def _status_expression(cls):
        return cls._status

    def __repr__(self) -> str:
        return f"<Nomination {self.id} {self.reference_code} {self._status}>"


class AuditEvent(db.Model):
    """One change to the record: a transition, or a change to a person, a nomination's data,
    a membership, an association, a user … (``workflow.audit``). Written in the same
    transaction as the change, and chained: ``hash`` covers the event and ``prev_hash``."""

    __tablename__ = "audit_events"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    # The place in the chain, given at commit (workflow.audit._seal).
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    entity_type: Mapped[str] = mapped_column(String(24))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    # Set for the events a nomination's timeline shows: its transitions, its data, its person.
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_role: Mapped[str] = mapped_column(String(16))
    via: Mapped[str] = mapped_column(String(8), default="web")  # web | api | cli | system
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    # The chain covers a comment through its salted digest, so a comment can be erased when
    # its person's data are destroyed and the chain still verifies (workflow.audit, "Erasure").
    comment_salt: Mapped[str | None] = mapped_column(String(32))
    comment_digest: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # The names of the fields the change touched; never their values.
    changes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    nomination: Mapped[Nomination | None] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id", "id"),)


class AuditChain(db.Model):
    """The head of the audit chain: one row, the last place taken and its hash."""

    __tablename__ = "audit_chain"
    __scope__ = RowScope.INTERNAL

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __scope__ = RowScope.NATIONAL

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    language: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Changes when the password does: sessions issued before a reset stop working.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))

    region: Mapped[Region | None] = relationship()
    # The bell's count, read with the user when a page loads them (auth.services.load_user:
    # one statement, not two); None when not read so (notifications.services.unread_count).
    unread_notifications: Mapped[int | None] = query_expression()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Membership(InRegion, OwnedBy, db.Model):
    """A member of the Assembly: issued from an approved nomination."""

    __tablename__ = "memberships"
    __scope__ = RowScope.REGION

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), unique=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    member_number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(8), default=MembershipStatus.ACTIVE, index=True)
    started_on: Mapped[date] = mapped_column(Date, index=True)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_ground: Mapped[str | None] = mapped_column(String(32))
    end_comment: Mapped[str | None] = mapped_column(Text)
    end_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # The basis: the Chairman's order that approved it (workflow.models.orders).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("chairman_orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    nomination: Mapped[Nomination] = relationship(foreign_keys=[nomination_id])
    candidate: Mapped[Candidate] = relationship()
    user: Mapped[User | None] = relationship()
    region: Mapped[Region] = relationship()


class Document(InRegion, db.Model):
    """An uploaded file, kept on this server; downloaded only by those allowed."""

    __tablename__ = "documents"
    # A nomination's documents carry its region; a national body's documents carry none.
    __scope__ = RowScope.REGION

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id"), index=True)
    # For documents of no nomination (a session protocol): whose region; None = national.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Counter(db.Model):
    """Named counters (member numbers per year), incremented atomically in the database."""

    __tablename__ = "counters"
    __scope__ = RowScope.INTERNAL

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class StatusWithoutAuditEvent(RuntimeError):
    """A nomination's status was about to be written without its audit event."""
