"""Issue 14 point 1 with R-DAT-1 / R-DAT-3: an upload above SIECLE_JOB_MIN_BYTES is imported by
a background job (here the « inline » runner of the tests, the same body a Celery worker runs:
tests/test_services_celery.py), whose page shows the same recap, plan or French refusal as the
upload screen; smaller uploads are imported in the request as before. The kept files never
outlive the import, and another school's job, another menu's user or a hostile id gets 404/403,
never a 500."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from admints import celery_app
from admints.models import (
    DROITS_DELEGUE,
    AuditEntry,
    Division,
    Eleve,
    Groupe,
    Job,
    Mef,
    Responsable,
    ResponsableEleve,
    Role,
    StaffUser,
)
from admints.models import Compte as CompteModel
from tests.db_snapshot import db_snapshot

from . import factories
from .smtp_server import free_port
from .test_import_departures import N, files, school  # noqa: F401 - fixture
from .test_siecle_import import BOMB, base_files

URL = "/donnees/import/"
JOB_URL = re.compile(r"/donnees/import/tache/(\d+)/$")
# What a job row and its audit entry add beside the import itself.
EXCLUDE = ("audit_entry", "server_session", "job")


def _kept(app) -> list[Path]:
    root = Path(app.config["OUTPUT_DIR"]) / "imports_en_attente"
    return sorted(root.iterdir()) if root.is_dir() else []


def _post(client, auth, data: dict):
    return client.post(URL, data={"csrf_token": auth.csrf(URL), **data},
                       content_type="multipart/form-data")


def _upload(client, auth, payload):
    return _post(client, auth, {"fichiers": [(io.BytesIO(d), n) for n, d in payload]})


def _job_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(JOB_URL.search(response.headers["Location"]).group(1))


def _page(client, job_id: int) -> str:
    response = client.get(f"{URL}tache/{job_id}/")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _token(page: str) -> str:
    return re.search(r'name="attente" value="([0-9a-f]{32})"', page).group(1)


def _state(db) -> dict:
    """What an import writes, by SIECLE ids and identifiers (never by row ids)."""
    db.session.expire_all()
    rows = {
        "eleves": select(Eleve.siecle_id, Eleve.nom, Eleve.prenom, Eleve.ine,
                         Division.code, Mef.code, CompteModel.identifiant, CompteModel.etat)
        .outerjoin(Division, Division.id == Eleve.division_id)
        .outerjoin(Mef, Mef.id == Eleve.mef_id)
        .outerjoin(CompteModel, CompteModel.id == Eleve.compte_id),
        "responsables": select(Responsable.siecle_id, Responsable.nom, Responsable.email),
        "liens": select(Eleve.siecle_id, Responsable.siecle_id, ResponsableEleve.niveau,
                        CompteModel.identifiant)
        .join(Eleve, Eleve.id == ResponsableEleve.eleve_id)
        .join(Responsable, Responsable.id == ResponsableEleve.responsable_id)
        .outerjoin(CompteModel, CompteModel.id == ResponsableEleve.compte_id),
        "comptes": select(CompteModel.identifiant, CompteModel.etat, CompteModel.ferme_le),
        "structures": select(Division.code, Division.libelle).union_all(
            select(Groupe.code, Groupe.libelle), select(Mef.code, Mef.libelle)),
    }
    return {name: sorted(tuple(map(str, r)) for r in db.session.execute(stmt))
            for name, stmt in rows.items()}


def _wipe_import(db) -> None:
    """Every row an import writes, deleted (children first): the establishment as before."""
    names = {"responsable_eleve", "eleve_groupe", "compte_conserve", "eleve", "responsable",
             "groupe", "division", "mef", "acces_teleservice", "compte"}
    for table in reversed(db.metadata.sorted_tables):
        if table.name in names:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def chef(app, auth, etab):
    auth.login("chef.0999001a")
    app.config["SIECLE_JOB_MIN_BYTES"] = 1000  # the base files are ~3 KB together
    return auth


def test_r_dat_1_issue14_small_upload_still_imported_in_the_request(app, client, chef, db):
    """At or below SIECLE_JOB_MIN_BYTES: the summary in the answer, no job."""
    app.config["SIECLE_JOB_MIN_BYTES"] = sum(len(d) for _n, d in base_files())
    response = _upload(client, chef, base_files())
    assert response.status_code == 200
    assert "Import terminé" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert db.session.scalar(select(func.count()).select_from(Eleve)) == 3
    assert _kept(app) == []


def test_r_dat_1_issue14_large_upload_is_a_job_same_state_as_in_the_request(app, client,
                                                                           chef, db, etab):
    """Above the threshold: the answer is the job's page; the job imports exactly what the
    request would have (same pupils, guardians, links, accounts and identifiers, same
    recap), audited in the sender's name, and deletes the kept files."""
    app.config["SIECLE_JOB_MIN_BYTES"] = 10**9
    in_request = _upload(client, chef, base_files())
    assert in_request.status_code == 200
    expected = _state(db)
    assert len(expected["comptes"]) == 3 + 4
    _wipe_import(db)
    assert _state(db)["comptes"] == []

    app.config["SIECLE_JOB_MIN_BYTES"] = 1000
    job_id = _job_of(_upload(client, chef, base_files()))
    job = db.session.get(Job, job_id)
    assert (job.kind, job.status, job.runner) == ("import_siecle", "done", "inline")
    assert (job.done, job.total, job.created_by) == (3, 3, "chef.0999001a")
    assert job.result["eleves"] == {"created": 3, "updated": 0, "left": 0}
    assert job.result["comptes"]["created"] == 7
    assert _state(db) == expected
    page = _page(client, job_id)
    assert "Import terminé" in page and 'data-testid="job-done"' in page
    assert re.search(r'data-kind="eleves"><th scope="row">Élèves</th><td>3</td>', page)
    assert "Fichiers : Nomenclature.xml, ElevesSansAdresses.xml" in page
    state = client.get(f"{URL}tache/{job_id}/etat.json").get_json()
    assert state["status"] == "done" and state["percent"] == 100
    assert state["message"] == "Import terminé : 3 élève(s) créé(s), 0 mis à jour, 0 sorti(s)."
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import.siecle")
                               .order_by(AuditEntry.id)).all()
    assert [a.login for a in audit] == ["chef.0999001a", "chef.0999001a"]
    assert _kept(app) == []


def test_r_dat_3_issue14_departures_job_shows_plan_then_confirm_applies(app, client, auth,
                                                                       db,
                                                                       school):  # noqa: F811
    """R-DAT-3 through a job: over the departure threshold nothing is applied, the job page
    shows the plan with « Confirmer » / « Annuler »; the confirmation (large: a second job)
    applies it within that plan and deletes the files."""
    auth.login("chef.0999001a")
    app.config["SIECLE_JOB_MIN_BYTES"] = 1000
    before = db_snapshot(db, exclude=EXCLUDE)
    job_id = _job_of(_upload(client, auth, files(present=range(4, N + 1))))
    job = db.session.get(Job, job_id)
    assert job.status == "done" and job.result["attente"]["lines"][0].startswith(
        "Élèves sortis : 3 sur 10")
    assert db_snapshot(db, exclude=EXCLUDE) == before
    page = _page(client, job_id)
    assert "Import non appliqué : confirmation nécessaire." in page
    assert "3 élèves sortis sur 10" in page and "6 comptes fermés" in page
    assert "Confirmer l'import et ces sorties" in page
    assert client.get(f"{URL}tache/{job_id}/etat.json").get_json()["message"] == \
        "Import non appliqué : confirmation nécessaire."
    token = _token(page)
    assert [p.name for p in _kept(app)] == [token]

    second = _job_of(_post(client, auth, {"attente": token, "confirmer": "1"}))
    assert second != job_id
    job2 = db.session.get(Job, second)
    assert job2.status == "done" and job2.params["confirm"] is True
    assert job2.result["eleves"]["left"] == 3
    assert db.session.scalar(select(func.count()).select_from(Eleve)) == 7
    assert "Import terminé" in _page(client, second)
    assert _kept(app) == []
    # The first job's page no longer offers to confirm files that are gone.
    page = _page(client, job_id)
    assert "Confirmer l'import" not in page and "n'existe plus" in page
    response = _post(client, auth, {"attente": token, "confirmer": "1"})
    assert response.status_code == 400 and "n&#39;existe plus" in response.get_data(True)


def test_r_dat_3_issue14_departures_job_cancelled_nothing_changed_files_gone(app, client,
                                                                            auth, db,
                                                                            school):  # noqa: F811
    auth.login("chef.0999001a")
    app.config["SIECLE_JOB_MIN_BYTES"] = 1000
    before = db_snapshot(db, exclude=EXCLUDE)
    job_id = _job_of(_upload(client, auth, files(present=range(4, N + 1))))
    token = _token(_page(client, job_id))
    response = _post(client, auth, {"attente": token, "annuler": "1"})
    assert response.status_code == 200
    assert "Import annulé : rien n&#39;a été modifié." in response.get_data(as_text=True)
    assert db_snapshot(db, exclude=EXCLUDE) == before
    assert _kept(app) == []


@pytest.mark.parametrize("bad, message", [
    (("ElevesSansAdresses.xml", b"<?xml version='1.0'?><BEE_ELEVES><DONNEES>" + b" " * 2000),
     "n'est pas un XML valide"),
    (("ElevesSansAdresses.xml", BOMB + b" " * 2000), "entités XML"),
])
def test_r_dat_1_issue14_hostile_file_job_failed_in_french_nothing_written(app, client, chef,
                                                                          db, bad, message):
    """A refused file above the threshold: the job ends « échouée » with the French message,
    nothing is written, the kept files are deleted; the page says it, no 500."""
    _upload(client, chef, base_files())  # a first import, so that there is something to keep
    before = db_snapshot(db, exclude=EXCLUDE)
    job_id = _job_of(_upload(client, chef, [base_files()[0], bad]))
    job = db.session.get(Job, job_id)
    assert job.status == "failed" and message in job.error, job.error
    assert db_snapshot(db, exclude=EXCLUDE) == before
    assert _kept(app) == []
    page = _page(client, job_id)
    assert "Import refusé : rien n'a été modifié." in page and message in page
    state = client.get(f"{URL}tache/{job_id}/etat.json").get_json()
    assert state["status"] == "failed" and message in state["error"]


def test_r_dat_1_issue14_job_service_down_french_message_nothing_started(app, client, chef,
                                                                        db):
    """Celery configured but its broker not answering: a French message at once, the job
    « échouée » without having started, nothing imported, no file kept."""
    app.config.update(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",
                      JOB_RUNNER="celery")
    celery_app.init_celery(app)
    try:
        before = db_snapshot(db, exclude=EXCLUDE)
        response = _upload(client, chef, base_files())
    finally:
        app.extensions.pop("celery", None)
    assert response.status_code == 503
    assert "service des tâches est indisponible" in response.get_data(as_text=True)
    job = db.session.scalar(select(Job))
    assert job.status == "failed" and job.attempts == 0
    assert db_snapshot(db, exclude=EXCLUDE) == before
    assert _kept(app) == []


def test_r_sec_1_issue14_import_job_of_another_school_or_kind_is_404(app, client, chef, db,
                                                                   etab, other_etab):
    """R-SEC-1 / R-SEC-5: a job is read through the current establishment and its kind only;
    hostile ids give 404, never a 500."""
    factories.make_user("chef.autre", Role.CHEF, other_etab)
    db.session.commit()
    chef.logout()
    chef.login("chef.autre")
    app.config["SIECLE_JOB_MIN_BYTES"] = 100
    other = _job_of(_upload(client, chef, base_files(uai=other_etab.uai)))
    assert db.session.get(Job, other).status == "done"
    chef.logout()
    chef.login("chef.0999001a")
    notification = Job(kind="notification_eleve", etablissement_id=etab.id, status="done",
                       params={}, total=0, done=0, attempts=0)
    db.session.add(notification)
    db.session.commit()
    for job_id in (other, notification.id):
        for suffix in ("", "etat.json"):
            assert client.get(f"{URL}tache/{job_id}/{suffix}").status_code == 404
    for raw in ("abc", "-1", "0", "2147483648", "9" * 40, "1.5", "%00", "..%2f..%2f"):
        for suffix in ("", "etat.json"):
            status = client.get(f"{URL}tache/{raw}/{suffix}").status_code
            assert status in (400, 404), (raw, status)


def test_r_sec_5_issue14_delegue_without_donnees_gets_403_on_import_job(app, client, chef,
                                                                       db, etab):
    """The import belongs to « Données SIECLE » (head, académie administrator): a délégué with
    every delegable right still gets 403 on the upload and on the job's page and state."""
    job_id = _job_of(_upload(client, chef, base_files()))
    factories.make_user("delegue.tout", Role.DELEGUE, etab, droits=list(DROITS_DELEGUE))
    db.session.commit()
    chef.logout()
    chef.login("delegue.tout")
    for url in (URL, f"{URL}tache/{job_id}/", f"{URL}tache/{job_id}/etat.json"):
        assert client.get(url).status_code == 403, url


def test_r_acc_6_issue14_import_job_running_shows_the_same_progress_bar(app, client, chef, db,
                                                                       etab):
    """While it runs, the import job's page is the notification's progress bar (named
    <progress>, live percentage, « Actualiser » without JavaScript), counting steps."""
    from admints import jobs
    from admints.siecle import import_job

    job = jobs.new_job(import_job.JOB_KIND, etab.id, {"token": "0" * 32, "user_id": 1},
                       import_job.import_job, "chef.0999001a", total=import_job.STEPS)
    db.session.commit()
    jobs.write_status(job.id, status="running", done=1)
    page = _page(client, job.id)
    assert 'data-testid="job-progress"' in page and "Progression de l'import" in page
    assert 'data-job-state-url="/donnees/import/tache/' in page
    assert "1</span> / <span class=\"job-total\">3</span> étape(s)" in page
    state = client.get(f"{URL}tache/{job.id}/etat.json").get_json()
    assert state["status"] == "running" and state["total"] == 3


def test_r_dat_1_issue14_academie_administrator_imports_through_a_job(app, client, chef, db,
                                                                      etab):
    """The académie administrator imports for the establishment chosen in the header; the job
    is theirs and its page open to them."""
    factories.make_user("rectorat.import", Role.ACADEMIE, academie=etab.academie)
    db.session.commit()
    chef.logout()
    chef.login("rectorat.import")
    client.post("/etablissement", data={"etablissement_id": etab.id,
                                        "csrf_token": chef.csrf("/")})
    job_id = _job_of(_upload(client, chef, base_files()))
    job = db.session.get(Job, job_id)
    assert (job.status, job.created_by, job.etablissement_id) == (
        "done", "rectorat.import", etab.id)
    assert "Import terminé" in _page(client, job_id)
    assert db.session.scalar(select(func.count()).select_from(Eleve)) == 3


def test_r_dat_1_issue14_import_whose_runner_died_keeps_no_file(app, client, chef, db, etab):
    """A runner killed mid-import (a real process that has ended, named on the job row) wrote
    nothing (one transaction); the recovery deletes the kept SIECLE files at once rather than
    an hour later, and the page says « interrompu » and to upload them again."""
    import subprocess
    import sys

    from admints import job_recovery, jobs
    from admints.job_runners import process_marker, this_process
    from admints.siecle import import_job, pending

    user = db.session.scalar(select(StaffUser).where(StaffUser.login == "chef.0999001a"))
    token = pending.save(base_files(), etablissement_id=etab.id, user_id=user.id,
                         departures=None)
    assert _kept(app)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    started = process_marker(dead.pid)
    dead.wait()
    job = jobs.new_job(import_job.JOB_KIND, etab.id, {"token": token, "user_id": user.id},
                       import_job.import_job, "chef.0999001a", total=import_job.STEPS)
    job.status, job.runner = "running", "thread"
    job.runner_pid, job.runner_host = dead.pid, this_process()["runner_host"]
    job.runner_started = started or ""
    db.session.commit()
    before = db_snapshot(db, exclude=EXCLUDE)

    assert [item["id"] for item in job_recovery.recover(job_id=job.id)] == [job.id]
    assert _kept(app) == []
    assert db_snapshot(db, exclude=EXCLUDE) == before
    page = _page(client, job.id)
    assert "Import interrompu" in page and "déposez à nouveau les fichiers" in page
    assert not jobs.resumable(db.session.get(Job, job.id).params)


def test_r_acc_6_issue14_import_jobs_listed_on_taches_to_whoever_may_import(app, client, chef,
                                                                          db, etab):
    """« Tâches » names the SIECLE imports run as jobs, « Import SIECLE », linked to their page
    under « Données SIECLE » (never a /taches/ page: 404 there); a délégué of the account lists,
    who may open « Tâches » but not import, does not see them."""
    job_id = _job_of(_upload(client, chef, base_files()))
    listing = client.get("/taches/").get_data(as_text=True)
    assert f'href="{URL}tache/{job_id}/"' in listing and "Import SIECLE" in listing
    assert f'href="/taches/{job_id}/"' not in listing
    for suffix in ("", "etat.json", "pdf", "csv"):
        assert client.get(f"/taches/{job_id}/{suffix}").status_code == 404, suffix
    factories.make_user("delegue.listes", Role.DELEGUE, etab, droits=["eleves", "responsables"])
    db.session.commit()
    chef.logout()
    chef.login("delegue.listes")
    listing = client.get("/taches/")
    assert listing.status_code == 200 and f"{URL}tache/{job_id}/" not in listing.get_data(
        as_text=True)
