"""Sending e-mails: one delivery row per task, claimed so that a redelivered task sends once."""

from smtplib import SMTPException

from celery import shared_task

# Exponential back-off with jitter: 1, 2, 4 … s, capped at RETRY_BACKOFF_MAX, at most
# MAX_RETRIES times. The broker's visibility timeout (config.celery_settings) stays above the
# longest delay, so a retry waiting in a worker is not handed to another one meanwhile.
RETRY_BACKOFF_MAX = 600
MAX_RETRIES = 8


@shared_task(
    bind=True,
    ignore_result=True,
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def send_email(self, delivery_id: int) -> str:
    """Send one e-mail delivery (idempotent: a delivery already sent or being sent is skipped)."""
    from workflow.notifications.services import send_delivery

    return send_delivery(delivery_id, final_attempt=self.request.retries >= self.max_retries)
