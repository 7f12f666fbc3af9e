"""/healthz and /readyz: cheap, open to anyone, and saying nothing but which check fails.

The live side (a real worker's heartbeat making /readyz ready) is in tests/test_serve.py.
"""

from __future__ import annotations

import time

import pytest
import redis
from flask_migrate import upgrade

from tests.conftest import reachable, unavailable
from tests.livekit import free_port
from workflow import create_app, health
from workflow.extensions import db

REDIS_READY = "redis://127.0.0.1:6379/12"


def build(url: str, redis_url: str | None = None):
    return create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url,
                       "REDIS_URL": redis_url})


@pytest.fixture
def migrated(tmp_path):
    """A SQLite database built by the migrations, as `flask db upgrade` builds production's."""
    url = f"sqlite:///{tmp_path / 'ready.sqlite3'}"
    app = build(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def broker():
    if not reachable("127.0.0.1", 6379):
        unavailable("Redis is not reachable at 127.0.0.1:6379")
    client = redis.Redis.from_url(REDIS_READY)
    client.delete(health.WORKER_SEEN_KEY)
    yield client
    client.delete(health.WORKER_SEEN_KEY)


def readyz(app):
    response = app.test_client().get("/readyz")
    assert "Set-Cookie" not in response.headers  # no session is opened for a probe
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def test_healthz_answers_without_login_and_says_nothing_else(migrated):
    response = build(migrated).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_ready_on_a_migrated_database_without_redis(migrated):
    # The embedded default (make run): tasks run in-process, so no Redis and no worker to ask.
    assert readyz(build(migrated)) == (200, {"status": "ready", "checks": {
        "database": "ok", "migrations": "ok"}})


def test_not_ready_when_the_schema_was_never_migrated(tmp_path):
    app = build(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    with app.app_context():
        db.create_all()  # tables, but no migration stamp
    status, body = readyz(app)
    assert status == 503
    assert body == {"status": "not ready", "checks": {"database": "ok", "migrations": "failing"}}


def test_not_ready_when_the_database_is_behind_the_code(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = build(url)
    heads = health.migration_heads(app)
    with app.app_context():
        upgrade(revision="0001")
    assert "0001" not in heads  # the test means something only while a later revision exists
    assert readyz(app)[1]["checks"]["migrations"] == "failing"
    with app.app_context():
        upgrade()
    assert readyz(app)[0] == 200


def test_not_ready_when_the_database_is_unreachable():
    app = build(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    started = time.monotonic()
    status, body = readyz(app)
    assert time.monotonic() - started < 5
    assert (status, body["checks"]) == (503, {"database": "failing", "migrations": "failing"})


def test_ready_needs_redis_and_a_worker_seen_within_a_minute(migrated, broker):
    app = build(migrated, REDIS_READY)
    status, body = readyz(app)
    assert status == 503
    assert body["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok",
                              "worker": "failing"}
    health.record_worker_seen(app, "worker@test")
    assert readyz(app) == (200, {"status": "ready", "checks": {
        "database": "ok", "migrations": "ok", "redis": "ok", "worker": "ok"}})
    ttl = broker.ttl(health.WORKER_SEEN_KEY)
    assert 0 < ttl <= health.WORKER_SEEN_SECONDS  # unseen for a minute, it is not ready again


def test_not_ready_when_redis_is_unreachable(migrated):
    app = build(migrated, f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    status, body = readyz(app)
    assert time.monotonic() - started < 5
    assert (status, body["checks"]["redis"], body["checks"]["worker"]) == (503, "failing",
                                                                           "failing")
    health.record_worker_seen(app, "worker@test")  # a worker cut off from Redis goes on quietly


def test_the_worker_heartbeat_is_written_at_most_every_few_seconds(migrated, broker):
    app = build(migrated, REDIS_READY)
    health.record_worker_seen(app, "first@test")
    health.record_worker_seen(app, "second@test")
    assert broker.get(health.WORKER_SEEN_KEY).decode().endswith(" first@test")
