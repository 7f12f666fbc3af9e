"""Memberships: issuing them from approved nominations."""

from __future__ import annotations

from blinker import signal
from flask import current_app
from sqlalchemy import select

from workflow import pipeline
from workflow.database import next_counter
from workflow.extensions import db
from workflow.models import (
    ChairmanOrder,
    ChairmanOrderItem,
    Membership,
    Nomination,
    OrderDecision,
    utcnow,
)
from workflow.permissions import scoped

# Receivers (the member account and its invitation) join the issuing transaction.
membership_issued = signal("tizim.membership-issued")


def member_number(year: int) -> str:
    """The next member number of ``year``, unique under concurrency (a counter row lock)."""
    seq = next_counter(f"member-number-{year}")
    return current_app.config["MEMBER_NUMBER_PATTERN"].format(year=year, seq=seq)


def issue_membership_in_transaction(nomination_id: int) -> Membership:
    """Turn an approved nomination into a membership, inside the caller's transaction.

    Idempotent: a nomination already issued returns its membership. The membership itself
    is the ``membership`` effect of the pipeline's ``issue_membership``.
    """
    existing = db.session.scalar(select(Membership).where(Membership.nomination_id == nomination_id))
    if existing is not None:
        return existing
    pipeline.apply(nomination_id, "issue_membership", pipeline.SYSTEM,
                   channel=pipeline.Channel.SYSTEM)
    return db.session.scalar(select(Membership).where(Membership.nomination_id == nomination_id))


def effect_membership(nomination: Nomination, ctx: pipeline.Context) -> None:
    """``issue_membership``: the member's number and membership, resting on the Chairman's
    order that approved it and starting on that order's date; the account and invitation
    follow (``membership_issued``)."""
    order = db.session.execute(
        select(ChairmanOrder.id, ChairmanOrder.order_date)
        .join(ChairmanOrderItem, ChairmanOrderItem.order_id == ChairmanOrder.id)
        .where(ChairmanOrderItem.nomination_id == nomination.id,
               ChairmanOrderItem.decision == OrderDecision.APPROVE)
        .order_by(ChairmanOrder.id.desc()).limit(1)
    ).first()
    started_on = order.order_date if order is not None else utcnow().date()
    membership = Membership(
        nomination_id=nomination.id,
        candidate_id=nomination.candidate_id,
        region_id=nomination.region_id,
        member_number=member_number(started_on.year),
        started_on=started_on,
        order_id=order.id if order is not None else None,
    )
    db.session.add(membership)
    db.session.flush()
    membership_issued.send(membership)


def get_membership(user, membership_id: int) -> Membership | None:
    """The membership, if ``user`` may see it; None otherwise (the view answers 404)."""
    return db.session.scalar(
        scoped(select(Membership).where(Membership.id == membership_id), user)
    )


def membership_of_nomination(user, nomination_id: int) -> Membership | None:
    """The membership issued from this nomination, if ``user`` may see it."""
    return db.session.scalar(scoped(
        select(Membership).where(Membership.nomination_id == nomination_id), user))


def own_membership(user) -> Membership | None:
    """The signed-in member's membership (the newest, should there ever be two)."""
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.id.desc())
    )


def basis(membership: Membership) -> dict | None:
    """The Chairman's order the membership rests on (number and date), when it is recorded."""
    if membership.order_id is None:
        return None
    order = db.session.get(ChairmanOrder, membership.order_id)
    return {"number": order.number, "date": order.order_date} if order else None


def history(membership: Membership):
    """The nomination's transitions, oldest first: the member's own timeline."""
    from workflow.nominations.services import timeline

    return timeline(membership.nomination)
