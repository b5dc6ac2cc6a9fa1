"""After a bulk write the PostgreSQL planner learns the new rows at once (admints.database.
refresh_statistics, issue 14 point 6): the first SIECLE import of a school filled tables the
planner thought empty, and until autovacuum came by, minutes later, the statistics pages took
seconds under load (bench/load.py). R-DAT-1: the import itself is unchanged."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import text

from admints import database
from admints.demo import loader

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="PostgreSQL only (make test-pg)")
TODAY = dt.date(2026, 11, 28)


def _known_rows(db, table: str) -> float:
    return db.session.execute(text(
        "SELECT reltuples FROM pg_class WHERE relname = :t AND relkind = 'r' "
        "AND relnamespace = to_regnamespace(current_schema())::oid"), {"t": table}).scalar()


TABLES = ("eleve", "responsable", "responsable_eleve", "compte")


def test_r_dat_1_first_import_gives_the_planner_its_statistics(app, db):
    for table in TABLES:  # the planner is told the tables are empty (as after a TRUNCATE)
        db.session.execute(text(f"ANALYZE {table}"))
    db.session.commit()
    assert all(_known_rows(db, table) <= 0 for table in TABLES)
    loader.load_demo("0999777Z", 120, "college", 3, "Orage-Tilleul-Boussole-17", TODAY)
    db.session.commit()
    assert _known_rows(db, "eleve") >= 100  # without waiting for autovacuum
    for table in ("responsable", "responsable_eleve", "compte"):
        assert _known_rows(db, table) >= 100, table


def test_r_dat_1_small_writes_and_unknown_tables_leave_it_to_autovacuum(app, db):
    loader.load_demo("0999777Z", 120, "college", 3, "Orage-Tilleul-Boussole-17", TODAY)
    db.session.commit()
    # 10 % of the rows the planner knows (plus 50) is autovacuum's own rule: below, nothing.
    assert database.refresh_statistics({"eleve": 20, "compte": 50}) == []
    # Only the tables a bulk write may name; a hostile name is never sent to the database.
    assert database.refresh_statistics({"eleve; DROP TABLE compte": 10_000,
                                        "pg_class": 10_000}) == []
    assert database.refresh_statistics({"eleve": 10_000}) == ["eleve"]
    assert db.session.execute(text("SELECT count(*) FROM compte")).scalar() > 0
