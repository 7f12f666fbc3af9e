"""The Chairman's orders: record one, apply its decisions at once, issue the memberships.

Applying an order fires ``approve`` or ``reject`` for every item in ONE transaction; an
approved rotation ends the membership it replaces in that same transaction, which also starts
the issuing batch (workflow.issuing) that issues the memberships once it commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from workflow import pipeline
from workflow.database import transaction
from workflow.documents.services import store
from workflow.domain import DocumentKind, EndGround, MembershipStatus, Route, State
from workflow.extensions import db
from workflow.issuing.services import start_issuing
from workflow.members.services import membership_issued
from workflow.models import Membership, Nomination, utcnow
from workflow.orders.models import ChairmanOrder, ChairmanOrderItem, OrderDecision
from workflow.register.services import end_membership_in_transaction

DECISION_ACTIONS = {OrderDecision.APPROVE: "approve", OrderDecision.REJECT: "reject"}


class OrderError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def awaiting_chairman(limit: int = 500) -> list[Nomination]:
    """Recommended nominations, oldest recommendation first."""
    stmt = (select(Nomination).where(Nomination.status == State.RECOMMENDED)
            .options(joinedload(Nomination.candidate), joinedload(Nomination.region))
            .order_by(Nomination.status_changed_at, Nomination.id).limit(limit))
    return list(db.session.scalars(stmt))


def record_order(user, *, number: str, order_date: date, document: FileStorage,
                 decisions: Mapping[int, str]) -> ChairmanOrder:
    """Record the Chairman's order and apply every decision in it, all or nothing.

    ``decisions`` maps nomination ids to ``approve`` or ``reject``.

    :raise OrderError: no decisions, or the number is already used.
    :raise pipeline.TransitionError: an item cannot be decided now (nothing changed).
    """
    number = number.strip()
    if not decisions:
        raise OrderError(_l("The order decides no nomination: choose at least one."))
    if any(d not in DECISION_ACTIONS for d in decisions.values()):
        raise OrderError(_l("Each decision is to approve or to reject."))
    with transaction():
        taken = db.session.scalar(select(func.count()).where(ChairmanOrder.number == number))
        if taken:
            raise OrderError(_l("An order numbered %(number)s is already recorded.", number=number))
        stored = store(document, DocumentKind.ORDER, uploaded_by_id=user.id)
        order = ChairmanOrder(number=number, order_date=order_date, document_id=stored.id,
                              created_by_id=user.id)
        db.session.add(order)
        for nomination_id in sorted(decisions):
            order.items.append(ChairmanOrderItem(nomination_id=nomination_id,
                                                 decision=decisions[nomination_id]))
        db.session.flush()
        apply_order_in_transaction(order, user)
        # The memberships are issued by a background job that starts once this commits.
        approved = [i.nomination_id for i in order.items if i.decision == OrderDecision.APPROVE]
        start_issuing(approved, order_id=order.id, created_by_id=user.id)
    return order


def apply_order_in_transaction(order: ChairmanOrder, user) -> None:
    """Fire every item's decision; end the memberships approved rotations replace.

    :raise pipeline.TransitionError: an item cannot be decided (the caller rolls back).
    """
    comment = str(_l("Order No. %(number)s of %(date)s", number=order.number,
                     date=order.order_date.isoformat()))
    for item in order.items:
        action = DECISION_ACTIONS[item.decision]
        pipeline.apply(item.nomination_id, action, user, comment=comment,
                       data={"order_id": order.id, "order_number": order.number})
        nomination = item.nomination
        if action == "approve" and nomination.route == Route.ROTATION:
            replaced = db.session.get(Membership, nomination.replaces_membership_id,
                                      with_for_update=True)
            if replaced is not None and replaced.status != MembershipStatus.ACTIVE:
                continue  # the member left meanwhile on another ground; the successor stands
            end_membership_in_transaction(
                replaced, ground=EndGround.ROTATION, ended_on=order.order_date,
                document_id=order.document_id, comment=comment)
    order.applied_at = utcnow()
    db.session.flush()


@membership_issued.connect
def record_order_as_basis(membership: Membership, **_) -> None:
    """The approving order is the membership's basis; it starts on the order's date."""
    row = db.session.execute(
        select(ChairmanOrder.id, ChairmanOrder.order_date)
        .join(ChairmanOrderItem, ChairmanOrderItem.order_id == ChairmanOrder.id)
        .where(ChairmanOrderItem.nomination_id == membership.nomination_id,
               ChairmanOrderItem.decision == OrderDecision.APPROVE)
        .order_by(ChairmanOrder.id.desc()).limit(1)
    ).first()
    if row is not None:
        membership.order_id = row.id
        membership.started_on = row.order_date


def orders(limit: int = 50) -> list[ChairmanOrder]:
    stmt = (select(ChairmanOrder).order_by(ChairmanOrder.order_date.desc(),
                                           ChairmanOrder.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def item_counts(order_ids) -> dict[int, dict[str, int]]:
    ids = list(order_ids)
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        stmt = (select(ChairmanOrderItem.order_id, ChairmanOrderItem.decision, func.count())
                .where(ChairmanOrderItem.order_id.in_(ids))
                .group_by(ChairmanOrderItem.order_id, ChairmanOrderItem.decision))
        for order_id, decision, n in db.session.execute(stmt):
            counts[order_id][decision] = n
    return counts


def get_order(order_id: int) -> ChairmanOrder | None:
    stmt = (select(ChairmanOrder).where(ChairmanOrder.id == order_id).options(
        selectinload(ChairmanOrder.items).joinedload(ChairmanOrderItem.nomination)
        .options(joinedload(Nomination.candidate), joinedload(Nomination.region))))
    return db.session.scalar(stmt)


def memberships_of_order(order_id: int) -> dict[int, Membership]:
    """The memberships issued under an order, by nomination id."""
    stmt = select(Membership).where(Membership.order_id == order_id)
    return {m.nomination_id: m for m in db.session.scalars(stmt)}
