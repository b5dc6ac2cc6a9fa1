"""Engine settings per backend: SQLite gets WAL, a busy timeout and foreign keys on every
connection, so a background job can write while requests read. PostgreSQL's planner statistics
are refreshed at once after a bulk write (`refresh_statistics`). Also the one chunking of id
lists into `IN (...)` queries of bounded size."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from .extensions import db

CHUNK = 2000  # ids per IN (...) query: under every backend's bound-parameter limit
# autovacuum's rule for an ANALYZE (autovacuum_analyze_threshold, _scale_factor defaults)
ANALYZE_BASE, ANALYZE_SHARE = 50, 0.1
# The tables a bulk write may name (never a name from a request).
ANALYZABLE = frozenset({"eleve", "responsable", "responsable_eleve", "compte", "division", "mef",
                        "groupe", "eleve_groupe"})
log = logging.getLogger(__name__)


def chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    """The distinct ids, sorted, in lists of at most CHUNK."""
    ids = sorted(set(int(i) for i in ids))
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def refresh_statistics(written: Mapping[str, int]) -> list[str]:
    """PostgreSQL: ANALYZE now, in the writer's transaction (it counts its own new rows), each
    table of `written` (name → rows just written) whose new rows pass autovacuum's rule (50 +
    10 % of the rows the planner knows). Autovacuum does it too, but a minute or more later:
    meanwhile every page of a freshly imported school was planned on a table thought empty
    (bench/load.py: statistics page 1.2–4.8 s, p95 of every page 4–15 s under 200 staff).
    A refused ANALYZE (not the tables' owner) is logged and changes nothing else. Returns the
    tables analysed; nothing on SQLite, whose plans do not depend on such statistics here."""
    if db.engine.dialect.name != "postgresql":
        return []
    wanted = {table: int(rows) for table, rows in written.items()
              if table in ANALYZABLE and rows > ANALYZE_BASE}
    if not wanted:
        return []
    known = dict(db.session.execute(text(
        "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relname = ANY(:t) "
        "AND relnamespace = to_regnamespace(current_schema())::oid"),
        {"t": sorted(wanted)}).all())
    done = []
    for table, rows in sorted(wanted.items()):
        if rows <= ANALYZE_BASE + ANALYZE_SHARE * max(float(known.get(table, 0)), 0.0):
            continue
        try:
            with db.session.begin_nested():  # a refusal must not abort the writer's work
                db.session.execute(text(f"ANALYZE {table}"))  # a name of ANALYZABLE
        except DBAPIError as exc:
            log.warning("ANALYZE %s refused: %s", table, exc.orig)
            continue
        done.append(table)
    return done


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
