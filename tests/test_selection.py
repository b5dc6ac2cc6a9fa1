"""R-ACC-4 / R-SEC-1: one selection query (`admints.comptes.selection`) behind the two account
lists and `flask admints notify`.

For several filter combinations on both lists: the « M » the page shows is `count_rows` of
the query, and the accounts « Sélectionner les M comptes correspondant aux filtres » acts on
(« Réinitialiser les mots de passe » with select-all, read on its audit entry) are the query's
`compte_ids` — and both agree with a plain-Python reading of the rows (the oracle), never a
row of another establishment.
"""

from __future__ import annotations

import json
import re

import pytest

from admints.cli.comptes import notify_selection
from admints.comptes import selection
from admints.comptes.selection import AccountFilters
from admints.errors import DomainError
from admints.extensions import db
from admints.models import AuditEntry, Compte, Eleve, EtatCompte, ResponsableEleve

from . import factories as f
from .comptes_helpers import post_action

HOSTILE_PREFIX = "%_'"
ETATS = [EtatCompte.NON_NOTIFIE, EtatCompte.NOTIFIE, EtatCompte.UTILISE]
# « MA_X » and « O'BRIEN » match `ma_` and `%_'` only if the user's % and _ were wildcards.
NAMES = ["MARTIN", "MARCHAND", "DURAND", "%_'HACK", "MA_X", "BERNARD", "martel", "O'BRIEN",
         "PETIT", "MARAIS"]


def _school(etab, suffix=""):
    """Three divisions, two MEFs, varied states and continuity, légal 1 and 2 (and a légal 3
    pair, not listed), a guardian whose one account serves two pupils, a pupil without an
    account, names that look like LIKE patterns."""
    m1 = f.make_mef(etab, code="10010012110", libelle="6EME")
    m2 = f.make_mef(etab, code="10110001110", libelle="5EME", mefstat="21210010011")
    divs = [f.make_division(etab, c) for c in ("6A", "6B", "5A")]
    eleves = []
    for i, nom in enumerate(NAMES):
        e = f.make_eleve(etab, nom=nom, prenom=f"P{i}", mef=m1 if i % 2 else m2,
                         division=divs[(i // 2) % 3], etat=ETATS[i % 3],
                         continuite=(i % 4 == 0))
        eleves.append(e)
        f.link(e, f.make_responsable(etab, nom=f"PARENT{i}{suffix}"), 1,
               etat=ETATS[(i + 1) % 3], continuite=(i % 3 == 0))
        if i % 2:
            f.link(e, f.make_responsable(etab, nom=f"SECOND{i}{suffix}"), 2,
                   etat=ETATS[i % 3], continuite=(i % 2 == 1))
    f.link(eleves[2], f.make_responsable(etab, nom=f"TIERS{suffix}"), 3)
    sans_compte = f.make_eleve(etab, nom="MARIN", prenom="Sans", mef=m1, division=divs[0])
    sans_compte.compte_id = None
    # One guardian, one account, two pupils: two rows, one account.
    commun = f.make_responsable(etab, nom=f"COMMUN{suffix}")
    shared = f.link(eleves[0], commun, 2)
    f.link(eleves[1], commun, 2, compte=db.session.get(Compte, shared.compte_id))
    db.session.commit()
    return {"6A": divs[0], "6B": divs[1], "5A": divs[2], "m1": m1, "m2": m2}


def _rows(etab_id, kind):
    """(row id, account or None, pupil, niveau) of every row of a list, read in Python."""
    if kind == "eleve":
        found = db.session.scalars(db.select(Eleve).where(Eleve.etablissement_id == etab_id))
        return [(e.id, e.compte, e, None) for e in found]
    found = db.session.scalars(db.select(ResponsableEleve).where(
        ResponsableEleve.etablissement_id == etab_id, ResponsableEleve.niveau.in_((1, 2))))
    return [(r.id, r.compte, r.eleve, r.niveau) for r in found]


def _case(name, query, filters, test, kinds=("eleve", "responsable")):
    return name, query, filters, test, kinds


# (URL query, the AccountFilters it means, the rule in Python on (compte, eleve, niveau)).
# `{6A}`, `{m1}`… are replaced by the fixture's ids.
CASES = [
    _case("none", "", lambda s: AccountFilters(), lambda c, e, n, s: True),
    _case("one division", "flt0_division={6A}",
          lambda s: AccountFilters(divisions=(s["6A"].id,)),
          lambda c, e, n, s: e.division_id == s["6A"].id),
    _case("two divisions and a state",
          "flt0_division={6A}&flt0_division={5A}&flt1_etat=notifie",
          lambda s: AccountFilters(divisions=(s["6A"].id, s["5A"].id), etats=("notifie",)),
          lambda c, e, n, s: e.division_id in (s["6A"].id, s["5A"].id)
          and c is not None and c.etat == "notifie"),
    _case("MEF and name prefix", "flt0_mef={m1}&flt1_nom=ma",
          lambda s: AccountFilters(mefs=(s["m1"].id,), nom_prefixes=("ma",)),
          lambda c, e, n, s: e.mef_id == s["m1"].id and e.nom.lower().startswith("ma")),
    _case("prefix with underscore", "flt0_nom=ma_", lambda s: AccountFilters(nom_prefixes=("ma_",)),
          lambda c, e, n, s: e.nom.lower().startswith("ma_")),
    _case("quality and continuity", "flt0_qualite=2&flt1_continuite=1",
          lambda s: AccountFilters(niveaux=(2,), continuite=True),
          lambda c, e, n, s: n == 2 and c is not None and c.continuite, kinds=("responsable",)),
    _case("no continuity and two states", "flt0_continuite=0&flt1_etat=utilise,non_notifie",
          lambda s: AccountFilters(continuite=False, etats=("utilise", "non_notifie")),
          lambda c, e, n, s: c is not None and not c.continuite
          and c.etat in ("utilise", "non_notifie")),
    _case("hostile prefix", "flt0_nom=%25_%27",
          lambda s: AccountFilters(nom_prefixes=(HOSTILE_PREFIX,)),
          lambda c, e, n, s: e.nom.startswith(HOSTILE_PREFIX)),
    _case("same filter twice narrows", "flt0_division={6A},{6B}&flt1_division={6B}&flt2_nom=m"
          "&flt3_nom=MAR", lambda s: AccountFilters(divisions=(s["6B"].id,),
                                                     nom_prefixes=("m", "MAR")),
          lambda c, e, n, s: e.division_id == s["6B"].id and e.nom.upper().startswith("MAR")),
    _case("continuity yes and no", "flt0_continuite=1&flt1_continuite=0",
          lambda s: AccountFilters.of([("continuite", True), ("continuite", False)]),
          lambda c, e, n, s: False),
]


def _page_count(client, base, query) -> int:
    html = client.get(f"{base}?{query}" if query else base).get_data(as_text=True)
    match = re.search(r"compte\(s\) sélectionné\(s\) sur (\d+)", html)
    assert match, html[:500]
    return int(match.group(1))


def _reset_all_ids(client, kind, query) -> list[int]:
    """« Réinitialiser les mots de passe » on « Sélectionner les M comptes correspondant aux
    filtres », confirmed: the accounts its audit entry names."""
    last = db.session.scalar(db.select(db.func.max(AuditEntry.id))) or 0
    resp = post_action(client, f"/{kind}s/", "reinitialiser", query=query, select_all=True,
                       confirme="1")
    assert resp.status_code == 302
    entries = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.id > last, AuditEntry.action == f"{kind}.reinitialiser")).all()
    assert len(entries) <= 1
    return sorted(entries[0].rows) if entries else []


def _restore(etats: dict[int, str]) -> None:
    # The reset set every account it touched back to « Non notifié »: the next case filters on
    # the original states.
    for compte_id, etat in etats.items():
        db.session.execute(db.update(Compte).where(Compte.id == compte_id).values(etat=etat))
    db.session.commit()


@pytest.mark.parametrize(("kind", "query", "filters", "test"), [
    pytest.param(kind, query, filters, test, id=f"{name}-{kind}")
    for name, query, filters, test, kinds in CASES for kind in kinds])
def test_r_acc_4_page_count_and_select_all_are_the_selection_query(
        client, auth, etab, other_etab, kind, query, filters, test):
    """R-ACC-4 / R-SEC-1: the page's « M » == count_rows == the rows the rule keeps; the ids
    « select all » acts on == compte_ids == the accounts of those rows; nothing elsewhere."""
    s = _school(etab)
    _school(other_etab, suffix="X")  # same names, states and divisions' codes elsewhere
    query = query.format(**{k: v.id for k, v in s.items()})
    stmt = selection.select_accounts(etab.id, kind, filters(s))
    rows = [(row_id, c) for row_id, c, e, n in _rows(etab.id, kind) if test(c, e, n, s)]
    expected_ids = sorted({c.id for _, c in rows if c is not None})
    assert selection.count_rows(stmt) == len(rows)
    counted = selection.select_accounts(etab.id, kind, filters(s), count=True)
    assert selection.count_rows(counted) == len(rows)  # the list page's count
    assert sorted(selection.compte_ids(stmt)) == expected_ids
    etats = {c.id: c.etat for _, c, _e, _n in _rows(etab.id, kind) if c is not None}
    auth.login("chef.0999001a")
    assert _page_count(client, f"/{kind}s/", query) == len(rows)
    assert _reset_all_ids(client, kind, query) == expected_ids
    _restore(etats)
    other = selection.compte_ids(selection.select_accounts(other_etab.id, kind, filters(s)))
    assert not set(expected_ids) & set(other)


def test_r_acc_4_the_cases_really_filter(etab):
    """The combinations above select different, non-trivial sets (else they prove little):
    the hostile prefix and `ma_` find their one pupil only, taken literally."""
    s = _school(etab)
    counts = set()
    for _name, _query, filters, _test, _kinds in CASES:
        counts.add(selection.count_rows(selection.select_accounts(etab.id, "eleve", filters(s))))
    assert len(counts) >= 5 and 0 in counts
    for prefix, nom in ((HOSTILE_PREFIX, "%_'HACK"), ("ma_", "MA_X")):
        stmt = selection.select_accounts(etab.id, "eleve", AccountFilters(nom_prefixes=(prefix,)))
        assert selection.count_rows(stmt) == 1
        (compte_id,) = selection.compte_ids(stmt)
        assert db.session.scalar(db.select(Eleve.nom).where(Eleve.compte_id == compte_id)) == nom


def test_r_acc_4_shared_account_counted_per_row_acted_on_once(client, auth, etab):
    """Two rows of one guardian account: the page counts both rows, the action gets one id."""
    _school(etab)
    stmt = selection.select_accounts(etab.id, "responsable", AccountFilters())
    ids = selection.compte_ids(stmt)
    assert selection.count_rows(stmt) == len(ids) + 1
    auth.login("chef.0999001a")
    assert _reset_all_ids(client, "responsable", "") == sorted(ids)


def test_r_acc_4_selection_ignores_the_shown_page_and_order(etab):
    """« Sélectionner les M comptes »: the whole filtered set, not the page a list statement
    (more joins, an order, a limit) shows."""
    s = _school(etab)
    stmt = selection.select_accounts(etab.id, "eleve", AccountFilters(divisions=(s["6A"].id,)))
    full = sorted(selection.compte_ids(stmt))
    paged = (stmt.join(ResponsableEleve, ResponsableEleve.eleve_id == Eleve.id, isouter=True)
             .order_by(Eleve.nom.desc()).limit(1).offset(1))
    assert len(full) >= 3
    assert sorted(selection.compte_ids(paged)) == full
    row_ids, compte_ids = selection.row_and_compte_ids(stmt.limit(1))
    assert sorted(compte_ids) == full and len(row_ids) == selection.count_rows(stmt.limit(1))


def test_r_acc_4_unknown_kind_division_and_filter_are_french_errors(etab):
    _school(etab)
    with pytest.raises(DomainError, match="Type de compte inconnu"):
        selection.select_accounts(etab.id, "compte")
    with pytest.raises(DomainError, match=r"Division\(s\) inconnue\(s\) : 9Z\."):
        selection.division_ids(etab.id, ["6A", "9Z"])
    with pytest.raises(DomainError, match="Filtre inconnu"):
        AccountFilters.of([("ferme_le", True)])


@pytest.mark.parametrize("kind", ["eleve", "responsable"])
def test_r_acc_5_cli_notify_selects_the_lists_open_accounts(runner, app, etab, other_etab,
                                                            tmp_path, kind):
    """R-ACC-5: `admints notify` (division codes, states, levels) selects the list's set,
    closed accounts left out."""
    s = _school(etab)
    _school(other_etab, suffix="X")
    closed = db.session.scalars(
        db.select(Eleve.compte_id if kind == "eleve" else ResponsableEleve.compte_id)
        .where((Eleve.etablissement_id if kind == "eleve"
                else ResponsableEleve.etablissement_id) == etab.id)).first()
    assert closed in selection.compte_ids(selection.select_accounts(etab.id, kind))
    db.session.get(Compte, closed).ferme_le = db.func.now()
    db.session.commit()
    combos = [((), (), (), AccountFilters()),
              (("6A",), (), (), AccountFilters(divisions=(s["6A"].id,))),
              (("6A", "5A"), ("notifie", "utilise"), (),
               AccountFilters(divisions=(s["6A"].id, s["5A"].id), etats=("notifie", "utilise")))]
    if kind == "responsable":
        combos.append(((), (), (2,), AccountFilters(niveaux=(2,))))
    for divisions, etats, niveaux, filters in combos:
        listed = selection.compte_ids(selection.select_accounts(etab.id, kind, filters))
        expected = sorted(set(listed) - {closed})
        assert expected
        assert sorted(notify_selection(etab, kind, divisions, etats, niveaux)) == expected
    # The command itself, on the last combination: it notifies exactly that many accounts.
    args = ["admints", "notify", "--uai", "0999001a", "--kind", kind, "--out",
            str(tmp_path / "n.pdf"), "--today", "2026-11-28", "--json"]
    for code in divisions:
        args += ["--division", code]
    for etat in etats:
        args += ["--etat", etat]
    for niveau in niveaux:
        args += ["--niveau", str(niveau)]
    res = runner.invoke(args=args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout.strip().splitlines()[-1])
    assert data["total"] == len(expected)
