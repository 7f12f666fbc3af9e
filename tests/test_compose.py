"""docker-compose.yml, parsed: its services, its one settings file, health checks, volumes, and
every command it runs exists in the project and accepts its options.

No Docker engine runs here: tests/test_processes.py starts the same commands directly.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

from tests.serving import procfile

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP = ("migrate", "web", "worker", "beat")  # built from this project's Dockerfile
ENV_FILE = "compose.env"


def settings() -> dict[str, str]:
    return {k: v or "" for k, v in dotenv_values(ROOT / f"{ENV_FILE}.example").items()}


def mounts(service: dict) -> dict[str, str]:
    """Mount point → volume name."""
    return {target: source for source, target in (v.split(":")[:2] for v in service["volumes"])}


def test_compose_defines_the_architecture():
    assert {"web", "worker", "beat", "migrate", "postgres", "redis", "mail"} <= set(SERVICES)
    assert SERVICES["mail"]["image"].startswith("axllent/mailpit")
    assert SERVICES["postgres"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")
    for name in APP:
        assert SERVICES[name]["build"] == "."
    assert SERVICES["web"]["command"][0] == "gunicorn"
    assert "wsgi:application" in SERVICES["web"]["command"]
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "wsgi", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "wsgi", "beat"]
    # Migrations run once before the app, not at web start.
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
        for backing in ("postgres", "redis"):
            assert SERVICES[name]["depends_on"][backing]["condition"] == "service_healthy"


def test_settings_come_from_one_env_file():
    for name in (*APP, "postgres"):
        assert SERVICES[name]["env_file"] == ENV_FILE, name
        assert "environment" not in SERVICES[name], f"{name} sets variables outside {ENV_FILE}"
    assert ENV_FILE in (ROOT / ".gitignore").read_text().split()  # it holds the secrets
    env = settings()
    read = set(re.findall(r'env(?:_int|_bool)?\("([A-Z_]+)"', (ROOT / "config.py").read_text()))
    assert read - set(env) == set(), "config.py reads settings the compose file does not give"
    assert env["TIZIM_CONFIG"] == "production" and env["SECRET_KEY"] == ""  # filled in by hand
    # The application reaches the services by their compose names, with PostgreSQL's account.
    assert env["DATABASE_URL"] == (f"postgresql+psycopg://{env['POSTGRES_USER']}:"
                                   f"{env['POSTGRES_PASSWORD']}@postgres:5432/{env['POSTGRES_DB']}")
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert (env["MAIL_SERVER"], env["MAIL_PORT"]) == ("mail", "1025")  # Mailpit's SMTP port


def test_the_web_is_healthy_only_when_ready():
    check = SERVICES["web"]["healthcheck"]
    assert check["test"][:3] == ["CMD", "python", "-c"]
    assert "http://127.0.0.1:8000/readyz" in check["test"][3]
    assert "0.0.0.0:8000" in SERVICES["web"]["command"]
    for name in ("postgres", "redis"):
        assert "healthcheck" in SERVICES[name]


def test_the_database_and_the_documents_live_on_volumes():
    declared = set(COMPOSE["volumes"])
    assert mounts(SERVICES["postgres"])["/var/lib/postgresql/data"] in declared
    upload_dir = settings()["UPLOAD_DIR"]
    for name in APP:
        assert mounts(SERVICES[name]).get(upload_dir) in declared or name == "beat", name
    schedule = SERVICES["beat"]["command"][SERVICES["beat"]["command"].index("--schedule") + 1]
    assert mounts(SERVICES["beat"])[str(Path(schedule).parent)] in declared
    assert mounts(SERVICES["redis"])["/data"] in declared


# Stands for the seal mounted from ./secrets: the commands check only that it is a file.
SEAL = Path(tempfile.gettempdir()) / "tizim-compose-test-seal.p12"


def run_env() -> dict[str, str]:
    """The compose settings, with a secret and local addresses nothing connects to at start."""
    SEAL.touch()
    env = {**os.environ, **settings()}
    env.update({"SECRET_KEY": secrets.token_hex(32), "SEAL_PKCS12_PATH": str(SEAL),
                "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://"})
    return env


def option_check(command: list[str]) -> list[str]:
    """The command, made to check its options and load the app instead of running."""
    if command[0] == "gunicorn":
        return [str(BIN / "gunicorn"), "--check-config", *command[1:]]
    return [str(BIN / command[0]), *command[1:], "--help"]


@pytest.mark.parametrize("name", APP)
def test_every_command_exists_in_the_project_and_takes_its_options(name):
    command = SERVICES[name]["command"]
    assert (BIN / command[0]).exists(), f"{command[0]} is not installed by pyproject.toml"
    done = subprocess.run(option_check(command), cwd=ROOT, env=run_env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"{command}: {done.stdout[-1500:]}{done.stderr[-1500:]}"


def test_the_health_check_and_the_dockerfile_name_what_exists():
    from workflow import create_app

    app = create_app({"TIZIM_CONFIG": "testing"})
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    path = re.search(r"127\.0\.0\.1:8000(/\w+)", SERVICES["web"]["healthcheck"]["test"][3])[1]
    assert path in routes
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)[1]
    assert yaml.safe_load(cmd)[-1] == "wsgi:application"
    assert "/var/lib/tizim/uploads" in dockerfile  # the volume's folder, owned by the app user


def test_the_procfile_runs_the_same_processes():
    """make serve (Procfile) and compose start the same programs with the same app and queue."""
    processes = procfile()
    assert {"web", "worker", "beat"} <= set(processes)
    for name in ("web", "worker", "beat"):
        local = shlex.split(processes[name])
        composed = SERVICES[name]["command"]
        assert local[0] == composed[0]
        for argument in ("wsgi:application", "wsgi", "worker", "beat", "tizim", "--schedule"):
            assert (argument in local) == (argument in composed), (name, argument)
