"""Memberships: issuing them from approved nominations."""

from __future__ import annotations

from blinker import signal
from flask import current_app
from sqlalchemy import select

from workflow import pipeline
from workflow.database import next_counter
from workflow.extensions import db
from workflow.models import Membership, Nomination, utcnow

# Receivers (the member account and its invitation) join the issuing transaction.
membership_issued = signal("tizim.membership-issued")


def member_number(year: int) -> str:
    """The next member number of ``year``, unique under concurrency (a counter row lock)."""
    seq = next_counter(f"member-number-{year}")
    return current_app.config["MEMBER_NUMBER_PATTERN"].format(year=year, seq=seq)


def issue_membership_in_transaction(nomination_id: int) -> Membership:
    """Turn an approved nomination into a membership, inside the caller's transaction.

    Idempotent: a nomination already issued returns its membership.
    """
    existing = db.session.scalar(select(Membership).where(Membership.nomination_id == nomination_id))
    if existing is not None:
        return existing
    nomination = db.session.get(Nomination, nomination_id)
    pipeline.apply(nomination, "issue_membership", pipeline.SYSTEM)
    today = utcnow().date()
    membership = Membership(
        nomination_id=nomination.id,
        candidate_id=nomination.candidate_id,
        region_id=nomination.region_id,
        member_number=member_number(today.year),
        started_on=today,
    )
    db.session.add(membership)
    db.session.flush()
    membership_issued.send(membership)
    return membership


def scoped_memberships(stmt, user):
    """A member sees their own membership; a coordinator their region's; the Secretariat all."""
    from workflow.domain import Role

    if user.role == Role.MEMBER:
        return stmt.where(Membership.user_id == user.id)
    if user.role == Role.COORDINATOR:
        return stmt.where(Membership.region_id == user.region_id)
    if user.role != Role.SECRETARIAT:
        return stmt.where(False)
    return stmt


def get_membership(user, membership_id: int) -> Membership | None:
    """The membership, if ``user`` may see it; None otherwise (the view answers 404)."""
    return db.session.scalar(
        scoped_memberships(select(Membership).where(Membership.id == membership_id), user)
    )


def membership_of_nomination(user, nomination_id: int) -> Membership | None:
    """The membership issued from this nomination, if ``user`` may see it."""
    return db.session.scalar(scoped_memberships(
        select(Membership).where(Membership.nomination_id == nomination_id), user))


def own_membership(user) -> Membership | None:
    """The signed-in member's membership (the newest, should there ever be two)."""
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.id.desc())
    )


def basis(membership: Membership) -> dict | None:
    """The Chairman's order the membership rests on (number and date), when it is recorded."""
    from workflow.orders.models import ChairmanOrder

    if membership.order_id is None:
        return None
    order = db.session.get(ChairmanOrder, membership.order_id)
    return {"number": order.number, "date": order.order_date} if order else None


def history(membership: Membership):
    """The nomination's transitions, oldest first: the member's own timeline."""
    from workflow.nominations.services import timeline

    return timeline(membership.nomination)
