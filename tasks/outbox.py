"""The outbox relay, run by celery beat every 30 seconds."""

from celery import shared_task


@shared_task(ignore_result=True)
def relay_outbox() -> dict:
    """Publish what was not published, and what was published but never confirmed done."""
    from workflow.issuing.services import requeue_stale as requeue_items
    from workflow.notifications.services import requeue_stale as requeue_deliveries
    from workflow.outbox import relay
    from workflow.papers.services import requeue_stale as requeue_papers

    return {"outbox": relay(), "deliveries": requeue_deliveries(), "items": requeue_items(),
            "papers": requeue_papers()}
