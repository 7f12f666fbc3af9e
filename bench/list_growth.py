"""No growth with the table: every list scenario at 1,000 and at 1,000,000 nominations, one client.

    .venv/bin/python bench/list_growth.py [--small 1000] [--large 1000000] [--requests 40]

Two fresh PostgreSQL databases (migrations, rows by INSERT … SELECT generate_series, as
bench/list_nominations.py seeds them), each served by its own gunicorn (production
configuration, one worker). For each scenario of bench/list_nominations.py the client asks the
small and the large one in turn, request by request, so a change in the machine's load (it is
shared) falls on both alike. Reported per scenario: the median whole-request time at each size,
their ratio (target < 1.5), and the execution time EXPLAIN ANALYZE gives for the list query at
each size. The table goes into bench/RESULTS.md under "List growth (issue 14)".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import git_revision, machine, write_section  # noqa: E402
from bench.list_nominations import (  # noqa: E402
    EMAILS,
    bench_database,
    fetch_any,
    login,
    plans,
    rows_shown,
    scenarios,
    served,
    target_of,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    with bench_database(args.small) as (small_app, small_url, small_info), \
            bench_database(args.large) as (large_app, large_url, large_info), \
            served(small_url, "--workers 1") as small_base, \
            served(large_url, "--workers 1") as large_base:
        cookies = {size: {role: login(base, email) for role, email in EMAILS.items()}
                   for size, base in (("small", small_base), ("large", large_base))}
        small_plans = {label: ms for label, _plan, ms in plans(small_app, small_info)}
        large_plans = {label: (ms, plan) for label, plan, ms in plans(large_app, large_info)}
        load_start = os.getloadavg()[0]
        rows = []
        for (label, role, small_params), (_l, _r, large_params) in zip(
                scenarios(small_app, small_info), scenarios(large_app, large_info), strict=True):
            targets = {"small": target_of(small_base, label, small_params),
                       "large": target_of(large_base, label, large_params)}
            times: dict[str, list[float]] = {"small": [], "large": []}
            for _ in range(5):  # warm both
                for size in times:
                    fetch_any(targets[size], cookies[size][role])
            for _ in range(args.requests):
                for size in times:
                    times[size].append(fetch_any(targets[size], cookies[size][role]))
            small, large = (statistics.median(times[s]) for s in ("small", "large"))
            shown = [rows_shown(targets[s], cookies[s][role]) for s in ("small", "large")]
            rows.append((label, small, large, large / small, *shown, small_plans[label],
                         *large_plans[label]))
            print(f"{label:45s} {small:7.1f} ms  {large:7.1f} ms  ratio {large / small:.2f}  "
                  f"rows {shown[0]} / {shown[1]}  "
                  f"SQL {small_plans[label]:.2f} / {large_plans[label][0]:.2f} ms", flush=True)
        load_end = os.getloadavg()[0]

    if not args.no_write:
        table = "\n".join(
            f"| {label} | {small:.1f} | {large:.1f} | **{ratio:.2f}** | {'met' if ratio < 1.5 else 'NOT met'} | {few} / {many} | {sql_small:.2f} | {sql_large:.2f} | {plan} |"
            for label, small, large, ratio, few, many, sql_small, sql_large, plan in rows)
        write_section("List growth (issue 14)", f"""
Command: `.venv/bin/python bench/list_growth.py --small {args.small} --large {args.large}
--requests {args.requests}` (revision {git_revision()}, {time.strftime('%Y-%m-%d %H:%M')} UTC).
Machine: {machine()}; load average (1 min) {load_start:.1f} at the start, {load_end:.1f} at the
end (shared with other engineers' work).

{args.small:,} and {args.large:,} nominations in two fresh databases, each behind gunicorn
(production configuration, one sync worker); one client asks them in turn, request by request.
Times are medians of {args.requests} whole HTTP requests (page rendered), in ms; "rows" is
how many nominations each page lists (a filter that matches 2 rows at {args.small:,} fills the
page of 50 at {args.large:,}, and 50 rows cost more to render than 2); "SQL" is the list
query's execution time in PostgreSQL (EXPLAIN ANALYZE) at each size; the plan is the large
database's.

| scenario | {args.small:,} | {args.large:,} | ratio | < 1.5 | rows | SQL small | SQL large | plan at {args.large:,} |
|---|---:|---:|---:|---|---:|---:|---:|---|
{table}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
