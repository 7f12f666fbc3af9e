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
import shutil
import signal
import socket
import subprocess
import sys
import time
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2

    with postgres_database() as url:
        env = {**os.environ, "TIZIM_CONFIG": "production", "DATABASE_URL": url,
               "REDIS_URL": "redis://127.0.0.1:6379/13", "SECRET_KEY": "b" * 40,
               "SESSION_COOKIE_SECURE": "0", "LOG_LEVEL": "WARNING", "FLASK_APP": "wsgi.py",
               "MAIL_BACKEND": "memory"}
        subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        subprocess.run([str(VENV_BIN / "flask"), "demo", "load"], cwd=ROOT, env=env, check=True,
                       capture_output=True)

        port = free_port()
        hello = gunicorn("bench.hello:app", port, args.workers, env)
        try:
            wrk(f"http://127.0.0.1:{port}/", 2, args.connections)  # warm-up
            hello_result = wrk(f"http://127.0.0.1:{port}/", args.seconds, args.connections)
        finally:
            stop(hello)

        port = free_port()
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
            wrk(detail, 2, args.connections, cookie)  # warm-up
            detail_result = wrk(detail, args.seconds, args.connections, cookie)
            api_result = wrk(api, args.seconds, args.connections, cookie)
        finally:
            stop(tizim)

    ratio = api_result["rps"] / hello_result["rps"]
    page_ratio = detail_result["rps"] / hello_result["rps"]
    command = (f"`.venv/bin/python bench/read_one.py --seconds {args.seconds} "
               f"--workers {args.workers} --connections {args.connections}`")
    body = f"""
Command: {command} (revision {git_revision()}, {time.strftime('%Y-%m-%d')}).
Machine: {machine()}. Load from `wrk -t2 -c{args.connections}` on the same machine (it competes
for the same two cores). gunicorn sync workers: {args.workers}; PostgreSQL 15 local; demo data.

| endpoint | requests/s | p99 latency | non-2xx |
|---|---|---|---|
| bare Flask "hello" | {hello_result['rps']:.0f} | {hello_result['p99']} | {hello_result['non2xx']} |
| `GET /api/v1/nominations/<id>` (logged in, secretariat) | {api_result['rps']:.0f} | {api_result['p99']} | {api_result['non2xx']} |
| nomination detail page, HTML (logged in, secretariat) | {detail_result['rps']:.0f} | {detail_result['p99']} | {detail_result['non2xx']} |

API call: **{ratio:.2f}** of the hello endpoint (target ≥ 0.50): {'met' if ratio >= 0.5 else 'NOT met'}.
HTML page: **{page_ratio:.2f}** of the hello endpoint: {'met' if page_ratio >= 0.5 else 'NOT met'}.
"""
    write_section("Reading one nomination (DESIGN §5)", body)
    print(body)
    return 0 if detail_result["non2xx"] == 0 and api_result["non2xx"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
