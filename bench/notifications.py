"""Notifications and issuing with the real parts: PostgreSQL, Redis, one Celery worker, SMTP.

1. Latency: 200 approvals one after another; for each, the time from its commit to the
   arrival of its last e-mail at the SMTP server (the region's coordinator and the other
   officer: two e-mails each). Prints p50, p95, max.
2. Throughput: an order of N approvals (default 1,000) handed to issuing; the time from the
   commit of the order to the last member issued, and to the last e-mail received.

Run:  .venv/bin/python bench/notifications.py [--approvals 1000] [--transitions 200]
      [--concurrency 1]
Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379 (uses
DB 13, flushed). Creates and drops its own database.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from tests.conftest import postgres_database  # noqa: E402
from tests.livekit import (  # noqa: E402
    SmtpSink,
    Worker,
    live_app,
    prepare,
    setup_app,
    wait_for,
    worker_env,
)
from workflow import pipeline  # noqa: E402
from workflow.database import transaction  # noqa: E402
from workflow.extensions import db  # noqa: E402
from workflow.issuing.services import start_issuing  # noqa: E402
from workflow.models import (  # noqa: E402
    EmailDelivery,  # noqa: E402
    IssuingItem,
    ItemStatus,
    User,  # noqa: E402
)
from workflow.regions import load_regions  # noqa: E402

BROKER = "redis://127.0.0.1:6379/13"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(line for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        ram = f"{int(mem.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        ram = "unknown RAM"
    return f"{os.cpu_count()} CPUs (nproc), {cpu}, {ram}, {platform.platform()}"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transitions", type=int, default=200)
    parser.add_argument("--approvals", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    broker = redis.Redis.from_url(BROKER)
    broker.flushdb()
    with postgres_database() as url, tempfile.TemporaryDirectory() as tmp:
        prep = setup_app(url)
        with prep.app_context():
            db.create_all()
            load_regions()
            db.session.commit()
        sink = SmtpSink().start()
        app = live_app(url, BROKER, sink.port, NOTIFY_STALE_SECONDS=900, NOTIFY_CLAIM_SECONDS=120)
        env = worker_env(url, BROKER, sink.port)
        env.update(NOTIFY_STALE_SECONDS="900", NOTIFY_CLAIM_SECONDS="120")
        worker = Worker(env, Path(tmp) / "worker.log", concurrency=args.concurrency).start()
        try:
            # 1. Latency, one transition at a time.
            people = prepare(prep, recommended=args.transitions)
            latencies = []
            with app.app_context():
                officer = db.session.get(User, people["officers"][0])
                for nomination_id in people["recommended"]:
                    with transaction():
                        event = pipeline.apply(nomination_id, "approve", officer)
                        keys = set(db.session.scalars(select(EmailDelivery.key).where(
                            EmailDelivery.key.like(f"ev{event.id}:%"))))
                        db.session.flush()
                        committed = time.time()
                    wait_for(lambda k=keys: k <= sink.arrivals().keys(), 30, "an e-mail",
                             every=0.002)
                    arrivals = sink.arrivals()
                    latencies.append(max(arrivals[k] for k in keys) - committed)
            ms = [v * 1000 for v in latencies]
            print(f"latency commit → last e-mail received, {len(ms)} transitions × 2 e-mails: "
                  f"p50 {pct(ms, 50):.0f} ms, p95 {pct(ms, 95):.0f} ms, max {max(ms):.0f} ms, "
                  f"mean {statistics.mean(ms):.0f} ms")

            # 2. An order of N approvals issued by one worker.
            people = prepare(prep, approved=args.approvals)
            received_before = len(sink.delivery_keys())
            with app.app_context():
                started = time.time()
                with transaction():
                    batch_id = start_issuing(people["approved"]).id

                def issued() -> bool:
                    n = db.session.scalar(select(func.count()).select_from(IssuingItem).where(
                        IssuingItem.batch_id == batch_id, IssuingItem.status == ItemStatus.DONE))
                    db.session.remove()
                    return n == args.approvals

                wait_for(issued, 600, "every member issued", every=0.05)
                all_issued = time.time() - started
                wait_for(lambda: len(sink.delivery_keys()) - received_before >= args.approvals, 600,
                         "every e-mail", every=0.05)
                all_mailed = time.time() - started
            print(f"order of {args.approvals} approvals, one worker (concurrency "
                  f"{args.concurrency}): all members issued in {all_issued:.1f} s, "
                  f"all {args.approvals} e-mails received in {all_mailed:.1f} s")
        finally:
            worker.stop()
            sink.stop()
            for a in (app, prep):
                with a.app_context():
                    db.session.remove()
                    db.engine.dispose()
            broker.flushdb()


if __name__ == "__main__":
    main()
