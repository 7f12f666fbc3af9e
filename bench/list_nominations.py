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
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("TIZIM_BENCH_POSTGRES",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
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
    from workflow.iin import make_iin
    from workflow.models import Association, Candidate, Nomination, Region, new_reference_code
    from workflow.regions import load_regions
    from workflow.sessions.models import RegionalSession, SessionItem

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

        start = datetime(2023, 1, 1, tzinfo=UTC)
        codes: set[str] = set()
        iins: set[str] = set()
        serial = 0
        batch = 10_000
        for offset in range(0, rows, batch):
            candidates, nominations = [], []
            for i in range(offset, min(rows, offset + batch)):
                born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
                sex = rng.choice(("male", "female"))
                iin = None
                while iin is None or iin in iins:  # the serial wraps at 10,000
                    serial += 1
                    iin = make_iin(born, sex, serial)
                iins.add(iin)
                region = rng.choice(regions)
                created = start + timedelta(seconds=rng.randrange(0, 3 * 365 * 86400))
                code = new_reference_code()
                while code in codes:
                    code = new_reference_code()
                codes.add(code)
                candidates.append({
                    "id": i + 1, "iin": iin, "surname": rng.choice(SURNAMES),
                    "given_name": "Бенч", "patronymic": None, "birth_date": born, "sex": sex,
                    "citizenship": "KZ", "ethnicity": "қазақ", "region_id": region,
                    "occupation": "", "position": "", "created_at": created})
                nominations.append({
                    "id": i + 1, "reference_code": code, "candidate_id": i + 1,
                    "route": "regional", "association_id": rng.choice(by_region[region]),
                    "region_id": region, "status": rng.choice(STATES), "justification": "",
                    "created_at": created, "updated_at": created, "status_changed_at": created,
                    "version": 1})
            db.session.execute(insert(Candidate.__table__), candidates)
            db.session.execute(insert(Nomination.__table__), nominations)
            db.session.commit()
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
    page = opener.open(f"{base}/auth/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
    opener.open(f"{base}/auth/login", data=body.encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def fetch(url: str, cookie: str) -> float:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:  # noqa: S310 - our own local server
        body = response.read()
        if response.status != 200 or b"refcode" not in body:
            raise RuntimeError(f"unexpected answer from {url}")
    return (time.perf_counter() - started) * 1000


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

    def pct(values, p):
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

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

    def pct(values, p):
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

    return {"p50": pct(samples, 50), "p95": pct(samples, 95), "max": samples[-1],
            "rps": len(samples) / elapsed, "seq_p50": statistics.median(sequential),
            "seq_p95": pct(sequential, 95), "n": len(samples), "db_ms": db_ms}


def write_results(command: str, machine_line: str, rows: int, clients: int, workers: str,
                  results: list[tuple[str, dict]], service: list[tuple[str, dict]],
                  load: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    heading = "## Nomination lists (issue 3)"
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
    lines += ["", "\"SQL in PostgreSQL\" is the execution time EXPLAIN ANALYZE reports for the "
              "page's one query: the part that would grow with the table if an index were "
              "missing."]
    section = "\n".join(lines) + "\n"
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    if heading in old:
        start = old.index(heading)
        end = old.find("\n## ", start + len(heading))
        old = old[:start] + section + (old[end + 1:] if end != -1 else "")
        path.write_text(old)
    else:
        path.write_text(old.rstrip("\n") + "\n\n" + section)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=25, help="per client and scenario")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    command = "python bench/list_nominations.py " + " ".join(sys.argv[1:])

    from workflow import create_app

    name = f"tizim_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    server = None
    try:
        app = create_app({"TIZIM_CONFIG": "development", "SQLALCHEMY_DATABASE_URI": url,
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        t0 = time.perf_counter()
        info = seed(app, args.rows, random.Random(2026))
        print(f"seeded {args.rows:,} nominations in {time.perf_counter() - t0:.1f} s", flush=True)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        workers = f"--workers {args.workers} --threads {args.threads}"
        env = {**os.environ, "TIZIM_CONFIG": "development", "DATABASE_URL": url,
               "LOG_LEVEL": "WARNING", "LOGIN_RATE_LIMIT": "1000 per minute"}
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), *workers.split(), "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "wsgi:application"], cwd=ROOT, env=env, start_new_session=True)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz")  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        cookies = {"coordinator": login(base, "coordinator@bench.kz"),
                   "secretariat": login(base, "secretariat@bench.kz")}
        emails = {"coordinator": "coordinator@bench.kz", "secretariat": "secretariat@bench.kz"}
        scenarios = [
            ("coordinator: newest, page 1", "coordinator", {}),
            ("coordinator: newest, deep", "coordinator",
             {"after": deep_cursor(app, emails["coordinator"], "newest")}),
            ("coordinator: state=forwarded, page 1", "coordinator", {"state": "forwarded"}),
            ("coordinator: surname A-Z, deep", "coordinator",
             {"sort": "surname", "after": deep_cursor(app, emails["coordinator"], "surname")}),
            ("coordinator: by state, page 1", "coordinator", {"sort": "state"}),
            ("coordinator: text 'Ким'", "coordinator", {"q": "Ким"}),
            ("coordinator: association filter", "coordinator",
             {"association": info["association"]}),
            ("coordinator: session filter", "coordinator", {"session": info["session"]}),
            ("secretariat: newest, page 1", "secretariat", {}),
            ("secretariat: newest, deep", "secretariat",
             {"after": deep_cursor(app, emails["secretariat"], "newest")}),
            ("secretariat: state=under_review, oldest", "secretariat",
             {"state": "under_review", "sort": "oldest"}),
            ("secretariat: surname A-Z, page 1", "secretariat", {"sort": "surname"}),
            ("secretariat: surname A-Z, deep", "secretariat",
             {"sort": "surname", "after": deep_cursor(app, emails["secretariat"], "surname")}),
            ("secretariat: by state, deep", "secretariat",
             {"sort": "state", "after": deep_cursor(app, emails["secretariat"], "state")}),
            ("secretariat: text 'Пак'", "secretariat", {"q": "Пак"}),
            ("secretariat: reference code", "secretariat", {"q": "ZZZZ-ZZZZ"}),
        ]
        loads = os.getloadavg()
        results = []
        for label, role, params in scenarios:
            query = urllib.parse.urlencode(params)
            target = f"{base}/nominations/?{query}"
            if label.endswith("reference code"):
                # an unknown code answers an empty page: count only that it is fast
                target = f"{base}/nominations/?q=ZZZZ-ZZZZ"
            try:
                result = measure(target, cookies[role], args.clients, args.requests)
            except RuntimeError:
                result = measure_any(target, cookies[role], args.clients, args.requests)
            results.append((label, result))
            print(f"{label:45s} p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms  "
                  f"{result['rps']:6.0f} req/s  (1 client p50 {result['seq_p50']:.1f})",
                  flush=True)
        service = []
        for label, role, params in scenarios:
            result = measure_service(app, emails[role], params, args.clients, args.requests)
            service.append((label, result))
            print(f"service {label:37s} p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms"
                  f"  (1 thread p50 {result['seq_p50']:.1f}, SQL {result['db_ms']:.2f} ms)",
                  flush=True)
        line = machine().replace("PostgreSQL ?", f"PostgreSQL {info['version']}")
        print(line)
        if not args.no_write:
            write_results(command.strip(), line, args.rows, args.clients,
                          f"{workers}", results, service,
                          f"{loads[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
                          "(1-minute)")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure_any(url: str, cookie: str, clients: int, per_client: int) -> dict:
    """As ``measure``, for a page expected to be empty."""
    global fetch
    real = fetch

    def fetch_empty(url, cookie):
        request = urllib.request.Request(url, headers={"Cookie": cookie})
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
