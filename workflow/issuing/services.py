"""Issuing memberships for a Chairman's order: a batch written with the order, worked by tasks.

``start_issuing`` writes the batch, one item per nomination and one outbox row per chunk of
items in the caller's transaction (the order's). ``issue_item`` issues one item in its own
transaction, idempotently: an item already done is skipped, a nomination already issued
returns its membership. A failure is recorded on the item with its reason and can be retried.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, insert, select, update

from workflow.database import transaction
from workflow.extensions import db
from workflow.members.services import issue_membership_in_transaction
from workflow.models import IssuingBatch, IssuingItem, ItemStatus, Nomination, utcnow
from workflow.outbox import enqueue
from workflow.permissions import visible

log = logging.getLogger(__name__)
ISSUE_TASK = "tasks.issuing.issue_items"


def _chunks(ids: list[int]) -> list[list[int]]:
    size = current_app.config["ISSUING_CHUNK"]
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def start_issuing(nomination_ids, *, order_id: int | None = None,
                  created_by_id: int | None = None) -> IssuingBatch:
    """Write a batch issuing ``nomination_ids`` into the caller's transaction; return it.

    The work starts after the caller commits (outbox); a rollback leaves nothing behind.
    """
    ids = list(dict.fromkeys(nomination_ids))
    batch = IssuingBatch(order_id=order_id, created_by_id=created_by_id, total=len(ids))
    db.session.add(batch)
    db.session.flush()
    if ids:
        now = utcnow()
        db.session.execute(insert(IssuingItem), [
            {"batch_id": batch.id, "nomination_id": n, "status": ItemStatus.PENDING,
             "attempts": 0, "updated_at": now} for n in ids
        ])
        item_ids = list(db.session.scalars(
            select(IssuingItem.id).where(IssuingItem.batch_id == batch.id).order_by(IssuingItem.id)
        ))
        for chunk in _chunks(item_ids):
            enqueue(ISSUE_TASK, batch_id=batch.id, item_ids=chunk)
    return batch


def on_order_recorded(order, *, approved: list[int], actor, **_) -> None:
    """A Chairman's order was recorded: issue the memberships it approves, once it commits."""
    start_issuing(approved, order_id=order.id, created_by_id=getattr(actor, "id", None))


def _reason(exc: Exception) -> str:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        message = getattr(exc, "message", None)
        return str(message) if message is not None else f"{type(exc).__name__}: {exc}"


def _issue_locked(item_id: int) -> str:
    """Issue one item inside the caller's transaction; raise whatever stops it."""
    item = db.session.scalars(
        select(IssuingItem).where(IssuingItem.id == item_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if item is None or item.status != ItemStatus.PENDING:
        return "skipped"
    membership = issue_membership_in_transaction(item.nomination_id)
    item.status, item.error = ItemStatus.DONE, None
    item.membership_id = membership.id
    item.attempts += 1
    item.updated_at = utcnow()
    return "done"


def issue_item(item_id: int) -> str:
    """Issue one item's membership in its own transaction; return done, failed or skipped."""
    try:
        with transaction():
            return _issue_locked(item_id)
    except Exception as exc:
        reason = _reason(exc)
        log.warning("issuing item %s failed: %s", item_id, reason)
        with transaction():
            db.session.execute(
                update(IssuingItem)
                .where(IssuingItem.id == item_id, IssuingItem.status == ItemStatus.PENDING)
                .values(status=ItemStatus.FAILED, error=reason, updated_at=utcnow(),
                        attempts=IssuingItem.attempts + 1)
            )
        return "failed"


def issue_items(item_ids: list[int]) -> dict[str, int]:
    """Issue a chunk of items; return counts by outcome.

    The chunk is tried in one transaction (one commit, one publication of its e-mails); if any
    item fails, that transaction is rolled back and the items are issued one transaction each,
    so a failure stays with its item and carries its own reason.
    """
    outcome: dict[str, int] = {}
    try:
        with transaction():
            for item_id in item_ids:
                result = _issue_locked(item_id)
                outcome[result] = outcome.get(result, 0) + 1
        return outcome
    except Exception:
        outcome = {}
    for item_id in item_ids:
        result = issue_item(item_id)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


def batch_of_order(order_id: int) -> int | None:
    """The newest issuing batch started for a Chairman's order."""
    return db.session.scalar(select(IssuingBatch.id).where(IssuingBatch.order_id == order_id)
                             .order_by(IssuingBatch.id.desc()).limit(1))


def progress(user, batch_id: int, failures_limit: int = 200) -> dict | None:
    """The batch's counts and its failures with their reasons, for the progress bar; None
    when ``user`` may not see it."""
    batch = visible(user, IssuingBatch, batch_id)
    if batch is None:
        return None
    counts = dict(db.session.execute(
        select(IssuingItem.status, func.count()).where(IssuingItem.batch_id == batch_id)
        .group_by(IssuingItem.status)
    ).all())
    failures = db.session.execute(
        select(IssuingItem.id, IssuingItem.nomination_id, Nomination.reference_code,
               IssuingItem.error)
        .join(Nomination, Nomination.id == IssuingItem.nomination_id)
        .where(IssuingItem.batch_id == batch_id, IssuingItem.status == ItemStatus.FAILED)
        .order_by(IssuingItem.id).limit(failures_limit)
    ).all()
    done, failed = counts.get(ItemStatus.DONE, 0), counts.get(ItemStatus.FAILED, 0)
    pending = counts.get(ItemStatus.PENDING, 0)
    return {
        "id": batch.id, "order_id": batch.order_id, "total": batch.total, "done": done,
        "failed": failed, "pending": pending, "finished": pending == 0,
        "percent": round(100 * (done + failed) / batch.total) if batch.total else 100,
        "failures": [
            {"item_id": i, "nomination_id": n, "reference_code": code, "reason": error or ""}
            for i, n, code, error in failures
        ],
    }


def retry_failed(batch_id: int) -> int:
    """Put the batch's failed items back to work, in the caller's transaction; return how many."""
    ids = list(db.session.scalars(
        select(IssuingItem.id).where(IssuingItem.batch_id == batch_id,
                                     IssuingItem.status == ItemStatus.FAILED)
        .order_by(IssuingItem.id)
    ))
    if ids:
        db.session.execute(
            update(IssuingItem).where(IssuingItem.id.in_(ids))
            .values(status=ItemStatus.PENDING, updated_at=utcnow())
        )
        for chunk in _chunks(ids):
            enqueue(ISSUE_TASK, batch_id=batch_id, item_ids=chunk)
    return len(ids)


def requeue_stale(limit: int = 2000) -> int:
    """Publish again items still pending after NOTIFY_STALE_SECONDS (their message was lost)."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["NOTIFY_STALE_SECONDS"])
    rows = db.session.execute(
        select(IssuingItem.batch_id, IssuingItem.id)
        .where(IssuingItem.status == ItemStatus.PENDING, IssuingItem.updated_at < stale)
        .order_by(IssuingItem.id).limit(limit)
    ).all()
    if not rows:
        return 0
    with transaction():
        db.session.execute(
            update(IssuingItem).where(IssuingItem.id.in_([r.id for r in rows]),
                                      IssuingItem.status == ItemStatus.PENDING)
            .values(updated_at=now)
        )
    by_batch: dict[int, list[int]] = {}
    for batch_id, item_id in rows:
        by_batch.setdefault(batch_id, []).append(item_id)
    task = current_app.extensions["celery"].tasks[ISSUE_TASK]
    for batch_id, ids in by_batch.items():
        for chunk in _chunks(ids):
            task.apply_async(kwargs={"batch_id": batch_id, "item_ids": chunk}, retry=False)
    return len(rows)
