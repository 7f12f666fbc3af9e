"""The Chairman's orders: record one, apply its decisions at once, issue the memberships.

Recording an order fires ``approve`` or ``reject`` through the order's channel for every
nomination it decides, in ONE transaction; each decision lists the nomination on the order
(the ``order_item`` effect), an approved rotation ends the membership it replaces (the
register's effect), and the issuing batch (workflow.issuing) that issues the memberships
starts once it commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from blinker import signal
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from workflow import pipeline, quotas
from workflow.database import transaction
from workflow.documents.services import store
from workflow.domain import DocumentKind, State
from workflow.extensions import db
from workflow.models import (
    ChairmanOrder,
    ChairmanOrderItem,
    CouncilAgendaItem,
    CouncilMeeting,
    Membership,
    Nomination,
    utcnow,
)
from workflow.permissions import scoped
from workflow.refusal import Refusal

CHANNEL = pipeline.Channel.CHAIRMAN_ORDER
DECISION_ACTIONS = {"approve", "reject"}

# Sent inside the order's transaction with the nominations it approves; the issuing of their
# memberships (a capability above this one) is connected to it in workflow.setup.
order_recorded = signal("tizim.order-recorded")


def awaiting_chairman(user, limit: int = 500) -> list[Nomination]:
    """Recommended nominations, oldest recommendation first."""
    stmt = (scoped(select(Nomination), user).where(Nomination.status == State.RECOMMENDED)
            .options(joinedload(Nomination.candidate), joinedload(Nomination.region))
            .order_by(Nomination.status_changed_at, Nomination.id).limit(limit))
    return list(db.session.scalars(stmt))


def order_data(order: ChairmanOrder) -> dict:
    """What each decision of an order records of it (rendered for each reader later)."""
    return {"order_id": order.id, "order_number": order.number, "order_date": order.order_date}


def recommending_meetings(nomination_ids) -> dict[int, date]:
    """The date of the Council meeting that recommended each nomination (the latest one)."""
    stmt = (select(CouncilAgendaItem.nomination_id, func.max(CouncilMeeting.meeting_date))
            .join(CouncilMeeting, CouncilAgendaItem.meeting_id == CouncilMeeting.id)
            .where(CouncilAgendaItem.nomination_id.in_(list(nomination_ids)),
                   CouncilAgendaItem.outcome == "recommend")
            .group_by(CouncilAgendaItem.nomination_id))
    return dict(db.session.execute(stmt).all())


def check_order_date(order_date: date, nomination_ids) -> None:
    """An order comes after the Council's recommendation: not before the meeting's day.

    :raise Refusal: the order is dated before the Council meeting that recommended one of
        its nominations (the message names that meeting's date).
    """
    met = recommending_meetings(nomination_ids)
    latest = max(met.values(), default=None)
    if latest is not None and order_date < latest:
        raise Refusal(_l("The order is dated %(order)s, before the Council meeting of "
                         "%(meeting)s that recommended a nomination it decides: an order is "
                         "dated on the day of that meeting or later.",
                         order=format_date(order_date, "long"),
                         meeting=format_date(latest, "long")),
                      code="too_early", field="order_date")


def record_order(user, *, number: str, order_date: date, document: FileStorage,
                 decisions: Mapping[int, str],
                 quota_override: str | None = None) -> ChairmanOrder:
    """Record the Chairman's order and apply every decision in it, all or nothing; the
    memberships it approves are issued in the background once it commits.

    ``decisions`` maps nomination ids to ``approve`` or ``reject``; ``quota_override`` is the
    officer's reason for taking a seat quota past its ceiling (``workflow.quotas.override``).

    :raise Refusal: no decisions, the number is already used, the order is dated before the
        Council meeting that recommended one of its nominations, or an item cannot be decided
        now (nothing changed).
    """
    number = number.strip()
    if not decisions:
        raise Refusal(_l("The order decides no nomination: choose at least one."),
                      code="missing_data", field="items")
    if any(d not in DECISION_ACTIONS for d in decisions.values()):
        raise Refusal(_l("Each decision is to approve or to reject."), field="items")
    with transaction():
        check_order_date(order_date, decisions)
        taken = db.session.scalar(select(func.count()).where(ChairmanOrder.number == number))
        if taken:
            raise Refusal(_l("An order numbered %(number)s is already recorded.", number=number),
                          code="duplicate", field="number", status=409)
        stored = store(document, DocumentKind.ORDER, uploaded_by_id=user.id)
        order = ChairmanOrder(number=number, order_date=order_date, document_id=stored.id,
                              created_by_id=user.id)
        db.session.add(order)
        db.session.flush()
        beyond_ceiling = quotas.override(order, user, quota_override, [
            n for n, d in decisions.items() if d == "approve"], "approve")
        for nomination_id in sorted(decisions):
            pipeline.apply(nomination_id, decisions[nomination_id], user, channel=CHANNEL,
                           data={**order_data(order), **(
                               beyond_ceiling if decisions[nomination_id] == "approve" else {})})
        order.applied_at = utcnow()
        approved = [n for n in sorted(decisions) if decisions[n] == "approve"]
        order_recorded.send(order, approved=approved, actor=user)
    return order


# --- The order's effect on the pipeline (connected in workflow.setup). -----------------------


def order_of_step(ctx: pipeline.Context) -> ChairmanOrder:
    """The order a decision names; it must agree with what the decision records of it.

    :raise Refusal: no such order, or other particulars.
    """
    order = db.session.get(ChairmanOrder, ctx.data["order_id"])
    if order is None or (ctx.data.get("order_number"), ctx.data.get("order_date")) != (
            order.number, order.order_date.isoformat()):
        raise Refusal(_l("The decision does not agree with the order's number and date."),
                      code="invalid", field="order_id")
    return order


def effect_order_item(nomination: Nomination, ctx: pipeline.Context) -> None:
    """``approve``, ``reject``: the order lists the nomination with its decision."""
    order = order_of_step(ctx)
    listed = db.session.scalar(select(func.count()).where(
        ChairmanOrderItem.order_id == order.id, ChairmanOrderItem.nomination_id == nomination.id))
    if listed:
        raise Refusal(_l("The order already decides this nomination."), code="duplicate",
                      status=409)
    db.session.add(ChairmanOrderItem(order_id=order.id, nomination_id=nomination.id,
                                     decision=ctx.action))


def orders(user, limit: int = 50) -> list[ChairmanOrder]:
    """The orders ``user`` may see, the latest first."""
    stmt = (scoped(select(ChairmanOrder), user).order_by(ChairmanOrder.order_date.desc(),
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


def get_order(user, order_id: int) -> ChairmanOrder | None:
    """The order with its decisions, if ``user`` may see it; else None."""
    stmt = (scoped(select(ChairmanOrder), user).where(ChairmanOrder.id == order_id).options(
        selectinload(ChairmanOrder.items).joinedload(ChairmanOrderItem.nomination)
        .options(joinedload(Nomination.candidate), joinedload(Nomination.region))))
    return db.session.scalar(stmt)


def memberships_of_order(order_id: int) -> dict[int, Membership]:
    """The memberships issued under an order, by nomination id."""
    stmt = select(Membership).where(Membership.order_id == order_id)
    return {m.nomination_id: m for m in db.session.scalars(stmt)}
