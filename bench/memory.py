"""Memory of a gunicorn worker over 10,000 mixed requests: does it grow?

    .venv/bin/python bench/memory.py [--requests 10000] [--database URL]

The demo data (a fresh database unless --database names one holding it), the production
configuration, gunicorn with ONE sync worker (so every request lands in the process measured),
two clients logged in (the Secretariat and a coordinator) asking in turn for a mix: home, the
list (newest, by surname, by state, a search, a deep page), nomination pages, the JSON API,
notifications. The worker's resident memory (VmRSS) is read from /proc every 500 requests.
Target: growth between the 5,000th and the 10,000th request ≤ 5 %. The table goes into
bench/RESULTS.md under "Memory of a worker (issue 14)".
"""

from __future__ import annotations

import argparse
import http.cookiejar
import itertools
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, git_revision, machine, write_section  # noqa: E402
from bench.read_one import demo_database, free_port, gunicorn, stop  # noqa: E402

VENV_BIN = Path(sys.executable).parent


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status)[1])


def worker_of(master: int) -> int:
    for _ in range(50):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise RuntimeError("gunicorn started no worker")


def opener_for(base: str, email: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/auth/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    opener.open(f"{base}/auth/login", data=urllib.parse.urlencode(
        {"csrf_token": token, "email": email, "password": "tizim-demo-2026"}).encode()).read()
    return opener


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--database")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    with demo_database(args.database) as url:
        env = {**os.environ, "TIZIM_CONFIG": "production", "DATABASE_URL": url,
               "REDIS_URL": os.environ.get("TIZIM_BENCH_REDIS", "redis://127.0.0.1:6379/13"),
               "SECRET_KEY": secrets.token_hex(32), "SESSION_COOKIE_SECURE": "0",
               "LOG_LEVEL": "WARNING", "FLASK_APP": "wsgi.py", "MAIL_BACKEND": "memory",
               "RATELIMIT_STORAGE_URI": "memory://"}
        if not args.database:
            subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env,
                           check=True, capture_output=True)
            subprocess.run([str(VENV_BIN / "flask"), "demo", "load"], cwd=ROOT,
                           env={**env, "TIZIM_CONFIG": "development"}, check=True,
                           capture_output=True)
        port = free_port()
        server = gunicorn("wsgi:application", port, 1, env)
        try:
            base = f"http://127.0.0.1:{port}"
            worker = worker_of(server.pid)
            secretariat = opener_for(base, "secretariat@tizim.kz")
            coordinator = opener_for(base, "coordinator.kz-75@tizim.kz")
            listing = secretariat.open(f"{base}/nominations/?sort=surname").read().decode()
            ids = sorted(set(re.findall(r'href="/nominations/(\d+)"', listing)))
            cursor = re.search(r'after=([\w-]+)', listing)
            paths = [
                "/", "/nominations/", "/nominations/?sort=surname", "/nominations/?sort=state",
                "/nominations/?q=%D0%9A%D0%B8", "/notifications/",
                *(f"/nominations/{i}" for i in ids[:6]),
                *(f"/api/v1/nominations/{i}" for i in ids[:6]),
            ] + ([f"/nominations/?sort=surname&after={cursor[1]}"] if cursor else [])
            mix = itertools.cycle([(secretariat, p) for p in paths]
                                  + [(coordinator, p) for p in paths[:6]])
            samples = [(0, rss_kib(worker))]
            started = time.perf_counter()
            errors = 0
            load_start = os.getloadavg()[0]
            for n in range(1, args.requests + 1):
                opener, path = next(mix)
                try:
                    opener.open(base + path).read()
                except urllib.error.HTTPError:
                    errors += 1  # a coordinator's 404 on another region's nomination
                if n % 500 == 0:
                    samples.append((n, rss_kib(worker)))
                    print(f"{n:6d} requests  RSS {samples[-1][1] / 1024:7.1f} MiB", flush=True)
            elapsed = time.perf_counter() - started
            load_end = os.getloadavg()[0]
            assert worker_of(server.pid) == worker, "the worker was replaced during the run"
        finally:
            stop(server)

    at = dict(samples)
    half, full = args.requests // 2, args.requests
    growth = (at[full] - at[half]) / at[half] * 100
    print(f"growth {half} -> {full}: {growth:+.2f} %")
    if not args.no_write:
        rows = "\n".join(f"| {n:,} | {kib / 1024:.1f} |" for n, kib in samples
                         if n % 1000 == 0)
        write_section("Memory of a worker (issue 14)", f"""
Command: `.venv/bin/python bench/memory.py --requests {args.requests}` (revision
{git_revision()}, {time.strftime('%Y-%m-%d %H:%M')} UTC). Machine: {machine()}; load average
(1 min) {load_start:.1f} at the start, {load_end:.1f} at the end.

Demo data, production configuration, gunicorn with one sync worker; {len(paths)} pages and API
reads for the Secretariat and 6 for a coordinator, in turn ({errors} answers were 4xx: a
coordinator's other-region nomination), {args.requests:,} requests in {elapsed:.0f} s. The
worker's resident memory (VmRSS):

| requests | RSS (MiB) |
|---:|---:|
{rows}

Growth between the {half:,}th and the {full:,}th request: **{growth:+.2f} %** (target ≤ 5 %):
{'met' if growth <= 5 else 'NOT met'}.
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
