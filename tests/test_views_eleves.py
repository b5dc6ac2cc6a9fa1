"""« Accès des élèves » screens: list, filters, select-all-matching actions with server-side
confirmation, job page and PDF, CSV export, Gérer le compte, roles and isolation."""

from __future__ import annotations

import re

from admints.extensions import db
from admints.models import AuditEntry, Compte, EtatCompte, Job

from . import factories as f
from .comptes_helpers import all_state, csrf_of, etats, pdf_text, post_action, school

BASE = "/eleves/"


def _ids(eleves):
    return [e.compte_id for e in eleves]


def test_r_acc_5_list_filter_one_division_counts(client, auth, etab, other_etab):
    s = school(etab, n_6a=3, n_6b=2)
    school(other_etab, n_6a=4, n_6b=0)
    auth.login("chef.0999001a")
    html = client.get(f"{BASE}?flt0_division={s['6A'].id}").get_data(as_text=True)
    assert "NOM000" in html and "NOM002" in html
    assert "NOM003" not in html  # 6B
    assert "compte(s) sélectionné(s) sur 3" in html
    # several divisions at once (multi-select sends the argument twice)
    html = client.get(f"{BASE}?flt0_division={s['6A'].id}"
                      f"&flt0_division={s['6B'].id}").get_data(as_text=True)
    assert "sur 5" in html
    # all divisions: the other establishment's pupils never show
    html = client.get(BASE).get_data(as_text=True)
    assert "sur 5" in html and "eleve.0999002b" not in html


def test_r_acc_8_filters_name_letters_state_mef_continuity(client, auth, etab):
    s = school(etab, n_6a=2, n_6b=1, with_guardians=False)
    f.make_eleve(etab, nom="ZOLA", prenom="Émile", division=s["6A"], etat=EtatCompte.UTILISE,
                 continuite=True)
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get(f"{BASE}?flt0_nom=zo"
                      ).get_data(as_text=True)
    assert "ZOLA" in html and "NOM000" not in html
    html = client.get(f"{BASE}?flt0_etat=utilise").get_data(as_text=True)
    assert "ZOLA" in html and "sur 1" in html
    assert 'class="compte-continuite"' in html  # R-ACC-9: the continuity row is marked
    assert "Continuité d'accès</span>" in html  # R-ACC-9 / issue 13: said in words too
    assert 'fr-badge--success etat-utilise">Utilisé<' in html  # R-ACC-1 DSFR badge with text
    html = client.get(f"{BASE}?flt0_continuite=0").get_data(as_text=True)
    assert "ZOLA" not in html and "sur 3" in html
    html = client.get(f"{BASE}?flt0_mef={s['mef'].id}").get_data(as_text=True)
    assert "sur 3" in html


def test_r_acc_5_bad_filter_value_is_refused_with_french_message(client, auth, etab):
    school(etab, with_guardians=False)
    auth.login("chef.0999001a")
    resp = client.get(f"{BASE}?flt0_division=abc")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Valeur de filtre invalide" in html
    assert "sur 5" in html  # the filter is ignored, not half-applied


def test_r_acc_4_select_all_matching_notifies_every_filtered_row_only(client, auth, etab,
                                                                      other_etab):
    """60 pupils in 6A (more than a page of 50), 3 in 6B, and another establishment."""
    s = school(etab, n_6a=60, n_6b=3, with_guardians=False)
    o = school(other_etab, n_6a=5, n_6b=0, with_guardians=False)
    auth.login("chef.0999001a")
    q = f"flt0_division={s['6A'].id}"
    page = client.get(f"{BASE}?{q}").get_data(as_text=True)
    assert "Sélectionner les 60 comptes correspondant aux filtres" in page
    a_ids, b_ids = _ids(s["eleves"][:60]), _ids(s["eleves"][60:])
    # First POST: only the confirmation page; nothing changed.
    resp = post_action(client, BASE, "notifier", query=q, select_all=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<strong>60</strong> compte(s)" in html
    assert "réinitialiser les mots de passe" in html.lower()
    assert all_state(a_ids) and not db.session.scalars(db.select(Job)).all()
    # Second POST (confirmed, paper): one job for the 60, PDF, recap.
    resp = post_action(client, BASE, "notifier", query=q, select_all=True, confirme="1",
                       mode="papier", reset_used="0")
    assert resp.status_code == 302 and "/taches/" in resp.headers["Location"]
    assert all_state(a_ids, EtatCompte.NOTIFIE)
    assert all_state(b_ids) and all_state(_ids(o["eleves"]))
    job_page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Notification terminée" in job_page and "Télécharger le document PDF" in job_page
    assert re.search(r'recap-notified">60<', job_page)
    job_id = int(re.search(r"/taches/(\d+)/", resp.headers["Location"]).group(1))
    pdf = client.get(f"/taches/{job_id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    pages, text = pdf_text(pdf.data)
    assert pages == 60
    assert "eleve.0999001a.0" in text and "eleve.0999001a.60" not in text


def test_r_acc_5_ticked_rows_only_and_foreign_ids_ignored(client, auth, etab, other_etab):
    s = school(etab, n_6a=3, n_6b=0, with_guardians=False)
    o = school(other_etab, n_6a=2, n_6b=0, with_guardians=False)
    auth.login("chef.0999001a")
    mine = s["eleves"][0]
    foreign = [e.id for e in o["eleves"]]
    resp = post_action(client, BASE, "notifier", rowids=[mine.id, *foreign], confirme="1",
                       mode="papier")
    assert resp.status_code == 302
    assert etats([mine.compte_id]) == [EtatCompte.NOTIFIE]
    assert all_state(_ids(s["eleves"][1:])) and all_state(_ids(o["eleves"]))
    # Only foreign ids: nothing selected, nothing done.
    resp = post_action(client, BASE, "notifier", rowids=foreign, confirme="1", mode="papier")
    assert resp.status_code == 302 and all_state(_ids(o["eleves"]))


def test_r_acc_5_eleves_paper_only(client, auth, etab):
    s = school(etab, n_6a=2, n_6b=0, with_guardians=False)
    auth.login("chef.0999001a")
    resp = post_action(client, BASE, "notifier", rowids=[e.id for e in s["eleves"]],
                       confirme="1", mode="courriel")
    assert resp.status_code == 200  # back to the confirmation page
    assert "Choisissez un mode de transmission" in resp.get_data(as_text=True)
    assert all_state(_ids(s["eleves"]))


def test_r_acc_3_reset_passwords_needs_server_side_confirmation(client, auth, etab):
    s = school(etab, n_6a=2, n_6b=0, with_guardians=False)
    e = s["eleves"][0]
    compte = db.session.get(Compte, e.compte_id)
    compte.etat = EtatCompte.UTILISE
    compte.mot_de_passe_hash = "x"
    db.session.commit()
    auth.login("chef.0999001a")
    resp = post_action(client, BASE, "reinitialiser", rowids=[e.id])
    assert "<strong>1</strong> compte(s)" in resp.get_data(as_text=True)
    assert etats([e.compte_id]) == [EtatCompte.UTILISE]  # unchanged by the first POST
    resp = post_action(client, BASE, "reinitialiser", rowids=[e.id], confirme="1")
    assert resp.status_code == 302
    assert etats([e.compte_id]) == [EtatCompte.NON_NOTIFIE]
    assert db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action.like("%reinitialiser%"))) is not None


def test_r_acc_11_export_csv_bom_and_neutralised(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    f.make_eleve(etab, nom='=HYPERLINK("http://evil.example","x")', prenom="@SUM(1)",
                 division=s["6A"])
    db.session.commit()
    auth.login("chef.0999001a")
    resp = post_action(client, BASE, "exporter", select_all=True)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    body = resp.data.decode("utf-8")
    assert body.startswith("\ufeff")
    assert "'=HYPERLINK(" in body and "\n=HYPERLINK" not in body and ";=HYPERLINK" not in body
    assert "'@SUM(1)" in body
    assert "eleve.0999001a.0" in body


def test_r_sec_1_assistance_sees_list_but_no_mass_action(client, auth, etab):
    s = school(etab, n_6a=2, n_6b=0, with_guardians=False)
    auth.login("assistance.0999001a")
    html = client.get(BASE).get_data(as_text=True)
    assert "NOM000" in html and 'class="action-checkbox"' not in html
    token = csrf_of(client, BASE)
    for action in ("notifier", "reinitialiser", "exporter"):
        resp = post_action(client, BASE, action, rowids=[s["eleves"][0].id], confirme="1",
                           mode="papier", token=token)
        assert resp.status_code == 403
    assert all_state(_ids(s["eleves"]))
    # Individual help is allowed.
    assert client.get(f"{BASE}compte/{s['eleves'][0].id}/").status_code == 200


def test_r_acc_8_gerer_le_compte_page_and_renotify_paper(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    e = s["eleves"][0]
    auth.login("assistance.0999001a")
    html = client.get(f"{BASE}compte/{e.id}/").get_data(as_text=True)
    assert "eleve.0999001a.0" in html and "Non notifié" in html
    assert "Renotifier et réinitialiser le mot de passe" in html
    assert 'value="courriel"' not in html  # élèves: paper only
    token = csrf_of(client, f"{BASE}compte/{e.id}/")
    resp = client.post(f"{BASE}compte/{e.id}/renotifier/", data={"csrf_token": token,
                                                                 "mode": "papier"})
    assert resp.status_code == 302 and "/taches/" in resp.headers["Location"]
    assert etats([e.compte_id]) == [EtatCompte.NOTIFIE]
    resp = client.post(f"{BASE}compte/{e.id}/renotifier/", data={"csrf_token": token,
                                                                 "mode": "courriel"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"compte/{e.id}/")


def test_r_acc_8_new_account_needs_confirmation(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    e = s["eleves"][0]
    old = e.compte_id
    auth.login("chef.0999001a")
    token = csrf_of(client, f"{BASE}compte/{e.id}/")
    resp = client.post(f"{BASE}compte/{e.id}/nouveau/", data={"csrf_token": token})
    assert "Confirmer la création" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(e), e.id).compte_id == old
    resp = client.post(f"{BASE}compte/{e.id}/nouveau/", data={"csrf_token": token,
                                                               "confirme": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    new = db.session.get(type(e), e.id).compte
    assert new.id != old and new.identifiant.startswith("prenom0.nom000")


def test_r_sec_1_other_establishment_ids_in_every_url(client, auth, etab, other_etab):
    school(etab, n_6a=1, n_6b=0, with_guardians=False)
    o = school(other_etab, n_6a=1, n_6b=0, with_guardians=False)
    foreign = o["eleves"][0]
    job = Job(kind="notification_eleve", etablissement_id=other_etab.id, status="done",
              file_path="/etc/passwd", params={"kind": "eleve"})
    db.session.add(job)
    db.session.commit()
    auth.login("chef.0999001a")
    token = csrf_of(client, BASE)
    assert client.get(f"{BASE}compte/{foreign.id}/").status_code == 404
    for op in ("renotifier", "renotifier_reinit", "nouveau", "ecrire"):
        resp = client.post(f"{BASE}compte/{foreign.id}/{op}/",
                           data={"csrf_token": token, "mode": "papier", "confirme": "1"})
        assert resp.status_code == 404
    for url in (f"/taches/{job.id}/", f"/taches/{job.id}/etat.json", f"/taches/{job.id}/pdf"):
        assert client.get(url).status_code == 404
    html = client.get(f"{BASE}?flt0_division={o['6A'].id}").get_data(as_text=True)
    assert "sur 0" in html and "NOM000" not in html
    assert all_state([foreign.compte_id])


def test_r_sec_2_action_without_csrf_changes_nothing(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    auth.login("chef.0999001a")
    resp = client.post(f"{BASE}action/", data={"action": "notifier", "rowid": s["eleves"][0].id,
                                               "confirme": "1", "mode": "papier"})
    assert resp.status_code == 400
    assert all_state(_ids(s["eleves"]))


def test_r_acc_8_write_to_a_pupil_at_its_account_address(client, auth, etab, smtp):
    s = school(etab, n_6a=2, n_6b=0, with_guardians=False)
    avec, sans = s["eleves"]
    compte = db.session.get(Compte, avec.compte_id)
    compte.email = "eleve0@example.org"
    db.session.commit()
    auth.login("chef.0999001a")
    assert "Écrire un courriel" not in client.get(f"{BASE}compte/{sans.id}/").get_data(
        as_text=True)
    token = csrf_of(client, f"{BASE}compte/{avec.id}/")
    resp = client.post(f"{BASE}compte/{sans.id}/ecrire/",
                       data={"csrf_token": token, "sujet": "Bonjour", "texte": "Texte"})
    assert resp.status_code == 302 and not smtp.messages  # no address: refused
    assert "Aucune adresse" in client.get(f"{BASE}compte/{sans.id}/").get_data(as_text=True)
    resp = client.post(f"{BASE}compte/{avec.id}/ecrire/",
                       data={"csrf_token": token, "sujet": "Bonjour", "texte": "Texte"})
    assert resp.status_code == 302
    assert [m.subject for m in smtp.to("eleve0@example.org")] == ["Bonjour"]
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "eleve.ecrire"))


def test_r_acc_5_sort_columns_and_pages(client, auth, etab):
    s = school(etab, n_6a=3, n_6b=2, with_guardians=False)
    auth.login("chef.0999001a")
    html = client.get(f"{BASE}?sort=0&desc=1").get_data(as_text=True)
    assert html.index("NOM004") < html.index("NOM000")
    html = client.get(f"{BASE}?sort=1").get_data(as_text=True)  # division, then name
    assert html.index("NOM002") < html.index("NOM003")
    more = [f.make_eleve(etab, nom=f"PLUS{i:03d}", division=s["6A"]) for i in range(50)]
    db.session.commit()
    html = client.get(f"{BASE}?page=1&flt0_division={s['6A'].id}").get_data(as_text=True)
    assert "sur 53" in html and "PLUS049" in html and "NOM000" not in html
    assert len(more) == 50


def test_r_sec_1_delegue_with_eleves_right_only(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    f.make_user("deleg.0999001a", "delegue", etablissement=etab, droits=["eleves"])
    db.session.commit()
    auth.login("deleg.0999001a")
    assert client.get(BASE).status_code == 200
    assert client.get("/responsables/").status_code == 403
    resp = post_action(client, BASE, "notifier", rowids=[s["eleves"][0].id], confirme="1",
                       mode="papier")
    assert resp.status_code == 302 and etats([s["eleves"][0].compte_id]) == [EtatCompte.NOTIFIE]
    assert client.get(resp.headers["Location"]).status_code == 200  # its job page


def test_r_sec_1_academie_switches_establishment_and_jobs_follow(client, auth, etab, other_etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    o = school(other_etab, n_6a=2, n_6b=0, with_guardians=False)
    f.make_user("academie.demo", "academie", academie=f.make_academie())
    db.session.commit()
    auth.login("academie.demo")
    html = client.get(BASE).get_data(as_text=True)
    assert "sur 2" in html  # the first of its establishments by name: Jean-Moulin
    token = csrf_of(client, "/")
    client.post("/etablissement", data={"csrf_token": token, "etablissement_id": etab.id})
    assert "sur 1" in client.get(BASE).get_data(as_text=True)
    client.post("/etablissement", data={"csrf_token": token, "etablissement_id": other_etab.id})
    html = client.get(BASE).get_data(as_text=True)
    assert "sur 2" in html and "eleve.0999002b.0" not in html  # identifiers are not listed
    resp = post_action(client, BASE, "notifier", rowids=[o["eleves"][0].id, s["eleves"][0].id],
                       confirme="1", mode="papier")
    assert etats([o["eleves"][0].compte_id, s["eleves"][0].compte_id]) == [
        EtatCompte.NOTIFIE, EtatCompte.NON_NOTIFIE]
    job_url = resp.headers["Location"]
    client.post("/etablissement", data={"csrf_token": csrf_of(client, "/"),
                                 "etablissement_id": etab.id})
    assert client.get(job_url).status_code == 404  # the job belongs to the other school


def test_r_acc_6_job_state_json_list_and_failure_page(client, auth, etab, monkeypatch):
    from admints.comptes import notification
    from admints.errors import DomainError

    s = school(etab, n_6a=2, n_6b=0, with_guardians=False)
    auth.login("chef.0999001a")
    resp = post_action(client, BASE, "notifier", select_all=True, confirme="1", mode="papier")
    job_id = int(re.search(r"/taches/(\d+)/", resp.headers["Location"]).group(1))
    state = client.get(f"/taches/{job_id}/etat.json").get_json()
    assert state["status"] == "done" and state["percent"] == 100 and state["total"] == 2
    assert f"/taches/{job_id}/" in client.get("/taches/").get_data(as_text=True)

    def broken(*_a, **_kw):
        raise DomainError("Écriture du PDF impossible : disque plein.")

    # The job body fails before anything left: its stored rows are released, the job failed.
    monkeypatch.setattr(notification, "notify_job", broken)
    for e in s["eleves"]:
        db.session.get(Compte, e.compte_id).etat = EtatCompte.NON_NOTIFIE
    db.session.commit()
    resp = post_action(client, BASE, "notifier", select_all=True, confirme="1", mode="papier")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "La notification a échoué" in html and "disque plein" in html
    assert "Télécharger le document PDF" not in html
    assert all_state(_ids(s["eleves"]))


def test_r_sec_2_return_url_of_another_site_is_ignored(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    auth.login("chef.0999001a")
    token = csrf_of(client, BASE)
    resp = client.post(f"{BASE}action/", data={
        "csrf_token": token, "action": "reinitialiser", "rowid": s["eleves"][0].id,
        "url": "https://evil.example/phish"})
    html = resp.get_data(as_text=True)
    assert "evil.example" not in html
    resp = client.post(f"{BASE}action/", data={
        "csrf_token": token, "action": "notifier", "select_all": "0",
        "url": "javascript:alert(1)"})  # nothing selected: back to the list
    assert resp.status_code == 302 and resp.headers["Location"].endswith(BASE)


def test_r_acc_6_above_threshold_background_at_most_threshold_inline(app, client, auth, etab,
                                                                     monkeypatch):
    """Issue 3 point 3: a notification of more than JOB_THRESHOLD accounts runs in the
    background thread; one of at most JOB_THRESHOLD runs inline, within the request (same job
    row and recap page), even when the configured runner is the thread."""
    import threading

    from admints import jobs
    from admints.comptes import notification

    s = school(etab, n_6a=3, n_6b=0, with_guardians=False)
    app.config.update(JOB_RUNNER="thread", JOB_THRESHOLD=2)
    auth.login("chef.0999001a")
    release, real, ran_in = threading.Event(), notification.notify_job, []

    def held_notify_job(ctx, progress):
        ran_in.append(threading.current_thread())
        if ran_in[-1] is not threading.main_thread():
            release.wait(30)  # holds a background job until the test has looked at it
        return real(ctx, progress)

    monkeypatch.setattr(notification, "notify_job", held_notify_job)
    # 3 accounts > 2: the request returns while the job still waits in its thread.
    resp = post_action(client, BASE, "notifier", select_all=True, confirme="1", mode="papier")
    assert resp.status_code == 302
    job_id = int(re.search(r"/taches/(\d+)/", resp.headers["Location"]).group(1))
    db.session.expire_all()
    assert db.session.get(Job, job_id).status in ("pending", "running")
    assert job_id in jobs._threads
    assert all_state(_ids(s["eleves"]))  # nothing notified yet
    release.set()
    final = jobs.wait(job_id, timeout=30)
    assert final.status == "done" and final.result["notified"] == 3
    assert ran_in[-1].name == f"admints-job-{job_id}"
    assert all_state(_ids(s["eleves"]), EtatCompte.NOTIFIE)
    # 2 accounts ≤ 2: done before the response, the job page shows the recap at once.
    resp = post_action(client, BASE, "notifier", rowids=[e.id for e in s["eleves"][:2]],
                       confirme="1", mode="papier")
    job_id = int(re.search(r"/taches/(\d+)/", resp.headers["Location"]).group(1))
    assert ran_in[-1] is threading.main_thread()  # the test client's request thread
    assert job_id not in jobs._threads
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job.status == "done" and job.total == 2 and job.result["notified"] == 2
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Notification terminée" in html and re.search(r'recap-notified">2<', html)
