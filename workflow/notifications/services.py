"""Who hears of what, through which channel, and the sending of one e-mail exactly once.

A pipeline transition sends ``transition_applied`` inside its transaction; ``on_transition``
writes, in that same transaction, one in-app ``Notification`` per user and one
``EmailDelivery`` plus one outbox row per e-mail. Nothing leaves the database before the
commit; a rollback takes all of it away. See docs/architecture.md, "Notifications".
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from workflow import pipeline
from workflow.database import transaction
from workflow.domain import STATE_LABELS, Role, State
from workflow.extensions import db
from workflow.mail import OutgoingEmail, send
from workflow.models import (
    AuditEvent,
    DeliveryStatus,
    EmailDelivery,
    Nomination,
    Notification,
    NotificationPreference,
    User,
    utcnow,
)
from workflow.notifications.messages import STAFF_MESSAGES
from workflow.outbox import enqueue

log = logging.getLogger(__name__)

KINDS = ("transition", "reminder", "digest")
CHANNELS = ("email", "app", "off")
# The kinds each role receives, so the settings page offers only those. Members and
# administrators receive none of these (the members package adds its own kinds here).
KINDS_BY_ROLE = {
    Role.COORDINATOR: ("transition", "reminder"),
    Role.SECRETARIAT: ("transition", "digest"),
}
SEND_TASK = "tasks.notifications.send_email"


# --- Preferences. ---------------------------------------------------------------------------


def _channels(choice: str) -> frozenset[str]:
    # "email" means e-mail and the bell; "app" the bell only; "off" nothing.
    return {"email": frozenset({"email", "app"}), "app": frozenset({"app"})}.get(
        choice, frozenset()
    )


def channels_for(user: User, kind: str) -> frozenset[str]:
    """The channels ``user`` wants for ``kind``: a subset of {"email", "app"} (default both)."""
    choice = db.session.scalar(
        select(NotificationPreference.channel).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return _channels(choice or "email")


def preferences(user: User) -> dict[str, str]:
    """Every kind shown to ``user`` with their choice ("email" where they chose nothing)."""
    chosen = dict(db.session.execute(
        select(NotificationPreference.kind, NotificationPreference.channel)
        .where(NotificationPreference.user_id == user.id)
    ).all())
    return {kind: chosen.get(kind, "email") for kind in KINDS_BY_ROLE.get(user.role, ())}


def set_preferences(user: User, choices: dict[str, str]) -> None:
    """Record ``user``'s channel per kind, in the caller's transaction."""
    existing = {
        p.kind: p for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for kind, channel in choices.items():
        if kind not in KINDS or channel not in CHANNELS:
            raise ValueError(f"unknown kind or channel: {kind}={channel}")
        if kind in existing:
            existing[kind].channel = channel
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, channel=channel))


def _choices_of(user_ids: Iterable[int], kind: str) -> dict[int, frozenset[str]]:
    ids = list(user_ids)
    chosen = dict(db.session.execute(
        select(NotificationPreference.user_id, NotificationPreference.channel).where(
            NotificationPreference.user_id.in_(ids), NotificationPreference.kind == kind
        )
    ).all()) if ids else {}
    return {uid: _channels(chosen.get(uid, "email")) for uid in ids}


# --- Writing notifications (inside the caller's transaction). ----------------------------------


def recipients(nomination: Nomination, audiences: Iterable[str]) -> list[User]:
    """The active users behind the audiences of a transition (coordinators of the region…)."""
    conditions = []
    audiences = set(audiences)
    if pipeline.COORDINATORS in audiences:
        conditions.append(
            (User.role == Role.COORDINATOR) & (User.region_id == nomination.region_id)
        )
    if pipeline.SECRETARIAT_OFFICERS in audiences:
        conditions.append(User.role == Role.SECRETARIAT)
    if not conditions:
        return []
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), or_(*conditions)).order_by(User.id)
    ))


def queue_email(key: str, recipient: str, *, template: str, language: str | None,
                user_id: int | None = None, **context) -> EmailDelivery:
    """Add a delivery and its outbox row to the caller's transaction."""
    delivery = EmailDelivery(
        key=key, recipient=recipient, user_id=user_id, template=template,
        language=language or current_app.config["BABEL_DEFAULT_LOCALE"], context=context,
        nomination_id=context.get("nomination_id"), event_id=context.get("event_id"),
        status=DeliveryStatus.QUEUED,
    )
    db.session.add(delivery)
    db.session.flush()  # the outbox row names the delivery's id
    enqueue(SEND_TASK, delivery_id=delivery.id)
    return delivery


def notify_users(users: Iterable[User], kind: str, key: str, *, template: str,
                 nomination: Nomination | None = None, action: str = "",
                 to_status: str | None = None, **context) -> int:
    """Tell ``users`` through the channels each chose for ``kind``; return rows written.

    ``key`` names the event; the recipient and channel are appended to make each row's key.
    """
    users = list(users)
    chosen = _choices_of((u.id for u in users), kind)
    written = 0
    for user in users:
        channels = chosen[user.id]
        if "app" in channels:
            _recount(user)
            db.session.add(Notification(
                key=f"{key}:u{user.id}:app", user_id=user.id, kind=kind, action=action,
                nomination_id=nomination.id if nomination else None,
                reference_code=nomination.reference_code if nomination else None,
                to_status=to_status, data=context,
            ))
            written += 1
        if "email" in channels and user.email:
            queue_email(f"{key}:u{user.id}:email", user.email, template=template,
                        language=user.language, user_id=user.id, **context)
            written += 1
    return written


def on_transition(nomination: Nomination, transition: pipeline.Transition,
                  event: AuditEvent, actor, **_) -> None:
    """Write what ``transition`` tells people, in the transaction that applies it."""
    if transition is None or not transition.notify:  # ``enter`` (a new nomination) tells no one
        return
    # The person who acted knows already; everyone else in the audiences hears of it.
    users = [u for u in recipients(nomination, transition.notify) if u.id != actor.id]
    key = f"ev{event.id}"
    context = {"nomination_id": nomination.id, "event_id": event.id}
    notify_users(users, "transition", key, template="transition", nomination=nomination,
                 action=transition.action, to_status=transition.target.value, **context)
    email = nomination.candidate.email
    if pipeline.NOMINEE in transition.notify and email:
        # Nominees have no account: they hear in the language chosen for them at entry.
        queue_email(f"{key}:nominee:email", email, template="nominee",
                    language=nomination.candidate.language, **context)



# --- The bell. -------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """How many of ``user``'s notifications are unread (an index-only count); read with the
    user where a page loaded them so (auth.services.load_user)."""
    if user.unread_notifications is not None:
        return user.unread_notifications
    return db.session.scalar(select(Notification.unread_of(user.id))) or 0


def _recount(user: User) -> None:
    """The count read with the user no longer holds: the next ``unread_count`` counts."""
    if user in db.session:
        db.session.expire(user, ["unread_notifications"])


def latest(user: User, limit: int = 50, before_id: int | None = None) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if before_id:
        stmt = stmt.where(Notification.id < before_id)
    return list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def belongs_to(user: User, notification_id: int) -> bool:
    """Whether the notification is ``user``'s own (anyone else's answers 404)."""
    return db.session.scalar(select(Notification.id).where(
        Notification.id == notification_id, Notification.user_id == user.id)) is not None


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one of ``user``'s notifications read, or all of them; return how many changed."""
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    _recount(user)
    return db.session.execute(stmt.values(read_at=utcnow())).rowcount


def describe(notification: Notification) -> str:
    """The sentence the list shows for one notification."""
    if notification.kind == "transition":
        return str(STAFF_MESSAGES.get(notification.action, notification.action))
    from flask_babel import gettext as _

    if notification.kind == "reminder":
        return _("%(n)s items in your region wait longer than expected.",
                 n=notification.data.get("overdue", 0))
    return _("The weekly digest of nominations is ready.")


# --- Sending one e-mail, once. -----------------------------------------------------------------


def claim_lease() -> timedelta:
    return timedelta(seconds=current_app.config["NOTIFY_CLAIM_SECONDS"])


def claim(delivery_id: int) -> bool:
    """Take the delivery for this run: queued → sending, in one conditional UPDATE, committed.

    A claim older than the lease is taken over (its worker died before marking the row).
    Returns False when the row is sent, failed, or held by a live claim: nothing to do.
    """
    now = utcnow()
    stmt = update(EmailDelivery).where(
        EmailDelivery.id == delivery_id,
        or_(
            EmailDelivery.status == DeliveryStatus.QUEUED,
            (EmailDelivery.status == DeliveryStatus.SENDING)
            & (EmailDelivery.claimed_at < now - claim_lease()),
        ),
    ).values(status=DeliveryStatus.SENDING, claimed_at=now, updated_at=now,
             attempts=EmailDelivery.attempts + 1)
    with transaction():  # the claim is committed before anything is sent
        return db.session.execute(stmt).rowcount == 1


def _finish(delivery_id: int, status: str, error: str | None = None) -> None:
    now = utcnow()
    values = {"status": status, "error": error, "updated_at": now}
    if status == DeliveryStatus.SENT:
        values["sent_at"] = now
    with transaction():
        db.session.execute(
            update(EmailDelivery)
            .where(EmailDelivery.id == delivery_id, EmailDelivery.status == DeliveryStatus.SENDING)
            .values(**values)
        )


def compose(delivery: EmailDelivery) -> OutgoingEmail | None:
    """Render the delivery's e-mail in its language from the ids it holds; None when what it
    was about no longer calls for it (a one-time link spent or superseded meanwhile)."""
    from workflow.notifications import emails

    rendered = emails.RENDERERS[delivery.template](delivery)
    if rendered is None:
        return None
    subject, text, html = rendered
    return OutgoingEmail(
        to=delivery.recipient, subject=subject, text=text, html=html,
        # The same delivery always carries the same Message-ID: a client that sees it twice
        # (the crash window in docs/architecture.md) shows it once.
        headers={"Message-ID": f"<{delivery.key.replace(':', '.')}@tizim>",
                 "X-Tizim-Delivery": delivery.key},
    )


def refused_for_good(exc: Exception) -> bool:
    """The SMTP server answered that this message will never pass (a 5xx reply).

    Anything else — no server, a dropped connection, a timeout, "try again later" (4xx) — says
    nothing against the message: the delivery stays queued however many tries failed, and once
    the task's retries are spent the relay starts them again (NOTIFY_STALE_SECONDS), so a relay
    that is down for an hour loses nothing.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def send_delivery(delivery_id: int, *, final_attempt: bool = True) -> str:
    """Send one delivery if this run claims it; return what happened.

    :raise smtplib.SMTPException, OSError: the SMTP server failed; the row is queued again
        (or failed when ``final_attempt`` and the server refused the message for good) and the
        caller retries.
    """
    if not claim(delivery_id):
        return "skipped"
    delivery = db.session.get(EmailDelivery, delivery_id)
    try:
        message = compose(delivery)
    except Exception as exc:  # a template or data error: retrying will not help
        _finish(delivery_id, DeliveryStatus.FAILED, f"{type(exc).__name__}: {exc}")
        log.exception("delivery %s cannot be rendered", delivery_id)
        return "failed"
    if message is None:
        _finish(delivery_id, DeliveryStatus.VOID)
        return "void"
    try:
        send(message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        final = final_attempt and refused_for_good(exc)
        _finish(delivery_id, DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED, error)
        raise
    # Nothing between the SMTP server's "250 OK" and this UPDATE: the window stays small.
    _finish(delivery_id, DeliveryStatus.SENT)
    return "sent"


def requeue_stale(limit: int = 500) -> int:
    """Publish again deliveries not confirmed in time: queued too long, or claimed by the dead.

    "Confirmed" is the delivery's own status, not the broker: a row still ``queued`` after
    NOTIFY_STALE_SECONDS (longer than the longest retry delay) or ``sending`` past its lease
    lost its message (a killed worker, a flushed Redis) and is published again.
    """
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["NOTIFY_STALE_SECONDS"])
    ids = list(db.session.scalars(
        select(EmailDelivery.id).where(or_(
            (EmailDelivery.status == DeliveryStatus.QUEUED) & (EmailDelivery.updated_at < stale),
            (EmailDelivery.status == DeliveryStatus.SENDING)
            & (EmailDelivery.claimed_at < now - claim_lease()),
        )).order_by(EmailDelivery.id).limit(limit)
    ))
    if not ids:
        return 0
    with transaction():
        db.session.execute(
            update(EmailDelivery).where(EmailDelivery.id.in_(ids), EmailDelivery.status
                                        == DeliveryStatus.QUEUED).values(updated_at=now)
        )
    task = current_app.extensions["celery"].tasks[SEND_TASK]
    for delivery_id in ids:
        task.apply_async(kwargs={"delivery_id": delivery_id}, retry=False)
    return len(ids)


def stage_label(status: str | None) -> str:
    return str(STATE_LABELS[State(status)]) if status else ""
