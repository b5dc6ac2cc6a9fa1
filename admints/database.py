"""Engine settings per backend: SQLite gets WAL, a busy timeout and foreign keys on every
connection, so a background job can write while requests read. Also the one chunking of id
lists into `IN (...)` queries of bounded size."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

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


def configure_engine_events(app: Flask) -> None:
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_admints_pragmas", False):
            event.listen(engine, "connect", _sqlite_pragmas)
            engine._admints_pragmas = True  # type: ignore[attr-defined]
