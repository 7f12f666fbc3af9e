"""Readiness: can this deployment do its work — database, schema, broker and a worker?

``/healthz`` says only that the process answers. ``/readyz`` runs the checks below, each one
round trip at most, with short timeouts, so a load balancer or an orchestrator may poll it
often. Failures are logged here with their cause; the answer names the check, nothing more.

The worker proves it is alive by writing ``WORKER_SEEN_KEY`` to Redis (with a one-minute
expiry) on Celery's own heartbeat, so "a worker seen within a minute" is one GET.
"""

from __future__ import annotations

import logging
import time

import redis
from flask import Flask, current_app
from sqlalchemy import text

from workflow.extensions import db

log = logging.getLogger(__name__)

WORKER_SEEN_KEY = "tizim:worker-seen"
# A worker counts as seen for this long after its last heartbeat.
WORKER_SEEN_SECONDS = 60
# Celery beats every 2 s; Redis hears of it every HEARTBEAT_EVERY seconds, which is plenty.
HEARTBEAT_EVERY = 10
REDIS_TIMEOUT = 1.0


def redis_client(app: Flask) -> redis.Redis | None:
    """One client (and its pool) per process for the checks and the heartbeat; None without Redis."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("tizim_health_redis")
    if client is None:
        client = app.extensions["tizim_health_redis"] = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
    return client


def migration_heads(app: Flask) -> frozenset[str]:
    """The head revisions of the code on disk, read once per process (a release restarts it)."""
    heads = app.extensions.get("tizim_migration_heads")
    if heads is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()  # the folder `flask db upgrade` reads (Flask-Migrate's)
        config.set_main_option("script_location", app.extensions["migrate"].directory)
        heads = app.extensions["tizim_migration_heads"] = frozenset(
            ScriptDirectory.from_config(config).get_heads())
    return heads


def _database_revisions() -> set[str] | None:
    """The revisions the database is stamped with; None when it has no Alembic table.

    :raise sqlalchemy.exc.SQLAlchemyError: the database cannot be reached.
    """
    try:
        return set(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception:
        db.session.rollback()
    # Reachable but never migrated is a different failure from unreachable: ask again plainly.
    db.session.execute(text("SELECT 1"))
    log.warning("readiness: the database has no migration stamp (run flask db upgrade)")
    return None


def checks() -> dict[str, bool]:
    """Run each readiness check; True where it passes. Redis and the worker only where used."""
    app = current_app._get_current_object()
    result: dict[str, bool] = {}
    try:
        revisions = _database_revisions()
        result["database"] = True
        result["migrations"] = revisions == set(migration_heads(app))
        if revisions is not None and not result["migrations"]:
            log.warning("readiness: database at %s, code at %s", sorted(revisions),
                        sorted(migration_heads(app)))
    except Exception as exc:
        log.warning("readiness: the database is unreachable: %s: %s", type(exc).__name__, exc)
        result["database"] = result["migrations"] = False
    finally:
        # End the read at once (the connection goes back to the pool); the session itself is
        # the request's, removed at its teardown like every other's.
        db.session.rollback()
    client = redis_client(app)
    if client is not None:  # tasks go through Redis to a worker (not the embedded default)
        try:
            seen = client.get(WORKER_SEEN_KEY)
            result["redis"] = True
            result["worker"] = seen is not None
            if seen is None:
                log.warning("readiness: no worker seen in the last %s s", WORKER_SEEN_SECONDS)
        except redis.RedisError as exc:
            log.warning("readiness: Redis is unreachable: %s: %s", type(exc).__name__, exc)
            result["redis"] = result["worker"] = False
    return result


def record_worker_seen(app: Flask, hostname: str) -> None:
    """Tell readiness that a worker is alive (called on Celery's heartbeat, throttled)."""
    now = time.monotonic()
    if now - app.extensions.get("tizim_worker_seen_at", -HEARTBEAT_EVERY) < HEARTBEAT_EVERY:
        return
    client = redis_client(app)
    if client is None:
        return
    try:
        client.set(WORKER_SEEN_KEY, f"{int(time.time())} {hostname}", ex=WORKER_SEEN_SECONDS)
        app.extensions["tizim_worker_seen_at"] = now
    except redis.RedisError as exc:  # the broker is down: the worker reconnects on its own
        log.debug("worker heartbeat not recorded: %s", exc)
