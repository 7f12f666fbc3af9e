"""The audit trail: every change to the record is an event, and the events prove themselves.

- **Transitions** write their event through ``transition`` (called by the pipeline only).
- **Every other change** to an audited row (a person, a nomination's data, a membership, an
  association, a user, a region's rules, a session, a Council meeting, an order) is an event
  too: a service may write one with ``record`` (an action of its own, its data), and whatever
  no explicit event covers is recorded by ``_record_changes`` before the flush, with the names
  of the fields that changed. So no change reaches the database without its event — never an
  IIN or any other value of a personal field, only the field's name.
- **The chain.** After each flush the new events get the next sequence numbers and a SHA-256
  over their content and the previous event's hash; the head of the chain (``audit_chain``,
  one row, locked by the UPDATE until the transaction ends) keeps the last hash, so writers
  take their turn and no two events share a place. ``verify`` walks the chain and names the
  first broken link: an edited, deleted, inserted or reordered event.

- **Erasure.** A comment is free text and may name a person, so the chain covers it through a
  salted digest: at sealing, an event with a comment gets a random ``comment_salt`` and
  ``comment_digest = sha256(salt + comment)``, and its hash covers the digest in place of the
  text. When the person's data are destroyed (``workflow.privacy``), ``erase_comments`` blanks
  the comment and drops the salt; the digest (which without its salt says nothing of the text)
  keeps the hash valid. ``verify`` checks every comment against its digest, and accepts a
  blank one without a salt only where a later ``erase`` event of the chain names that event.
  Events sealed before this scheme (migration 0010) have no digest: their comments stay.

Who acted: the actor a service names (``acting_as``, or ``database.transaction(actor=…)``),
else the signed-in user of the request, else the system. ``via`` says through what: ``web``,
``api``, ``cli`` or ``system``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, event, insert, inspect, select, update
from sqlalchemy.orm import MANYTOONE, Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow.domain import SYSTEM
from workflow.extensions import db
from workflow.models import (
    Association,
    AuditChain,
    AuditEvent,
    Candidate,
    ChairmanOrder,
    CouncilMeeting,
    EmailDelivery,
    EmailWording,
    Membership,
    Nomination,
    Region,
    RegionalSession,
    StatusWithoutAuditEvent,
    User,
    utcnow,
)

GENESIS = "0" * 64

# Audited models, by the entity type their events carry, and the columns whose changes are
# bookkeeping, not the record (timestamps, versions, the stored status written by the pipeline).
AUDITED: dict[type, str] = {
    Candidate: "candidate",
    Nomination: "nomination",
    Membership: "membership",
    Association: "association",
    User: "user",
    Region: "region",
    RegionalSession: "session",
    CouncilMeeting: "council_meeting",
    ChairmanOrder: "order",
    EmailDelivery: "email_delivery",
    EmailWording: "email_wording",
}
# Rows written by the thousand as a side effect (every e-mail queued): only what a person does
# to one (a resend) is an event, through ``record``; the recorder before the flush skips them.
EXPLICIT_ONLY = frozenset({EmailDelivery})
ENTITY_TYPES = frozenset(AUDITED.values())
BOOKKEEPING = frozenset({
    "created_at", "updated_at", "version", "status", "status_changed_at", "last_login_at",
    "session_token", "applied_at",
    # Not a column: the bell's count, read with the user (models.User.unread_notifications).
    "unread_notifications",
})
# A changed password hash is said as "password": the hash itself is nobody's business.
FIELD_NAMES = {"password_hash": "password"}

_actor: ContextVar[Any] = ContextVar("audit_actor", default=None)
_via: ContextVar[str | None] = ContextVar("audit_via", default=None)


@contextmanager
def acting_as(actor, via: str | None = None) -> Iterator[None]:
    """Attribute the changes made inside the block to ``actor`` (and say through what)."""
    token = _actor.set(actor)
    via_token = _via.set(via) if via else None
    try:
        yield
    finally:
        _actor.reset(token)
        if via_token is not None:
            _via.reset(via_token)


def current_actor():
    actor = _actor.get()
    if actor is not None:
        return actor
    from flask import has_request_context

    if has_request_context():
        from flask_login import current_user

        if getattr(current_user, "is_authenticated", False):
            return current_user._get_current_object()
    return SYSTEM


def current_via() -> str:
    via = _via.get()
    if via:
        return via
    from flask import g, has_request_context

    if has_request_context():
        return g.get("via", "web")
    return "system"


def _stamp(event: AuditEvent, actor) -> None:
    event.actor_id = getattr(actor, "id", None)
    event.actor_role = str(getattr(actor, "role", "system"))
    event.via = current_via()


def transition(nomination: Nomination, action: str, actor, *, source: str | None, target: str,
               comment: str, data: Mapping[str, Any], at: datetime) -> AuditEvent:
    """The event of a pipeline transition (or ``create``): the pipeline's own writer."""
    event = AuditEvent(nomination=nomination, entity_type="nomination", action=action,
                       from_status=source, to_status=target, comment=comment,
                       data=_plain(data), changes=[], created_at=at)
    event._entity = nomination
    _stamp(event, actor)
    db.session.add(event)
    _explicit(event, nomination, ())
    return event


def record(entity, action: str, *, actor=None, changes: tuple[str, ...] | list[str] = (),
           data: Mapping[str, Any] | None = None, comment: str = "",
           nomination: Nomination | None = None) -> AuditEvent:
    """Write an event of ``action`` on ``entity`` (an audited row) in the caller's transaction.

    ``changes`` names the fields this event accounts for: those are not recorded again by the
    automatic recorder. ``nomination`` shows the event in that nomination's timeline too.
    """
    entity_type = AUDITED[type(entity)]
    event = AuditEvent(entity_type=entity_type, action=action, comment=comment,
                       data=_plain(data or {}), changes=sorted(changes), created_at=utcnow(),
                       nomination=nomination if nomination is not None else
                       (entity if isinstance(entity, Nomination) else None))
    event._entity = entity
    _stamp(event, actor if actor is not None else current_actor())
    db.session.add(event)
    _explicit(event, entity, changes)
    return event


def _explicit(event: AuditEvent, entity, changes) -> None:
    covered = db.session.info.setdefault("audit_covered", {})
    covered.setdefault(id(entity), set()).update(changes)
    covered.setdefault(id(entity), set()).add("__event__")


def _plain(value):
    """Data as JSON keeps it: dates as ISO text, tuples as lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- What changed, recorded before the flush. ------------------------------------------------


def changed_fields(obj) -> list[str]:
    """The audited fields of ``obj`` with pending changes (names, never values)."""
    state = inspect(obj)
    names = []
    for attr in state.mapper.column_attrs:
        if attr.key.lstrip("_") in BOOKKEEPING or attr.key in BOOKKEEPING:
            continue
        if state.attrs[attr.key].history.has_changes():
            names.append(FIELD_NAMES.get(attr.key, attr.key))
    # ``nomination.candidate = other`` changes candidate_id only when the flush syncs it.
    for relation in state.mapper.relationships:
        if relation.direction is MANYTOONE and state.attrs[relation.key].history.has_changes():
            names.extend(c.key for c in relation.local_columns)
    return sorted(set(names))


def _set_fields(obj) -> list[str]:
    state = inspect(obj)
    return sorted({FIELD_NAMES.get(a.key, a.key) for a in state.mapper.column_attrs
                   if a.key not in ("id",) and a.key.lstrip("_") not in BOOKKEEPING
                   and getattr(obj, a.key) not in (None, "")})


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context, instances) -> None:
    _record_changes(session)
    _every_status_change_has_its_event(session)


def _record_changes(session: Session) -> None:
    covered: dict[int, set[str]] = session.info.get("audit_covered", {})
    for obj in list(session.new):
        entity_type = AUDITED.get(type(obj))
        if (entity_type is None or type(obj) in EXPLICIT_ONLY
                or "__event__" in covered.get(id(obj), ())):
            continue
        _auto(session, obj, "create", _set_fields(obj))
    for obj in list(session.dirty):
        entity_type = AUDITED.get(type(obj))
        if (entity_type is None or type(obj) in EXPLICIT_ONLY
                or not session.is_modified(obj, include_collections=False)):
            continue
        fields = [f for f in changed_fields(obj) if f not in covered.get(id(obj), ())]
        if fields:
            _auto(session, obj, "update", fields)
    for obj in list(session.deleted):
        if AUDITED.get(type(obj)) is not None and type(obj) not in EXPLICIT_ONLY:
            _auto(session, obj, "delete", [])
    session.info.pop("audit_covered", None)


def _auto(session: Session, obj, action: str, fields: list[str]) -> None:
    event = AuditEvent(entity_type=AUDITED[type(obj)], action=action, comment="", data={},
                       changes=fields, created_at=utcnow(),
                       nomination=obj if isinstance(obj, Nomination) else None)
    event._entity = obj
    _stamp(event, current_actor())
    session.add(event)


def _every_status_change_has_its_event(session: Session) -> None:
    """Refuse a flush that writes a nomination's status without a matching new event."""
    pending = {
        (e.nomination if e.nomination is not None else e.nomination_id, e.to_status)
        for e in session.new
        if isinstance(e, AuditEvent) and e.to_status is not None
    }

    def has_event(nomination: Nomination) -> bool:
        return (nomination, nomination._status) in pending or (
            nomination.id is not None and (nomination.id, nomination._status) in pending
        )

    for obj in session.new:
        if isinstance(obj, Nomination) and not has_event(obj):
            raise StatusWithoutAuditEvent(f"new nomination without its creation event: {obj!r}")
    for obj in session.dirty:
        if not isinstance(obj, Nomination):
            continue
        history = inspect(obj).attrs._status.history
        if history.has_changes() and not has_event(obj):
            raise StatusWithoutAuditEvent(f"status of {obj!r} changed without an audit event")


# --- The chain, sealed after the flush. -----------------------------------------------------

CHAINED = ("seq", "entity_type", "entity_id", "nomination_id", "actor_id", "actor_role", "via",
           "action", "from_status", "to_status", "comment", "data", "changes", "created_at")


def content(row: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash covers: its fields, in a fixed order, as canonical JSON
    (a comment sealed with a digest is covered by its digest: see "Erasure")."""
    values = {}
    for name in CHAINED:
        value = row[name]
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None).isoformat(timespec="microseconds")
        values[name] = value
    if row.get("comment_digest"):
        values["comment"] = "sha256:" + row["comment_digest"]
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link(prev_hash: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + content(row)).hexdigest()


def comment_digest(salt: str, comment: str) -> str:
    return hashlib.sha256(salt.encode() + b"\n" + comment.encode()).hexdigest()


ERASE = "erase"  # the action of the event that names the events whose comments it erased


def erase_comments(event_ids) -> tuple[list[int], list[int]]:
    """Blank the comments of these events, in the caller's transaction; return the ids erased
    and the ids whose comment had to stay (sealed before digests: erasing it would break the
    chain). The caller records the erased ids in its ``erase`` event's ``comments_erased``."""
    ids = sorted(set(event_ids))
    if not ids:
        return [], []
    rows = db.session.execute(select(AuditEvent.id, AuditEvent.comment_digest, AuditEvent.seq)
                              .where(AuditEvent.id.in_(ids), AuditEvent.comment != "")).all()
    erasable = [r.id for r in rows if r.comment_digest and r.seq is not None]
    kept = [r.id for r in rows if not (r.comment_digest and r.seq is not None)]
    if erasable:
        db.session.execute(update(AuditEvent).where(AuditEvent.id.in_(erasable))
                           .values(comment="", comment_salt=None)
                           .execution_options(synchronize_session=False))
    return erasable, kept


@event.listens_for(Session, "after_flush")
def _remember_new_events(session: Session, flush_context) -> None:
    new = [o for o in session.new if isinstance(o, AuditEvent)]
    if new:
        session.info.setdefault("audit_unsealed", []).extend(new)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop("audit_unsealed", None)
        session.info.pop("audit_covered", None)


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    """Give the transaction's new events their places in the chain, just before it commits.

    The head of the chain is locked here, at the very end of the transaction, and no other
    lock is taken after it: writers queue for the head only for the length of a commit.
    """
    session.flush()
    events = [e for e in session.info.pop("audit_unsealed", []) if inspect(e).persistent]
    if not events:
        return
    events.sort(key=lambda e: e.id)
    connection = session.connection()
    seq, prev = _take_turn(connection, len(events))
    for event_ in events:
        entity = getattr(event_, "_entity", None)
        if event_.entity_id is None and entity is not None:
            set_committed_value(event_, "entity_id", entity.id)
        seq += 1
        set_committed_value(event_, "seq", seq)
        if event_.comment:
            salt = secrets.token_hex(16)
            set_committed_value(event_, "comment_salt", salt)
            set_committed_value(event_, "comment_digest", comment_digest(salt, event_.comment))
        digest = link(prev, {name: getattr(event_, name)
                             for name in (*CHAINED, "comment_digest")})
        set_committed_value(event_, "prev_hash", prev)
        set_committed_value(event_, "hash", digest)
        prev = digest
    table = AuditEvent.__table__
    connection.execute(
        table.update().where(table.c.id == bindparam("event_id")).values(
            seq=bindparam("seq_"), entity_id=bindparam("entity_id_"),
            prev_hash=bindparam("prev_"), hash=bindparam("hash_"),
            comment_salt=bindparam("salt_"), comment_digest=bindparam("digest_")),
        [{"event_id": e.id, "seq_": e.seq, "entity_id_": e.entity_id, "prev_": e.prev_hash,
          "hash_": e.hash, "salt_": e.comment_salt, "digest_": e.comment_digest}
         for e in events],
    )
    connection.execute(update(AuditChain).where(AuditChain.id == 1).values(last_hash=prev))


def _take_turn(connection, n: int) -> tuple[int, str]:
    """Reserve ``n`` places at the head of the chain; return the last seq and hash before them.

    The UPDATE locks the head row until this transaction ends: concurrent writers queue here,
    so the chain has one order, the order of commits.
    """
    take = update(AuditChain).where(AuditChain.id == 1).values(seq=AuditChain.seq + n)
    if not connection.execute(take).rowcount:
        if connection.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            connection.execute(pg_insert(AuditChain).values(id=1, seq=0, last_hash=GENESIS)
                               .on_conflict_do_nothing())
        else:
            connection.execute(insert(AuditChain).prefix_with("OR IGNORE")
                               .values(id=1, seq=0, last_hash=GENESIS))
        connection.execute(take)
    seq, last = connection.execute(
        select(AuditChain.seq, AuditChain.last_hash).where(AuditChain.id == 1)).one()
    return seq - n, last


# --- Verifying the chain. --------------------------------------------------------------------


@dataclass
class Break:
    """The first place the chain does not hold, said for a person."""

    seq: int | None
    event_id: int | None
    problem: str  # changed | missing | out_of_order | broken_link | head | unsealed

    def __str__(self) -> str:
        where = f"event {self.event_id} (no. {self.seq})" if self.event_id else f"no. {self.seq}"
        return {
            "changed": f"{where} was changed after it was written",
            "missing": f"an event before {where} is missing: deleted",
            "out_of_order": f"{where} is out of order: its place in the chain was moved",
            "broken_link": f"the link before {where} is broken: an earlier event was "
                           "rewritten or deleted",
            "head": f"the chain ends at no. {self.seq}, but its head says otherwise: the last "
                    "events were deleted or the head was changed",
            "unsealed": f"{where} is outside the chain: written around Tizim",
        }[self.problem]


def _erased_by_the_chain() -> set[int]:
    """The events whose comments an ``erase`` event says it erased."""
    found: set[int] = set()
    for data in db.session.scalars(select(AuditEvent.data).where(AuditEvent.action == ERASE)):
        found.update(i for i in (data or {}).get("comments_erased", ()) if isinstance(i, int))
    return found


def _comment_holds(row: Mapping[str, Any], erased: set[int]) -> bool:
    """The comment is the one sealed, or was erased by a recorded erasure."""
    digest, salt = row["comment_digest"], row["comment_salt"]
    if digest is None:
        return salt is None
    if salt is not None:
        return comment_digest(salt, row["comment"] or "") == digest
    return row["comment"] == "" and row["id"] in erased


def verify(batch: int = 5000) -> tuple[int, Break | None]:
    """Walk the chain in order; return how many events hold, and the first break if any."""
    columns = [AuditEvent.__table__.c[name] for name in (
        *CHAINED, "id", "prev_hash", "hash", "comment_salt", "comment_digest")]
    prev, expected_seq, checked, last_seq, after = GENESIS, 1, 0, 0, 0
    erased = _erased_by_the_chain()
    while True:
        rows = db.session.execute(
            select(*columns).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
        ).mappings().all()
        for row in rows:
            if row["seq"] != expected_seq:
                problem = "missing" if row["seq"] > expected_seq else "out_of_order"
                return checked, Break(row["seq"], row["id"], problem)
            if row["prev_hash"] != prev:
                elsewhere = db.session.scalar(
                    select(AuditEvent.id).where(AuditEvent.hash == row["prev_hash"]).limit(1))
                problem = "out_of_order" if elsewhere is not None else "broken_link"
                return checked, Break(row["seq"], row["id"], problem)
            if link(prev, row) != row["hash"] or not _comment_holds(row, erased):
                return checked, Break(row["seq"], row["id"], "changed")
            prev, expected_seq, last_seq = row["hash"], expected_seq + 1, row["seq"]
            checked += 1
        if len(rows) < batch:
            break
        after = rows[-1]["seq"]
    unsealed = db.session.scalar(select(AuditEvent.id).where(AuditEvent.seq.is_(None)).limit(1))
    if unsealed is not None:
        return checked, Break(None, unsealed, "unsealed")
    head = db.session.execute(select(AuditChain.seq, AuditChain.last_hash)
                              .where(AuditChain.id == 1)).first()
    if head is not None and (head.seq != last_seq or head.last_hash != prev):
        return checked, Break(last_seq, None, "head")
    return checked, None
