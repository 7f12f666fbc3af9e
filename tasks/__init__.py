"""Celery tasks. Each module's tasks are ``@shared_task``s that take ids, never objects."""

from tasks import issuing, memberships, notifications, outbox, reminders  # noqa: F401
