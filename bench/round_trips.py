"""Round trips to PostgreSQL and time per request, for the pages that read one nomination.

    .venv/bin/python bench/round_trips.py [--requests 200] [--profile api|page|list|home]

A fresh PostgreSQL database (migrations, then the demo data), the production configuration,
the app in this process behind Flask's test client (no HTTP, no gunicorn: what is measured is
Tizim's own work per request), its database connections through ``bench.wire.RoundTripProxy``
(which counts the protocol's ReadyForQuery messages: every round trip, BEGIN, ROLLBACK and
pre-ping included). For each endpoint: round trips and SQL statements per request (the
statements counted by an SQLAlchemy ``before_cursor_execute`` listener), and the median time
per request in this process. ``--profile`` prints a cProfile of that endpoint.

The table goes into bench/RESULTS.md under "Round trips per request (issue 14)".
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import secrets
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, git_revision, machine, postgres_database, write_section  # noqa: E402
from bench.wire import RoundTripProxy  # noqa: E402

VENV_BIN = Path(sys.executable).parent


def production_app(url: str):
    os.environ.update({
        "TIZIM_CONFIG": "production", "DATABASE_URL": url,
        "REDIS_URL": os.environ.get("TIZIM_BENCH_REDIS", "redis://127.0.0.1:6379/13"),
        "SECRET_KEY": secrets.token_hex(32), "SESSION_COOKIE_SECURE": "0",
        "LOG_LEVEL": "WARNING", "MAIL_BACKEND": "memory", "RATELIMIT_STORAGE_URI": "memory://",
    })
    from workflow import create_app

    return create_app("production")


@contextmanager
def demo_database(url: str | None):
    if url:
        yield url
        return
    with postgres_database() as url:
        env = {**os.environ, "TIZIM_CONFIG": "development", "DATABASE_URL": url,
               "FLASK_APP": "wsgi.py", "MAIL_BACKEND": "memory"}
        subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        subprocess.run([str(VENV_BIN / "flask"), "demo", "load"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        yield url


def endpoints(client) -> dict[str, str]:
    page = client.get("/nominations/").get_data(as_text=True)
    nomination_id = re.search(r'href="/nominations/(\d+)"', page)[1]
    return {
        "home": "/",
        "list": "/nominations/",
        "api": f"/api/v1/nominations/{nomination_id}",
        "page": f"/nominations/{nomination_id}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", choices=["api", "page", "list", "home"])
    parser.add_argument("--database", help="a database holding the demo data already "
                        "(default: a fresh one, built and loaded)")
    parser.add_argument("--direct", action="store_true", help="no proxy (its threads share "
                        "this process's GIL): for profiles and times, not for counting")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    with demo_database(args.database) as url, RoundTripProxy() as proxy:
        app = production_app(url if args.direct else proxy.url(url))
        from sqlalchemy import event

        from workflow.extensions import db

        statements = [0]
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute",
                         lambda *a: statements.__setitem__(0, statements[0] + 1))
        client = app.test_client()
        # Production prefers https: the test client speaks it, and CSRF then wants a referrer.
        client.environ_base["HTTP_REFERER"] = "https://localhost/auth/login"
        login = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)[1]
        answer = client.post("/auth/login", data={
            "csrf_token": token, "email": "secretariat@tizim.kz", "password": "tizim-demo-2026"})
        assert answer.status_code == 302, answer.status_code
        rows = []
        for name, path in endpoints(client).items():
            for _ in range(5):  # warm: connections in the pool, templates compiled
                assert client.get(path).status_code == 200, path
            before, n_before = proxy.snapshot(), statements[0]
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            counted = proxy.since(before)
            rows.append((name, path, counted["round_trips"] / args.requests,
                         counted["connections"], (statements[0] - n_before) / args.requests,
                         statistics.median(times)))
            print(f"{name:5s} {path:32s} round trips {rows[-1][2]:.2f}  statements "
                  f"{rows[-1][4]:.2f}  new connections {counted['connections']}  "
                  f"median {rows[-1][5]:.2f} ms", flush=True)
            if args.profile == name:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(args.requests):
                    client.get(path)
                profile.disable()
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
                pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(30)
                print(out.getvalue())
        load = os.getloadavg()
        with app.app_context():
            db.engine.dispose()

    if not args.no_write:
        table = "\n".join(
            f"| {name} | `{path}` | {rt:.2f} | {st:.2f} | {ms:.2f} |"
            for name, path, rt, _c, st, ms in rows)
        write_section("Round trips per request (issue 14)", f"""
Command: `.venv/bin/python bench/round_trips.py --requests {args.requests}` (revision
{git_revision()}, {time.strftime('%Y-%m-%d %H:%M')} UTC). Machine: {machine()}; load average
{load[0]:.1f} (1 min) at the end.

Production configuration, demo data, logged in as the Secretariat, Flask's test client in
one process (no HTTP server), PostgreSQL through `bench/wire.py`, which counts every
ReadyForQuery on the wire (BEGIN, ROLLBACK and pre-ping included). Authentication is part of
every request.

| endpoint | path | round trips / request | SQL statements / request | median ms in process |
|---|---|---:|---:|---:|
{table}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
