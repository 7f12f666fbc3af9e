"""`make serve` as a person runs it: up, ready, a transition through a page, its e-mail at the
mail sink, and Ctrl-C stops every process.

The run has its own PostgreSQL database and ports; Redis is the machine's, DB 12. The command is
the real one (`make serve SERVE_ENV=…`), so the Makefile, scripts/serve.py, the Procfile and
honcho are what is tested.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
import redis
from sqlalchemy import create_engine, text

from tests.conftest import postgres_database, reachable, unavailable
from tests.livekit import wait_for
from tests.serving import (
    ROOT,
    Browser,
    Sink,
    base_url,
    processes_marked,
    serve_env,
    wait_ready,
    write_env,
)
from workflow.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]
REDIS_SERVE = "redis://127.0.0.1:6379/12"
PROCESSES = ("web", "worker", "beat", "mail")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`make serve` running on a fresh database; stopped with Ctrl-C (SIGINT to its group)."""
    if not reachable("127.0.0.1", 6379):
        unavailable("Redis is not reachable at 127.0.0.1:6379")
    folder = tmp_path_factory.mktemp("serve")
    broker = redis.Redis.from_url(REDIS_SERVE)
    broker.flushdb()
    with postgres_database() as database_url:
        env = serve_env(folder, database_url, REDIS_SERVE)
        env_file = write_env(folder / "serve.env", env)
        output = folder / "make-serve.log"
        with open(output, "wb") as log:
            make = subprocess.Popen(["make", "serve", f"SERVE_ENV={env_file}"], cwd=ROOT,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        run = {"env": env, "env_file": env_file, "make": make, "output": output,
               "database_url": database_url}
        try:
            yield run
        finally:
            if make.poll() is None:
                os.killpg(make.pid, signal.SIGKILL)
                make.wait(timeout=10)
            for pid in processes_marked(env["TIZIM_SERVE_RUN"]):
                os.kill(pid, signal.SIGKILL)
            broker.flushdb()


def make_log(run) -> str:
    return run["output"].read_text(errors="replace")


def sql(run, query: str, **params):
    engine = create_engine(run["database_url"])
    try:
        with engine.connect() as conn:
            return conn.execute(text(query), params).all()
    finally:
        engine.dispose()


def test_make_serve_is_ready_and_a_page_transition_mails_its_recipients(served):
    url = base_url(served["env"])
    try:
        checks = wait_ready(url, timeout=240)  # migrations and the demo data come first
    except TimeoutError:
        raise AssertionError(make_log(served)[-4000:]) from None
    assert checks == {"status": "ready", "checks": {"database": "ok", "migrations": "ok",
                                                    "redis": "ok", "worker": "ok"}}
    for name in PROCESSES:
        assert f"{name}.1 started" in make_log(served)

    # Several gunicorn workers serve the pages.
    assert make_log(served).count("Booting worker with pid") >= 2

    # A Secretariat officer accepts a forwarded nomination with the page's own button.
    (nomination_id,) = sql(served, "SELECT id FROM nominations WHERE status = 'forwarded' "
                                   "ORDER BY id LIMIT 1")[0]
    browser = Browser(url)
    home = browser.log_in("secretariat@tizim.kz", DEMO_PASSWORD)
    assert "/auth/login" not in browser.url, home[:500]
    page = browser.open(f"/nominations/{nomination_id}")
    browser.submit(page, "Accept for review")
    assert browser.url.endswith(f"/nominations/{nomination_id}")
    rows = sql(served, "SELECT status FROM nominations WHERE id = :id", id=nomination_id)
    assert rows == [("under_review",)]
    (event_id,) = sql(served, "SELECT id FROM audit_events WHERE nomination_id = :id "
                              "AND action = 'accept'", id=nomination_id)[0]
    expected = {key for (key,) in sql(served, "SELECT key FROM email_deliveries "
                                              "WHERE key LIKE :k", k=f"ev{event_id}:%")}
    assert expected, "the acceptance should e-mail the region's coordinators"

    sink = Sink(served["env"]["MAIL_SINK_DIR"])
    wait_for(lambda: expected <= set(sink.delivery_keys()), 60,
             "the acceptance's e-mails at the mail sink", every=0.3)
    received = sink.delivery_keys()
    assert all(received[key] == 1 for key in expected)
    message = next(m for m in sink.messages() if m["X-Tizim-Delivery"] in expected)
    assert message["To"].startswith("coordinator.")
    # What README offers to read the sink with lists it too.
    listing = subprocess.run([sys.executable, "scripts/serve.py", "mail", str(served["env_file"])],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0 and message["To"] in listing.stdout, listing.stderr


def test_make_serve_transition_through_the_api(served):
    """The same kind of step as above, through the API: a token made on the profile page, the
    transition POSTed with it, its e-mails at the mail sink."""
    url = base_url(served["env"])
    wait_ready(url, timeout=240)
    (nomination_id,) = sql(served, "SELECT id FROM nominations WHERE status = 'forwarded' "
                                   "ORDER BY id LIMIT 1")[0]
    browser = Browser(url)
    browser.log_in("secretariat@tizim.kz", DEMO_PASSWORD)
    profile = browser.open("/account/profile")
    made = browser.submit(profile, "Create the token", name="make serve test", days="30")
    token = re.search(r"tzm_[a-z0-9]{12}_[A-Za-z0-9_-]{43}", made).group(0)

    request = urllib.request.Request(
        f"{url}/api/v1/nominations/{nomination_id}/transitions", method="POST",
        data=json.dumps({"action": "accept"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Idempotency-Key": f"serve-{nomination_id}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        answer = json.loads(response.read())
    assert answer["status"] == "under_review"
    rows = sql(served, "SELECT status FROM nominations WHERE id = :id", id=nomination_id)
    assert rows == [("under_review",)]
    (event_id, via) = sql(served, "SELECT id, via FROM audit_events WHERE nomination_id = :id "
                                  "AND action = 'accept'", id=nomination_id)[0]
    assert event_id == answer["event_id"] and via == "api"
    expected = {key for (key,) in sql(served, "SELECT key FROM email_deliveries "
                                              "WHERE key LIKE :k", k=f"ev{event_id}:%")}
    assert expected, "the acceptance should e-mail the region's coordinators"
    sink = Sink(served["env"]["MAIL_SINK_DIR"])
    wait_for(lambda: expected <= set(sink.delivery_keys()), 60,
             "the API acceptance's e-mails at the mail sink", every=0.3)
    assert all(sink.delivery_keys()[key] == 1 for key in expected)


def test_ctrl_c_stops_every_process_cleanly(served):
    make = served["make"]
    if make.poll() is not None:
        raise AssertionError(f"make serve exited early:\n{make_log(served)[-4000:]}")
    marker = served["env"]["TIZIM_SERVE_RUN"]
    assert processes_marked(marker), "no process of the run was found to stop"
    started = time.monotonic()
    os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
    make.wait(timeout=30)
    took = time.monotonic() - started
    wait_for(lambda: not processes_marked(marker), 10, "every process of the run to exit")
    log = make_log(served)
    for name in PROCESSES:
        assert f"{name}.1 stopped" in log, log[-3000:]
    # Each ended on honcho's SIGTERM (rc=-15) or by itself; none had to be SIGKILLed (rc=-9),
    # though on a busy machine honcho may send SIGKILL to one already on its way out.
    assert "stopped (rc=-9)" not in log, log[-3000:]
    assert took < 30
