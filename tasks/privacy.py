"""Destroying personal data whose purpose has ended (Law No. 94-V), run daily by celery beat."""

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def destroy_personal_data() -> int:
    """Destroy the personal data whose retention period has run out; return how many people."""
    from workflow.privacy.services import destroy_due

    return destroy_due()
