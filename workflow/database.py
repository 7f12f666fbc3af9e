"""Where transactions end: services wrap their work in ``transaction()``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event, func, insert, select, update
from sqlalchemy.orm import Session

from workflow.extensions import db


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


@contextmanager
def transaction() -> Iterator[Session]:
    """Commit what the block did, or roll all of it back if it raised."""
    try:
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
