"""Round trips to PostgreSQL per request, and what saving them must not cost (issue 14).

Counted on the wire (``bench.wire.RoundTripProxy`` counts the server's ReadyForQuery
messages): a read-only request sends its statements and nothing else (no pre-ping, no BEGIN,
no ROLLBACK); the API read, authentication included, is two. A connection the server ended
is not handed to a request; writes, locks and ``transaction()`` blocks are still one
transaction each.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, event, select, text

from bench.wire import RoundTripProxy
from tests import factories as f
from tests.conftest import PG_ADMIN_URL, FreshContextClient
from workflow import create_app
from workflow.database import read_only, transaction
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import Nomination


@pytest.fixture
def proxied(_app, app, backend):
    """The test's database seen by a second app through the counting proxy (PostgreSQL)."""
    if backend != "postgresql":
        pytest.skip("round trips are PostgreSQL's (SQLite has none)")
    with RoundTripProxy() as proxy:
        counted = create_app({"TIZIM_CONFIG": "testing",
                              "SQLALCHEMY_DATABASE_URI": proxy.url(
                                  _app.config["SQLALCHEMY_DATABASE_URI"]),
                              "UPLOAD_DIR": _app.config["UPLOAD_DIR"]})
        counted.test_client_class = FreshContextClient
        statements = []
        with counted.app_context():
            event.listen(db.engine, "before_cursor_execute",
                         lambda _c, _cu, statement, *a: statements.append(statement))
        try:
            yield counted, proxy, statements
        finally:
            with counted.app_context():
                db.engine.dispose()


def logged_in(counted, user):
    db.session.commit()
    client = counted.test_client()
    assert client.post("/auth/login", data={"email": user.email,
                                            "password": f.PASSWORD}).status_code == 302
    return client


def count(proxy, statements, client, path):
    # Warm: a connection in the pool, and every statement past psycopg's prepare threshold
    # (the fifth run of a statement on a connection prepares it: one round trip, once).
    for _ in range(6):
        client.get(path)
    before, n = proxy.snapshot(), len(statements)
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return proxy.since(before), statements[n:]


def test_the_api_read_is_two_round_trips_with_authentication(proxied):
    counted, proxy, statements = proxied
    nomination = f.nomination(State.FORWARDED)
    client = logged_in(counted, f.user(Role.SECRETARIAT))
    wire, sent = count(proxy, statements, client, f"/api/v1/nominations/{nomination.id}")
    assert wire == {"round_trips": 2, "connections": 0}, sent
    assert len(sent) == 2 and all(s.lstrip().startswith("SELECT") for s in sent)


@pytest.mark.parametrize("path", ["/nominations/{id}", "/nominations/", "/"])
def test_a_page_that_only_reads_sends_its_statements_and_nothing_else(proxied, path):
    """No pre-ping, no BEGIN, no ROLLBACK: as many round trips as statements."""
    counted, proxy, statements = proxied
    nomination = f.nomination(State.FORWARDED)
    client = logged_in(counted, f.user(Role.COORDINATOR))
    wire, sent = count(proxy, statements, client, path.format(id=nomination.id))
    assert wire["round_trips"] == len(sent) and wire["connections"] == 0, sent


def terminate_backends(database: str) -> int:
    """End every server process of ``database`` (as a restarted server would) and wait until
    they are gone."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            ended = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).scalar()
            for _ in range(100):
                if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE "
                                         "datname = :db AND pid <> pg_backend_pid()"),
                                    {"db": database}).scalar():
                    break
                time.sleep(0.05)
        return ended
    finally:
        admin.dispose()


def test_a_connection_the_server_ended_is_not_handed_to_the_next_request(proxied):
    """pg_terminate_backend on every connection of the pool: the next request still answers,
    on a new connection, without the pre-ping the pool no longer does."""
    counted, proxy, statements = proxied
    nomination = f.nomination(State.FORWARDED)
    client = logged_in(counted, f.user(Role.SECRETARIAT))
    path = f"/api/v1/nominations/{nomination.id}"
    assert client.get(path).status_code == 200
    db.session.remove()  # the test's own session leaves its connection too
    database = counted.config["SQLALCHEMY_DATABASE_URI"].rsplit("/", 1)[1].split("?")[0]
    assert terminate_backends(database) >= 1
    assert proxy.wait_until_ended(), "the proxy did not pass the servers' goodbye on"
    before = proxy.snapshot()
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_json()["id"] == nomination.id
    assert proxy.since(before)["connections"] == 1  # a fresh one, not the dead one
    # A write after the restart works too.
    assert client.post("/auth/logout").status_code == 302


@pytest.mark.parametrize("statement, expected", [
    ("SELECT 1", True),
    ("  select users.id FROM users WHERE users.id = %(pk)s", True),
    ("SHOW server_version", True),
    ("SELECT nominations.id FROM nominations WHERE id = 1 FOR UPDATE", False),
    ("SELECT * FROM nominations FOR NO KEY UPDATE", False),
    ("SELECT * FROM nominations FOR SHARE", False),
    ("SELECT nextval('seq')", False),
    ("SELECT pg_advisory_xact_lock(1)", False),
    ("SELECT set_config('x', 'y', true)", False),
    ("SELECT * INTO copy FROM nominations", False),
    ("WITH x AS (UPDATE t SET a = 1 RETURNING a) SELECT * FROM x", False),
    ("INSERT INTO t VALUES (1)", False),
    ("UPDATE t SET a = 1", False),
    ("DELETE FROM t", False),
    ("SAVEPOINT sa_savepoint_1", False),
    ("LOCK TABLE t", False),
])
def test_only_a_plain_read_runs_outside_a_transaction(statement, expected):
    assert read_only(statement) is expected


def _autocommit() -> bool:
    return db.session.connection().connection.dbapi_connection.autocommit


def test_writes_and_locks_are_in_a_transaction_and_a_rollback_undoes_them(app, backend):
    if backend != "postgresql":
        pytest.skip("psycopg's autocommit")
    nomination = f.nomination(State.SUBMITTED)
    db.session.commit()
    # A plain read runs without BEGIN …
    db.session.scalar(select(Nomination.id).where(Nomination.id == nomination.id))
    assert _autocommit()
    # … a lock does not: it must last until the commit.
    db.session.scalar(select(Nomination).where(Nomination.id == nomination.id)
                      .with_for_update())
    assert not _autocommit()
    db.session.rollback()
    db.session.scalar(select(Nomination.id))
    assert _autocommit()  # back from the pool, reads run alone again

    # A transaction() block is one transaction from its first statement, and all or nothing.
    before = nomination.justification
    with pytest.raises(RuntimeError), transaction():
        assert not _autocommit()
        db.session.get(Nomination, nomination.id).justification = "changed"
        db.session.flush()
        raise RuntimeError("a refusal after the write")
    assert db.session.scalar(select(Nomination.justification)
                             .where(Nomination.id == nomination.id)) == before

    # An ORM flush outside transaction() still commits or rolls back as one.
    db.session.get(Nomination, nomination.id).justification = "flushed"
    db.session.flush()
    assert not _autocommit()
    db.session.rollback()
    assert db.session.scalar(select(Nomination.justification)
                             .where(Nomination.id == nomination.id)) == before


@pytest.mark.parametrize("setting, expected", [(0, "0"), (1, "1"), (-1, None)])
def test_the_apps_connections_start_without_parallel_workers(_app, backend, setting, expected):
    """A page's query is not split over parallel workers (DATABASE_PARALLEL_WORKERS, 0 by
    default): set in the connection's startup message, so it costs no statement; -1 leaves
    the server's own setting."""
    if backend != "postgresql":
        pytest.skip("parallel query is PostgreSQL's")
    other = create_app({"TIZIM_CONFIG": "testing", "DATABASE_PARALLEL_WORKERS": setting,
                        "SQLALCHEMY_DATABASE_URI": _app.config["SQLALCHEMY_DATABASE_URI"],
                        "UPLOAD_DIR": _app.config["UPLOAD_DIR"]})
    with other.app_context():
        try:
            value, source = db.session.execute(text(
                "SELECT setting, source FROM pg_settings "
                "WHERE name = 'max_parallel_workers_per_gather'")).one()
        finally:
            db.session.remove()
            db.engine.dispose()
    if expected is None:
        assert source != "client"
    else:
        assert (value, source) == (expected, "client")
    assert create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
                      ).config["DATABASE_PARALLEL_WORKERS"] == 0
