"""Issuing memberships in batches: idempotent per item, failures with reasons, retry, progress."""

from sqlalchemy import func, select

from tests import factories as f
from workflow.database import transaction
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.issuing import services
from workflow.models import IssuingBatch, IssuingItem, ItemStatus, Membership


def memberships() -> int:
    return db.session.scalar(select(func.count()).select_from(Membership))


def test_a_batch_issues_each_approved_nomination_once_and_lists_failures(app, client, auth):
    with transaction():
        approved = [f.nomination(State.APPROVED) for _ in range(3)]
        waiting = f.nomination(State.RECOMMENDED)
        batch = services.start_issuing([n.id for n in approved] + [waiting.id], order_id=7)
    progress = services.progress(f.user(Role.SECRETARIAT), batch.id)
    assert (progress["done"], progress["failed"], progress["pending"]) == (3, 1, 0)
    assert progress["finished"] and progress["order_id"] == 7
    [failure] = progress["failures"]
    assert failure["reference_code"] == waiting.reference_code and failure["reason"]
    assert memberships() == 3
    for nomination in approved:
        db.session.refresh(nomination)
        assert nomination.status == State.MEMBER

    # A redelivered task changes nothing: done items are skipped, no second membership.
    items = list(db.session.scalars(select(IssuingItem.id).where(IssuingItem.batch_id == batch.id)))
    assert services.issue_items(items) == {"skipped": 4}
    assert memberships() == 3

    officer = f.user(Role.SECRETARIAT)
    auth.login(officer)
    assert client.get(f"/issuing/{batch.id}/progress").get_json()["failed"] == 1
    page = client.get(f"/issuing/{batch.id}").get_data(as_text=True)
    assert waiting.reference_code in page and "progress-bar" in page

    # The Chairman approves the last one; the retry button issues it.
    with transaction():
        f.fire(waiting, "approve", officer)
    response = client.post(f"/issuing/{batch.id}/retry")
    assert response.status_code == 302
    progress = services.progress(officer, batch.id)
    assert (progress["done"], progress["failed"]) == (4, 0)
    assert memberships() == 4


def test_a_rolled_back_order_starts_nothing(app):
    with transaction():
        nomination = f.nomination(State.APPROVED)
    try:
        with transaction():
            services.start_issuing([nomination.id])
            raise RuntimeError("the order failed")
    except RuntimeError:
        pass
    assert db.session.scalar(select(func.count()).select_from(IssuingBatch)) == 0
    assert memberships() == 0


def test_items_left_pending_are_published_again(app, monkeypatch):
    with transaction():
        nomination = f.nomination(State.APPROVED)
        batch = IssuingBatch(total=1)
        db.session.add(batch)
        db.session.flush()
        db.session.add(IssuingItem(batch_id=batch.id, nomination_id=nomination.id))
    # Its message was lost (no outbox row here); the relay finds it once it is stale.
    assert services.requeue_stale() == 0
    monkeypatch.setitem(app.config, "NOTIFY_STALE_SECONDS", -1)
    assert services.requeue_stale() == 1
    assert db.session.scalar(select(IssuingItem.status)) == ItemStatus.DONE
    assert memberships() == 1


def test_only_the_secretariat_sees_a_batch(app, client, auth):
    with transaction():
        batch = services.start_issuing([])
    auth.login(f.user(Role.COORDINATOR))
    assert client.get(f"/issuing/{batch.id}").status_code == 403
    auth.logout()
    auth.login(f.user(Role.SECRETARIAT))
    assert client.get(f"/issuing/{batch.id + 1}").status_code == 404
    assert client.get(f"/issuing/{batch.id}/progress").get_json()["finished"] is True
