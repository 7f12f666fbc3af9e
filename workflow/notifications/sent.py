"""Know what was sent: the messages about a nomination, the deliveries that did not go out,
and sending one of those again (with the same key and Message-ID: never twice once sent)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, literal, null, or_, select, union_all, update

from workflow import audit, pipeline
from workflow.database import transaction
from workflow.domain import ROLE_LABELS, Role
from workflow.extensions import db
from workflow.iin import redact
from workflow.models import (
    AuditEvent,
    DeliveryStatus,
    EmailDelivery,
    Nomination,
    Notification,
    User,
    UTCDateTime,
    utcnow,
)
from workflow.notifications.services import SEND_TASK, claim_lease
from workflow.outbox import enqueue
from workflow.permissions import NATIONAL_ROLES, can_see_full_iin, scoped, visible
from workflow.refusal import Refusal, not_found

# A delivery still waiting after this long is listed: the send task normally takes seconds.
WAITING_AFTER = timedelta(minutes=5)
PAGE_SIZE = 50

# What an e-mail was, by its template (a step's e-mails are said by the step's name).
TEMPLATE_LABELS = {
    "consent_request": _l("Request for consent"),
    "account_invitation": _l("Invitation to open an account"),
    "password_reset": _l("Link to set a new password"),
    "reminder": _l("Reminder"),
    "digest": _l("Weekly digest"),
    "transition": _l("Step of the nomination"),
    "nominee": _l("Step of the nomination, to the nominee"),
}
STATUS_LABELS = {
    DeliveryStatus.QUEUED: _l("Waiting"),
    DeliveryStatus.SENDING: _l("Being sent"),
    DeliveryStatus.SENT: _l("Sent"),
    DeliveryStatus.FAILED: _l("Failed"),
    DeliveryStatus.VOID: _l("Not needed any more"),
    "app": _l("Shown in the app"),
}
# The statuses the deliveries page filters on: "waiting" is queued or stuck sending.
PROBLEM_FILTERS = {"failed": _l("Failed"), "waiting": _l("Waiting")}

# An error as the send task stored it ("SMTPRecipientsRefused: {...}") said in words, from its
# exception's type: never the text itself, which may hold an address or a server's dump.
_REASONS = (
    (("SMTPRecipientsRefused",), _l("The mail server refused the address.")),
    (("SMTPSenderRefused",), _l("The mail server refused Tizim's sender address.")),
    (("SMTPAuthenticationError",), _l("The mail server did not accept Tizim's login.")),
    (("SMTPDataError", "SMTPResponseException", "SMTPHeloError", "SMTPNotSupportedError"),
     _l("The mail server refused the message.")),
    (("SMTPServerDisconnected", "SMTPConnectError", "ConnectionRefusedError", "TimeoutError",
      "ConnectionResetError", "ConnectionError", "OSError", "gaierror", "socket.timeout"),
     _l("The mail server could not be reached.")),
)
COMPOSE_FAILED = _l("The e-mail could not be made from the record.")
_CODE = re.compile(r"\((\d{3}),")


def reason(error: str | None) -> str:
    """The stored error in words (with the server's reply code, when it gave one)."""
    if not error:
        return ""
    kind = error.split(":", 1)[0].strip()
    said = next((str(text) for kinds, text in _REASONS if kind in kinds), None)
    if said is None:
        said = str(_l("The mail server answered with an error.")) if kind.startswith("SMTP") \
            else str(COMPOSE_FAILED)
    code = _CODE.search(error)
    if code:
        said = f"{said} ({redact(code.group(1))})"
    return said


def mask_address(address: str | None) -> str:
    """``a••••@example.kz``: enough to recognise the address, not to write to it."""
    if not address or "@" not in address:
        return ""
    local, domain = address.rsplit("@", 1)
    return f"{local[:1]}••••@{domain}"


def kind_label(template: str, action: str | None) -> str:
    """What the message was, in words: the step's name for a step's e-mail or notification."""
    if template in ("transition", "nominee", "app") and action in pipeline.BY_ACTION:
        step = str(pipeline.BY_ACTION[action].label)
        return step if template != "nominee" else str(
            _l("%(step)s (to the nominee)", step=step))
    return str(TEMPLATE_LABELS.get(template, template))


@dataclass
class Message:
    """One line of "Messages sent": who, what, when, and whether it went out."""

    channel: str  # "email" | "app"
    recipient: str  # name, or "the nominee"
    role: str
    address: str  # whole, masked, or "" (the app; an address destroyed)
    kind: str
    queued_at: datetime
    sent_at: datetime | None
    status: str
    status_label: str
    reason: str
    read_at: datetime | None = None


def _may_see_address(reader, user_id, role, region_id, nomination) -> bool:
    if user_id is None:  # the nominee: their personal data
        return can_see_full_iin(nomination, reader)
    if reader.role in NATIONAL_ROLES or user_id == reader.id:
        return True
    return reader.role == Role.COORDINATOR and role == Role.COORDINATOR \
        and region_id == reader.region_id


def about(nomination: Nomination, reader) -> list[Message]:
    """Every e-mail and in-app notification about ``nomination``, oldest first, if ``reader``
    may see the nomination (else nothing); one statement, whatever the number of rows."""
    mine = scoped(select(Nomination.id).where(Nomination.id == nomination.id), reader,
                  Nomination).scalar_subquery()
    emails = (
        select(literal("email").label("channel"), EmailDelivery.user_id,
               EmailDelivery.recipient.label("address"), EmailDelivery.template,
               AuditEvent.action, EmailDelivery.status, EmailDelivery.error,
               EmailDelivery.created_at.label("queued_at"), EmailDelivery.sent_at,
               null().cast(UTCDateTime).label("read_at"),
               User.name, User.role, User.region_id, EmailDelivery.id.label("row_id"))
        .outerjoin(User, User.id == EmailDelivery.user_id)
        .outerjoin(AuditEvent, AuditEvent.id == EmailDelivery.event_id)
        .where(EmailDelivery.nomination_id == mine)
    )
    bell = (
        select(literal("app").label("channel"), Notification.user_id,
               null().cast(String).label("address"), literal("app").label("template"),
               Notification.action, literal(DeliveryStatus.SENT).label("status"),
               null().cast(String).label("error"), Notification.created_at.label("queued_at"),
               Notification.created_at.label("sent_at"), Notification.read_at,
               User.name, User.role, User.region_id, Notification.id.label("row_id"))
        .join(User, User.id == Notification.user_id)
        .where(Notification.nomination_id == mine)
    )
    rows = db.session.execute(
        union_all(emails, bell).order_by("queued_at", "channel", "row_id")).all()
    said: dict = {}  # the rows repeat a few labels: each is put in words once per list

    def once(key, words):
        if key not in said:
            said[key] = words()
        return said[key]

    return [_message(row, nomination, reader, once) for row in rows]


def _message(row, nomination, reader, once) -> Message:
    if row.user_id is None:
        recipient, role = once("nominee", lambda: str(_l("The nominee"))), ""
    else:
        recipient = row.name or "—"
        role = once(("role", row.role), lambda: str(ROLE_LABELS[row.role])) if row.role else ""
    address = ""
    if row.channel == "email" and row.address:
        address = row.address if _may_see_address(
            reader, row.user_id, row.role, row.region_id, nomination) else mask_address(
            row.address)
    status = "app" if row.channel == "app" else row.status
    return Message(
        channel=row.channel, recipient=recipient, role=role, address=address,
        kind=once(("kind", row.template, row.action),
                  lambda: kind_label(row.template, row.action)),
        queued_at=row.queued_at,
        sent_at=row.sent_at if row.status == DeliveryStatus.SENT else None, status=status,
        status_label=once(("status", status), lambda: str(STATUS_LABELS.get(status, status))),
        reason=once(("reason", row.error), lambda: reason(row.error)), read_at=row.read_at)


# --- The deliveries that did not go out. --------------------------------------------------------


def _problem(status: str | None):
    now = utcnow()
    failed = EmailDelivery.status == DeliveryStatus.FAILED
    waiting = or_(
        (EmailDelivery.status == DeliveryStatus.QUEUED)
        & (EmailDelivery.created_at < now - WAITING_AFTER),
        (EmailDelivery.status == DeliveryStatus.SENDING)
        & (EmailDelivery.claimed_at < now - claim_lease()),
    )
    return {"failed": failed, "waiting": waiting}.get(status, or_(failed, waiting))


@dataclass
class Problem:
    id: int
    recipient: str
    role: str
    address: str
    kind: str
    reference_code: str | None
    nomination_id: int | None
    queued_at: datetime
    updated_at: datetime
    attempts: int
    status: str
    status_label: str
    reason: str


def problems(reader, *, status: str | None = None, template: str | None = None,
             before: int | None = None) -> tuple[list[Problem], int | None]:
    """Deliveries failed or waiting too long, newest first, a page at a time (keyset on id);
    returns the page and the id to continue before (None: the last page)."""
    stmt = (
        scoped(select(EmailDelivery, User.name, User.role, AuditEvent.action,
                      Nomination.reference_code), reader, EmailDelivery)
        .outerjoin(User, User.id == EmailDelivery.user_id)
        .outerjoin(AuditEvent, AuditEvent.id == EmailDelivery.event_id)
        .outerjoin(Nomination, Nomination.id == EmailDelivery.nomination_id)
        .where(_problem(status))
    )
    if template:
        stmt = stmt.where(EmailDelivery.template == template)
    if before:
        stmt = stmt.where(EmailDelivery.id < before)
    rows = db.session.execute(stmt.order_by(EmailDelivery.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = rows[PAGE_SIZE - 1].EmailDelivery.id if len(rows) > PAGE_SIZE else None
    # Nominees' addresses are personal data: whole only for those who see nominations.
    whole_nominee = reader.role == Role.SECRETARIAT
    page = []
    for d, name, role, action, code in rows[:PAGE_SIZE]:
        nominee = d.user_id is None
        page.append(Problem(
            id=d.id, recipient=str(_l("The nominee")) if nominee and d.template == "nominee"
            else (name or str(_l("The nominee"))), role=str(ROLE_LABELS[role]) if role else "",
            address=d.recipient if (not nominee or whole_nominee) else mask_address(d.recipient),
            kind=kind_label(d.template, action), reference_code=code,
            nomination_id=d.nomination_id, queued_at=d.created_at, updated_at=d.updated_at,
            attempts=d.attempts, status=d.status,
            status_label=str(STATUS_LABELS.get(d.status, d.status)), reason=reason(d.error)))
    return page, more


ALREADY_SENT = _l("This e-mail has been sent already: it is never sent twice.")
NOTHING_TO_SEND = _l("This e-mail is not needed any more: there is nothing to send.")
BEING_SENT = _l("This e-mail is being sent right now. Look again in a few minutes.")


def resend(actor, delivery_id: int) -> None:
    """Queue a failed or stuck delivery again, through the same send task and the same key.

    :raise Refusal: not found (404); sent, void or being sent by a live worker (409).
    """
    with transaction(actor=actor):
        delivery = visible(actor, EmailDelivery, delivery_id)
        if delivery is None:
            raise not_found()
        if delivery.status == DeliveryStatus.SENT:
            raise Refusal(ALREADY_SENT, code="already_sent", status=409)
        if delivery.status == DeliveryStatus.VOID:
            raise Refusal(NOTHING_TO_SEND, code="void", status=409)
        now = utcnow()
        # One conditional UPDATE: of two officers pressing at once (or a worker claiming it
        # meanwhile) one wins; the claim in the send task keeps the e-mail to one copy.
        queued = db.session.execute(
            update(EmailDelivery).where(
                EmailDelivery.id == delivery_id,
                or_(EmailDelivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.QUEUED]),
                    (EmailDelivery.status == DeliveryStatus.SENDING)
                    & (EmailDelivery.claimed_at < now - claim_lease())),
            ).values(status=DeliveryStatus.QUEUED, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if queued != 1:
            raise Refusal(BEING_SENT, code="being_sent", status=409)
        audit.record(delivery, "resend", actor=actor,
                     data={"template": delivery.template, "status": delivery.status,
                           "attempts": delivery.attempts})
        enqueue(SEND_TASK, delivery_id=delivery_id)

