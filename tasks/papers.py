"""Papers too long for a page to wait for: drawn, sealed and stored in the background."""

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def make_paper(paper_id: int) -> str:
    """Make the registered paper ``paper_id`` (idempotent: a made paper is left as it is)."""
    from workflow.papers.services import make_paper as make

    return make(paper_id)
