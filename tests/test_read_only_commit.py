"""PostgreSQL requests that only read end with COMMIT, not ROLLBACK (admints.database,
issue 14 point 3): psycopg forgets its prepared statements on a ROLLBACK, so every list page
planned its queries again. Nothing that wrote, failed or left changes may ever be committed by
it (R-SEC-1: a refused action changes nothing)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from admints import database
from admints.models import Academie

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="PostgreSQL only (make test-pg)")


def _other_connection_sees(app, code: str) -> bool:
    """Read through a connection of its own: only committed rows show."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT 1 FROM academie WHERE code = :c"),
                                     {"c": code}).first())
    finally:
        engine.dispose()


def _prepared(db) -> int:
    return db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()


def test_r_sec_1_read_only_request_commits_and_keeps_prepared_statements(app, db):
    for _ in range(8):  # psycopg prepares a statement from its 5th execution
        db.session.execute(text("SELECT id FROM academie WHERE code = :c"), {"c": "x"}).all()
    assert _prepared(db) >= 1
    database.end_read_only_transaction(None)
    assert not db.session().in_transaction()  # committed, not left open
    assert _prepared(db) >= 1  # kept: a ROLLBACK would have dropped them


@pytest.mark.parametrize("how", ["flushed", "core", "pending", "failed"])
def test_r_sec_1_request_that_wrote_or_failed_is_never_committed(app, db, how):
    code = f"ecrit-{how}"
    if how == "flushed":
        db.session.add(Academie(code=code, nom="Écrite"))
        db.session.flush()
    elif how == "core":
        db.session.execute(text("INSERT INTO academie (code, nom) VALUES (:c, 'Écrite')"),
                           {"c": code})
    elif how == "pending":
        db.session.add(Academie(code=code, nom="Écrite"))
    else:
        db.session.add(Academie(code=code, nom="Écrite"))
        db.session.flush()
    database.end_read_only_transaction(RuntimeError("boom") if how == "failed" else None)
    db.session.remove()  # what Flask-SQLAlchemy does next at the end of the request
    assert not _other_connection_sees(app, code)
