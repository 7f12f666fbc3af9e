"""Issuing memberships for approved nominations."""

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def issue_membership(nomination_id: int) -> None:
    """Issue the membership of one approved nomination (idempotent)."""
    from workflow.members.services import issue_membership as issue

    issue(nomination_id)
