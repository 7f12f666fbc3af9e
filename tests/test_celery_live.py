"""With the real parts: Redis as broker, a `celery -A wsgi worker` process, an SMTP server.

(a) an approval's e-mail arrives; (b) a worker SIGKILLed half-way through an order of 200:
after a restart every member is issued once and every e-mail arrives once; (c) Redis down
during an approval: it commits, the e-mail arrives once Redis is back; (d) SMTP down: retries,
then delivered once, no duplicates; (e) a rolled-back transition sends nothing.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
import redis
from sqlalchemy import func, select

from tests import factories as f
from tests.conftest import postgres_database, reachable, unavailable
from tests.livekit import (
    SmtpSink,
    Worker,
    free_port,
    live_app,
    prepare,
    setup_app,
    wait_for,
    worker_env,
)
from workflow import pipeline
from workflow.database import transaction
from workflow.domain import Role
from workflow.extensions import db
from workflow.issuing.services import progress, start_issuing
from workflow.issuing.services import requeue_stale as requeue_items
from workflow.models import (
    AuditEvent,
    DeliveryStatus,
    EmailDelivery,
    IssuingItem,
    ItemStatus,
    Membership,
    Nomination,
    User,
)
from workflow.notifications.services import requeue_stale
from workflow.outbox import OutboxMessage, relay

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres]
REDIS_LIVE = "redis://127.0.0.1:6379/14"  # a dedicated DB, flushed before and after


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    if not reachable("127.0.0.1", 6379):
        unavailable("Redis is not reachable at 127.0.0.1:6379")
    with postgres_database() as database_url:
        broker = redis.Redis.from_url(REDIS_LIVE)
        broker.flushdb()
        sink = SmtpSink().start()
        prep = setup_app(database_url)
        with prep.app_context():
            db.create_all()
            from workflow.regions import load_regions

            load_regions()
            db.session.commit()
        app = live_app(database_url, REDIS_LIVE, sink.port)
        env = worker_env(database_url, REDIS_LIVE, sink.port)
        worker = Worker(env, tmp_path_factory.mktemp("worker") / "worker.log").start()
        try:
            yield {"app": app, "prep": prep, "sink": sink, "worker": worker,
                   "database_url": database_url}
        finally:
            worker.stop()
            sink.stop()
            for a in (app, prep):
                with a.app_context():
                    db.session.remove()
                    db.engine.dispose()
            broker.flushdb()


def event_keys(app, event_id: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(
            select(EmailDelivery.key).where(EmailDelivery.key.like(f"ev{event_id}:%"))))


def fire_approve(nomination_id: int, officer_id: int):
    """The Chairman's approval, through an order, as the orders page records it."""
    nomination = db.session.get(Nomination, nomination_id)
    given = f.inputs_for("approve", nomination)
    return pipeline.apply(nomination, "approve", db.session.get(User, officer_id),
                          channel=given.channel, data=given.data)


def approve(app, nomination_id: int, officer_id: int) -> int:
    with app.app_context(), transaction():
        return fire_approve(nomination_id, officer_id).id


def test_an_approval_e_mail_arrives(live):
    app, sink = live["app"], live["sink"]
    people = prepare(live["prep"], recommended=1)
    event_id = approve(app, people["recommended"][0], people["officers"][0])
    expected = event_keys(app, event_id)
    assert len(expected) == 2  # the region's coordinator and the other officer
    wait_for(lambda: expected <= set(sink.delivery_keys()), 20, "the approval's e-mails")
    assert Counter(k for k in sink.delivery_keys() if k in expected) == dict.fromkeys(expected, 1)

    def statuses() -> set:
        with app.app_context():
            found = set(db.session.scalars(select(EmailDelivery.status).where(
                EmailDelivery.key.in_(expected))))
            db.session.remove()
        return found

    # The server accepts the message before the worker marks its row: the mark follows.
    wait_for(lambda: statuses() == {DeliveryStatus.SENT}, 20, "the deliveries marked sent")


def test_a_rolled_back_transition_sends_nothing(live):
    app, sink = live["app"], live["sink"]
    people = prepare(live["prep"], recommended=2)
    with app.app_context():
        outbox_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        events_before = db.session.scalar(select(func.max(AuditEvent.id)))
    received_before = len(sink.delivery_keys())
    with pytest.raises(RuntimeError), app.app_context(), transaction():
        fire_approve(people["recommended"][0], people["officers"][0])
        raise RuntimeError("the order could not be saved")
    # A committed approval afterwards: once its e-mails are in, the rolled-back one would be too.
    event_id = approve(app, people["recommended"][1], people["officers"][0])
    expected = event_keys(app, event_id)
    wait_for(lambda: expected <= set(sink.delivery_keys()), 20, "the committed approval's e-mails")
    assert sorted(sink.delivery_keys()[received_before:]) == sorted(expected)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) \
            == outbox_before + len(expected)
        # One transition: the committed approval (its order is written with it), none of the
        # rolled-back one.
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.id > events_before, AuditEvent.entity_type == "nomination")) == 1


def test_redis_down_during_an_approval(live):
    app, sink = live["app"], live["sink"]
    people = prepare(live["prep"], recommended=1)
    closed = f"redis://127.0.0.1:{free_port()}/14"  # nothing listens there
    down = live_app(live["database_url"], closed, sink.port)
    event_id = approve(down, people["recommended"][0], people["officers"][0])  # commits
    expected = event_keys(app, event_id)
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.published_at.is_(None))).all()
        assert len(rows) == len(expected) and all(r.last_error for r in rows)
        # Redis is back (the app that reaches it runs the relay, as beat does every 30 s).
        assert relay(older_than=timedelta(0)) == len(expected)
    wait_for(lambda: expected <= set(sink.delivery_keys()), 20, "the e-mails after Redis came back")
    assert Counter(k for k in sink.delivery_keys() if k in expected) == dict.fromkeys(expected, 1)
    with down.app_context():
        db.engine.dispose()


def test_smtp_down_retries_then_delivers_once(live):
    app, sink = live["app"], live["sink"]
    people = prepare(live["prep"], recommended=1)
    sink.stop()
    try:
        event_id = approve(app, people["recommended"][0], people["officers"][0])
        expected = event_keys(app, event_id)

        def retried() -> bool:
            with app.app_context():
                rows = db.session.execute(select(EmailDelivery.attempts, EmailDelivery.error)
                                          .where(EmailDelivery.key.in_(expected))).all()
                db.session.remove()
            return all(attempts >= 2 and error for attempts, error in rows)

        wait_for(retried, 30, "two failed attempts per e-mail", every=0.2)
    finally:
        sink.start()
    wait_for(lambda: expected <= set(sink.delivery_keys()), 40, "the e-mails once SMTP is up", every=0.2)
    with app.app_context():
        wait_for(lambda: (db.session.remove() or set(db.session.scalars(
            select(EmailDelivery.status).where(EmailDelivery.key.in_(expected)))))
            == {DeliveryStatus.SENT}, 20, "the deliveries marked sent")
    assert Counter(k for k in sink.delivery_keys() if k in expected) == dict.fromkeys(expected, 1)


def test_a_worker_killed_mid_order_loses_and_doubles_nothing(live):
    app, sink, worker = live["app"], live["sink"], live["worker"]
    people = prepare(live["prep"], approved=200)
    with app.app_context(), transaction():
        batch_id = start_issuing(people["approved"]).id

    def done() -> int:
        with app.app_context():
            p = progress(db.session.get(User, people["officers"][0]), batch_id)
            db.session.remove()
            return p["done"]

    wait_for(lambda: done() >= 30, 60, "the first members to be issued", every=0.02)
    worker.kill()
    at_kill = done()
    assert at_kill < 200, "the worker finished before it could be killed: nothing was tested"
    worker.start()

    def relay_all() -> None:
        with app.app_context():
            relay(older_than=timedelta(0))
            requeue_stale()
            requeue_items()
            db.session.remove()

    def finished() -> bool:
        with app.app_context():
            pending = db.session.scalar(select(func.count()).select_from(IssuingItem).where(
                IssuingItem.batch_id == batch_id, IssuingItem.status != ItemStatus.DONE))
            unsent = db.session.scalar(select(func.count()).select_from(EmailDelivery).where(
                EmailDelivery.template == "transition",
                EmailDelivery.status != DeliveryStatus.SENT))
            db.session.remove()
        return pending == 0 and unsent == 0

    last = [0.0]

    def tick() -> None:  # the relay, as beat would run it (more often, for a short test)
        if time.monotonic() - last[0] > 2:
            last[0] = time.monotonic()
            relay_all()

    wait_for(finished, 90, "every member issued and every e-mail sent", every=0.2, tick=tick)
    with app.app_context():
        members = db.session.execute(select(Membership.nomination_id, Membership.member_number)
                                     .where(Membership.nomination_id.in_(people["approved"])))
        members = members.all()
        assert len(members) == 200
        assert len({n for n, _ in members}) == 200 and len({m for _, m in members}) == 200
        issue_events = list(db.session.scalars(select(AuditEvent.id).where(
            AuditEvent.action == "issue_membership",
            AuditEvent.nomination_id.in_(people["approved"]))))
        assert len(issue_events) == 200  # one transition per member, never two
        expected = {f"ev{e}:u{people['coordinator']}:email" for e in issue_events}
    wait_for(lambda: expected <= set(sink.delivery_keys()), 30, "every issuing e-mail")
    received = Counter(k for k in sink.delivery_keys() if k in expected)
    assert set(received) == expected
    # At most the one e-mail in flight at the kill may repeat (the SMTP-accepted-but-not-yet-
    # marked window, docs/architecture.md); it carries the same Message-ID as its first copy.
    assert sum(received.values()) - len(expected) <= 1


def test_an_account_e_mail_is_one_delivery_sent_once_however_often_its_task_runs(live):
    """Account e-mails take the one e-mail path: a delivery, claimed, sent once, with a
    Message-ID fixed per delivery; a redelivered task sends nothing again."""
    from workflow.account.services import request_password_reset
    from workflow.models import TokenPurpose
    from workflow.notifications.services import SEND_TASK

    app, sink = live["app"], live["sink"]
    email = f"reset-{time.time_ns()}@test.kz"
    with live["prep"].app_context(), transaction():
        f.user(Role.SECRETARIAT, email=email)
    def delivery_for(address):
        with app.app_context():
            found = db.session.scalar(select(EmailDelivery).join(User).where(
                User.email == address))
            db.session.remove()
            return found

    with app.app_context():
        request_password_reset(email)  # the worker looks the address up (no account oracle)
    wait_for(lambda: delivery_for(email) is not None, 20, "the reset link's delivery")
    delivery = delivery_for(email)
    key, delivery_id = delivery.key, delivery.id
    assert delivery.template == TokenPurpose.PASSWORD_RESET.value
    wait_for(lambda: key in sink.delivery_keys(), 20, "the reset e-mail")
    with app.app_context():
        task = app.extensions["celery"].tasks[SEND_TASK]
        for _ in range(3):  # the broker hands the task over again
            task.apply_async(kwargs={"delivery_id": delivery_id})
        # A later e-mail through the same worker: once it is in, the redeliveries were run.
        marker = f"marker-{time.time_ns()}@test.kz"
        with transaction():
            f.user(Role.SECRETARIAT, email=marker)
        request_password_reset(marker)
    wait_for(lambda: delivery_for(marker) is not None, 20, "the marker's delivery")
    marker_key = delivery_for(marker).key
    wait_for(lambda: marker_key in sink.delivery_keys(), 20, "the marker e-mail")
    sent = [m for _, m in sink.messages if m["X-Tizim-Delivery"] == key]
    assert len(sent) == 1
    assert sent[0]["Message-ID"] == f"<{key.replace(':', '.')}@tizim>"
    assert sent[0]["To"] == email and "/account/password/reset/" in sent[0].get_payload()[0]\
        .get_payload(decode=True).decode()

    def marked_sent() -> bool:
        with app.app_context():
            status = db.session.get(EmailDelivery, delivery_id).status
            db.session.remove()
        return status == DeliveryStatus.SENT

    wait_for(marked_sent, 20, "the reset delivery marked sent")
