"""The administrator's work: accounts (create, edit, deactivate, links again), the regions'
voting rules, and the audit trail read back with filters.

Every change goes through ``database.transaction``, so the audit trail's ``before_flush``
recorder writes its event (the fields' names, never their values); deactivating,
reactivating and sending a link again are explicit events. A change of role, e-mail or the
active flag rotates the user's session token (``workflow.auth.services``): their sessions end.

Nobody can leave the system without an active administrator: the last one can neither be
deactivated nor given another role, and nobody deactivates their own account.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from workflow import audit
from workflow.account.services import issue_token
from workflow.auth.services import create_user as _create_user
from workflow.database import is_postgres, transaction
from workflow.domain import LOGIN_ROLES, Role
from workflow.extensions import db
from workflow.iin import redact
from workflow.models import AuditEvent, Nomination, Region, TokenPurpose, User
from workflow.refusal import Refusal, not_found
from workflow.voting import Threshold

LAST_ADMIN = _l("This is the last active administrator: give another account the administrator "
                "role first, or nobody could administer Tizim.")
NOT_YOURSELF = _l("You cannot deactivate your own account. Another administrator can.")
EMAIL_TAKEN = _l("A user with this e-mail address exists already.")
NEEDS_REGION = _l("A regional coordinator needs a region.")


# --- Accounts. ----------------------------------------------------------------------------------


def _check_region(role: str, region_id: int | None) -> int | None:
    """The region a user of ``role`` keeps: a coordinator's, required; nobody else has one."""
    if role != Role.COORDINATOR:
        return None
    if not region_id or db.session.get(Region, region_id) is None:
        raise Refusal(NEEDS_REGION, field="region_id")
    return region_id


def _other_active_admins(user: User) -> int:
    """The active administrators besides ``user``. On PostgreSQL every active administrator's
    row is locked, ``user``'s included: two administrators demoting each other at once take
    turns, and the second sees the first's change."""
    stmt = select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
    if is_postgres():
        stmt = stmt.with_for_update()
    return sum(1 for admin_id in db.session.scalars(stmt).all() if admin_id != user.id)


def _keeps_an_admin(user: User, *, role: str, active: bool) -> None:
    was_admin = user.role == Role.ADMIN and user.active
    stays_admin = role == Role.ADMIN and active
    if was_admin and not stays_admin and _other_active_admins(user) == 0:
        raise Refusal(LAST_ADMIN, code="last_admin", field="role", status=409)


def create_account(actor: User, *, name: str, email: str, role: str, region_id: int | None,
                   language: str | None) -> User:
    """Create an account without a password and send the invitation (the account's one-time
    link, ``account.services.issue_token``): the person sets their own password.

    :raise Refusal: a taken e-mail, a coordinator without a region, an unknown role.
    """
    with transaction(actor=actor):
        region_id = _check_region(role, region_id)
        region = db.session.get(Region, region_id) if region_id else None
        user = _create_user(email=email, name=name.strip(), role=role, password=None,
                            region_code=region.iso_code if region else None,
                            language=language or None)
        issue_token(user, TokenPurpose.INVITATION)
        audit.record(user, "invitation_sent")
    return user


def update_account(actor: User, user_id: int, *, name: str, email: str, role: str,
                   region_id: int | None, language: str | None) -> User:
    """Change a user's name, e-mail, role, region and language.

    :raise Refusal: as ``create_account``; the last active administrator's role.
    """
    if role not in LOGIN_ROLES:
        raise Refusal(_l("Unknown role."), field="role")
    with transaction(actor=actor):
        user = db.session.get(User, user_id)
        if user is None:
            raise not_found()
        _keeps_an_admin(user, role=role, active=user.active)
        email = email.strip().lower()
        if email != user.email and db.session.scalar(
                select(User.id).where(func.lower(User.email) == email, User.id != user.id)):
            raise Refusal(EMAIL_TAKEN, field="email", code="duplicate", status=409)
        user.name = name.strip()
        user.email = email
        user.role = role
        user.region_id = _check_region(role, region_id)
        user.language = language or None
    return user


def set_active(actor: User, user_id: int, active: bool) -> User:
    """Deactivate an account (it cannot log in; its sessions end) or make it active again.

    :raise Refusal: one's own account, or the last active administrator.
    """
    with transaction(actor=actor):
        user = db.session.get(User, user_id)
        if user is None:
            raise not_found()
        if user.active == active:
            return user
        if not active and user.id == actor.id:
            raise Refusal(NOT_YOURSELF, code="own_account", status=409)
        if not active:
            _keeps_an_admin(user, role=user.role, active=False)
        user.active = active  # rotates the session token: every session of the user ends
        audit.record(user, "reactivate" if active else "deactivate", changes=["active"])
    return user


def send_link(actor: User, user_id: int) -> str:
    """Send the invitation again (no password yet) or a password link; returns which.

    :raise Refusal: an inactive account (a link it could not use).
    """
    with transaction(actor=actor):
        user = db.session.get(User, user_id)
        if user is None:
            raise not_found()
        if not user.active:
            raise Refusal(_l("This account is deactivated: make it active first."),
                          code="inactive", status=409)
        purpose = (TokenPurpose.INVITATION if user.password_hash is None
                   else TokenPurpose.PASSWORD_RESET)
        issue_token(user, purpose)
        action = ("invitation_sent" if purpose == TokenPurpose.INVITATION
                  else "password_link_sent")
        audit.record(user, action)
    return action


# --- The regions' voting rules. -----------------------------------------------------------------


def _threshold(text: str, field: str) -> str:
    try:
        return str(Threshold.parse(text))
    except ValueError:
        raise Refusal(_l("Write a share of at least one half, as >1/2 or >=2/3."),
                      field=field) from None


def update_region_rules(actor: User, region_id: int, *, quorum: str, majority: str,
                        expected_days: int | None) -> Region:
    """Change a region's session rule and its expected days per state (for sessions planned
    from now on: a planned session keeps the rule it was planned with).

    :raise Refusal: a threshold that is not one, below one half or unreachable.
    """
    with transaction(actor=actor):
        region = db.session.get(Region, region_id)
        if region is None:
            raise not_found()
        region.session_quorum = _threshold(quorum, "session_quorum")
        region.session_majority = _threshold(majority, "session_majority")
        region.expected_days = expected_days or None
    return region


# --- The audit trail, read back. ----------------------------------------------------------------

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    entity_type: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None
    reference: str | None = None  # a nomination's reference code, never an IIN


def _day_start(day: date) -> datetime:
    """Midnight of ``day`` where the Assembly sits (``TIMEZONE``): the dates people mean."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def audit_query(criteria: AuditFilter, *, before: int | None = None):
    """The events matching ``criteria``, newest first, continuing before the id ``before``."""
    # The page and the CSV name each event's actor and nomination: read with it, not per row.
    stmt = select(AuditEvent).options(joinedload(AuditEvent.actor),
                                      joinedload(AuditEvent.nomination))
    if criteria.actor_id:
        stmt = stmt.where(AuditEvent.actor_id == criteria.actor_id)
    if criteria.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == criteria.entity_type)
    if criteria.action:
        stmt = stmt.where(AuditEvent.action == criteria.action)
    if criteria.since:
        stmt = stmt.where(AuditEvent.created_at >= _day_start(criteria.since))
    if criteria.until:
        stmt = stmt.where(AuditEvent.created_at < _day_start(criteria.until + timedelta(days=1)))
    if criteria.reference:
        nomination_id = db.session.scalar(select(Nomination.id).where(
            Nomination.reference_code == criteria.reference.strip().upper()))
        stmt = stmt.where(AuditEvent.nomination_id == (nomination_id or -1))
    if before:
        stmt = stmt.where(AuditEvent.id < before)
    return stmt.order_by(AuditEvent.id.desc())


def audit_page(criteria: AuditFilter, *, before: int | None = None,
               size: int | None = None) -> tuple[list[AuditEvent], int | None]:
    """One page of events and the id the next page continues before (None: the last page)."""
    size = size or PAGE_SIZE
    rows = list(db.session.scalars(audit_query(criteria, before=before).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if more and rows else None)


def all_events(criteria: AuditFilter, batch: int = 500) -> Iterator[AuditEvent]:
    """Every event matching ``criteria``, newest first, read in batches (for the export)."""
    before = None
    while True:
        rows, before = audit_page(criteria, before=before, size=batch)
        yield from rows
        if before is None:
            return


def comment_shown(event: AuditEvent) -> str:
    """An event's comment as a reader sees it: any IIN in the free text is masked."""
    return redact(event.comment or "")


def described(event: AuditEvent):
    """``events.describe`` with every free text in it redacted (a reason typed into data)."""
    from workflow.events import describe

    said = describe(event)
    said.title = redact(str(said.title))
    said.lines = [redact(str(line)) for line in said.lines]
    said.reasons = [redact(str(reason)) for reason in said.reasons]
    return said


def audit_rows(events: Iterable[AuditEvent], *, labels: dict) -> Iterator[list]:
    """The events as export rows in the reader's language; no IIN (comments and descriptions
    are redacted; data are said through ``describe``, never as they are stored)."""
    roles, types, vias = labels["role"], labels["entity_type"], labels["via"]
    for event in events:
        said = described(event)
        yield [
            event.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            event.actor.name if event.actor else str(roles.get(event.actor_role,
                                                               event.actor_role)),
            str(roles.get(event.actor_role, event.actor_role)),
            str(vias.get(event.via, event.via)),
            str(types.get(event.entity_type, event.entity_type)),
            event.entity_id if event.entity_id is not None else "",
            event.nomination.reference_code if event.nomination else "",
            labels["action"](event.action),
            said.title,
            " ".join([*said.lines, *said.reasons]),
            comment_shown(event),
        ]
