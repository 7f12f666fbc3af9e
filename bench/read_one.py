"""Throughput of a page that reads one nomination, against a bare Flask "hello", same gunicorn.

Target (DESIGN.md §5): at least half the hello endpoint's throughput, same machine, same run.

    .venv/bin/python bench/read_one.py [--seconds 10] [--workers 4] [--connections 20]

Needs PostgreSQL on 127.0.0.1:5432 and `wrk` (apt-get install wrk). It builds a fresh database,
loads the demo data, serves each app with identical gunicorn settings, and loads each with wrk.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import http.cookiejar  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402

from bench.common import ROOT, git_revision, machine, postgres_database, write_section  # noqa: E402

VENV_BIN = Path(sys.executable).parent
UA = "tizim-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(app: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "sync", "--log-level", "warning", app],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn for {app} did not start")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def wrk(url: str, seconds: int, connections: int, cookie: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"User-Agent: {UA}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return {"rps": rps, "non2xx": int(non2xx[1]) if non2xx else 0, "p99": p99[1] if p99 else "?"}


@contextmanager
def demo_database(url: str | None):
    if url:
        yield url
    else:
        with postgres_database() as fresh:
            yield fresh


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--slice", type=int, default=2, help="seconds per turn")
    parser.add_argument("--database", help="a PostgreSQL database holding the demo data "
                        "already (default: a fresh one, built and loaded)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2

    with demo_database(args.database) as url:
        env = {**os.environ, "TIZIM_CONFIG": "production", "DATABASE_URL": url,
               "REDIS_URL": "redis://127.0.0.1:6379/13", "SECRET_KEY": secrets.token_hex(32),
               "SESSION_COOKIE_SECURE": "0", "LOG_LEVEL": "WARNING", "FLASK_APP": "wsgi.py",
               "MAIL_BACKEND": "memory"}
        if not args.database:
            subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env,
                           check=True, capture_output=True)
            # Production refuses demo accounts: load them as a laptop would, serve as a server.
            subprocess.run([str(VENV_BIN / "flask"), "demo", "load"], cwd=ROOT,
                           env={**env, "TIZIM_CONFIG": "development"}, check=True,
                           capture_output=True)

        load_start = os.getloadavg()[0]
        # Both servers up at once (each idle while the other is asked), asked in turn in
        # slices of --slice seconds, --seconds in all each: the machine is shared, and a change
        # in its load falls on all three alike.
        hello_port, port = free_port(), free_port()
        hello = gunicorn("bench.hello:app", hello_port, args.workers, env)
        tizim = gunicorn("wsgi:application", port, args.workers, env)
        try:
            base = f"http://127.0.0.1:{port}"
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            opener.addheaders = [("User-Agent", UA)]
            login = opener.open(f"{base}/auth/login").read().decode()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)[1]
            form = urllib.parse.urlencode({"csrf_token": token, "email": "secretariat@tizim.kz",
                                           "password": "tizim-demo-2026"}).encode()
            opener.open(f"{base}/auth/login", data=form).read()
            page = opener.open(f"{base}/nominations/").read().decode()
            nomination_id = re.search(r'href="/nominations/(\d+)"', page)[1]
            detail = f"{base}/nominations/{nomination_id}"
            assert opener.open(detail).status == 200
            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            api = f"{base}/api/v1/nominations/{nomination_id}"
            # The floor: the same app answering a request that reads nothing (its health
            # check, with the session cookie), i.e. what the framework and our per-request
            # hooks cost before authentication and the query.
            targets = {"hello": (f"http://127.0.0.1:{hello_port}/", None),
                       "floor": (f"{base}/healthz", cookie), "api": (api, cookie),
                       "detail": (detail, cookie)}
            for url, with_cookie in targets.values():  # warm-up
                wrk(url, 2, args.connections, with_cookie)
            slices: dict[str, list[dict]] = {name: [] for name in targets}
            for _ in range(max(1, args.seconds // args.slice)):
                for name, (url, with_cookie) in targets.items():
                    slices[name].append(wrk(url, args.slice, args.connections, with_cookie))
        finally:
            stop(tizim)
            stop(hello)
        load_end = os.getloadavg()[0]

        def total(name: str) -> dict:
            runs = slices[name]
            return {"rps": sum(r["rps"] for r in runs) / len(runs),
                    "p99": " / ".join(r["p99"] for r in runs),
                    "non2xx": sum(r["non2xx"] for r in runs)}

        hello_result, api_result, detail_result = total("hello"), total("api"), total("detail")
        floor_result = total("floor")
        per_slice = [(a["rps"] / h["rps"], d["rps"] / h["rps"])
                     for h, a, d in zip(slices["hello"], slices["api"], slices["detail"],
                                        strict=True)]

    ratio = api_result["rps"] / hello_result["rps"]
    page_ratio = detail_result["rps"] / hello_result["rps"]
    floor_ratio = floor_result["rps"] / hello_result["rps"]
    command = (f"`.venv/bin/python bench/read_one.py --seconds {args.seconds} "
               f"--workers {args.workers} --connections {args.connections}`")
    body = f"""
Command: {command} (revision {git_revision()}, {time.strftime('%Y-%m-%d')}).
Machine: {machine()}; load average (1 min) {load_start:.1f} at the start, {load_end:.1f} at the
end. Load from `wrk -t2 -c{args.connections}` on the same machine (it competes for the same
two cores). gunicorn sync workers: {args.workers}; PostgreSQL 15 local; demo data. The four
are asked in turn, {args.slice} s each, {len(per_slice)} rounds (requests/s: the mean over the
rounds; p99: each round's). Ratio to hello in each round, API / page:
{", ".join(f"{a:.2f} / {d:.2f}" for a, d in per_slice)}.

| endpoint | requests/s | p99 latency | non-2xx |
|---|---|---|---|
| bare Flask "hello" | {hello_result['rps']:.0f} | {hello_result['p99']} | {hello_result['non2xx']} |
| Tizim's `/healthz` with the session cookie: no query, no user loaded (the floor) | {floor_result['rps']:.0f} | {floor_result['p99']} | {floor_result['non2xx']} |
| `GET /api/v1/nominations/<id>` (logged in, secretariat) | {api_result['rps']:.0f} | {api_result['p99']} | {api_result['non2xx']} |
| nomination detail page, HTML (logged in, secretariat) | {detail_result['rps']:.0f} | {detail_result['p99']} | {detail_result['non2xx']} |

API call: **{ratio:.2f}** of the hello endpoint (target ≥ 0.50): {'met' if ratio >= 0.5 else 'NOT met'}.
HTML page: **{page_ratio:.2f}** of the hello endpoint (target ≥ 0.15): {'met' if page_ratio >= 0.15 else 'NOT met'}.
The floor (Tizim answering without reading anything): **{floor_ratio:.2f}** of hello; the API
reaches **{api_result['rps'] / floor_result['rps']:.2f}** of the floor, the page
**{detail_result['rps'] / floor_result['rps']:.2f}**.
"""
    if not args.no_write:
        write_section("Reading one nomination (DESIGN §5)", body)
    print(body)
    return 0 if detail_result["non2xx"] == 0 and api_result["non2xx"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
