"""Statistiques (R-STA-1..3) against a hand-built establishment whose counts are known.

The establishment (see `known`):
  6EME/6A  e1 non notifié, guardian g1 (non notifié)
           e2 notifié, no guardian at all
  6EME/6B  e3 utilisé (continuity account), guardians g2 (utilisé, shared with e4) and
           g3 (notifié on 2026-10-01, this school year)
  5EME/5A  e4 utilisé, guardians g2 (shared) and g4 (en cours d'activation, notified 2026-03-01)
           e5 non notifié, guardian g5 (notifié 2025-10-01) and a niveau-0 contact (no account)
  5EME/5Z  no pupil: must not appear.
The other establishment has 3 pupils, all with a used account, and many visits.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from admints.errors import DomainError
from admints.models import EtatCompte, KindCompte
from admints.statistiques import rollups, summaries, visits

from . import factories as f

NN, NO, EC, UT = (EtatCompte.NON_NOTIFIE, EtatCompte.NOTIFIE, EtatCompte.EN_COURS_ACTIVATION,
                  EtatCompte.UTILISE)
TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def known(db, etab, other_etab):
    m6 = f.make_mef(etab, code="10010012110", libelle="6EME", mefstat="21110010012")
    m5 = f.make_mef(etab, code="10110001110", libelle="5EME", mefstat="21210010011")
    d6a, d6b = f.make_division(etab, "6A"), f.make_division(etab, "6B")
    d5a, _d5z = f.make_division(etab, "5A"), f.make_division(etab, "5Z")
    e1 = f.make_eleve(etab, "ALPHA", "Un", mef=m6, division=d6a, etat=NN)
    f.make_eleve(etab, "BRAVO", "Deux", mef=m6, division=d6a, etat=NO)  # e2: no guardian
    e3 = f.make_eleve(etab, "CHARLIE", "Trois", mef=m6, division=d6b, etat=UT, continuite=True)
    e4 = f.make_eleve(etab, "CHARLIE", "Quatre", mef=m5, division=d5a, etat=UT)
    e5 = f.make_eleve(etab, "DELTA", "Cinq", mef=m5, division=d5a, etat=NN)
    g1, g2, g3, g4, g5, g6 = (f.make_responsable(etab, nom=n) for n in
                               ("ALPHA", "CHARLIE", "CHARLIE", "ECHO", "DELTA", "FOX"))
    f.link(e1, g1, 1, NN)
    shared = f.link(e3, g2, 1, UT, continuite=True).compte
    f.link(e4, g2, 1, compte=shared)
    f.link(e3, g3, 2, NO, date_notification=dt.datetime(2026, 10, 1, 9))
    f.link(e4, g4, 2, EC, date_notification=dt.datetime(2026, 3, 1, 9))
    f.link(e5, g5, 1, NO, date_notification=dt.datetime(2025, 10, 1, 9))
    f.link(e5, g6, 0)
    # The other establishment: 3 pupils with used accounts and used guardian accounts.
    om = f.make_mef(other_etab, code="10010012110", libelle="6EME", mefstat="21110010012")
    od = f.make_division(other_etab, "6A")
    for i in range(3):
        e = f.make_eleve(other_etab, f"AUTRE{i}", mef=om, division=od, etat=UT)
        f.link(e, f.make_responsable(other_etab, nom=f"AUTRE{i}"), 1, UT)
    # Visits.
    notes = f.make_teleservice("notes", "Notes", "Notes")
    vs = f.make_teleservice("vie_scolaire", "Vie scolaire", "Vie scolaire")
    f.make_acces(etab, notes, dt.datetime(2026, 9, 15, 8), mef=m6, count=2)
    f.make_acces(etab, vs, dt.datetime(2026, 10, 3, 18), mef=m5)
    f.make_acces(etab, notes, dt.datetime(2026, 11, 28, 23, 30))  # last minute of the period
    f.make_acces(etab, notes, dt.datetime(2026, 8, 31, 23, 59), mef=m6)  # previous year
    f.make_acces(other_etab, notes, dt.datetime(2026, 10, 10, 12), mef=om, count=5)
    db.session.commit()
    return {"etab": etab, "other": other_etab, "m6": m6, "m5": m5}


def _counts(ligne, fields):
    return tuple(getattr(ligne, name) for name in fields)


ELEVE_FIELDS = ("libelle", "eleves", "non_notifies", "notifies", "utilises")
RESP_FIELDS = ("libelle", "comptes", "non_notifies", "notifies", "notifies_annee", "utilises",
               "eleves", "eleves_resp_utilise")


def test_r_sta_1_establishment_line_and_tables_per_mef(known):
    synthese = summaries.synthese_eleves(known["etab"].id)
    assert _counts(synthese.etablissement, ELEVE_FIELDS) == ("Établissement", 5, 2, 1, 2)
    assert summaries.format_pourcentage(synthese.etablissement.pct_utilises) == "40\u202f%"
    # MEF order by code (6e before 5e, as the guide orders 5EME before 4EME).
    assert [t.libelle for t in synthese.mefs] == ["6EME", "5EME"]
    six, cinq = synthese.mefs
    assert [_counts(li, ELEVE_FIELDS) for li in six.lignes] == [
        ("6A", 2, 1, 1, 0), ("6B", 1, 0, 0, 1)]
    assert _counts(six.somme, ELEVE_FIELDS) == ("Somme :", 3, 1, 1, 1)
    assert summaries.format_pourcentage(six.somme.pct_utilises) == "33,33\u202f%"
    assert [_counts(li, ELEVE_FIELDS) for li in cinq.lignes] == [("5A", 2, 1, 0, 1)]
    assert summaries.format_pourcentage(cinq.lignes[0].pct_utilises) == "50\u202f%"


def test_r_sta_1_division_without_pupil_does_not_appear(known):
    synthese = summaries.synthese_eleves(known["etab"].id)
    divisions = [li.libelle for t in synthese.mefs for li in t.lignes]
    assert "5Z" not in divisions
    assert divisions == ["6A", "6B", "5A"]


def test_r_sta_1_pupil_without_mef_or_account_is_counted(known, db):
    etab = known["etab"]
    from admints.models import Eleve

    db.session.add(Eleve(etablissement_id=etab.id, siecle_id="999", nom="ZOULOU", prenom="Z"))
    db.session.commit()
    synthese = summaries.synthese_eleves(etab.id)
    assert _counts(synthese.etablissement, ELEVE_FIELDS) == ("Établissement", 6, 3, 1, 2)
    last = synthese.mefs[-1]
    assert last.libelle == summaries.SANS_MEF
    assert _counts(last.lignes[0], ELEVE_FIELDS) == (summaries.SANS_DIVISION, 1, 1, 0, 0)


def test_r_sta_2_guardian_accounts_sibling_counted_once(known):
    synthese = summaries.synthese_responsables(known["etab"].id)
    # g2 is shared by e3 (6EME) and e4 (5EME): 5 distinct accounts, not 6.
    assert _counts(synthese.etablissement, RESP_FIELDS) == ("Établissement", 5, 1, 3, 1, 1, 5, 2)
    assert summaries.format_pourcentage(synthese.etablissement.pct_comptes_utilises) == "20\u202f%"
    assert (summaries.format_pourcentage(synthese.etablissement.pct_eleves_resp_utilise)
            == "40\u202f%")
    six, cinq = synthese.mefs
    assert [_counts(li, RESP_FIELDS) for li in six.lignes] == [
        ("6A", 1, 1, 0, 0, 0, 2, 0),  # e2 has no guardian: counts as a pupil, not an account
        ("6B", 2, 0, 1, 1, 1, 1, 1),
    ]
    assert _counts(six.somme, RESP_FIELDS) == ("Somme :", 3, 1, 1, 1, 1, 3, 1)
    assert summaries.format_pourcentage(six.somme.pct_eleves_resp_utilise) == "33,33\u202f%"
    # g4 was notified last school year and g5 the year before: not « année courante ».
    assert [_counts(li, RESP_FIELDS) for li in cinq.lignes] == [("5A", 3, 0, 2, 0, 1, 2, 1)]
    assert _counts(cinq.somme, RESP_FIELDS) == ("Somme :", 3, 0, 2, 0, 1, 2, 1)
    assert [li.libelle for t in synthese.mefs for li in t.lignes] == ["6A", "6B", "5A"]


def test_r_sta_2_school_year_follows_the_establishment(known, db):
    """« Année courante » starts on 1 September of etablissement.annee_scolaire."""
    known["etab"].annee_scolaire = 2025
    db.session.commit()
    synthese = summaries.synthese_responsables(known["etab"].id)
    # 2025/2026: g4 (2026-03-01) and g5 (2025-10-01), not g3 (2026-10-01).
    assert synthese.etablissement.notifies_annee == 2


def test_r_sta_2_unknown_establishment_is_refused(db):
    with pytest.raises(DomainError, match="Établissement inconnu"):
        summaries.synthese_responsables(123456)


def test_r_sta_1_r_sta_2_zero_pupils_gives_dash_not_division_error(db, etab):
    eleves = summaries.synthese_eleves(etab.id)
    responsables = summaries.synthese_responsables(etab.id)
    assert eleves.mefs == [] and responsables.mefs == []
    assert eleves.etablissement.eleves == 0
    assert summaries.format_pourcentage(eleves.etablissement.pct_utilises) == "—"
    assert summaries.format_pourcentage(responsables.etablissement.pct_comptes_utilises) == "—"
    assert summaries.format_pourcentage(responsables.etablissement.pct_eleves_resp_utilise) == "—"


def test_one_percentage_function():
    assert summaries.pourcentage(0, 0) is None
    assert summaries.pourcentage(1, 63) == pytest.approx(1.5873, rel=1e-3)
    assert summaries.format_pourcentage(summaries.pourcentage(1, 63)) == "1,59\u202f%"
    assert summaries.format_pourcentage(100.0) == "100\u202f%"
    assert summaries.format_pourcentage(0.0) == "0\u202f%"
    assert summaries.format_pourcentage(None) == "—"


def test_one_percentage_format_also_in_templates(app):
    """Issue 5 point 4: the `percent_fr` template filter is the statistics' own format."""
    from admints import i18n

    assert summaries.format_pourcentage is i18n.format_percent
    assert app.jinja_env.filters["percent_fr"] is summaries.format_pourcentage
    template = app.jinja_env.from_string("{{ a|percent_fr }} / {{ b|percent_fr }} / "
                                         "{{ c|percent_fr }}")
    assert (template.render(a=summaries.pourcentage(1, 63), b=100.0, c=None)
            == "1,59\u202f% / 100\u202f% / —")


def test_r_sta_1_isolation_other_establishment_counts_apart(known):
    mine = summaries.synthese_eleves(known["etab"].id)
    other = summaries.synthese_eleves(known["other"].id)
    assert mine.etablissement.eleves == 5
    assert _counts(other.etablissement, ELEVE_FIELDS) == ("Établissement", 3, 0, 0, 3)
    assert summaries.synthese_responsables(known["other"].id).etablissement.comptes == 3


def test_r_sta_3_accesses_per_month_category_mefstat(known):
    periode = visits.periode_par_defaut(TODAY)
    assert (periode.debut, periode.fin) == (dt.date(2026, 9, 1), TODAY)
    acces = visits.synthese_acces(known["etab"].id, periode)
    assert acces.total == 4
    assert acces.par_mois == [("septembre 2026", 2), ("octobre 2026", 1), ("novembre 2026", 1)]
    assert acces.par_categorie == [("Notes", 3), ("Vie scolaire", 1)]
    assert acces.par_mefstat == [("21110010012", "6EME", 2), ("21210010011", "5EME", 1),
                                 (visits.NON_RENSEIGNE, "", 1)]
    json.dumps(acces.as_dict())  # serialisable for --json


def test_r_sta_3_period_selector(known):
    periode = visits.parse_periode("2026-08-01", "2026-09-30", TODAY)
    acces = visits.synthese_acces(known["etab"].id, periode)
    assert acces.par_mois == [("août 2026", 1), ("septembre 2026", 2)]
    assert visits.parse_periode("", "", TODAY) == visits.periode_par_defaut(TODAY)
    # Before September the school year started the previous calendar year.
    assert visits.periode_par_defaut(dt.date(2027, 3, 2)).debut == dt.date(2026, 9, 1)


@pytest.mark.parametrize("debut, fin, message", [
    ("2026-13-01", "", "Date invalide"),
    ("n'importe quoi", "", "Date invalide"),
    ("2026-11-01", "2026-10-01", "doit précéder"),
    ("2020-01-01", "2026-10-01", "trois ans"),
])
def test_r_sta_3_bad_period_is_refused_in_french(debut, fin, message):
    with pytest.raises(DomainError, match=message):
        visits.parse_periode(debut, fin, TODAY)


def test_r_sta_3_no_visit_gives_zero_months(db, etab):
    acces = visits.synthese_acces(etab.id, visits.periode_par_defaut(TODAY))
    assert acces.total == 0
    assert [n for _m, n in acces.par_mois] == [0, 0, 0]
    assert acces.par_categorie == [] and acces.par_mefstat == []


def test_r_sta_academie_rollup_lines_per_establishment(known, db):
    third = f.make_etablissement(uai="0999003C", nom="Collège Albert-Camus")  # no pupil
    foreign = f.make_etablissement(uai="0888001A", nom="Collège Ailleurs",
                                   academie=f.make_academie("autre", "Autre"))
    e = f.make_eleve(foreign, "LOIN", etat=UT)
    f.link(e, f.make_responsable(foreign), 1, UT)
    db.session.commit()
    aca = known["etab"].academie_id

    total, lignes = rollups.rollup_eleves(aca)
    assert [(li.uai, li.eleves, li.utilises) for li in lignes] == [
        ("0999003C", 0, 0), ("0999002B", 3, 3), ("0999001A", 5, 2)]  # by name
    assert _counts(total, ELEVE_FIELDS) == ("Académie", 8, 2, 1, 5)
    assert summaries.format_pourcentage(lignes[0].pct_utilises) == "—"

    total, lignes = rollups.rollup_responsables(aca)
    by_uai = {li.uai: li for li in lignes}
    assert _counts(by_uai["0999001A"], RESP_FIELDS)[1:] == (5, 1, 3, 1, 1, 5, 2)
    assert _counts(by_uai["0999002B"], RESP_FIELDS)[1:] == (3, 0, 0, 0, 3, 3, 3)
    assert total.comptes == 8 and total.utilises == 4 and total.eleves == 8
    assert "0888001A" not in by_uai

    synthese, categories, lignes = rollups.rollup_acces(
        aca, visits.periode_par_defaut(TODAY))
    assert synthese.total == 9 and categories == ["Notes", "Vie scolaire"]
    assert {li.uai: (li.total, li.par_categorie) for li in lignes} == {
        "0999001A": (4, {"Notes": 3, "Vie scolaire": 1}),
        "0999002B": (5, {"Notes": 5, "Vie scolaire": 0}),
        "0999003C": (0, {"Notes": 0, "Vie scolaire": 0}),
    }
    assert third.id


def test_r_sta_academie_rollup_is_sortable(known, db):
    f.make_etablissement(uai="0999003C", nom="Collège Albert-Camus")
    db.session.commit()
    _total, lignes = rollups.rollup_eleves(known["etab"].academie_id)
    tri = rollups.sort_lignes(lignes, "pct_utilises", True, rollups.TRIS_ELEVES)
    assert [li.uai for li in tri] == ["0999002B", "0999001A", "0999003C"]  # « — » last
    tri = rollups.sort_lignes(lignes, "pct_utilises", False, rollups.TRIS_ELEVES)
    assert [li.uai for li in tri] == ["0999001A", "0999002B", "0999003C"]
    # An unknown column (typed in the URL) falls back to the name.
    tri = rollups.sort_lignes(lignes, "__class__", False, rollups.TRIS_ELEVES)
    assert [li.libelle for li in tri] == sorted(li.libelle for li in lignes)


def test_month_bucket_sql_follows_the_dialect(app, db):
    from admints.models import AccesTeleservice

    expr = visits.month_bucket(AccesTeleservice.visited_at)
    sql = str(expr.compile(dialect=db.session.get_bind().dialect))
    assert ("to_char" in sql) if db.engine.dialect.name == "postgresql" else ("substr" in sql)


def test_kinds_are_not_mixed(known):
    """A pupil's account never counts as a guardian's (KindCompte is not needed by the SQL)."""
    synthese = summaries.synthese_responsables(known["etab"].id)
    assert synthese.etablissement.comptes == 5
    assert KindCompte.RESPONSABLE == "responsable"


def test_r_sta_2_rollup_uses_each_establishment_school_year(known, db):
    """Académie roll-up: « année courante » follows each establishment's school year."""
    aca = known["etab"].academie_id
    _total, lignes = rollups.rollup_responsables(aca)
    assert {li.uai: li.notifies_annee for li in lignes} == {"0999001A": 1, "0999002B": 0}
    known["etab"].annee_scolaire = 2025  # still in 2025/2026, the other in 2026/2027
    db.session.commit()
    _total, lignes = rollups.rollup_responsables(aca)
    assert {li.uai: li.notifies_annee for li in lignes} == {"0999001A": 2, "0999002B": 0}
    assert summaries.synthese_responsables(known["etab"].id).etablissement.notifies_annee == 2
