"""Reminders and the weekly digest: who gets them, and once per day or week."""

from datetime import date, timedelta

from sqlalchemy import func, select, update

from tests import factories as f
from workflow.database import transaction
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.mail import sent
from workflow.models import EmailDelivery, Nomination, Notification, Region, utcnow
from workflow.notifications.reminders import send_reminders, send_weekly_digest, upcoming_sessions


def age(nomination, days):
    # Test set-up only: pretend the nomination entered its state ``days`` ago.
    db.session.execute(update(Nomination).where(Nomination.id == nomination.id)
                       .values(status_changed_at=utcnow() - timedelta(days=days)))


def test_coordinators_hear_of_overdue_items_once_a_day(app):
    with transaction():
        coordinator = f.user(Role.COORDINATOR, "KZ-75", email="c75@test.kz")
        other = f.user(Role.COORDINATOR, "KZ-71", email="c71@test.kz")
        old, fresh = f.nomination(State.SUBMITTED), f.nomination(State.SUBMITTED)
        age(old, 20)
        in_astana = f.nomination(State.SUBMITTED, region_code="KZ-71")
        age(in_astana, 10)  # Astana expects 30 days: not overdue
        db.session.execute(update(Region).where(Region.iso_code == "KZ-71")
                           .values(expected_days=30))
    sent().clear()
    today = date(2026, 11, 24)
    assert send_reminders(today) > 0
    to = [m["To"] for m in sent()]
    assert "c75@test.kz" in to and "c71@test.kz" not in to
    mail = next(m for m in sent() if m["To"] == "c75@test.kz")
    text = mail.get_body(("plain",)).get_content()
    assert old.reference_code in text and fresh.reference_code not in text
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == coordinator.id, Notification.kind == "reminder")) == 1
    # Beat may run it twice: the day's keys exist, nothing more is written or sent.
    sent().clear()
    assert send_reminders(today) == 0 and sent() == []
    assert send_reminders(today + timedelta(days=1)) > 0
    assert other.id  # the other region's coordinator got nothing at all
    assert db.session.scalar(select(func.count()).select_from(EmailDelivery).where(
        EmailDelivery.user_id == other.id, EmailDelivery.template == "reminder")) == 0


def test_sessions_in_the_next_three_days_are_reminded(app):
    today = date(2026, 12, 1)
    soon = f.regional_session("KZ-75", held_on=today + timedelta(days=2))
    f.regional_session("KZ-75", held_on=today + timedelta(days=5))  # too far ahead
    region_id = soon.region_id
    found = upcoming_sessions(region_id, today, today + timedelta(days=3))
    assert [s["date"] for s in found] == [soon.held_on.isoformat()]
    assert upcoming_sessions(f.region("KZ-71").id, today, today + timedelta(days=3)) == []


def test_the_weekly_digest_goes_to_the_secretariat_once_a_week(app):
    with transaction():
        officer = f.user(Role.SECRETARIAT, email="officer@test.kz")
        f.nomination(State.FORWARDED)
    sent().clear()
    monday = date(2026, 11, 23)
    assert send_weekly_digest(monday) == 2  # e-mail and the bell
    [mail] = [m for m in sent() if m["To"] == "officer@test.kz"]
    assert "2026-W48" in mail.get_body(("plain",)).get_content()
    assert send_weekly_digest(monday + timedelta(days=2)) == 0
    assert officer.id
