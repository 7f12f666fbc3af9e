"""Issuing the memberships of a Chairman's order, a chunk of items per task."""

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def issue_items(batch_id: int, item_ids: list[int]) -> dict:
    """Issue the memberships of these items of ``batch_id`` (idempotent per item)."""
    from workflow.issuing.services import issue_items as issue

    return issue(item_ids)
