"""Fixtures: a database per backend, the app, clients logged in as each role, services.

Database-backed tests run once on SQLite and once on PostgreSQL. A backend or service that
is not reachable is skipped with the reason, unless TIZIM_REQUIRE_SERVICES=1, where the
test fails instead: CI must not pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from workflow import create_app
from workflow.extensions import db

REQUIRE_SERVICES = os.environ.get("TIZIM_REQUIRE_SERVICES") == "1"
PG_ADMIN_URL = os.environ.get(
    "TIZIM_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Each pytest-xdist process has a Redis database of its own (gw0: 15, gw1: 14, ...), so one
# process's Celery worker never takes another's tasks.
_XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
REDIS_URL = os.environ.get("TIZIM_TEST_REDIS", f"redis://127.0.0.1:6379/{15 - _XDIST_INDEX}")
BACKENDS = [b for b in os.environ.get("TIZIM_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def unavailable(reason: str):
    """Skip, or fail where the services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} — and TIZIM_REQUIRE_SERVICES=1 says it must run", pytrace=False)
    pytest.skip(reason)


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def postgres_database():
    """Create a fresh PostgreSQL database, yield its URL, drop it."""
    if not reachable("127.0.0.1", 5432):
        unavailable("PostgreSQL is not reachable at 127.0.0.1:5432")
    name = f"tizim_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database is thrown away: it need not wait for the disk at every commit.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# A test database is thrown away: in memory-backed storage its commits need not wait for a disk.
MEMORY_DISK = Path("/dev/shm")


@contextmanager
def sqlite_database(directory):
    if MEMORY_DISK.is_dir() and os.access(MEMORY_DISK, os.W_OK):
        directory = Path(tempfile.mkdtemp(prefix="tizim-test-", dir=MEMORY_DISK))
    try:
        yield f"sqlite:///{directory / f'tizim-{uuid.uuid4().hex[:8]}.sqlite3'}"
    finally:
        if str(directory).startswith(str(MEMORY_DISK)):
            shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def fresh_database(backend: str, tmp_path_factory):
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        with sqlite_database(tmp_path_factory.mktemp("db")) as url:
            yield url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """One database per backend for the whole run; the schema is built once."""
    with fresh_database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    app = create_app({
        "TIZIM_CONFIG": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
    })
    with app.app_context():
        db.create_all()  # tests only; the migration tests check that migrations build the same
    yield app
    with app.app_context():
        db.engine.dispose()


def wipe(app) -> None:
    """Empty every table, so no test depends on what an earlier one left."""
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        if db.engine.dialect.name == "postgresql":
            # TRUNCATE of every table took a second a test (new files for each table); deleting
            # the few rows a test leaves, with the foreign-key triggers off for this transaction,
            # and restarting the sequences takes milliseconds and ends in the same state.
            with db.engine.begin() as conn:
                sequences = conn.exec_driver_sql(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), "
                    "start_value FROM pg_sequences WHERE schemaname = current_schema()").all()
                conn.exec_driver_sql("; ".join((
                    "SET LOCAL session_replication_role = replica",
                    *(f'DELETE FROM "{t}"' for t in tables),
                )))
                if sequences:
                    conn.exec_driver_sql("SELECT " + ", ".join(
                        f"setval('{name}', {start}, false)" for name, start in sequences))
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                for table in reversed(tables):
                    conn.exec_driver_sql(f'DELETE FROM "{table}"')
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")


@pytest.fixture
def app(_app):
    """The app with an empty database holding only the 20 regions."""
    from workflow.regions import load_regions

    wipe(_app)
    with _app.app_context():
        load_regions()
        db.session.commit()
        yield _app
        db.session.remove()


@pytest.fixture
def backend(app) -> str:
    return db.engine.dialect.name


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production: no ``g`` or session carried over
    from the test's own context (where the test prepares and inspects data)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factories bound to this test's database."""
    from tests import factories

    return factories


class Auth:
    """Log a test client in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def login(self, user, password: str = "pw-test-1234"):
        db.session.commit()  # the request runs in its own session: it must see the user
        response = self.client.post(
            "/auth/login", data={"email": user.email, "password": password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture(scope="session")
def redis_url():
    if not reachable("127.0.0.1", 6379):
        unavailable("Redis is not reachable at 127.0.0.1:6379")
    return REDIS_URL


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "backends(*names): run only on these database backends (others deselected)"
    )


def pytest_collection_modifyitems(config, items):
    """Honour @pytest.mark.backends("sqlite"): deselect, rather than skip, other backends."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("backends")
        backend = getattr(item, "callspec", None) and item.callspec.params.get("database_url")
        if marker and backend and backend not in marker.args:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def limited(_app, app):
    """An app with rate limits on (the suite's app has them off), sharing the test database."""
    limited_app = create_app({
        "TIZIM_CONFIG": "testing",
        "SQLALCHEMY_DATABASE_URI": _app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "3 per minute",
        "STATUS_CHECK_RATE_LIMIT": "6 per hour",
        "STATUS_CHECK_CODE_RATE_LIMIT": "3 per hour",
    })
    try:
        yield limited_app
    finally:
        with limited_app.app_context():
            db.engine.dispose()
        from workflow.extensions import limiter

        limiter.init_app(_app)  # the limiter is one object: give it back its (disabled) state

@pytest.fixture
def english(app, monkeypatch):
    """Messages in English (the source language), for tests that read them."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
