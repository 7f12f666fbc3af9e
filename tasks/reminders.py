"""Reminders and the weekly digest, run by celery beat."""

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def send_reminders() -> int:
    """Remind coordinators of overdue items and sessions in the next three days (once a day)."""
    from workflow.notifications.reminders import send_reminders as run

    return run()


@shared_task(ignore_result=True, acks_late=True)
def send_weekly_digest() -> int:
    """Send the Secretariat its weekly digest (once a week)."""
    from workflow.notifications.reminders import send_weekly_digest as run

    return run()
