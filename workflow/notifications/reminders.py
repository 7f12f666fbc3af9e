"""Reminders to coordinators (daily) and the Secretariat's weekly digest, run by celery beat.

Each run is idempotent for its day or week: the delivery keys name the day (or ISO week), the
region and the recipient, and are UNIQUE, so a second run the same day writes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from workflow.database import transaction
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import (
    AuditEvent,
    EmailDelivery,
    Membership,
    Nomination,
    Notification,
    Region,
    User,
    utcnow,
)
from workflow.notifications.services import notify_users
from workflow.validators import today as local_today

# The states in which the next step is the coordinator's.
WAITING_ON_COORDINATOR = (State.DRAFT, State.SUBMITTED, State.ON_AGENDA, State.SUPPORTED,
                          State.RETURNED)


def upcoming_sessions(region_id: int, start: date, end: date) -> list[dict]:
    """The region's planned sessions between ``start`` and ``end`` (inclusive), soonest first."""
    from workflow.models import RegionalSession, SessionStatus

    rows = db.session.scalars(
        select(RegionalSession)
        .where(RegionalSession.region_id == region_id,
               RegionalSession.status == SessionStatus.PLANNED,
               RegionalSession.held_on >= start, RegionalSession.held_on <= end)
        .order_by(RegionalSession.held_on)
    )
    return [{"title": f"№ {s.number}, {s.place}", "date": s.held_on.isoformat()} for s in rows]


def _already(prefix: str) -> set[str]:
    """Keys already written under ``prefix`` (a reminder run twice the same day skips them)."""
    like = f"{prefix}%"
    found = set(db.session.scalars(select(Notification.key).where(Notification.key.like(like))))
    found |= set(db.session.scalars(select(EmailDelivery.key).where(EmailDelivery.key.like(like))))
    return found


def send_reminders(today: date | None = None) -> int:
    """Remind each region's coordinators of overdue items and sessions in three days."""
    today = today or local_today()
    default_days = current_app.config["EXPECTED_DAYS_DEFAULT"]
    now = utcnow()
    written = 0
    with transaction():
        done = {k.split(":u")[0] for k in _already(f"reminder:{today.isoformat()}:")}
        for region in db.session.scalars(select(Region).order_by(Region.id)):
            key = f"reminder:{today.isoformat()}:r{region.id}"
            if key in done:
                continue
            days = region.expected_days or default_days
            waiting = select(Nomination.id).where(
                Nomination.region_id == region.id,
                Nomination.status.in_([s.value for s in WAITING_ON_COORDINATOR]),
                Nomination.status_changed_at < now - timedelta(days=days),
            )
            total = db.session.scalar(select(func.count()).select_from(waiting.subquery()))
            sessions = upcoming_sessions(region.id, today, today + timedelta(days=3))
            if not total and not sessions:
                continue
            first = list(db.session.scalars(waiting.order_by(Nomination.status_changed_at)
                                            .limit(20)))
            coordinators = db.session.scalars(select(User).where(
                User.role == Role.COORDINATOR, User.region_id == region.id, User.active.is_(True)
            ))
            written += notify_users(coordinators, "reminder", key, template="reminder",
                                    overdue=total, overdue_ids=first, sessions=sessions,
                                    expected_days=days)
    return written


def send_weekly_digest(today: date | None = None) -> int:
    """Send the Secretariat the week's figures: by stage, forwarded, overdue, issued."""
    today = today or local_today()
    year, week, _ = today.isocalendar()
    key = f"digest:{year}-W{week:02d}"
    now = utcnow()
    week_start = now - timedelta(days=7)
    with transaction():
        if _already(key):
            return 0
        counts = db.session.execute(
            select(Nomination.status, func.count()).group_by(Nomination.status)
            .order_by(Nomination.status)
        ).all()
        forwarded = db.session.scalar(select(func.count()).where(
            AuditEvent.action == "forward", AuditEvent.created_at >= week_start))
        overdue = db.session.scalar(select(func.count()).where(
            Nomination.status.not_in([s.value for s in (State.DECLINED_REGIONALLY,
                                      State.COUNCIL_DECLINED, State.REJECTED, State.WITHDRAWN,
                                      State.MEMBER)]),
            Nomination.status_changed_at
            < now - timedelta(days=current_app.config["EXPECTED_DAYS_DEFAULT"])))
        members = db.session.scalar(select(func.count()).where(
            Membership.created_at >= week_start))
        officers = db.session.scalars(select(User).where(
            User.role == Role.SECRETARIAT, User.active.is_(True)))
        return notify_users(officers, "digest", key, template="digest",
                            counts=[[s, n] for s, n in counts], week=f"{year}-W{week:02d}",
                            forwarded=forwarded, overdue=overdue, members=members)
