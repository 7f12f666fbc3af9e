"""Account e-mails: the invitation and the password reset link."""

import smtplib

from celery import shared_task


def _send(token_id: int) -> None:
    from workflow import mail
    from workflow.account.services import delivery_for

    delivery = delivery_for(token_id)
    if delivery is None:  # spent, superseded or expired: a retry sends nothing
        return
    subject, text, html = mail.render(delivery.template, delivery.language, delivery.subject,
                                      **delivery.context)
    mail.send(mail.OutgoingEmail(to=delivery.to, subject=subject, text=text, html=html))


@shared_task(ignore_result=True, acks_late=True, autoretry_for=(smtplib.SMTPException, OSError),
             retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_invitation(token_id: int) -> None:
    """E-mail a new member the link that opens their account."""
    _send(token_id)


@shared_task(ignore_result=True, acks_late=True, autoretry_for=(smtplib.SMTPException, OSError),
             retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_password_reset(token_id: int) -> None:
    """E-mail the link that sets a new password."""
    _send(token_id)
