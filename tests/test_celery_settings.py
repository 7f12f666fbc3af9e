"""The Celery app as configured: settings that keep messages, retries, the beat schedule."""

from smtplib import SMTPException

import config
from workflow import create_app


def production_app(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "5f0c9a4e8d2b7f13e6a0c4d9b8f2e7a1c3d5b9e0f4a8c2d6")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/none")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/3")
    return create_app("production")


def test_the_worker_keeps_messages(monkeypatch):
    celery_app = production_app(monkeypatch).extensions["celery"]
    conf = celery_app.conf
    assert conf.broker_url == "redis://127.0.0.1:6399/3"
    assert conf.task_always_eager is False
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    send = celery_app.tasks["tasks.notifications.send_email"]
    assert SMTPException in send.autoretry_for and OSError in send.autoretry_for
    assert send.retry_backoff is True and send.retry_jitter is True
    assert 3 <= send.max_retries <= 20
    assert send.acks_late is True
    # A retry waiting for its countdown is an unacknowledged message: the broker must not hand
    # it to another worker before the longest delay has passed.
    assert conf.broker_transport_options["visibility_timeout"] > send.retry_backoff_max
    assert send.retry_backoff_max == config.LONGEST_RETRY_DELAY
    for name in ("tasks.issuing.issue_items", "tasks.reminders.send_reminders"):
        assert celery_app.tasks[name].acks_late is True


def test_beat_runs_the_relay_reminders_and_the_digest(monkeypatch):
    schedule = production_app(monkeypatch).extensions["celery"].conf.beat_schedule
    tasks = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert tasks["tasks.outbox.relay_outbox"] == 30.0
    assert "tasks.reminders.send_reminders" in tasks
    digest = tasks["tasks.reminders.send_weekly_digest"]
    assert digest.day_of_week == {1}  # Mondays


def test_the_embedded_default_runs_tasks_in_process(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app("development")
    assert app.extensions["celery"].conf.task_always_eager is True
