"""Faults through the real processes: an order of approvals issued while the worker is SIGKILLed,
Redis is stopped or the SMTP server is stopped, and what is lost, doubled and how long it takes
to recover. Used by tests/test_faults.py (the guarantees, shorter outages) and bench/faults.py
(the figures in bench/RESULTS.md, the issue's outages).

Each scenario runs `make serve`'s processes — the Procfile's web (gunicorn), worker, beat and
mail sink, each a process of its own — against a fresh PostgreSQL database and a Redis server
of its own (persisting to an append-only file, as docker-compose.yml's), so stopping Redis
touches nobody else. The order is the Chairman's order's second half: ``start_issuing`` over N
approved nominations, committed by this process and published to that Redis, as the order page
does. Each membership sends one e-mail (to the region's coordinator).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

from tests.factories import PASSWORD
from tests.livekit import free_port, live_app, prepare, setup_app, wait_for
from tests.serving import ROOT, Browser, Processes, Sink, base_url, serve_env, wait_ready
from workflow.database import transaction
from workflow.extensions import db
from workflow.issuing.services import start_issuing

BIN = Path(sys.executable).parent



class OwnRedis:
    """A redis-server of our own on a free port, with an append-only file like production's."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def url(self, db_number: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db_number}"

    def start(self) -> OwnRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.folder),
             "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_for(lambda: self._pings(client), 20, f"our redis-server on port {self.port}")
        return self

    @staticmethod
    def _pings(client) -> bool:
        try:
            return client.ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Stop it as an operator or the init system would (SIGTERM: it writes its file, exits)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)


@dataclass
class Outcome:
    """What a scenario ended with; times in seconds."""

    scenario: str
    approvals: int
    fault_seconds: float
    at_fault: dict = field(default_factory=dict)  # issued and e-mails received when it struck
    members_lost: int = 0
    members_doubled: int = 0
    emails_lost: int = 0
    emails_doubled: int = 0
    deliveries_failed: int = 0
    recovered_after: float | None = None  # from the fault's end to every member and e-mail
    total: float | None = None  # from the order's commit to every member and e-mail
    pages_during_fault: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class FaultRun:
    """`make serve`'s processes on their own database and Redis, for one scenario."""

    def __init__(self, folder: Path, database_url: str, **settings):
        self.folder, self.database_url = folder, database_url
        self.redis = OwnRedis(folder / "redis").start()
        self.env = serve_env(folder, database_url, self.redis.url(), **settings)
        self.engine = create_engine(database_url)
        # The development seal at the settings' path first (as `make serve`'s prepare makes
        # it): the production settings refuse to start without the file.
        self._flask("papers", "dev-seal", TIZIM_CONFIG="development")
        self._flask("db", "upgrade")  # as docker-compose.yml's migrate service does
        self._flask("regions", "load")
        self.processes = Processes(self.env, folder / "logs").start("web", "worker", "beat", "mail")
        self.url = base_url(self.env)
        self.sink = Sink(self.env["MAIL_SINK_DIR"])
        self.prep = setup_app(database_url)
        self.app = live_app(database_url, self.redis.url(), int(self.env["MAIL_PORT"]),
                            NOTIFY_STALE_SECONDS=int(self.env.get("NOTIFY_STALE_SECONDS", 900)),
                            NOTIFY_CLAIM_SECONDS=int(self.env.get("NOTIFY_CLAIM_SECONDS", 120)))
        try:
            wait_ready(self.url, timeout=90)
        except TimeoutError:
            raise AssertionError("the processes did not become ready:\n" + "\n".join(
                f"--- {n}\n{self.processes.log(n)[-1500:]}" for n in self.processes.commands)
            ) from None

    def _flask(self, *args: str, **env: str) -> None:
        done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT,
                              env={**self.processes_env(), **env}, capture_output=True,
                              text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]

    def processes_env(self) -> dict[str, str]:
        import os

        return {**os.environ, **self.env}

    def close(self) -> None:
        self.processes.stop_all()
        self.redis.stop()
        for app in (self.app, self.prep):
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        self.engine.dispose()

    # --- the order and what became of it ------------------------------------------------------

    def order(self, approvals: int) -> Order:
        people = prepare(self.prep, approved=approvals)
        with self.app.app_context(), transaction():
            batch_id = start_issuing(people["approved"]).id
        return Order(self, batch_id, people["approved"], people["coordinator"], time.monotonic())

    def sql(self, query: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(query), params).all()


@dataclass
class Order:
    run: FaultRun
    batch_id: int
    nomination_ids: list[int]
    coordinator_id: int
    committed: float

    def issued(self) -> int:
        return self.run.sql("SELECT count(*) FROM issuing_items WHERE batch_id = :b "
                            "AND status = 'done'", b=self.batch_id)[0][0]

    def expected_keys(self) -> set[str]:
        """One e-mail per membership issued: the coordinator's, keyed by the issuing event."""
        events = self.run.sql(
            "SELECT id FROM audit_events WHERE action = 'issue_membership' "
            "AND nomination_id = ANY(:ids)", ids=self.nomination_ids)
        return {f"ev{e}:u{self.coordinator_id}:email" for (e,) in events}

    def received(self) -> Counter:
        keys = self.expected_keys()
        return Counter({k: n for k, n in self.run.sink.delivery_keys().items() if k in keys})

    def finished(self) -> bool:
        if self.issued() < len(self.nomination_ids):
            return False
        received = self.received()
        return len(received) == len(self.nomination_ids)

    def wait_finished(self, timeout: float, tick: Callable[[], None] | None = None) -> float | None:
        """Wait until every member is issued and every e-mail received; the time, or None."""
        try:
            wait_for(self.finished, timeout, "every member issued and every e-mail received",
                     every=0.25, tick=tick)
        except TimeoutError:
            return None
        return time.monotonic()

    def outcome(self, scenario: str, fault_seconds: float, fault_ended: float,
                finished: float | None, at_fault: dict) -> Outcome:
        n = len(self.nomination_ids)
        members = self.run.sql(
            "SELECT nomination_id, count(*) FROM memberships WHERE nomination_id = ANY(:ids) "
            "GROUP BY nomination_id", ids=self.nomination_ids)
        issue_events = Counter(nid for (nid,) in self.run.sql(
            "SELECT nomination_id FROM audit_events WHERE action = 'issue_membership' "
            "AND nomination_id = ANY(:ids)", ids=self.nomination_ids))
        numbers = self.run.sql("SELECT count(DISTINCT member_number), count(*) FROM memberships "
                               "WHERE nomination_id = ANY(:ids)", ids=self.nomination_ids)[0]
        received = self.received()
        failed = self.run.sql("SELECT count(*) FROM email_deliveries WHERE status = 'failed'")[0][0]
        return Outcome(
            scenario=scenario, approvals=n, fault_seconds=round(fault_seconds, 1),
            at_fault=at_fault,
            members_lost=n - len(members),
            members_doubled=(sum(c - 1 for _, c in members)
                             + sum(c - 1 for c in issue_events.values())
                             + numbers[1] - numbers[0]),
            emails_lost=n - len(received),
            emails_doubled=sum(c - 1 for c in received.values()),
            deliveries_failed=failed,
            recovered_after=None if finished is None else round(finished - fault_ended, 1),
            total=None if finished is None else round(finished - self.committed, 1),
        )

    def progress(self) -> dict:
        return {"issued": self.issued(), "emails": sum(self.received().values())}


# --- the scenarios ------------------------------------------------------------------------------


def through(run: FaultRun, scenario: str, approvals: int, *, under_way: Callable[[Order], bool],
            strike: Callable[[], None], heal: Callable[[], None], lasting: float,
            timeout: float, meanwhile: Callable[[Order], str] | None = None) -> Outcome:
    """Commit an order; once ``under_way``, ``strike``; ``heal`` after ``lasting`` seconds;
    then wait (at most ``timeout``) for every member and e-mail, and count."""
    order = run.order(approvals)
    wait_for(lambda: under_way(order), 120, f"the order to be under way ({scenario})",
             every=0.02)
    strike()
    struck = time.monotonic()
    at_fault = order.progress()
    seen = meanwhile(order) if meanwhile else ""
    time.sleep(max(0.0, lasting - (time.monotonic() - struck)))
    heal()
    ended = time.monotonic()
    finished = order.wait_finished(timeout)
    outcome = order.outcome(scenario, ended - struck, ended, finished, at_fault)
    outcome.pages_during_fault = seen
    return outcome


def worker_killed(run: FaultRun, approvals: int = 200, restart_after: float = 2.0,
                  timeout: float = 600) -> Outcome:
    """SIGKILL the worker (and its pool) once the first chunk is issued; a supervisor starts
    it again ``restart_after`` seconds later."""
    return through(run, "worker SIGKILLed", approvals,
                   under_way=lambda order: order.issued() >= approvals // 8,
                   strike=lambda: run.processes.kill("worker"),
                   heal=lambda: run.processes.start("worker"),
                   lasting=restart_after, timeout=timeout)


def redis_stopped(run: FaultRun, approvals: int = 200, down_for: float = 30.0,
                  timeout: float = 600) -> Outcome:
    """Stop Redis once the first chunk is issued, for ``down_for`` s; pages are used meanwhile."""
    return through(run, "Redis stopped", approvals,
                   under_way=lambda order: order.issued() >= approvals // 8,
                   strike=run.redis.stop, heal=run.redis.start, lasting=down_for,
                   timeout=timeout, meanwhile=lambda order: pages_work(run, order))


def smtp_stopped(run: FaultRun, approvals: int = 200, down_for: float = 60.0,
                 timeout: float = 900) -> Outcome:
    """Stop the SMTP server once the order's first e-mails arrived, for ``down_for`` s."""
    return through(run, "SMTP server stopped", approvals,
                   under_way=lambda order: sum(order.received().values()) >= approvals // 8,
                   strike=lambda: run.processes.stop("mail"),
                   heal=lambda: run.processes.start("mail"), lasting=down_for,
                   timeout=timeout)


def pages_work(run: FaultRun, order: Order) -> str:
    """Log in through the form and open the nominations list: what a person sees meanwhile."""
    user = run.sql("SELECT email FROM users WHERE id = :id", id=order.coordinator_id)[0][0]
    browser = Browser(run.url)
    started = time.monotonic()
    try:
        browser.log_in(user, PASSWORD)
        if "/auth/login" in browser.url:
            return "login refused"
        browser.open("/nominations/")
    except OSError as error:  # urllib's HTTPError included
        return f"failed: {error}"
    return f"login and list answered in {time.monotonic() - started:.1f} s"
