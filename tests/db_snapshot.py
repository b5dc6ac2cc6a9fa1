"""A snapshot of every row of the database, to assert that a refused request changed nothing.

    before = db_snapshot(db)
    ... hostile request ...
    assert db_snapshot(db) == before

Tables that a refusal legitimately writes to (the audit journal, sessions, rate-limit or
lock bookkeeping) are left out with `exclude`."""

from __future__ import annotations

DEFAULT_EXCLUDE = ("audit_entry", "server_session")


def db_snapshot(db, exclude: tuple[str, ...] = DEFAULT_EXCLUDE) -> dict[str, list[tuple]]:
    db.session.expire_all()
    result = {}
    for table in db.metadata.sorted_tables:
        if table.name in exclude:
            continue
        rows = db.session.execute(table.select()).all()
        result[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
    return result
