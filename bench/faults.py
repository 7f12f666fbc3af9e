"""Faults through the real processes, with the issue's outages: what is lost, doubled, and how
long Tizim takes to recover. Writes the section "Faults through the real processes" of
bench/RESULTS.md.

Each scenario starts `make serve`'s processes (Procfile: gunicorn, a Celery worker, beat, the
aiosmtpd mail sink, each its own process) on a fresh PostgreSQL database and a redis-server of
its own (append-only file, as docker-compose.yml's; the machine's shared Redis is not touched),
commits an order of N approvals (``start_issuing``) and then:

1. SIGKILLs the worker and its pool once the first chunk is issued; starts it again 2 s later;
2. stops Redis (SIGTERM) once the first chunk is issued, for 30 s, then starts it again;
3. stops the SMTP server once the first e-mails arrived, for 60 s, then starts it again.

"Recovered after" runs from the end of the fault to the moment every member is issued and every
e-mail has reached the sink. With ``--timings production`` (the default) the settings are
production's: the relay every 30 s, NOTIFY_STALE_SECONDS 900, NOTIFY_CLAIM_SECONDS 120.
``--timings short`` uses the test suite's (relay 3 s, 8 s, 8 s).

Run:  .venv/bin/python bench/faults.py [--approvals 200] [--timings production|short]
      [--only worker,redis,smtp]
Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and the redis-server executable.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import git_revision, machine, postgres_database, write_section  # noqa: E402
from tests.faults import FaultRun, redis_stopped, smtp_stopped, worker_killed  # noqa: E402

TIMINGS = {
    "production": {"NOTIFY_STALE_SECONDS": 900, "NOTIFY_CLAIM_SECONDS": 120,
                   "OUTBOX_RELAY_SECONDS": 30},
    "short": {"NOTIFY_STALE_SECONDS": 8, "NOTIFY_CLAIM_SECONDS": 8, "OUTBOX_RELAY_SECONDS": 3},
}
SCENARIOS = {
    "worker": lambda run, n, bound: worker_killed(run, approvals=n, restart_after=2.0,
                                                  timeout=bound),
    "redis": lambda run, n, bound: redis_stopped(run, approvals=n, down_for=30.0, timeout=bound),
    "smtp": lambda run, n, bound: smtp_stopped(run, approvals=n, down_for=60.0, timeout=bound),
}


def seconds(value) -> str:
    return "never (gave up)" if value is None else f"{value:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--approvals", type=int, default=200)
    parser.add_argument("--timings", choices=sorted(TIMINGS), default="production")
    parser.add_argument("--only", default="worker,redis,smtp")
    args = parser.parse_args()
    settings = TIMINGS[args.timings]
    # Give up well after the slowest path: a lost message waits for the staleness and a relay.
    bound = settings["NOTIFY_STALE_SECONDS"] + 4 * settings["OUTBOX_RELAY_SECONDS"] + 300
    print(machine(), flush=True)
    load_before = os.getloadavg()
    rows = []
    for name in args.only.split(","):
        with postgres_database("tizim_faults") as url, tempfile.TemporaryDirectory() as tmp:
            run = FaultRun(Path(tmp), url, **settings)
            try:
                outcome = SCENARIOS[name](run, args.approvals, bound)
            finally:
                run.close()
        print(outcome.as_dict(), flush=True)
        rows.append(outcome)
    load_after = os.getloadavg()

    command = "`.venv/bin/python bench/faults.py" + (
        f" --approvals {args.approvals}" if args.approvals != 200 else "") + (
        f" --timings {args.timings}" if args.timings != "production" else "") + (
        f" --only {args.only}" if args.only != "worker,redis,smtp" else "") + "`"
    table = ["| fault | lasted | issued / e-mails received when it struck | members lost | "
             "members doubled | e-mails lost | e-mails doubled | deliveries failed | "
             "recovered after the fault ended | order total | pages meanwhile |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for o in rows:
        table.append(
            f"| {o.scenario} | {o.fault_seconds:.0f} s | {o.at_fault['issued']} / "
            f"{o.at_fault['emails']} of {o.approvals} | {o.members_lost} | {o.members_doubled} | "
            f"{o.emails_lost} | {o.emails_doubled} | {o.deliveries_failed} | "
            f"{seconds(o.recovered_after)} | {seconds(o.total)} | "
            f"{o.pages_during_fault or '—'} |")
    body = f"""Command: {command} (revision {git_revision()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).
Machine: {machine()}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (shared with other engineers' runs).

Each fault on a fresh PostgreSQL database and a redis-server of its own (append-only file, as \
docker-compose.yml's), with `make serve`'s processes started one by one from the Procfile: \
gunicorn (2 workers), one Celery worker (concurrency 2), beat, the aiosmtpd mail sink. An order \
of {args.approvals} approvals is committed (`start_issuing`, chunks of 25); each membership \
sends one e-mail. Timings `{args.timings}`: relay every {settings['OUTBOX_RELAY_SECONDS']} s, \
NOTIFY_STALE_SECONDS {settings['NOTIFY_STALE_SECONDS']}, NOTIFY_CLAIM_SECONDS \
{settings['NOTIFY_CLAIM_SECONDS']}. The worker is started again 2 s after the SIGKILL (as a \
supervisor would); Redis is stopped with SIGTERM for 30 s; the SMTP server for 60 s.

{chr(10).join(table)}
"""
    write_section(f"Faults through the real processes ({args.timings} timings)", body)
    print(body)


if __name__ == "__main__":
    main()
