"""The whole path at 20 users: log in, home, the list, three nominations, one transition.

    .venv/bin/python bench/whole_path.py [--rows 100000] [--users 20] [--rounds 5]

A fresh PostgreSQL database with ``--rows`` nominations (bench/list_nominations.py's seed),
``--users`` Secretariat officers of its own, gunicorn (production configuration, 4 sync
workers, as shipped). Each user, in a thread of its own and all at once, ``--rounds`` times: opens the
login page and logs in (argon2 verification included), opens the home page, the list of
forwarded nominations, three nominations from it (each user its own), and accepts the first
for review through the page's button (the form's CSRF token and version, as a browser sends
them; the redirect back to the page is followed, as a browser would). Each user then logs out.
Reported: p50 and p95 per step over every user and round. The table goes into
bench/RESULTS.md under "The whole path (issue 14)".
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import git_revision, machine, write_section  # noqa: E402
from bench.list_nominations import PASSWORD, bench_database, served  # noqa: E402

STEPS = ["login page", "log in (POST)", "home", "list (forwarded)", "nomination 1",
         "nomination 2", "nomination 3", "accept (POST + page)"]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def user_path(base: str, email: str, index: int, rounds: int, barrier) -> dict[str, list]:
    timings: dict[str, list[float]] = {step: [] for step in STEPS}
    refused = timings.setdefault("refused", [])

    def timed(step, url, data=None):
        started = time.perf_counter()
        try:
            with opener.open(url, data=data) as response:
                body = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            # Another officer accepted the same nomination a moment before: the page says so
            # (a refusal is an answer too; counted apart).
            body, status = error.read().decode(), error.code
            if status not in (409, 422):
                raise
            refused.append(step)
        timings[step].append((time.perf_counter() - started) * 1000)
        if status not in (200, 409, 422):
            raise RuntimeError(f"{step}: {status}")
        return body

    barrier.wait()
    for round_ in range(rounds):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = timed("login page", f"{base}/auth/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
        timed("log in (POST)", f"{base}/auth/login", urllib.parse.urlencode(
            {"csrf_token": token, "email": email, "password": PASSWORD}).encode())
        timed("home", f"{base}/")
        listing = timed("list (forwarded)", f"{base}/nominations/?state=forwarded")
        ids = list(dict.fromkeys(re.findall(r'href="/nominations/(\d+)"', listing)))
        # Each user and round its own three (the list moves as others accept theirs).
        start = (index * rounds + round_) * 3 % max(1, len(ids) - 3)
        chosen = ids[start:start + 3]
        pages = [timed(f"nomination {k + 1}", f"{base}/nominations/{nid}")
                 for k, nid in enumerate(chosen)]
        form = re.search(r'<form method="post" action="(/nominations/\d+/actions/accept)".*?'
                         r'name="csrf_token" type="hidden" value="([^"]+)".*?'
                         r'name="version" type="hidden" value="(\d+)"', pages[0], re.S)
        if form:
            timed("accept (POST + page)", base + form[1], urllib.parse.urlencode(
                {"csrf_token": form[2], "version": form[3]}).encode())
        logout = re.search(r'name="csrf_token" value="([^"]+)"', pages[-1])
        opener.open(f"{base}/auth/logout", data=urllib.parse.urlencode(
            {"csrf_token": logout[1]}).encode()).read()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    with bench_database(args.rows) as (app, url, _info):
        from workflow.auth.services import create_user
        from workflow.extensions import db

        emails = [f"officer{k}@bench.kz" for k in range(args.users)]
        with app.app_context():
            for k, email in enumerate(emails):
                create_user(email=email, name=f"Officer {k}", role="secretariat",
                            password=PASSWORD, language="ru")
            db.session.commit()
        with served(url, "--workers 4 --threads 1") as base:
            barrier = threading.Barrier(args.users)
            load_start = os.getloadavg()[0]
            started = time.perf_counter()
            with ThreadPoolExecutor(args.users) as pool:
                results = list(pool.map(
                    lambda k: user_path(base, emails[k], k, args.rounds, barrier),
                    range(args.users)))
            elapsed = time.perf_counter() - started
            load_end = os.getloadavg()[0]
    steps = {step: [t for r in results for t in r[step]] for step in STEPS}
    refusals = sum(len(r["refused"]) for r in results)
    for step, values in steps.items():
        if values:
            print(f"{step:24s} n {len(values):4d}  p50 {pct(values, 50):7.1f} ms  "
                  f"p95 {pct(values, 95):7.1f} ms")
    if not args.no_write:
        table = "\n".join(f"| {step} | {len(v)} | {pct(v, 50):.0f} | {pct(v, 95):.0f} |"
                          for step, v in steps.items() if v)
        write_section("The whole path (issue 14)", f"""
Command: `.venv/bin/python bench/whole_path.py --rows {args.rows} --users {args.users}
--rounds {args.rounds}` (revision {git_revision()}, {time.strftime('%Y-%m-%d %H:%M')} UTC).
Machine: {machine()}; load average (1 min) {load_start:.1f} at the start, {load_end:.1f} at the
end (the 20 clients, gunicorn and PostgreSQL share the two cores; other engineers' work too).

{args.rows:,} nominations; {args.users} Secretariat officers at once, each {args.rounds} rounds of:
the login page, logging in (argon2), home, the list of forwarded nominations, three nominations,
accepting the first for review through its button (and the page the redirect shows). gunicorn
4 sync workers, production configuration. Whole run {elapsed:.0f} s. Times in ms.
{refusals} acceptances were refused as a conflict (another officer had just accepted the same
nomination from the shared list): an answer, timed with the others.

| step | n | p50 | p95 |
|---|---:|---:|---:|
{table}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
