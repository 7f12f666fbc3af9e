"""The outbox relay, run by celery beat."""

from celery import shared_task


@shared_task(ignore_result=True)
def relay_outbox() -> int:
    """Publish outbox rows whose first publication failed (e.g. Redis was down)."""
    from workflow.outbox import relay

    return relay()
