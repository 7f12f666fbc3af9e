"""The processes of docker-compose.yml, started as compose starts them, come up and answer.

The web (gunicorn), the Celery worker and beat run with the commands written in
docker-compose.yml and the settings of compose.env.example (only the address, the schedule file,
the executables' directory and the services' addresses are local), against a fresh PostgreSQL
database migrated by the compose `migrate` command and a dedicated Redis database; the web's
compose health check (/readyz) passes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis
import yaml
from dotenv import dotenv_values

from tests.conftest import postgres_database, reachable, unavailable
from tests.livekit import SECRET, free_port, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS_PROCESSES = "redis://127.0.0.1:6379/12"


def local(command: list[str], port: int, schedule: Path) -> list[str]:
    """The compose command with this machine's executables, port and schedule file."""
    out = [str(BIN / command[0]), *command[1:]]
    out = [f"127.0.0.1:{port}" if a.startswith("0.0.0.0:") else a for a in out]
    if "--schedule" in out:
        out[out.index("--schedule") + 1] = str(schedule)
    return out


def test_web_worker_and_beat_start_as_compose_starts_them(tmp_path):
    if not reachable("127.0.0.1", 6379):
        unavailable("Redis is not reachable at 127.0.0.1:6379")
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    redis.Redis.from_url(REDIS_PROCESSES).flushdb()
    with postgres_database() as database_url:
        env = dict(os.environ)
        env.update({k: v or "" for k, v in dotenv_values(ROOT / "compose.env.example").items()})
        seal = tmp_path / "seal.p12"  # the start only checks that the seal is a file
        seal.touch()
        env.update({"SECRET_KEY": SECRET, "DATABASE_URL": database_url,
                    "REDIS_URL": REDIS_PROCESSES, "RATELIMIT_STORAGE_URI": "memory://",
                    "MAIL_SERVER": "127.0.0.1", "SESSION_COOKIE_SECURE": "0",
                    "SEAL_PKCS12_PATH": str(seal)})
        migrate = subprocess.run(local(services["migrate"]["command"], 0, tmp_path), cwd=ROOT,
                                 env=env, capture_output=True, text=True, timeout=120)
        assert migrate.returncode == 0, migrate.stderr[-2000:]

        port = free_port()
        logs = {name: tmp_path / f"{name}.log" for name in ("web", "worker", "beat")}
        processes = {}
        try:
            for name in logs:
                with open(logs[name], "wb") as log:
                    processes[name] = subprocess.Popen(
                        local(services[name]["command"], port, tmp_path / "celerybeat-schedule"),
                        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                        start_new_session=True)

            def healthy() -> bool:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                                timeout=2) as response:
                        return json.load(response) == {"status": "ok"}
                except OSError:
                    return False

            wait_for(healthy, 60, "gunicorn to answer /healthz", every=0.3)
            wait_for(lambda: b" ready." in logs["worker"].read_bytes(), 60, "the worker",
                     every=0.3)
            ping = subprocess.run([str(BIN / "celery"), "-A", "wsgi", "inspect", "ping",
                                   "--timeout", "5"], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=60)
            assert ping.returncode == 0 and "pong" in ping.stdout, ping.stdout + ping.stderr
            # The compose health check itself, run here: /readyz says ready once the worker
            # has been seen.
            check = services["web"]["healthcheck"]["test"]
            probe = [str(BIN / "python"), "-c",
                     check[3].replace("127.0.0.1:8000", f"127.0.0.1:{port}")]
            wait_for(lambda: subprocess.run(probe, capture_output=True, timeout=10).returncode
                     == 0, 60, "the compose health check to pass", every=0.5)
            wait_for(lambda: b"beat schedule: relay-outbox" in logs["beat"].read_bytes(), 60,
                     "beat to log its schedule", every=0.3)
            beat_log = logs["beat"].read_text()
            for entry in ("relay-outbox", "send-reminders", "weekly-digest"):
                assert f"beat schedule: {entry}" in beat_log
            for name, process in processes.items():
                assert process.poll() is None, f"{name} exited:\n{logs[name].read_text()[-2000:]}"
        finally:
            for process in processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 20
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=5)
            redis.Redis.from_url(REDIS_PROCESSES).flushdb()
