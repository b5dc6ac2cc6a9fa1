"""Issue 14 point 3 (R-SEC-1, R-ACC-4, R-STA-1..3): every list and statistics query filters each
table it reads by establishment, so PostgreSQL reads each one through an (etablissement_id, …)
index at académie size — asserted on the SQL text the pages and the statistics really send
(query plans on a small database prove nothing: PostgreSQL scans small tables anyway)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event

from admints.comptes import selection
from admints.models import KindCompte
from admints.statistiques import rollups, summaries, visits

from .comptes_helpers import school

SCOPED = {"eleve", "compte", "responsable", "responsable_eleve", "division", "mef"}
TABLE = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+AS\s+(\w+))?", re.IGNORECASE)


def unscoped(sql: str) -> list[str]:
    """The tables of SCOPED the statement reads without a condition on their establishment. A
    guardian link joined by its pupil (`eleve.id = responsable_eleve.eleve_id`, the pupil
    scoped) is scoped through it (`selection.select_accounts`, `page=True`)."""
    missing = []
    for table, alias in TABLE.findall(sql):
        name = alias or table
        if table not in SCOPED or f"{name}.etablissement_id" in sql:
            continue
        if (table == "responsable_eleve" and "eleve.id = responsable_eleve.eleve_id" in sql
                and "eleve.etablissement_id" in sql):
            continue
        missing.append(name)
    return missing


@pytest.fixture
def statements(db):
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\b(eleve|compte|responsable_eleve)\b", statement) and \
                statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.parametrize("kind", [KindCompte.ELEVE, KindCompte.RESPONSABLE])
@pytest.mark.parametrize("page", [False, True])
def test_r_sec_1_selection_scopes_every_table(db, kind, page):
    """R-SEC-1 / R-ACC-4: the one account-selection query, unfiltered and with every filter
    reading the account, names the establishment on each of its tables."""
    for filters in (selection.NO_FILTERS,
                    selection.AccountFilters(etats=("utilise",), divisions=(1,), mefs=(2,),
                                             continuite=True, open_only=True,
                                             expire_le=dt.date(2026, 12, 1))):
        stmt = selection.select_accounts(7, kind, filters, page=page)
        sql = str(stmt.compile(db.engine))
        assert "eleve.etablissement_id" in sql
        assert unscoped(sql) == [], sql
        if filters is not selection.NO_FILTERS:
            assert "compte.etablissement_id = " in sql and "compte.kind = " in sql


@pytest.mark.parametrize("path", ["/eleves/", "/responsables/", "/responsables/?flt0_etat=utilise",
                                  "/eleves/?flt0_etat=non_notifie"])
def test_r_acc_4_list_pages_scope_every_table(client, auth, etab, other_etab, statements, path):
    """R-ACC-4: the count and the page of the two account lists, filtered or not."""
    s = school(etab)
    school(other_etab)
    auth.login("chef.0999001a")
    statements.clear()
    html = client.get(path).get_data(as_text=True)
    assert "compte(s)" in html
    lists = [sql for sql in statements if "count(" in sql or "ORDER BY eleve.nom" in sql]
    assert any("count(" in sql for sql in lists), statements  # with the page, or alone
    assert any("ORDER BY eleve.nom" in sql for sql in lists), statements
    for sql in lists:
        assert unscoped(sql) == [], sql
    for sql in lists:  # the shown joins are scoped too
        if "JOIN division" in sql:
            assert "division.etablissement_id = eleve.etablissement_id" in sql
    assert s["eleves"]


def test_r_sta_1_statistics_scope_every_table(db, etab, other_etab, statements):
    """R-STA-1/2/3: an establishment's statistics name the establishment on each table; the
    académie roll-ups on each table too (by the académie's establishments)."""
    school(etab)
    school(other_etab)
    periode = visits.periode_par_defaut(dt.date(2026, 11, 28))
    summaries.synthese_eleves(etab.id)
    summaries.synthese_responsables(etab.id)
    visits.synthese_acces(etab.id, periode)
    assert statements
    for sql in statements:
        assert unscoped(sql) == [], sql
    statements.clear()
    rollups.rollup_eleves(etab.academie_id)
    rollups.rollup_responsables(etab.academie_id)
    for sql in statements:
        assert unscoped(sql) == [], sql
