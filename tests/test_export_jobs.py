"""A large « Exporter (CSV) » as a job (issue 14 point 1; R-ACC-4 the export, R-SEC-3 its audit,
R-SEC-1/R-SEC-5 who reaches the file): at most EXPORT_JOB_MIN_ROWS accounts the CSV is streamed
in the answer as before; above it the action starts a job (inline in tests), the staff member
lands on the job page, and « Télécharger le fichier CSV » gives byte for byte the streamed file,
audited once. Another establishment's job is 404, another menu's 403, hostile ids and files 404,
never a 500; the file is deleted after a confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest

from admints import jobs
from admints.comptes import export_jobs
from admints.comptes.exports import BOM
from admints.models import AuditEntry, Job

from . import factories
from .comptes_helpers import csrf_of, post_action, school
from .db_snapshot import db_snapshot
from .test_rights import make_job

BASES = {"eleve": "/eleves/", "responsable": "/responsables/"}


@pytest.fixture
def staff(db, etab):
    factories.make_user("delegue.eleves", "delegue", etablissement=etab, droits=["eleves"])
    factories.make_user("delegue.resp", "delegue", etablissement=etab, droits=["responsables"])
    db.session.commit()


def _audits(db, action: str) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == action))


def _streamed(app, client, kind: str) -> bytes:
    app.config["EXPORT_JOB_MIN_ROWS"] = 10_000
    response = post_action(client, BASES[kind], "exporter", select_all=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    return response.get_data()


def _export_job(app, client, db, kind: str) -> Job:
    """« Exporter (CSV) » of every account of the list with the threshold at 2: a job."""
    app.config["EXPORT_JOB_MIN_ROWS"] = 2
    response = post_action(client, BASES[kind], "exporter", select_all=True)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert "/taches/" in location
    job_id = int(location.rstrip("/").rsplit("/", 1)[1])
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_r_acc_4_selection_at_the_threshold_still_streamed(app, client, auth, etab, db):
    """R-ACC-4: at most EXPORT_JOB_MIN_ROWS accounts, the CSV is the answer (streamed), no job."""
    school(etab, n_6a=2, n_6b=1, with_guardians=False)
    auth.login("chef.0999001a")
    app.config["EXPORT_JOB_MIN_ROWS"] = 3
    response = post_action(client, "/eleves/", "exporter", select_all=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data().startswith(BOM.encode() + "Nom;Prénom;".encode())
    assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 0
    assert _audits(db, "eleve.export_csv") == 1
    assert app.config["EXPORT_JOB_MIN_ROWS"] == 3 and not export_jobs.runs_as_job(3)
    assert export_jobs.runs_as_job(4)


@pytest.mark.parametrize("kind", ["eleve", "responsable"])
def test_r_acc_4_large_export_is_a_job_whose_file_equals_the_streamed_csv(
        app, client, auth, etab, db, kind):
    """R-ACC-4 / R-SEC-3: above the threshold the action redirects to the job page; the job is
    done, its page offers « Télécharger le fichier CSV », the file is the streamed CSV byte for
    byte (same selection), sent no-store, under OUTPUT_DIR/jobs/<etab>/ with no partial file
    left; the export is audited once (by the job)."""
    school(etab, n_6a=4, n_6b=3)
    auth.login("chef.0999001a")
    streamed = _streamed(app, client, kind)
    assert _audits(db, f"{kind}.export_csv") == 1
    job = _export_job(app, client, db, kind)
    assert job.kind == f"export_{kind}" and job.status == "done", job.error
    assert job.runner == "inline" and job.result == {"rows": 7, "comptes": 7}
    assert job.done == job.total == 7
    assert _audits(db, f"{kind}.export_csv") == 2  # one per export, none by the view
    entry = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == f"{kind}.export_csv").order_by(AuditEntry.id.desc())).first()
    assert entry.login == "chef.0999001a" and len(entry.rows) == 7
    page = client.get(f"/taches/{job.id}/").get_data(as_text=True)
    assert "Télécharger le fichier CSV" in page and "Export terminé" in page
    assert "Supprimer le fichier du serveur" in page
    state = client.get(f"/taches/{job.id}/etat.json").get_json()
    assert state["status"] == "done" and state["message"] == "Terminé : 7 lignes exportées."
    download = client.get(f"/taches/{job.id}/csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Cache-Control"] == "no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.data == streamed
    jobs_dir = Path(app.config["OUTPUT_DIR"]) / "jobs" / str(etab.id)
    assert Path(job.file_path).parent == jobs_dir
    assert [p.suffix for p in jobs_dir.iterdir()] == [".csv"]  # no .part left
    assert "Export CSV" in client.get("/taches/").get_data(as_text=True)


def test_r_acc_4_export_job_body_same_bytes_and_progress(app, db, etab, tmp_path):
    """R-ACC-4: the job body writes `export_csv_chunks` joined (pieces of CSV_BLOCK rows) and
    reports its progress in rows; the recap counts them."""
    from admints.comptes import exports

    s = school(etab, n_6a=3, n_6b=2)
    ids = [lien.compte_id for lien in s["liens"]]
    seen = []
    rows = export_jobs.write_csv(etab.id, "responsable", ids, tmp_path / "x.csv",
                                 progress=lambda done, total: seen.append((done, total)))
    assert rows == 5 and seen[-1] == (5, 5)
    assert (tmp_path / "x.csv").read_bytes() == exports.export_csv(
        etab.id, "responsable", ids).encode("utf-8")


def test_r_sec_3_failed_export_job_leaves_no_file_and_no_audit(app, db, etab):
    """R-SEC-3: an export job that fails (an unknown account kind) is « échec » with its French
    message, writes no file (not even a partial one) and no audit entry."""
    out = Path(app.config["OUTPUT_DIR"]) / "jobs" / str(etab.id)
    out.mkdir(parents=True)
    job = jobs.start_job("export_eleve", etab.id, {"kind": "personnel", "compte_ids": [1],
                                                   "out_path": str(out / "x.csv")},
                         export_jobs.export_job, "chef.0999001a")
    assert job.status == "failed" and "Type de compte inconnu" in job.error
    assert list(out.iterdir()) == [] and job.file_path is None
    assert _audits(db, "personnel.export_csv") == 0
    with pytest.raises(export_jobs.DomainError):
        export_jobs.start_export(etab.id, "personnel", [1], by=None, out_dir=out)


REFUSED = [("delegue.eleves", "responsable"), ("delegue.resp", "eleve"),
           ("assistance.0999001a", "eleve"), ("assistance.0999001a", "responsable")]


@pytest.mark.parametrize("login, kind", REFUSED)
def test_r_sec_5_export_job_of_another_menu_403_on_every_url(app, client, auth, db, etab, staff,
                                                             login, kind):
    """R-SEC-5: a délégué without the export's menu, and the helpdesk (no mass action), get 403
    on the page, the state, the CSV and its deletion; nothing changed, the file stays."""
    school(etab, n_6a=2, n_6b=1)
    auth.login("chef.0999001a")
    job = _export_job(app, client, db, kind)
    content = Path(job.file_path).read_bytes()
    auth.logout()
    auth.login(login)
    before = db_snapshot(db)
    for url in (f"/taches/{job.id}/", f"/taches/{job.id}/etat.json", f"/taches/{job.id}/csv"):
        assert client.get(url).status_code == 403, url
    token = csrf_of(client, "/")
    response = client.post(f"/taches/{job.id}/csv/supprimer/",
                           data={"csrf_token": token, "confirme": "1"})
    assert response.status_code == 403
    assert Path(job.file_path).read_bytes() == content
    assert db_snapshot(db) == before
    assert f'href="/taches/{job.id}/"' not in client.get("/taches/").get_data(as_text=True)


def test_r_sec_1_export_job_of_another_establishment_404(app, client, auth, db, etab, other_etab):
    """R-SEC-1: the head of another establishment gets 404 on every URL of the job."""
    school(etab, n_6a=3, n_6b=0, with_guardians=False)
    auth.login("chef.0999001a")
    job = _export_job(app, client, db, "eleve")
    auth.logout()
    auth.login("chef.0999002b")
    before = db_snapshot(db)
    for url in (f"/taches/{job.id}/", f"/taches/{job.id}/etat.json", f"/taches/{job.id}/csv"):
        assert client.get(url).status_code == 404, url
    token = csrf_of(client, "/")
    assert client.post(f"/taches/{job.id}/csv/supprimer/",
                       data={"csrf_token": token, "confirme": "1"}).status_code == 404
    assert Path(job.file_path).is_file() and db_snapshot(db) == before


def test_r_sec_5_delegue_of_the_menu_downloads_its_export(app, client, auth, db, etab, staff):
    """R-SEC-5, positive control: the délégué of the élèves menu exports its list as a job and
    downloads the file."""
    school(etab, n_6a=3, n_6b=0, with_guardians=False)
    auth.login("delegue.eleves")
    job = _export_job(app, client, db, "eleve")
    assert job.status == "done" and job.created_by == "delegue.eleves"
    response = client.get(f"/taches/{job.id}/csv")
    assert response.status_code == 200 and response.data.startswith(BOM.encode())


def _hostile_file_job(app, db, etab, file_path: str, kind="export_eleve") -> Job:
    job = Job(etablissement_id=etab.id, kind=kind, status="done", total=1, done=1,
              created_by="chef.0999001a", file_path=file_path,
              params={"kind": "eleve", "compte_ids": [1]}, result={"rows": 1, "comptes": 1})
    db.session.add(job)
    db.session.commit()
    return job


@pytest.mark.parametrize("url", ["/taches/999999/csv", "/taches/abc/csv", "/taches/-1/csv",
                                 "/taches/99999999999999999999/csv", "/taches/1/csv/../../x",
                                 "/taches/%2e%2e/csv", "/taches/1/csv/supprimer/"])
def test_r_sec_5_hostile_export_urls_404_never_500(app, client, auth, db, etab, url):
    """R-SEC-5: unknown, non-numeric or huge ids, dot segments: 404 (the deletion URL answers a
    GET with 405), nothing changed."""
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    response = client.get(url)
    assert response.status_code in (404, 405), (url, response.status_code)
    assert db_snapshot(db) == before


def test_r_sec_5_only_the_file_the_job_names_under_output_dir(app, client, auth, db, etab,
                                                              tmp_path):
    """R-SEC-5: a job row naming a file outside the establishment's jobs directory, a PDF, or a
    missing file gives 404; a path in the query string is ignored; a notification job has no
    CSV and an export job's CSV is never served as its PDF."""
    auth.login("chef.0999001a")
    outside = tmp_path / "secret.csv"
    outside.write_text("secret")
    jobs_dir = Path(app.config["OUTPUT_DIR"]) / "jobs" / str(etab.id)
    jobs_dir.mkdir(parents=True, exist_ok=True)
    pdf = jobs_dir / "lettres.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    csv = jobs_dir / "export.csv"
    csv.write_text("Nom")
    other = Path(app.config["OUTPUT_DIR"]) / "jobs" / "999" / "export.csv"
    other.parent.mkdir(parents=True)
    other.write_text("autre")
    for path in (str(outside), str(pdf), str(other), str(jobs_dir / "absent.csv"),
                 str(jobs_dir / ".." / ".." / ".." / "secret.csv")):
        job = _hostile_file_job(app, db, etab, path)
        assert client.get(f"/taches/{job.id}/csv").status_code == 404, path
        assert client.get(f"/taches/{job.id}/").status_code == 200
    notification = make_job(app, db, etab, "eleve")
    assert client.get(f"/taches/{notification.id}/csv").status_code == 404
    export = _hostile_file_job(app, db, etab, str(csv))
    assert client.get(f"/taches/{export.id}/pdf").status_code == 404
    response = client.get(f"/taches/{export.id}/csv?path={outside}&file_path={outside}")
    assert response.status_code == 200 and response.data == b"Nom"
    running = _hostile_file_job(app, db, etab, str(csv))
    running.status = "running"
    db.session.commit()
    assert client.get(f"/taches/{running.id}/csv").status_code == 404


def test_r_sec_3_export_file_deleted_after_confirmation_audited(app, client, auth, db, etab):
    """R-SEC-3: « Supprimer le fichier du serveur » first asks (the file stays), then deletes it
    with `confirme=1`, audited `export_csv.supprime`; the page then says it is gone and the
    download is 404. Without a CSRF token nothing happens."""
    school(etab, n_6a=3, n_6b=0, with_guardians=False)
    auth.login("chef.0999001a")
    job = _export_job(app, client, db, "eleve")
    path = Path(job.file_path)
    url = f"/taches/{job.id}/csv/supprimer/"
    assert client.post(url, data={"confirme": "1"}).status_code == 400
    token = csrf_of(client, f"/taches/{job.id}/")
    ask = client.post(url, data={"csrf_token": token})
    assert ask.status_code == 200 and "Supprimer le fichier du serveur" in ask.get_data(
        as_text=True)
    assert path.is_file() and _audits(db, "export_csv.supprime") == 0
    done = client.post(url, data={"csrf_token": token, "confirme": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/taches/{job.id}/")
    assert not path.exists() and _audits(db, "export_csv.supprime") == 1
    page = client.get(f"/taches/{job.id}/").get_data(as_text=True)
    assert "Le fichier CSV a été supprimé." in page
    assert "Le fichier a été supprimé du serveur." in page and "Télécharger" not in page
    assert client.get(f"/taches/{job.id}/csv").status_code == 404
    again = client.post(url, data={"csrf_token": token, "confirme": "1"})
    assert again.status_code == 302 and _audits(db, "export_csv.supprime") == 1


def test_r_sec_3_export_whose_runner_died_leaves_no_part_file(app, db, etab):
    """A runner killed mid-export (here: a real process that has ended, named on the job row)
    left `<file>.part`, listing families' identifiers: the recovery removes it, the job is
    « interrompue », said to be started again, and cannot be resumed."""
    import subprocess
    import sys

    from admints import job_recovery
    from admints.comptes.notification_jobs import jobs_dir
    from admints.job_runners import process_marker, this_process

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    started = process_marker(dead.pid)
    dead.wait()
    folder = jobs_dir(app.config["OUTPUT_DIR"], etab.id)
    folder.mkdir(parents=True, exist_ok=True)
    out_path = folder / "export_responsable_tue.csv"
    part = out_path.with_name(out_path.name + ".part")
    part.write_text("identifiant;nom\nresp.x;DUPONT\n", encoding="utf-8")
    outside = Path(app.config["OUTPUT_DIR"]) / "ailleurs.csv.part"
    outside.write_text("pas à elle", encoding="utf-8")
    job = jobs.new_job("export_responsable", etab.id,
                       {"kind": "responsable", "compte_ids": [1, 2], "out_path": str(out_path)},
                       export_jobs.export_job, "chef.0999001a", total=2)
    job.status, job.runner = "running", "thread"
    job.runner_pid, job.runner_host = dead.pid, this_process()["runner_host"]
    job.runner_started = started or ""
    db.session.commit()

    changed = job_recovery.recover(job_id=job.id)
    assert [item["id"] for item in changed] == [job.id]
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "interrupted" and "relancez-le depuis la liste" in job.error
    assert not part.exists() and not out_path.exists()
    assert not jobs.resumable(job.params)
    assert outside.exists()  # only the job's own file, under its establishment's folder

    # A row naming a path outside the establishment's folder removes nothing.
    rogue = jobs.new_job("export_eleve", etab.id,
                         {"kind": "eleve", "compte_ids": [1],
                          "out_path": str(outside.with_suffix(""))},
                         export_jobs.export_job, "chef.0999001a", total=1)
    rogue.status, rogue.runner = "running", "thread"
    rogue.runner_pid, rogue.runner_host = dead.pid, this_process()["runner_host"]
    rogue.runner_started = started or ""
    db.session.commit()
    job_recovery.recover(job_id=rogue.id)
    assert outside.exists()
