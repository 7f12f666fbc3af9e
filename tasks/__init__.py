"""Celery tasks. Each module's tasks are ``@shared_task``s that take ids, never objects."""

from tasks import account, memberships, outbox  # noqa: F401 - registers the tasks
