"""A pupil's whole life cycle through HTTP (R-ACC-5 → R-POR-1 → R-POR-2 → R-STA-3), on SQLite
and on PostgreSQL: the head notifies on paper from « Accès des élèves », the pupil logs in with
the letter's temporary password, chooses a password (*Utilisé*), opens Notes and sees the
published assessment; the head's « Synthèse accès téléservices » counts that visit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from admints import clock
from admints.models import AccesTeleservice, Compte, EtatCompte, Evaluation, Job
from admints.teleservices import catalogue

from .comptes_helpers import post_action, school
from .outbox_helpers import pdf_passwords
from .portail_helpers import Family, body, location


def _acces_par_categorie(client) -> dict[str, int]:
    response = client.get("/statistiques/acces/csv/categorie?du=2026-09-01&au=2027-08-31")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    return {r[0]: int(r[1]) for r in rows[1:] if len(r) > 1 and r[1].isdigit()}


def test_r_por_2_r_sta_3_paper_letter_to_notes_visit_counted_in_statistics(
        app, db, client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    catalogue.ensure_etablissement_services(etab)
    eleve = s["eleves"][0]
    today = clock.today()
    db.session.add(Evaluation(etablissement_id=etab.id, mef_id=s["mef"].id,
                              division_id=s["6A"].id, matiere="Mathématiques",
                              libelle="Contrôle fractions", date_controle=today - dt.timedelta(5),
                              date_saisie=today - dt.timedelta(4), date_publication=None))
    db.session.commit()

    auth.login("chef.0999001a")  # the back-office, its own session
    assert _acces_par_categorie(client).get("Notes", 0) == 0
    response = post_action(client, "/eleves/", "notifier", rowids=[eleve.id], confirme="1",
                           mode="papier")
    job = db.session.get(Job, int(re.search(r"/taches/(\d+)/", location(response))[1]))
    letters = pdf_passwords(job.file_path)
    identifiant = eleve.compte.identifiant
    temporary = letters[identifiant]
    assert temporary and db.session.get(Compte, eleve.compte_id).etat == EtatCompte.NOTIFIE

    family = Family(app.test_client())  # another browser
    assert location(family.login(identifiant, temporary)).endswith("/scolarite/premiere-connexion")
    response = family.first_login(eleve.date_naissance.strftime("%d/%m/%Y"))
    assert location(response).endswith("/scolarite/")
    db.session.expire_all()
    assert db.session.get(Compte, eleve.compte_id).etat == EtatCompte.UTILISE
    html = body(family.client.get("/scolarite/"))
    assert 'href="/scolarite/notes"' in html
    notes = family.client.get("/scolarite/notes")
    assert notes.status_code == 200 and "Contrôle fractions" in body(notes)

    (visit,) = db.session.scalars(db.select(AccesTeleservice)).all()
    assert (visit.compte_id, visit.mef_id, visit.teleservice.code) == (
        eleve.compte_id, s["mef"].id, "notes")
    assert _acces_par_categorie(client)["Notes"] == 1  # the head's statistics, live
