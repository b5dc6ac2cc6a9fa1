"""Engine settings per backend: SQLite gets WAL, a busy timeout and foreign keys on every
connection, so a background job can write while requests read. PostgreSQL requests that only
read end their transaction with COMMIT rather than ROLLBACK (`end_read_only_transaction`):
psycopg forgets every prepared statement of its connection on a ROLLBACK, so each request
planned its list queries again (1–2 ms each at académie size, bench/academie.py); a request
that wrote anything, failed, or left changes in the session is rolled back as before. Also the
one chunking of id lists into `IN (...)` queries of bounded size."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .extensions import db

CHUNK = 2000  # ids per IN (...) query: under every backend's bound-parameter limit


def chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    """The distinct ids, sorted, in lists of at most CHUNK."""
    ids = sorted(set(int(i) for i in ids))
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


WROTE = "admints_wrote"  # Connection.info key: this transaction sent something else than a read


def _note_writes(conn: Connection, cursor, statement: str, parameters, context,
                 executemany) -> None:
    if not statement.lstrip()[:6].upper() == "SELECT":
        conn.info[WROTE] = True


def _transaction_ended(conn: Connection) -> None:
    conn.info.pop(WROTE, None)


def end_read_only_transaction(exc: BaseException | None) -> None:
    """Teardown (PostgreSQL): COMMIT the request's transaction when it only read — same effect
    as the ROLLBACK the session would send, but psycopg keeps its prepared statements."""
    if exc is not None:
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    try:
        if session.connection().info.get(WROTE):
            return  # rolled back by the session's removal, as always
        session.commit()
    except Exception:  # nothing was written: the session's removal rolls back
        session.rollback()


def configure_engine_events(app: Flask) -> None:
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_admints_pragmas", False):
            event.listen(engine, "connect", _sqlite_pragmas)
            engine._admints_pragmas = True  # type: ignore[attr-defined]
        if engine.dialect.name == "postgresql":
            if not getattr(engine, "_admints_writes", False):
                event.listen(engine, "before_cursor_execute", _note_writes)
                event.listen(engine, "commit", _transaction_ended)
                event.listen(engine, "rollback", _transaction_ended)
                engine._admints_writes = True  # type: ignore[attr-defined]
            # Registered after Flask-SQLAlchemy's session removal: runs before it.
            app.teardown_appcontext(end_read_only_transaction)
