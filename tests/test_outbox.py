"""The outbox: what a transaction enqueues is published after commit, never after rollback."""

from celery import shared_task
from sqlalchemy import select

from workflow.database import transaction
from workflow.extensions import db
from workflow.outbox import OutboxMessage, enqueue, relay

RAN: list[dict] = []


@shared_task(name="tests.record_outbox_payload")
def record_outbox_payload(**payload):
    RAN.append(payload)


def test_committed_rows_are_published_once(app):
    RAN.clear()
    with transaction():
        enqueue("tests.record_outbox_payload", n=1)
    assert RAN == [{"n": 1}]
    row = db.session.scalar(select(OutboxMessage))
    assert row.published_at is not None and row.attempts == 1


def test_a_rolled_back_transaction_sends_nothing(app):
    RAN.clear()
    try:
        with transaction():
            enqueue("tests.record_outbox_payload", n=2)
            db.session.flush()
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert RAN == []
    assert db.session.scalar(select(OutboxMessage)) is None
    with transaction():
        pass  # a later commit does not publish what the rollback discarded
    assert RAN == []


def test_relay_publishes_what_failed(app, monkeypatch):
    RAN.clear()
    celery_app = app.extensions["celery"]
    original = celery_app.tasks["tests.record_outbox_payload"].apply_async

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(celery_app.tasks["tests.record_outbox_payload"], "apply_async", broker_down)
    with transaction():
        enqueue("tests.record_outbox_payload", n=3)
    row = db.session.scalar(select(OutboxMessage))
    assert row.published_at is None and "Redis is down" in row.last_error
    monkeypatch.setattr(celery_app.tasks["tests.record_outbox_payload"], "apply_async", original)
    from datetime import timedelta

    assert relay(older_than=timedelta(0)) == 1
    assert RAN == [{"n": 3}]
    assert relay(older_than=timedelta(0)) == 0
