"""Jobs on Celery workers (issue 14 §1, R-ACC-6) with a real redis-server and real worker
processes: a notification runs on the worker, never in the web process, and so does a large
SIECLE import (R-DAT-1); with Redis down the
staff member gets a French message and nothing starts; after Redis restarts a new job runs; a
redelivered message is a no-op; a large CSV export (R-ACC-4) is written by the worker and
downloaded from the job page."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
from pathlib import Path

import pytest

from admints import celery_app, job_worker
from admints.comptes import notification_jobs
from admints.errors import DomainError
from admints.models import Compte, Eleve, EtatCompte, Job, NotificationOutbox

from .comptes_helpers import post_action, school
from .outbox_helpers import TODAY, guardians, mail_password, stored
from .services_helpers import wait_status
from .smtp_server import SmtpServer, free_port
from .test_siecle_import import base_files

pytestmark = pytest.mark.services
DAY = dt.date.fromisoformat(TODAY)


def _notify(etab, liens, tmp_path):
    return notification_jobs.start_notification(
        etab.id, "responsable", [lien.compte_id for lien in liens], mode="courriel",
        today=DAY, by="chef", out_dir=tmp_path / "jobs", inline=False)


def test_r_acc_6_notification_runs_on_celery_worker_once(app, db, etab, broker, workers,
                                                          tmp_path):
    """R-ACC-6 on Celery: the job runs in the worker process (runner « celery », another pid),
    each guardian gets one email with the password stored; the same message delivered again
    does nothing."""
    liens = guardians(db, etab, [f"c{i:02d}@example.org" for i in range(8)])
    server = SmtpServer().start()
    try:
        workers.start(server.port)
        job = _notify(etab, liens, tmp_path)
        job = wait_status(db, job.id, ("done", "failed", "interrupted"))
        assert job.status == "done", (job.error, workers.all[0].output()[-3000:])
        assert job.runner == "celery" and job.runner_pid != os.getpid()
        assert job.result["notified"] == 8 and job.attempts == 1
        assert len(server.messages) == 8
        for received in server.messages:
            ident, password = mail_password(received)
            compte = next(lien.compte_id for lien in liens if lien.compte.identifiant == ident)
            assert password == stored(db, compte)
        # Redelivery (visibility timeout, worker lost): idempotent.
        assert job_worker.run_queued(job.id) == "finished"
        celery_app.enqueue(app, celery_app.RUN_JOB, job.id)
        time.sleep(1.5)
        assert len(server.messages) == 8
        db.session.expire_all()
        assert db.session.get(Job, job.id).attempts == 1
    finally:
        server.stop()


def test_r_acc_6_redis_down_french_message_nothing_started_then_restart(
        app, db, client, auth, etab, broker, redis_server, workers, tmp_path):
    """Redis stopped: the notification is refused at once in French, its job is « échouée »
    with nothing done (accounts unchanged, outbox released, no email); Redis restarted: a new
    notification of the same accounts runs on the worker."""
    liens = guardians(db, etab, [f"r{i:02d}@example.org" for i in range(6)])
    server = SmtpServer().start()
    try:
        workers.start(server.port)
        redis_server.stop()
        start = time.monotonic()
        with pytest.raises(DomainError) as refused:
            _notify(etab, liens, tmp_path)
        waited = time.monotonic() - start
        assert waited < 5, f"the request waited {waited:.1f} s on the broker"
        assert "service des tâches est indisponible" in refused.value.message
        assert "Réessayez" in refused.value.message
        db.session.rollback()
        # The same through a page: « Écrire à plusieurs responsables » above the threshold.
        app.config["JOB_THRESHOLD"] = 2
        auth.login("chef.0999001a")
        resp = post_action(client, "/responsables/", "ecrire",
                           rowids=[lien.id for lien in liens], confirme="1", sujet="Réunion",
                           texte="Jeudi 18 h.")
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert "Le service des tâches est indisponible" in page and "Réessayez" in page
        assert db.session.scalar(db.select(db.func.count()).select_from(Job).where(
            Job.status.in_(("pending", "running")))) == 0
        db.session.expire_all()
        job = db.session.scalar(db.select(Job).where(Job.kind == "notification_responsable"))
        assert job.status == "failed" and "indisponible" in job.error
        assert job.attempts == 0 and job.runner_pid is None  # never started
        assert {db.session.get(Compte, lien.compte_id).etat for lien in liens} == \
            {EtatCompte.NON_NOTIFIE}
        rows = db.session.scalars(db.select(NotificationOutbox)).all()
        assert rows and all(r.status not in ("pending", "sending") for r in rows)
        assert all(r.password_encrypted is None for r in rows)

        redis_server.start()
        job2 = _notify(etab, liens, tmp_path)
        job2 = wait_status(db, job2.id, ("done", "failed", "interrupted"), timeout=90)
        assert job2.status == "done", (job2.error, workers.all[0].output()[-3000:])
        assert job2.result["notified"] == 6 and len(server.messages) == 6
        assert {db.session.get(Compte, lien.compte_id).etat for lien in liens} == \
            {EtatCompte.NOTIFIE}
    finally:
        server.stop()


def test_r_acc_6_beat_recovers_and_resumes_a_job_of_a_dead_worker(app, db, etab, broker,
                                                                  workers, tmp_path):
    """`make beat`'s recovery pass (every JOB_RECOVER_EVERY seconds) with real processes: a
    notification left « en cours » by a Celery worker process that no longer exists, and no
    message in the queue, is recovered by beat and resumed on a worker — each guardian once."""
    import subprocess
    import sys

    from admints import job_runners
    from admints.comptes import notification

    liens = guardians(db, etab, [f"e{i:02d}@example.org" for i in range(5)])
    params = notification.params_for("responsable", [lien.compte_id for lien in liens],
                                     mode="courriel", today=DAY,
                                     out_path=str(tmp_path / "n.pdf"))
    job, _, _ = notification.claim(etab.id, params, by="chef")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    started = job_runners.process_marker(dead.pid) or ""
    dead.wait()
    job.status, job.runner, job.attempts = "running", "celery", 1
    job.runner_host, job.runner_pid = job_runners.this_process()["runner_host"], dead.pid
    job.runner_started = started
    db.session.commit()
    server = SmtpServer().start()
    try:
        workers.start(server.port)
        beat = workers.start(server.port, beat=True, JOB_RECOVER_EVERY="1")
        job = wait_status(db, job.id, ("done", "failed"), timeout=90)
        assert job.status == "done", (job.error, beat.output()[-2000:])
        assert job.attempts == 2 and job.result["notified"] == 5
        assert sorted(m.rcpt_tos[0] for m in server.messages) == \
            [f"e{i:02d}@example.org" for i in range(5)]
        assert "admints.recover_jobs" in beat.output()
    finally:
        server.stop()


def test_r_acc_4_large_export_runs_on_celery_worker_file_downloadable(
        app, db, client, auth, etab, broker, workers):
    """R-ACC-4 / issue 14 §1: « Exporter (CSV) » above EXPORT_JOB_MIN_ROWS is a job the Celery
    worker runs (runner « celery », another process); the file it wrote under OUTPUT_DIR is
    downloaded from the job page, byte for byte the CSV streamed for the same selection, and the
    export is audited once by the job."""
    from admints.models import AuditEntry

    school(etab, n_6a=4, n_6b=2)
    workers.start(free_port())
    auth.login("chef.0999001a")
    streamed = post_action(client, "/responsables/", "exporter", select_all=True)
    assert streamed.status_code == 200 and streamed.mimetype == "text/csv"
    expected = streamed.get_data()
    app.config["EXPORT_JOB_MIN_ROWS"] = 2
    response = post_action(client, "/responsables/", "exporter", select_all=True)
    assert response.status_code == 302 and "/taches/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    job = wait_status(db, job_id, ("done", "failed", "interrupted"))
    assert job.status == "done", (job.error, workers.all[0].output()[-3000:])
    assert job.kind == "export_responsable" and job.result == {"rows": 6, "comptes": 6}
    assert job.runner == "celery" and job.runner_pid != os.getpid()
    assert "Télécharger le fichier CSV" in client.get(f"/taches/{job_id}/").get_data(
        as_text=True)
    download = client.get(f"/taches/{job_id}/csv")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    assert download.data == expected
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "responsable.export_csv")) == 2  # the streamed one, the job's


def test_r_dat_1_issue14_large_siecle_import_runs_on_celery_worker(app, db, client, auth, etab,
                                                                  broker, workers):
    """An upload above SIECLE_JOB_MIN_BYTES: the request only keeps the files and answers with
    the job's page; the import runs in the worker process (runner « celery », another pid),
    writes the pupils and deletes the kept files; the page shows the recap."""
    workers.start(free_port())  # no email in an import
    app.config["SIECLE_JOB_MIN_BYTES"] = 1000
    auth.login("chef.0999001a")
    response = client.post("/donnees/import/", data={
        "csrf_token": auth.csrf("/donnees/import/"),
        "fichiers": [(io.BytesIO(data), name) for name, data in base_files()]},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    job = wait_status(db, job_id, ("done", "failed", "interrupted"))
    assert job.status == "done", (job.error, workers.all[0].output()[-3000:])
    assert job.kind == "import_siecle" and job.runner == "celery"
    assert job.runner_pid != os.getpid()
    assert job.result["eleves"]["created"] == 3 and (job.done, job.total) == (3, 3)
    assert db.session.scalar(db.select(db.func.count()).select_from(Eleve)) == 3
    kept = Path(app.config["OUTPUT_DIR"]) / "imports_en_attente"
    assert not kept.is_dir() or not any(kept.iterdir())
    page = client.get(f"/donnees/import/tache/{job_id}/").get_data(as_text=True)
    assert "Import terminé" in page
