"""Benchmark: the nomination list over 100,000 nominations, 20 concurrent clients, real gunicorn.

    .venv/bin/python bench/list_nominations.py [--rows 100000] [--clients 20] [--requests 25]

Creates a fresh PostgreSQL database (tizim_bench_<random>, dropped at the end), builds the
schema with the migrations, seeds the rows with bulk Core inserts (a benchmark fixture: the
pipeline is not involved), starts gunicorn on the seeded database and times GET /nominations/
as a coordinator (one region, ~1/20 of the rows) and as the Secretariat (all rows), for
several filters and sorts, first and deep pages (a keyset cursor ~40% into the order).
Each scenario: a warm-up, then N clients in threads, each issuing R requests back to back;
p50/p95 over all of them. The figures go into bench/RESULTS.md under "Nomination lists
(issue 3)", with the command and the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("TIZIM_BENCH_POSTGRES",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
UA = "tizim-bench"  # the session is bound to the browser that logged in: one for all
PASSWORD = "bench-password-2026"  # noqa: S105 - a throwaway database
SURNAMES = ["Ахметов", "Иванова", "Ким", "Хасанова", "Шмидт", "Мирзаев", "Коваленко", "Галиев",
            "Пак", "Нұрланқызы", "Алиев", "Дюсенбаева", "Оганесян", "Бойко", "Юсупов", "Сейткали",
            "Омаров", "Ли", "Абдуллаев", "Петров", "Жумабаев", "Цой", "Мамедова", "Гончаренко"]
STATES = ["draft", "submitted", "on_agenda", "supported", "declined_regionally", "forwarded",
          "returned", "under_review", "council_agenda", "recommended", "council_declined",
          "approved", "rejected", "withdrawn", "member"]


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, TypeError):
        pass
    pg = "?"
    return (f"nproc {os.cpu_count()}, {model}, RAM {mem}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, PostgreSQL {pg}")


def seed(app, rows: int, rng: random.Random) -> dict:
    """Bulk-insert regions, associations, users, candidates, nominations, sessions."""
    from workflow.auth.services import create_user
    from workflow.extensions import db
    from workflow.models import (
        Association,
        Nomination,
        Region,
        RegionalSession,
        SessionItem,
    )
    from workflow.regions import load_regions

    with app.app_context():
        load_regions()
        db.session.flush()
        regions = list(db.session.scalars(select(Region.id).order_by(Region.id)))
        db.session.execute(insert(Association.__table__), [
            {"name": f"Этномәдени орталық {r}-{i}", "level": "regional",
             "kind": "ethno_cultural", "region_id": r, "active": True,
             "created_at": datetime.now(UTC)}
            for r in regions for i in range(50)])
        by_region: dict[int, list[int]] = {}
        for aid, rid in db.session.execute(select(Association.id, Association.region_id)):
            by_region.setdefault(rid, []).append(aid)
        create_user(email="coordinator@bench.kz", name="Bench coordinator", role="coordinator",
                    password=PASSWORD, region_code="KZ-75", language="en")
        create_user(email="secretariat@bench.kz", name="Bench officer", role="secretariat",
                    password=PASSWORD, language="en")
        db.session.commit()

        seed_rows(rows)
        # 20 sessions per region, 30 agenda items each.
        session_ids = {}
        for r in regions:
            for k in range(20):
                s = RegionalSession(region_id=r, number=f"B-{k}", held_on=date(2025, 1, 1),
                                    place="Hall", members_total=50, quorum=">1/2",
                                    majority=">1/2", status="closed")
                db.session.add(s)
                db.session.flush()
                session_ids.setdefault(r, []).append(s.id)
        items = []
        for r in regions:
            ids = list(db.session.scalars(select(Nomination.id)
                                          .where(Nomination.region_id == r).limit(600)))
            for n, nid in enumerate(ids):
                items.append({"session_id": session_ids[r][n // 30], "nomination_id": nid,
                              "position": n % 30 + 1, "deferred": False, "outcome": "support"})
        db.session.execute(insert(SessionItem.__table__), items)
        db.session.commit()
        for table in ("candidates", "nominations", "session_items", "associations"):
            db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()
        region_75 = db.session.scalar(select(Region.id).where(Region.iso_code == "KZ-75"))
        return {
            "association": by_region[region_75][0],
            "session": session_ids[region_75][0],
            "version": db.session.scalar(text("SHOW server_version")),
        }


def seed_rows(rows: int) -> None:
    """Candidates and nominations in two INSERT … SELECT generate_series statements: a million
    rows in well under a minute. Spread as the Python seed spread them: surnames from the list,
    regions, associations of the region, states, created over three years. Pseudo-random from
    hashint4, so the same ``rows`` gives the same data."""
    from workflow.extensions import db

    surnames = "ARRAY[" + ", ".join(f"'{s}'" for s in SURNAMES) + "]"
    states = "ARRAY[" + ", ".join(f"'{s}'" for s in STATES) + "]"
    script = f"""
        CREATE TEMPORARY TABLE bench_regions AS
            SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM regions;
        CREATE TEMPORARY TABLE bench_associations AS
            SELECT region_id, row_number() OVER (PARTITION BY region_id ORDER BY id) - 1 AS k, id
            FROM associations;
        INSERT INTO candidates (id, iin, surname, given_name, patronymic, birth_date, sex,
                                citizenship, ethnicity, region_id, occupation, position,
                                created_at)
        SELECT g, lpad(g::text, 12, '0'), ({surnames})[1 + abs(hashint4(g)) % {len(SURNAMES)}],
               'Бенч', NULL, date '1950-01-01' + abs(hashint4(g + 7)) % 18250,
               CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END, 'KZ', 'қазақ', r.id, '', '',
               timestamptz '2023-01-01 00:00+00'
                   + (abs(hashint4(g + 11)) % (3 * 365 * 86400)) * interval '1 second'
        FROM generate_series(1, :rows) g
        JOIN bench_regions r ON r.k = abs(hashint4(g + 3)) % 20;
        INSERT INTO nominations (id, reference_code, candidate_id, route, association_id,
                                 region_id, status, justification, created_at, updated_at,
                                 status_changed_at, version)
        SELECT c.id, substr(lpad(upper(to_hex(c.id)), 8, '0'), 1, 4) || '-'
                     || substr(lpad(upper(to_hex(c.id)), 8, '0'), 5, 4),
               c.id, 'regional', a.id, c.region_id,
               ({states})[1 + abs(hashint4(c.id + 5)) % {len(STATES)}], '',
               c.created_at, c.created_at, c.created_at, 1
        FROM candidates c
        JOIN bench_associations a ON a.region_id = c.region_id
                                 AND a.k = abs(hashint4(c.id + 13)) % 50;
        SELECT setval(pg_get_serial_sequence('candidates', 'id'), :rows);
        SELECT setval(pg_get_serial_sequence('nominations', 'id'), :rows)
    """
    from workflow.models import Candidate, Nomination

    # Indexes built after the rows, not row by row; foreign keys not checked row by row (the
    # rows are made consistent above). A bench database only.
    indexes = [i for model in (Candidate, Nomination) for i in model.__table__.indexes]
    connection = db.session.connection()
    for index in indexes:
        index.drop(connection)
    db.session.execute(text("SET LOCAL session_replication_role = replica"))
    for statement in script.split(";"):
        db.session.execute(text(statement), {"rows": rows} if ":rows" in statement else {})
    db.session.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    for index in indexes:
        index.create(connection)
    db.session.commit()


def deep_cursor(app, user_email: str, sort: str, fraction: float = 0.4, **filters) -> str:
    """A keyset cursor ~``fraction`` of the way into the order, as page N's link carries it."""
    from workflow.extensions import db
    from workflow.models import Candidate, Nomination, User
    from workflow.nominations import services

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == user_email))
        columns, descending = services.SORTS[sort]
        stmt = services.scoped(select(Nomination), user).join(Candidate)
        if filters.get("state"):
            stmt = stmt.where(Nomination.status == filters["state"])
        total = db.session.scalar(select(text("count(*)")).select_from(stmt.subquery()))
        order = [c.desc() if descending else c.asc() for c in columns]
        row = db.session.execute(stmt.with_only_columns(*columns).order_by(*order)
                                 .offset(int(total * fraction)).limit(1)).one()
        value = row[0].isoformat() if isinstance(row[0], datetime) else row[0]
        return services._encode([value, *row[1:]])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login(base: str, email: str) -> str:
    """Log in through the real form; return the Cookie header the clients will send."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", UA)]
    page = opener.open(f"{base}/auth/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
    opener.open(f"{base}/auth/login", data=body.encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile of sorted ``values`` (nearest rank)."""
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def fetch(url: str, cookie: str) -> float:
    request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": UA})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:  # noqa: S310 - our own local server
        body = response.read()
        if response.status != 200 or b"refcode" not in body:
            raise RuntimeError(f"unexpected answer from {url}")
    return (time.perf_counter() - started) * 1000


def fetch_any(url: str, cookie: str) -> float:
    """As ``fetch``, for a page that may list nothing."""
    request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": UA})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:  # noqa: S310 - our own local server
        response.read()
        if response.status != 200:
            raise RuntimeError(f"unexpected answer from {url}")
    return (time.perf_counter() - started) * 1000


def rows_shown(url: str, cookie: str) -> int:
    """How many nominations the page lists (one reference-code link per row)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": UA})
    with urllib.request.urlopen(request) as response:  # noqa: S310 - our own local server
        return response.read().count(b'<a class="refcode"')


def measure(url: str, cookie: str, clients: int, per_client: int) -> dict:
    for _ in range(5):
        fetch(url, cookie)
    sequential = sorted(fetch(url, cookie) for _ in range(20))
    barrier = threading.Barrier(clients)

    def client(_):
        barrier.wait()
        return [fetch(url, cookie) for _ in range(per_client)]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        samples = sorted(t for ts in pool.map(client, range(clients)) for t in ts)
    elapsed = time.perf_counter() - started

    return {"p50": pct(samples, 50), "p95": pct(samples, 95), "max": samples[-1],
            "rps": len(samples) / elapsed, "seq_p50": statistics.median(sequential),
            "seq_p95": pct(sequential, 95), "n": len(samples)}


def measure_service(app, email: str, params: dict, clients: int, per_client: int) -> dict:
    """Time ``list_nominations`` itself (query, rows, eager loads) in ``clients`` threads, each
    in its own app context and database session, as gunicorn threads would run it."""
    from workflow.extensions import db
    from workflow.models import User
    from workflow.nominations import services

    kwargs = {"state": params.get("state"), "text": params.get("q"),
              "association_id": params.get("association"), "session_id": params.get("session"),
              "sort": params.get("sort", "newest"), "after": params.get("after")}

    def once(user) -> float:
        started = time.perf_counter()
        page = services.list_nominations(user, **kwargs)
        read = [(n.candidate.surname, n.region.name_en, n.association and n.association.name)
                for n in page.items]  # what the template reads: no query may hide here
        assert len(read) == len(page.items)
        db.session.rollback()
        return (time.perf_counter() - started) * 1000

    def run(count: int) -> list[float]:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            db.session.expunge(user)
            out = [once(user) for _ in range(count)]
            db.session.remove()
            return out

    run(5)
    sequential = sorted(run(20))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        compiled = services.list_statement(user, **kwargs).compile(
            dialect=db.engine.dialect)
        plan = db.session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled), compiled.params).scalar()
        db_ms = plan[0]["Execution Time"]
        db.session.rollback()
    barrier = threading.Barrier(clients)

    def client(_):
        barrier.wait()
        return run(per_client)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        samples = sorted(t for ts in pool.map(client, range(clients)) for t in ts)
    elapsed = time.perf_counter() - started

    return {"p50": pct(samples, 50), "p95": pct(samples, 95), "max": samples[-1],
            "rps": len(samples) / elapsed, "seq_p50": statistics.median(sequential),
            "seq_p95": pct(sequential, 95), "n": len(samples), "db_ms": db_ms}


def write_results(command: str, machine_line: str, rows: int, clients: int, workers: str,
                  results: list[tuple[str, dict]], service: list[tuple[str, dict]],
                  load: str, explained: list[tuple[str, str, float]] = ()) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    heading = f"## Nomination lists, {rows:,} nominations, {clients} clients (issue 14)"
    lines = [
        heading, "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}`.", "",
        f"Machine: {machine_line}. Load average during the run: {load} (the server, PostgreSQL "
        "and the 20 clients share the same two cores; a load well above 2 at the start means "
        "other work was running too, and the figures are an upper bound).",
        "",
        f"{rows:,} nominations (and as many candidates) in a fresh PostgreSQL database built by "
        f"the migrations; gunicorn `{workers}` on the same machine; {clients} concurrent "
        "clients (threads, one keep-alive-less HTTP request at a time each) logged in through "
        "the real login form. Coordinator = one region (~1/20 of the rows); Secretariat = all "
        "rows. \"Deep\" = a keyset cursor ~40% into the order, as the Next-page link carries "
        "it. Times are whole HTTP round trips in ms: page render included.", "",
        "| scenario | p50 | p95 | max | req/s | 1 client p50 | 1 client p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results:
        lines.append(f"| {name} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | "
                     f"{r['rps']:.0f} | {r['seq_p50']:.1f} | {r['seq_p95']:.1f} |")
    if service:
        lines += [
        "", "The list service alone (`list_nominations`: the query, its rows and eager loads, "
        "no HTTP, no template), the same scenarios, "
        f"{clients} threads in one process, each with its own app context and session:", "",
        "| scenario | p50 | p95 | max | calls/s | 1 thread p50 | 1 thread p95 | SQL in PostgreSQL |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in service:
        lines.append(f"| {name} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | "
                     f"{r['rps']:.0f} | {r['seq_p50']:.1f} | {r['seq_p95']:.1f} | "
                     f"{r['db_ms']:.2f} |")
    if service:
        lines += ["", "\"SQL in PostgreSQL\" is the execution time EXPLAIN ANALYZE reports for "
                  "the page's one query: the part that would grow with the table if an index "
                  "were missing."]
    if explained:
        lines += ["", "The plan of each scenario's list query (EXPLAIN ANALYZE, node types top "
                  "down, with the index each scan uses):", "",
                  "| scenario | ms in PostgreSQL | plan |", "|---|---:|---|"]
        lines += [f"| {name} | {ms:.2f} | {plan} |" for name, plan, ms in explained]
    section = "\n".join(lines) + "\n"
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    if heading in old:
        start = old.index(heading)
        end = old.find("\n## ", start + len(heading))
        old = old[:start] + section + (old[end + 1:] if end != -1 else "")
        path.write_text(old)
    else:
        path.write_text(old.rstrip("\n") + "\n\n" + section)


@contextmanager
def bench_database(rows: int):
    """A fresh database built by the migrations and seeded with ``rows`` nominations; dropped
    at the end. Yields (app, url, info)."""
    from workflow import create_app

    name = f"tizim_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        app = create_app({"TIZIM_CONFIG": "development", "SQLALCHEMY_DATABASE_URI": url,
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        t0 = time.perf_counter()
        info = seed(app, rows, random.Random(2026))
        print(f"seeded {rows:,} nominations in {time.perf_counter() - t0:.1f} s", flush=True)
        yield app, url, info
    finally:
        if "app" in locals():
            from workflow.extensions import db

            with app.app_context():
                db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def served(url: str, workers: str):
    """gunicorn with ``workers`` ("--workers 4 --threads 1") on the database; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The production configuration, as a server runs it (no debug mode, no template reloading).
    env = {**os.environ, "TIZIM_CONFIG": "production", "DATABASE_URL": url,
           "SECRET_KEY": secrets.token_hex(32), "SESSION_COOKIE_SECURE": "0",
           "REDIS_URL": os.environ.get("TIZIM_BENCH_REDIS", "redis://127.0.0.1:6379/13"),
           "RATELIMIT_STORAGE_URI": "memory://", "MAIL_BACKEND": "memory",
           "LOG_LEVEL": "WARNING", "LOGIN_RATE_LIMIT": "1000 per minute"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), *workers.split(), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:application"], cwd=ROOT, env=env, start_new_session=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz")  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


EMAILS = {"coordinator": "coordinator@bench.kz", "secretariat": "secretariat@bench.kz"}


def scenarios(app, info) -> list[tuple[str, str, dict]]:
    """(label, role, query parameters) of every list the benchmark times."""
    coordinator, secretariat = EMAILS["coordinator"], EMAILS["secretariat"]
    return [
        ("coordinator: newest, page 1", "coordinator", {}),
        ("coordinator: newest, deep", "coordinator",
         {"after": deep_cursor(app, coordinator, "newest")}),
        ("coordinator: state=forwarded, page 1", "coordinator", {"state": "forwarded"}),
        ("coordinator: surname A-Z, deep", "coordinator",
         {"sort": "surname", "after": deep_cursor(app, coordinator, "surname")}),
        ("coordinator: by state, page 1", "coordinator", {"sort": "state"}),
        ("coordinator: text 'Ким'", "coordinator", {"q": "Ким"}),
        ("coordinator: association filter", "coordinator", {"association": info["association"]}),
        ("coordinator: session filter", "coordinator", {"session": info["session"]}),
        ("secretariat: newest, page 1", "secretariat", {}),
        ("secretariat: newest, deep", "secretariat",
         {"after": deep_cursor(app, secretariat, "newest")}),
        ("secretariat: state=under_review, oldest", "secretariat",
         {"state": "under_review", "sort": "oldest"}),
        ("secretariat: surname A-Z, page 1", "secretariat", {"sort": "surname"}),
        ("secretariat: surname A-Z, deep", "secretariat",
         {"sort": "surname", "after": deep_cursor(app, secretariat, "surname")}),
        ("secretariat: by state, deep", "secretariat",
         {"sort": "state", "after": deep_cursor(app, secretariat, "state")}),
        ("secretariat: text 'Пак'", "secretariat", {"q": "Пак"}),
        ("secretariat: reference code", "secretariat", {"q": "ZZZZ-ZZZZ"}),
    ]


def target_of(base: str, label: str, params: dict) -> str:
    return f"{base}/nominations/?{urllib.parse.urlencode(params)}"


# wrk reports each percentile through this script (latencies in microseconds).
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", latency:percentile(50),
    latency:percentile(95), latency.max, summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


def measure_wrk(url: str, cookie: str, clients: int, seconds: int) -> dict:
    """``clients`` keep-alive connections driven by wrk for ``seconds`` (wrk costs the shared
    cores far less than Python clients do); the one-client figures as ``measure``'s."""
    checked = fetch
    try:
        fetch(url, cookie)
    except RuntimeError:  # a page with no rows at this size (or an unknown reference code)
        checked = fetch_any
    for _ in range(5):
        checked(url, cookie)
    sequential = sorted(checked(url, cookie) for _ in range(20))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "-s", script.name,
             "-H", f"Cookie: {cookie}", "-H", f"User-Agent: {UA}", url],
            capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    p50, p95, most, count, duration, errors = (int(v) for v in re.search(
        r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out).groups())
    if errors:
        raise RuntimeError(f"{errors} requests to {url} failed or were not 2xx")

    return {"p50": p50 / 1000, "p95": p95 / 1000, "max": most / 1000,
            "rps": count / (duration / 1e6), "seq_p50": statistics.median(sequential),
            "seq_p95": pct(sequential, 95), "n": count}


def timed(target: str, label: str, cookie: str, clients: int, requests: int,
          seconds: int = 0) -> dict:
    if seconds:
        return measure_wrk(target, cookie, clients, seconds)
    if label.endswith("reference code"):
        # an unknown code answers an empty page: count only that it is fast
        return measure_any(target, cookie, clients, requests)
    try:
        return measure(target, cookie, clients, requests)
    except RuntimeError:  # an empty page (a filter with no rows at this size)
        return measure_any(target, cookie, clients, requests)


def plans(app, info) -> list[tuple[str, str]]:
    """EXPLAIN of each scenario's list query: (label, the plan's node types, top down)."""
    from workflow.extensions import db
    from workflow.models import User
    from workflow.nominations import services

    out = []
    for label, role, params in scenarios(app, info):
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == EMAILS[role]))
            compiled = services.list_statement(
                user, state=params.get("state"), text=params.get("q"),
                association_id=params.get("association"), session_id=params.get("session"),
                sort=params.get("sort", "newest"), after=params.get("after")).compile(
                    dialect=db.engine.dialect)
            for _ in range(3):  # the last of three: warm, as the pages find it
                plan = db.session.connection().exec_driver_sql(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled), compiled.params).scalar()
            db.session.rollback()

        def walk(node, depth=0):
            index = node.get("Index Name")
            yield node["Node Type"] + (f" {index}" if index else "")
            for child in node.get("Plans", []):
                yield from walk(child, depth + 1)

        out.append((label, " > ".join(walk(plan[0]["Plan"])), plan[0]["Execution Time"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=25, help="per client and scenario")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1,
                        help="gunicorn threads per worker (1: sync workers, as shipped)")
    parser.add_argument("--no-service", action="store_true",
                        help="time only the pages, not the list service in this process")
    parser.add_argument("--wrk", type=int, default=0, metavar="SECONDS",
                        help="drive the clients with wrk (keep-alive connections) for SECONDS "
                        "per scenario instead of Python threads (--requests is then unused)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.wrk and not shutil.which("wrk"):
        parser.error("wrk is not installed: apt-get install wrk")
    command = "python bench/list_nominations.py " + " ".join(sys.argv[1:])

    with bench_database(args.rows) as (app, url, info):
        workers = f"--workers {args.workers} --threads {args.threads}"
        with served(url, workers) as base:
            cookies = {role: login(base, email) for role, email in EMAILS.items()}
            listed = scenarios(app, info)
            loads = os.getloadavg()
            results = []
            for label, role, params in listed:
                result = timed(target_of(base, label, params), label, cookies[role],
                               args.clients, args.requests, args.wrk)
                results.append((label, result))
                print(f"{label:45s} p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms  "
                      f"{result['rps']:6.0f} req/s  (1 client p50 {result['seq_p50']:.1f})",
                      flush=True)
            load_end = os.getloadavg()
        service = []
        if not args.no_service:
            for label, role, params in listed:
                result = measure_service(app, EMAILS[role], params, args.clients, args.requests)
                service.append((label, result))
                print(f"service {label:37s} p50 {result['p50']:7.1f} ms  p95 "
                      f"{result['p95']:7.1f} ms  (1 thread p50 {result['seq_p50']:.1f}, "
                      f"SQL {result['db_ms']:.2f} ms)", flush=True)
        explained = plans(app, info)
        for label, plan, ms in explained:
            print(f"plan {label:40s} {ms:7.2f} ms  {plan}", flush=True)
        line = machine().replace("PostgreSQL ?", f"PostgreSQL {info['version']}")
        print(line)
        if not args.no_write:
            write_results(command.strip(), line, args.rows, args.clients,
                          f"{workers}", results, service,
                          f"{loads[0]:.1f} at the start, {load_end[0]:.1f} at the end "
                          "(1-minute)", explained)


def measure_any(url: str, cookie: str, clients: int, per_client: int) -> dict:
    """As ``measure``, for a page expected to be empty."""
    global fetch
    real = fetch

    def fetch_empty(url, cookie):
        request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": UA})
        started = time.perf_counter()
        with urllib.request.urlopen(request) as response:  # noqa: S310
            response.read()
        return (time.perf_counter() - started) * 1000

    fetch = fetch_empty
    try:
        return measure(url, cookie, clients, per_client)
    finally:
        fetch = real


if __name__ == "__main__":
    main()
