"""Real parts for the worker tests and the benchmark: an SMTP sink, a Celery worker process,
an app that publishes to Redis, and nominations brought to ``approved`` quickly.

Nothing here waits without a bound: every wait takes a timeout and fails with what it saw.
"""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import select

from config import celery_settings
from workflow import create_app, journeys, pipeline
from workflow.database import transaction
from workflow.domain import Role, Route, State
from workflow.extensions import db
from workflow.models import NotificationPreference, User

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))
SECRET = "live-test-7c1e9b04d3a85f62e0b7a4c19d58f3e26b0a9c47d1e85f3a"  # noqa: S105 - enough entropy
# Short enough for a test to see the relay at work, long enough not to steal live claims.
STALE_SECONDS = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """An SMTP server that keeps every message it accepts, with the time it arrived."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[tuple[float, email.message.Message]] = []
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append((time.time(), message))
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def delivery_keys(self) -> list[str]:
        with self.lock:
            return [m["X-Tizim-Delivery"] for _, m in self.messages]

    def arrivals(self) -> dict[str, float]:
        with self.lock:
            return {m["X-Tizim-Delivery"]: t for t, m in self.messages}


def worker_env(database_url: str, redis_url: str, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "TIZIM_CONFIG": "production", "SECRET_KEY": SECRET, "DATABASE_URL": database_url,
        "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": "memory://", "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "MAIL_TIMEOUT": "5",
        "NOTIFY_CLAIM_SECONDS": str(STALE_SECONDS), "NOTIFY_STALE_SECONDS": str(STALE_SECONDS),
        "LOG_LEVEL": "INFO",
    })
    return env


class Worker:
    """``celery -A wsgi worker`` in its own process group, logging to a file."""

    def __init__(self, env: dict[str, str], log_path: Path, concurrency: int = 1):
        self.env, self.log_path, self.concurrency = env, log_path, concurrency
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 40) -> Worker:
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process's life
        self.offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [CELERY, "-A", "wsgi", "worker", "--loglevel", "INFO", "--queues", "tizim",
             "--concurrency", str(self.concurrency), "--without-mingle", "--without-gossip",
             "--hostname", f"live-{os.getpid()}-{time.time_ns()}@%h"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_for(lambda: self.process.poll() is not None or b" ready." in self._log(),
                 timeout, "the worker to start")
        if self.process.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{self._log().decode()[-3000:]}")
        return self

    def _log(self) -> bytes:
        return self.log_path.read_bytes()[self.offset:]

    def kill(self) -> None:
        """SIGKILL the worker and its children, as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()


def live_app(database_url: str, broker_url: str, smtp_port: int, **overrides):
    """An app in this process that publishes to ``broker_url`` and sends through ``smtp_port``."""
    return create_app({
        "TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
        "CELERY": celery_settings(broker_url, eager=False), "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
        "NOTIFY_CLAIM_SECONDS": STALE_SECONDS, "NOTIFY_STALE_SECONDS": STALE_SECONDS,
        **overrides,
    })


def wait_for(predicate: Callable[[], bool], timeout: float, what: str,
             every: float = 0.05, tick: Callable[[], None] | None = None) -> None:
    """Poll ``predicate`` until it holds; raise after ``timeout`` seconds naming ``what``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        if tick is not None:
            tick()
        time.sleep(every)


def staff(region_code: str = "KZ-75"):
    """One coordinator and two officers, with e-mail addresses (call in a transaction)."""
    from tests import factories as f

    coordinator = f.user(Role.COORDINATOR, region_code, email=f"coord-{time.time_ns()}@test.kz")
    officers = [f.user(Role.SECRETARIAT, email=f"officer{i}-{time.time_ns()}@test.kz")
                for i in (1, 2)]
    return coordinator, officers


def quietly(users, on: bool) -> None:
    """Turn ``users``' transition notifications off (set-up) or back on (what is measured)."""
    for user in users:
        pref = db.session.scalar(select(NotificationPreference).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == "transition"))
        if pref is None:
            db.session.add(NotificationPreference(user_id=user.id, kind="transition",
                                                  channel="email" if on else "off"))
        else:
            pref.channel = "email" if on else "off"


def nominations_at(state: State, n: int, officer) -> list[int]:
    """``n`` nominations on the Council route walked to ``state`` (the shortest walk)."""
    from tests import factories as f

    ids = []
    region = f.region("KZ-75")
    bodies = journeys.Bodies()
    for _ in range(n):
        nom = f.Nomination(candidate=f.CandidateFactory(email=None, region=region),
                           route=Route.COUNCIL, region=region,
                           nominating_body="Council decision No. 1", justification="Service.")
        pipeline.enter(nom, officer)
        journeys.walk(nom, state, lambda _t, _n: officer, bodies, Route.COUNCIL)
        ids.append(nom.id)
    db.session.flush()
    return ids


def prepare(app, *, approved: int = 0, recommended: int = 0):
    """Staff and nominations for a live run, committed, set up without telling anyone; then
    only the new staff hear of what the test does."""
    with app.app_context(), transaction():
        quietly(db.session.scalars(select(User)), on=False)
        coordinator, officers = staff()
        quietly([coordinator, *officers], on=False)
        approved_ids = nominations_at(State.APPROVED, approved, officers[0])
        recommended_ids = nominations_at(State.RECOMMENDED, recommended, officers[0])
        quietly([coordinator, *officers], on=True)
        return {"coordinator": coordinator.id, "officers": [o.id for o in officers],
                "approved": approved_ids, "recommended": recommended_ids}


def setup_app(database_url: str):
    """An app for preparing data: tasks in-process, e-mails kept in memory, nothing published."""
    return create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
