"""The transactional outbox: work a change causes is written with the change, sent after commit.

``enqueue`` adds a row to the caller's transaction. When that transaction commits, the rows are
published to Celery; when it rolls back, they vanish with it, so nothing is ever sent for a
change that did not happen. A periodic relay (tasks/outbox.py) publishes again what could not
be published (Redis down). Tasks must be idempotent: a row may be published more than once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import JSON, Integer, String, Text, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.extensions import db
from workflow.models import RowScope, UTCDateTime, utcnow

log = logging.getLogger(__name__)


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __scope__ = RowScope.INTERNAL

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


def enqueue(task: str, **payload) -> OutboxMessage:
    """Record that ``task`` must run with ``payload`` once the current transaction commits.

    ``payload`` holds ids and plain values, never objects or personal data such as the IIN.
    """
    message = OutboxMessage(task=task, payload=payload)
    db.session.add(message)
    return message


@event.listens_for(Session, "after_flush")
def _remember_new_messages(session: Session, flush_context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if ids:
        session.info.setdefault("outbox_ids", []).extend(ids)


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    ids = session.info.pop("outbox_ids", [])
    if ids:
        publish(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop("outbox_ids", None)


def publish(ids: list[int]) -> int:
    """Hand these outbox rows to Celery; return how many were published.

    Runs on its own connection (the caller's session may be mid-commit). A row that cannot be
    published keeps ``published_at`` empty for the relay to retry. When the broker is down the
    first refusal stops the loop: each try costs seconds, and the relay will publish the rest.
    """
    from kombu.exceptions import OperationalError

    celery_app = current_app.extensions["celery"]
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(OutboxMessage.id, OutboxMessage.task, OutboxMessage.payload)
            .where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        ).all()
    published: list[int] = []
    failed: dict[int, str] = {}
    broker_down = None
    for row_id, task, payload in rows:
        if broker_down is not None:
            failed[row_id] = broker_down
            continue
        try:
            celery_app.tasks[task].apply_async(kwargs=payload, retry=False)
        except (OperationalError, OSError) as exc:  # the broker is down: the relay will retry
            broker_down = failed[row_id] = f"{type(exc).__name__}: {exc}"
            log.warning("outbox %s (%s) not published: %s", row_id, task, broker_down)
        except Exception as exc:  # an eager task that raised, an unknown task name
            failed[row_id] = f"{type(exc).__name__}: {exc}"
            log.warning("outbox %s (%s) not published: %s", row_id, task, failed[row_id])
        else:
            published.append(row_id)
    with db.engine.begin() as conn:
        if published:
            conn.execute(update(OutboxMessage).where(OutboxMessage.id.in_(published)).values(
                attempts=OutboxMessage.attempts + 1, last_error=None, published_at=utcnow()))
        for row_id, error in failed.items():
            conn.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                attempts=OutboxMessage.attempts + 1, last_error=error))
    return len(published)


def relay(older_than: timedelta = timedelta(seconds=30), limit: int = 500) -> int:
    """Publish rows that were never published (their first attempt failed or was lost)."""
    cutoff = utcnow() - older_than
    with db.engine.connect() as conn:
        ids = list(conn.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.published_at.is_(None), OutboxMessage.created_at < cutoff)
            .order_by(OutboxMessage.id).limit(limit)
        ))
    return publish(ids) if ids else 0
