"""Celery tasks. Each module's tasks are ``@shared_task``s that take ids, never objects."""

from tasks import (  # noqa: F401 - registers the tasks
    account,
    issuing,
    notifications,
    outbox,
    papers,
    reminders,
)
