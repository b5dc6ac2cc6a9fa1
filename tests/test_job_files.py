"""The files jobs leave (letters' PDF with temporary passwords, CSV exports) are not kept
forever (R-SEC-3, guide: delete the letters once printed): the daily pass (`admints
purge-expired`, Celery beat's daily task) deletes those whose job ended more than
JOB_FILES_MAX_DAYS days ago, audited « système »; recent ones, running jobs and any path outside
the establishment's jobs folder are left alone."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from admints import job_worker
from admints.clock import utcnow
from admints.models import AuditEntry, Job

from .test_rights import make_job


def _aged(db, job: Job, days: float) -> Job:
    job.finished_at = utcnow() - dt.timedelta(days=days)
    db.session.commit()
    return job


def _csv_job(app, db, etab, days: float) -> Job:
    folder = Path(app.config["OUTPUT_DIR"]) / "jobs" / str(etab.id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"export_responsable_{uuid.uuid4().hex}.csv"
    path.write_text("\ufeffidentifiant;nom\r\nresp.x;DUPONT\r\n", encoding="utf-8")
    job = Job(etablissement_id=etab.id, kind="export_responsable", status="done", total=1,
              done=1, created_by="chef.0999001a", file_path=str(path),
              params={"kind": "responsable", "compte_ids": [1]}, result={"rows": 1})
    db.session.add(job)
    return _aged(db, job, days)


def test_r_sec_3_daily_pass_deletes_old_job_files_only(app, db, etab, runner):
    old_pdf = _aged(db, make_job(app, db, etab, "eleve"), 15)
    recent_pdf = _aged(db, make_job(app, db, etab, "responsable"), 2)
    old_csv = _csv_job(app, db, etab, 30)
    running = make_job(app, db, etab, "eleve")
    running.status, running.finished_at = "running", None
    outside = Path(app.config["OUTPUT_DIR"]) / "ailleurs.pdf"
    outside.write_bytes(b"%PDF-1.4 pas a elle")
    rogue = _aged(db, make_job(app, db, etab, "eleve"), 40)
    rogue.file_path = str(outside)
    db.session.commit()
    paths = {job.id: Path(job.file_path) for job in (old_pdf, recent_pdf, old_csv, running)}

    result = runner.invoke(args=["admints", "purge-expired", "--today", "2026-12-04", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert sorted(data["job_files_deleted"]) == sorted([old_pdf.id, old_csv.id])
    assert not paths[old_pdf.id].exists() and not paths[old_csv.id].exists()
    assert paths[recent_pdf.id].exists() and paths[running.id].exists() and outside.exists()
    audits = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action.in_(
        ("notification.pdf_supprime", "export_csv.supprime")))).all()
    assert sorted(a.login for a in audits) == ["système", "système"]
    # the next day's pass finds nothing more: safe to run daily
    again = runner.invoke(args=["admints", "purge-expired", "--json"])
    assert json.loads(again.output)["job_files_deleted"] == []


def test_r_sec_3_beat_daily_task_deletes_old_job_files_too(app, db, etab):
    app.config["JOB_FILES_MAX_DAYS"] = 1
    old_pdf = _aged(db, make_job(app, db, etab, "eleve"), 1.5)
    path = Path(old_pdf.file_path)
    job_worker.purge_expired()
    assert not path.exists()
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "notification.pdf_supprime", AuditEntry.login == "système")) == 1


def test_r_sec_3_each_download_of_a_job_file_is_audited(app, client, auth, db, etab):
    """R-SEC-3: the letters' PDF (temporary passwords) and an export's CSV (the families'
    details) are audited at each download — who, which job — and the journal names it in
    French; a refused download (another menu, a file gone) writes nothing."""
    pdf, csv = make_job(app, db, etab, "eleve"), _csv_job(app, db, etab, 0)
    auth.login("chef.0999001a")
    for job, suffix, action in ((pdf, "pdf", "notification.pdf_telecharge"),
                                (csv, "csv", "export_csv.telecharge")):
        for _ in range(2):
            assert client.get(f"/taches/{job.id}/{suffix}").status_code == 200
        Path(job.file_path).unlink()
        assert client.get(f"/taches/{job.id}/{suffix}").status_code == 404
        audits = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)).all()
        assert [(a.login, a.target, a.etablissement_id) for a in audits] == [
            ("chef.0999001a", f"Tâche {job.id}", etab.id)] * 2
    journal = client.get("/journal/").get_data(as_text=True)
    assert "Téléchargement d&#39;un document de notification" in journal
    assert "Téléchargement d&#39;un fichier d&#39;export CSV" in journal
