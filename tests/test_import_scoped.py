"""Issue 14, costs linear in the school (R-DAT-1, R-ACC-2): a SIECLE import into one
establishment reads only what can collide with its new identifiers and its own rows — never the
identifiers nor the rows of the other establishments — and identifiers stay unique across the
whole database."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import event, insert, select

from admints.comptes import identifier_lookup
from admints.models import Compte

from . import siecle_xml as X
from .test_siecle_import import base_files, run

STRANGERS = 300


def _seed_other(db, etab_id: int) -> None:
    """The other establishment's accounts: strangers (no name in common) and one homonym of a
    pupil to be imported (`zoe.dupont`) with its order numbers."""
    now = dt.datetime(2026, 11, 1, 8, 0)
    rows = [f"autre.personne{n}" for n in range(STRANGERS)]
    rows += ["zoe.dupont", "zoe.dupont2", "zoe.dupont-martin", "zoe.dupontel"]
    db.session.execute(insert(Compte.__table__), [
        {"etablissement_id": etab_id, "kind": "eleve", "identifiant": i, "etat": "non_notifie",
         "email_valide": False, "continuite": False, "created_at": now} for i in rows])
    db.session.commit()


def _compte_selects(db):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and re.search(
                r"\bFROM compte\b", statement):
            statements.append(statement)

    return statements, record


def test_r_acc_2_import_never_reads_other_establishments_identifiers(db, etab, other_etab,
                                                                     monkeypatch):
    """The allocation reads only the identifiers that can collide (`zoe.dupont`, `zoe.dupont2`),
    none of the 300 strangers, and every SELECT on `compte` is bounded: by establishment, by an
    identifier range or by a list of ids / identifiers."""
    _seed_other(db, other_etab.id)
    loaded: list[set[str]] = []
    original = identifier_lookup.taken_among

    def spy(bases):
        found = original(bases)
        loaded.append(found)
        return found

    monkeypatch.setattr(identifier_lookup, "taken_among", spy)
    statements, record = _compte_selects(db)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        run(base_files())
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    read = set().union(*loaded)
    assert read == {"zoe.dupont", "zoe.dupont2"}
    assert statements, "the import reads accounts"
    for sql in statements:
        where = sql.split("WHERE", 1)[1] if "WHERE" in sql else ""
        assert ("etablissement_id" in where or "compte.identifiant >=" in where
                or re.search(r"compte\.(id|identifiant) IN", where)), sql
    # R-ACC-2: the new pupil took the next order number, across establishments.
    idents = set(db.session.scalars(select(Compte.identifiant).where(
        Compte.etablissement_id == etab.id)))
    assert "zoe.dupont3" in idents and "zoe.dupont" not in idents


def test_r_acc_2_bases_ending_in_digits_and_longer_names_stay_apart(db, etab, other_etab):
    """A base that ends in a digit (`leo.martin2`, from a name typed with a digit) and a longer
    name sharing the prefix (`leo.martin-roy`) never block nor hide each other."""
    _seed_other(db, other_etab.id)
    db.session.execute(insert(Compte.__table__), [
        {"etablissement_id": other_etab.id, "kind": "eleve", "identifiant": i,
         "etat": "non_notifie", "email_valide": False, "continuite": False,
         "created_at": dt.datetime(2026, 11, 1)}
        for i in ("leo.martin", "leo.martin-roy", "leo.martin22")])
    db.session.commit()
    assert identifier_lookup.taken_among(["leo.martin"]) == {"leo.martin", "leo.martin22"}
    assert identifier_lookup.taken_among(["leo.martin2"]) == {"leo.martin22"}
    assert identifier_lookup.taken_among(["leo.martin-roy"]) == {"leo.martin-roy"}
    eleves = [X.eleve(1, "MARTIN", "Léo"), X.eleve(2, "MARTIN", "Léo"),
              X.eleve(3, "MARTIN-ROY", "Léo")]
    run(base_files(eleves=eleves)[:2])
    db.session.commit()
    idents = sorted(db.session.scalars(select(Compte.identifiant).where(
        Compte.etablissement_id == etab.id)))
    assert idents == ["leo.martin-roy2", "leo.martin2", "leo.martin3"]
