"""R-DAT-3: an import that would take away more than the threshold (20 %) of the establishment's
pupils or guardians is shown as a plan and applied only once confirmed (upload screen: a second
POST; CLI: --confirm-departures); below it nothing changes for the user. Accounts taken away are
closed and kept, out of every list and statistic, and a later import of the right file gives the
same identifiers and states back."""

from __future__ import annotations

import datetime as dt
import html
import io
import json

import pytest
from sqlalchemy import func, select

from admints.models import (
    Compte,
    CompteConserve,
    Eleve,
    EtatCompte,
    Responsable,
    ResponsableEleve,
)
from admints.siecle.departures import DeparturesToConfirm
from admints.statistiques import summaries
from tests.db_snapshot import db_snapshot

from . import siecle_xml as X
from .test_siecle_import import U, run

URL = "/donnees/import/"
N = 10  # pupils: one leaving is 10 % (below the threshold), three are 30 %
EVERYONE = range(1, N + 1)


def files(present=EVERYONE) -> list[tuple[str, bytes]]:
    """Pupils 1..N (those in `present`), each with a légal 1 guardian 100+i, even ones with a
    légal 2 guardian 200+i as well."""
    eleves = [X.eleve(i, f"NOM{i}", f"Prénom{i}") for i in present]
    personnes, liens = [], []
    for i in present:
        personnes.append(X.personne(100 + i, f"NOM{i}", "Parent"))
        liens.append((i, 100 + i, 1))
        if i % 2 == 0:
            personnes.append(X.personne(200 + i, f"NOM{i}", "Autre", civilite="M."))
            liens.append((i, 200 + i, 2))
    return [("Nomenclature.xml", X.nomenclature_xml(U, X.MEFS)),
            ("ElevesSansAdresses.xml", X.eleves_xml(U, eleves)),
            ("ResponsablesAvecAdresses.xml", X.responsables_xml(U, personnes, liens))]


def accounts() -> dict:
    """Every account by its holder's SIECLE ids: pupil (ELEVE_ID,) or link (ELEVE_ID,
    PERSONNE_ID), with identifier, state, passwords, email and closing date."""
    cols = (Compte.identifiant, Compte.etat, Compte.mot_de_passe_hash,
            Compte.mot_de_passe_provisoire_chiffre, Compte.email, Compte.email_valide,
            Compte.date_notification, Compte.ferme_le)
    out = {(sid,): tuple(row) for sid, *row in db_session().execute(
        select(Eleve.siecle_id, *cols).join(Compte, Compte.id == Eleve.compte_id))}
    out.update({(e, p): tuple(row) for e, p, *row in db_session().execute(
        select(Eleve.siecle_id, Responsable.siecle_id, *cols)
        .join(ResponsableEleve, ResponsableEleve.eleve_id == Eleve.id)
        .join(Responsable, Responsable.id == ResponsableEleve.responsable_id)
        .join(Compte, Compte.id == ResponsableEleve.compte_id))})
    return out


def db_session():
    from admints.extensions import db
    return db.session


@pytest.fixture
def school(db, etab):
    """The 10 pupils imported, some accounts used (chosen password, validated email) or
    notified (temporary password), one guardian account shared by siblings 2 and 4."""
    run(files())
    db.session.commit()
    comptes = {c.identifiant: c for c in db.session.scalars(select(Compte))}
    used = comptes["prenom1.nom1"]
    used.etat, used.mot_de_passe_hash = EtatCompte.UTILISE, "argon2-hash-choisi"
    used.date_activation = used.derniere_connexion = dt.datetime(2026, 10, 1)
    parent = comptes["parent.nom1"]
    parent.etat, parent.email, parent.email_valide = EtatCompte.UTILISE, "p@example.org", True
    notified = comptes["prenom2.nom2"]
    notified.etat, notified.mot_de_passe_provisoire_chiffre = EtatCompte.NOTIFIE, b"token"
    notified.date_notification = dt.datetime(2026, 11, 2, 9, 0)
    # Siblings 2 and 4: one guardian account for both (their légal 1 links).
    link2, link4 = (db.session.scalar(select(ResponsableEleve).join(Eleve).where(
        Eleve.siecle_id == sid, ResponsableEleve.niveau == 1)) for sid in ("2", "4"))
    orphan = link4.compte
    link4.compte_id = link2.compte_id
    db.session.flush()
    db.session.delete(orphan)
    db.session.commit()
    return etab


def test_r_dat_3_below_threshold_applied_as_before(db, school):
    """One pupil in ten leaves: applied at once, no confirmation asked."""
    summary = run(files(present=range(2, N + 1)))
    db.session.commit()
    assert summary.counts["eleves"]["left"] == 1
    assert summary.departures.eleves_sortis == 1 and not summary.departures.exceeds(0.2)
    assert db.session.scalar(select(func.count()).select_from(Eleve)) == N - 1


def test_r_dat_3_above_threshold_refused_with_plan_nothing_changed(db, school):
    before = db_snapshot(db)
    with pytest.raises(DeparturesToConfirm) as refused:
        run(files(present=range(4, N + 1)))
    db.session.rollback()
    plan = refused.value.departures
    # Pupils 1-3 leave with their guardians 101, 102, 103, 202; accounts: 3 pupils' and
    # 101, 103, 202's — not 102's, shared with sibling 4 who stays.
    assert (plan.eleves_sortis, plan.eleves_total) == (3, 10)
    assert (plan.responsables_retires, plan.responsables_total) == (4, 15)
    assert plan.comptes_fermes == 6
    assert "3 élèves sortis sur 10" in refused.value.message
    assert "6 comptes fermés" in refused.value.message
    assert db_snapshot(db) == before


def test_r_dat_3_threshold_is_configurable(app, db, school):
    app.config["SIECLE_DEPARTURE_THRESHOLD"] = 0.5
    summary = run(files(present=range(4, N + 1)))
    assert summary.counts["eleves"]["left"] == 3


def test_r_dat_3_wrong_file_confirmed_then_right_file_gives_same_identifiers_and_states(
        client, auth, db, school):
    """The worst case: a wrong export (3 pupils in 10) confirmed. The pupils who left and their
    accounts are in no list and no statistic; the right file brings every account back with
    the same identifier, state and passwords, and creates none."""
    before = accounts()
    summary = run(files(present=range(8, N + 1)), confirm_departures=True)
    db.session.commit()
    assert summary.counts["eleves"]["left"] == 7
    assert summary.counts["comptes"]["left"] == summary.departures.comptes_fermes == 16
    assert db.session.scalar(select(func.count()).select_from(Compte)) == len(set(
        before.values()))  # nothing deleted
    assert db.session.scalar(select(func.count()).select_from(Compte).where(
        Compte.ferme_le.is_not(None))) == summary.counts["comptes"]["left"]
    # Out of the statistics and of the account lists.
    assert summaries.synthese_eleves(school.id).etablissement.eleves == 3
    # The links of pupils 8 to 10: 108 208 109 110 210.
    assert summaries.synthese_responsables(school.id).etablissement.comptes == 5
    auth.login("chef.0999001a")
    page = client.get("/eleves/").get_data(as_text=True)
    assert "NOM9" in page and "NOM1 " not in page and "NOM2 " not in page
    page = client.get("/responsables/").get_data(as_text=True)
    assert "NOM10" in page and "NOM3 " not in page

    summary = run(files())
    db.session.commit()
    assert summary.counts["comptes"]["created"] == 0
    # 7 pupils', 101-107 légal 1 (one account for siblings 2 and 4: 6), 202 204 206 légal 2.
    assert summary.comptes_rouverts == 16
    assert "  Comptes rouverts (élève ou lien revenu) : 16" in summary.lines_fr()
    assert accounts() == before
    assert db.session.scalar(select(func.count()).select_from(CompteConserve)) == 0


def test_r_dat_3_empty_file_refused_then_right_file_same_identifiers(db, school):
    before, rows = accounts(), db_snapshot(db)
    with pytest.raises(Exception, match="ne contient aucun élève"):
        run([("ElevesSansAdresses.xml", X.eleves_xml(U, []))])
    db.session.rollback()
    assert db_snapshot(db) == rows
    summary = run(files())
    db.session.commit()
    assert summary.counts["comptes"] == {"created": 0, "updated": 0, "left": 0}
    assert accounts() == before


def test_r_dat_3_link_that_goes_and_comes_back_gets_its_account(db, school):
    """Guardian 202 drops out of the responsables file (1 guardian in 15, below the threshold),
    then comes back: same account, reopened."""
    before = accounts()
    eleves_file = files()[1]
    personnes = [X.personne(100 + i, f"NOM{i}", "Parent") for i in range(1, N + 1)]
    personnes += [X.personne(200 + i, f"NOM{i}", "Autre", civilite="M.")
                  for i in range(4, N + 1, 2)]
    liens = [(i, 100 + i, 1) for i in range(1, N + 1)] + [(i, 200 + i, 2)
                                                           for i in range(4, N + 1, 2)]
    summary = run([eleves_file, ("ResponsablesAvecAdresses.xml",
                                 X.responsables_xml(U, personnes, liens))])
    db.session.commit()
    assert summary.counts["comptes"]["left"] == 1
    ident = before[("2", "202")][0]
    assert db.session.scalar(select(Compte.ferme_le).where(Compte.identifiant == ident))
    run(files())
    db.session.commit()
    assert accounts() == before


# -- the upload screen --------------------------------------------------------------------------

def _post(client, auth, data: dict):
    data = {"csrf_token": auth.csrf(URL), **data}
    response = client.post(URL, data=data, content_type="multipart/form-data")
    return response.status_code, html.unescape(response.get_data(as_text=True))


def _upload(client, auth, payload):
    return _post(client, auth, {"fichiers": [(io.BytesIO(d), n) for n, d in payload]})


def _token(page: str) -> str:
    import re
    return re.search(r'name="attente" value="([0-9a-f]{32})"', page).group(1)


def test_r_dat_3_screen_shows_plan_then_second_post_applies(client, auth, db, school):
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    status, page = _upload(client, auth, files(present=range(4, N + 1)))
    assert status == 200
    assert "Import non appliqué : confirmation nécessaire." in page
    assert "3 élèves sortis sur 10" in page and "6 comptes fermés" in page
    assert "Élèves sortis : 3 sur 10 (30\u202f%)" in page
    assert db_snapshot(db) == before
    token = _token(page)
    status, page = _post(client, auth, {"attente": token, "confirmer": "1"})
    assert status == 200, page
    assert "Import terminé" in page
    assert db.session.scalar(select(func.count()).select_from(Eleve)) == 7
    # The files were kept for this confirmation only.
    status, page = _post(client, auth, {"attente": token, "confirmer": "1"})
    assert status == 400 and "n'existe plus" in page


def test_r_dat_3_screen_cancel_and_foreign_token_change_nothing(client, auth, db, school,
                                                               other_etab):
    auth.login("chef.0999001a")
    status, page = _upload(client, auth, files(present=range(4, N + 1)))
    token = _token(page)
    before = db_snapshot(db)
    status, page = _post(client, auth, {"attente": "../../etc", "confirmer": "1"})
    assert status == 400 and "n'existe plus" in page
    status, page = _post(client, auth, {"attente": token, "annuler": "1"})
    assert status == 200 and "Import annulé : rien n'a été modifié." in page
    status, page = _post(client, auth, {"attente": token, "confirmer": "1"})
    assert status == 400 and "n'existe plus" in page
    assert db_snapshot(db) == before


def test_r_dat_3_screen_below_threshold_imports_at_once(client, auth, db, school):
    auth.login("chef.0999001a")
    status, page = _upload(client, auth, files(present=range(2, N + 1)))
    assert status == 200 and "Import terminé" in page and "Import non appliqué" not in page


# -- the command line ---------------------------------------------------------------------------

def _write(tmp_path, payload) -> list[str]:
    paths = []
    for name, data in payload:
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    return paths


def test_r_dat_3_cli_prints_plan_exits_3_then_confirm_departures_applies(runner, db, school,
                                                                          tmp_path):
    paths = _write(tmp_path, files(present=range(4, N + 1)))
    before = db_snapshot(db)
    result = runner.invoke(args=["admints", "import-siecle", "--uai", U, *paths])
    assert result.exit_code == 3
    assert "Plan de l'import (non appliqué) :" in result.output
    assert "Élèves sortis : 3 sur 10 (30\u202f%)" in result.output
    assert "Relancez avec --confirm-departures" in result.output
    db.session.expire_all()
    assert db_snapshot(db) == before
    result = runner.invoke(args=["admints", "import-siecle", "--uai", U, "--json", *paths])
    assert result.exit_code == 3
    plan = json.loads(result.output.splitlines()[0])["plan"]
    assert plan["eleves_sortis"] == 3 and plan["comptes_fermes"] == 6
    result = runner.invoke(args=["admints", "import-siecle", "--uai", U,
                                 "--confirm-departures", *paths])
    assert result.exit_code == 0, result.output
    assert "Élèves : 0 créé(s), 0 mis à jour, 3 sorti(s)" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Eleve)) == 7


def test_r_dat_3_cli_below_threshold_unchanged(runner, db, school, tmp_path):
    paths = _write(tmp_path, files(present=range(2, N + 1)))
    result = runner.invoke(args=["admints", "import-siecle", "--uai", U, *paths])
    assert result.exit_code == 0, result.output
    assert "Élèves : 0 créé(s), 0 mis à jour, 1 sorti(s)" in result.output
