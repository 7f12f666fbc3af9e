"""Account work that must not show in the request: looking up whom a reset link is for."""

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def send_password_reset_for(email: str) -> None:
    """Look the address up and, if it is an active account's, send it a reset link (the
    e-mail itself is a delivery of the one e-mail path)."""
    from workflow.account.services import reset_password_for

    reset_password_for(email)
