"""Issue 13 (RGAA) on the account screens, server side: row checkboxes and « Gérer le compte »
links named after the guardian, the active filters summarised, states and continuity in words,
the job's end said by its JSON state, a refused « Gérer le compte » form with its error tied to
its field (R-ACC-4, R-ACC-6, R-ACC-8, R-ACC-9)."""

from __future__ import annotations

import re

from admints.extensions import db
from admints.models import Compte, Job

from .comptes_helpers import csrf_of, post_action, school
from .db_snapshot import db_snapshot

BASE = "/responsables/"


def test_r_acc_4_rows_named_after_the_guardian_and_filters_summarised_issue_13(client, auth, etab):
    s = school(etab, n_6a=2, n_6b=1)
    auth.login("chef.0999001a")
    html = client.get(f"{BASE}?flt0_division={s['6A'].id}&flt1_etat=non_notifie").get_data(
        as_text=True)
    lien = s["liens"][0]
    # The checkbox's label and the link carry who the row is (not « Sélectionner » alone).
    assert re.search(rf'<label class="fr-label" for="sel-{lien.id}"><span class="fr-sr-only">'
                     r"Sélectionner [^<]+, responsable de NOM000 ", html)
    assert re.search(r'Gérer le compte<span class="fr-sr-only"> de [^<]+, responsable de NOM000',
                     html)
    assert "Sélectionner tous les comptes de la page" in html
    actifs = re.search(r'data-testid="filtres-actifs">(.*?)</p>', html, re.S).group(1)
    assert "Filtres actifs" in actifs and "Division : 6A" in actifs
    assert "État du compte : Non notifié" in actifs and "Effacer les filtres" in actifs
    # The counter is a polite live region; the table scrolls in its own named region.
    assert re.search(r'id="selection-count"[^>]*role="status" aria-live="polite"', html)
    assert 'class="fr-table__container" tabindex="0" role="region"' in html
    assert "<script>" not in html and "onclick" not in html and "javascript:" not in html


def test_r_acc_9_continuity_and_state_in_words_issue_13(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0)
    compte = db.session.get(Compte, s["liens"][0].compte_id)
    compte.continuite = True
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get(BASE).get_data(as_text=True)
    assert 'fr-badge--new etat-non_notifie">Non notifié<' in html
    assert re.search(r'compte-continuite-badge">.*?Continuité d\'accès</span>', html)
    page = client.get(f"{BASE}compte/{s['liens'][0].id}/").get_data(as_text=True)
    assert "<title>Gérer le compte – Accès des responsables – AdminTS</title>" in page
    assert page.count("<h1") == 1 and "Continuité d'accès" in page


def test_r_acc_6_job_state_says_the_end_in_words_issue_13(app, client, auth, etab):
    app.config["JOB_THRESHOLD"] = 1000  # inline: the job is done when the response comes
    s = school(etab, n_6a=3, n_6b=0)
    auth.login("chef.0999001a")
    resp = post_action(client, BASE, "notifier", rowids=[li.id for li in s["liens"]],
                       confirme="1", mode="papier")
    job_id = int(re.search(r"/taches/(\d+)/", resp.headers["Location"]).group(1))
    state = client.get(f"/taches/{job_id}/etat.json").get_json()
    job = db.session.get(Job, job_id)
    letters = (job.result or {}).get("by_mode", {}).get("courrier", 0)
    assert state["status"] == "done" and letters > 0
    assert state["message"] == f"Terminé : {letters} courrier{'s' if letters > 1 else ''} " \
        f"généré{'s' if letters > 1 else ''}."
    page = client.get(f"/taches/{job_id}/").get_data(as_text=True)
    assert 'id="job-annonce"' in page and 'role="status"' in page and 'id="job-resultat"' in page


def test_r_acc_8_refused_form_error_tied_to_its_field_issue_13(client, auth, etab, smtp):
    s = school(etab, n_6a=1, n_6b=0)
    lien = s["liens"][0]
    auth.login("chef.0999001a")
    page = f"{BASE}compte/{lien.id}/"
    token = csrf_of(client, page)
    before = db_snapshot(db)
    resp = client.post(f"{page}ecrire/", data={"csrf_token": token, "sujet": "",
                                               "texte": "Bonjour, texte gardé."})
    assert resp.status_code == 302 and not smtp.messages
    assert db_snapshot(db) == before
    html = client.get(page).get_data(as_text=True)
    assert 'data-resume-erreurs' in html and "L&#39;objet du message est obligatoire." in html
    assert re.search(r'id="ecrire-sujet"[^>]*aria-invalid="true" '
                     r'aria-describedby="erreur-ecrire-sujet"', html)
    assert '<p class="fr-error-text" id="erreur-ecrire-sujet">' in html
    assert "Bonjour, texte gardé.</textarea>" in html  # what was typed is kept
    # Shown once: the next view of the page is clean.
    assert "aria-invalid" not in client.get(page).get_data(as_text=True)
