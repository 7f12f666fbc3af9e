"""Where transactions end: services wrap their work in ``transaction()``."""

from __future__ import annotations

import re
import select as _select
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache

from sqlalchemy import Engine, event, exc, func, insert, select, update
from sqlalchemy.orm import Session

from workflow.extensions import db

# The largest id or count the database keeps (PostgreSQL ``integer``; SQLite's are wider).
DB_INT_MAX = 2**31 - 1


def bounded_int(value) -> int | None:
    """``value`` as a whole number the database can hold in an integer column, or None."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -DB_INT_MAX - 1 <= number <= DB_INT_MAX else None


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


# --- PostgreSQL: reads without BEGIN and ROLLBACK, no pre-ping (issue 14). --------------------
#
# A page that only reads used to cost five round trips besides its own queries' (the pool's
# pre-ping, psycopg's BEGIN, the user, the page's query, the ROLLBACK at the end). Now:
#
# - A connection taken from the pool is checked without a round trip: an idle connection whose
#   socket is readable has been told something by the server — the FATAL message of a
#   terminated backend, of a server shutting down, or the end of the stream — and is thrown
#   away before anyone uses it (the pool opens a fresh one). TCP keepalives (``setup``) make a
#   peer that vanished without a word show up the same way; ``pool_recycle`` bounds the rest.
# - Each connection starts in psycopg's autocommit mode, as SQLite's driver does: a SELECT runs
#   on its own, with no BEGIN before it and no ROLLBACK after it. Under READ COMMITTED (the
#   default, and what Tizim uses) a transaction gives its reads nothing more: each statement
#   takes its own snapshot either way. The connection turns transactional — psycopg sends BEGIN
#   before the next statement, and the commit or rollback ends it — at the first thing that is
#   not a plain read (INSERT, UPDATE, DELETE, a SELECT … FOR UPDATE or FOR SHARE, a savepoint,
#   anything else not known to be read-only) and at the start of every ``transaction()`` block,
#   so a block's reads, locks and writes are one transaction from its first statement. Back in
#   the pool, the connection is reset; the next checkout starts it in autocommit again.
# - A connection given an isolation level of its own (``execution_options(isolation_level=…)``)
#   is left as SQLAlchemy set it.

_READ = re.compile(r"\A\s*(SELECT|SHOW)\b", re.I)
# Anything that makes a SELECT more than a read, generously: a false alarm costs one BEGIN.
_NOT_ONLY_READ = re.compile(
    r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY|KEY\s+SHARE)\b|\bINTO\b|NEXTVAL|SETVAL|ADVISORY|SET_CONFIG"
    r"|\bLOCK\b", re.I)


@lru_cache(maxsize=4096)  # the statements are SQLAlchemy's cached compilations: few, reused
def read_only(statement: str) -> bool:
    """Whether ``statement`` (SQL text) is a plain read that needs no transaction."""
    return bool(_READ.match(statement)) and not _NOT_ONLY_READ.search(statement)


def _psycopg(dbapi_connection):
    return dbapi_connection if hasattr(dbapi_connection, "pgconn") else None


def _idle(pg) -> bool:
    from psycopg.pq import TransactionStatus

    return pg.info.transaction_status == TransactionStatus.IDLE


def told_to_go(pg) -> bool:
    """Whether the server has closed this idle connection, or said something on it unasked."""
    if pg.closed or pg.broken:
        return True
    try:
        poller = _select.poll()
        poller.register(pg.fileno(), _select.POLLIN | _select.POLLPRI)
        return bool(poller.poll(0))
    except Exception:  # noqa: BLE001 - a connection that cannot be asked is gone
        return True


def _checkout(dbapi_connection, _record, _proxy) -> None:
    pg = _psycopg(dbapi_connection)
    if pg is None:
        return
    if told_to_go(pg):
        # The pool closes it and hands out another (up to three tries, then a new connection).
        raise exc.DisconnectionError("the server closed this connection")
    if _idle(pg) and not pg.autocommit:
        pg.autocommit = True


def _explicit_isolation(conn) -> bool:
    return "isolation_level" in conn.get_execution_options()


def begin_for_real(conn) -> None:
    """Make ``conn`` (a SQLAlchemy connection) transactional from its next statement on."""
    pg = _psycopg(conn.connection.dbapi_connection)
    if pg is not None and pg.autocommit and not _explicit_isolation(conn) and _idle(pg):
        pg.autocommit = False


def _before_execute(conn, _cursor, statement, _parameters, context, _executemany) -> None:
    pg = _psycopg(conn.connection.dbapi_connection)
    if pg is None or not pg.autocommit:
        return
    writes = context is not None and (context.isinsert or context.isupdate or context.isdelete)
    if writes or not read_only(statement):
        begin_for_real(conn)


def configure_engine(engine: Engine, parallel_workers: int = 0) -> None:
    """On PostgreSQL (psycopg): the checkout without a round trip, reads without BEGIN, and at
    most ``parallel_workers`` parallel workers per query (-1: the server's setting).

    A request's query reads one page. Parallel workers cost more to start than such a query
    takes: the list's surname search at 1,000,000 nominations took 35-40 ms with the two
    workers the planner chose and 8 ms without. On a server answering many requests at once
    they also take the cores other requests need. The setting travels in the connection's
    startup message: no statement, no round trip.
    """
    if engine.dialect.name != "postgresql":
        return
    event.listen(engine, "checkout", _checkout)
    event.listen(engine, "before_cursor_execute", _before_execute)
    if parallel_workers >= 0:
        setting = f"-c max_parallel_workers_per_gather={int(parallel_workers)}"

        @event.listens_for(engine, "do_connect")
        def _startup_options(_dialect, _record, _cargs, cparams):
            cparams["options"] = f"{cparams.get('options', '')} {setting}".strip()


@contextmanager
def transaction(actor=None) -> Iterator[Session]:
    """Commit what the block did, or roll all of it back if it raised.

    ``actor`` is whom the audit trail names for the changes the block makes (by default the
    signed-in user of the request, else the system: see ``workflow.audit``). On PostgreSQL the
    block is one database transaction from its first statement, reads included.
    """
    from workflow import audit

    with audit.acting_as(actor) if actor is not None else nullcontext():
        try:
            begin_for_real(db.session.connection())
            yield db.session
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def next_counter(name: str) -> int:
    """Increment the named counter and return its new value, atomically, in this transaction.

    The UPDATE takes the row lock, so two transactions never see the same value.
    """
    from workflow.models import Counter

    stmt = update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
    if db.session.execute(stmt).rowcount == 0:
        exists = db.session.scalar(select(func.count()).where(Counter.name == name))
        if not exists:
            if is_postgres():
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                db.session.execute(
                    pg_insert(Counter).values(name=name, value=0).on_conflict_do_nothing()
                )
            else:
                db.session.execute(insert(Counter).prefix_with("OR IGNORE").values(name=name, value=0))
        db.session.execute(stmt)
    return db.session.scalar(select(Counter.value).where(Counter.name == name))


def raise_counter(name: str, at_least: int) -> None:
    """Make the named counter at least ``at_least`` (numbers taken outside it, e.g. imported)."""
    from workflow.models import Counter

    current = next_counter(name) - 1  # creates and locks the row
    db.session.execute(update(Counter).where(Counter.name == name)
                       .values(value=max(current, at_least)))
