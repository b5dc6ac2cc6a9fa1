"""The Celery runner without a worker (issue 14, R-ACC-6, R-ACC-10): the settings (late
acknowledgement, JSON, beat schedule in Europe/Paris), enqueuing to a broker that does not
answer (French message at once, the job failed with nothing done), the idempotence of
`job_worker.run_queued` for each state of a job, the beat passes (recovery and resume of a
Celery job whose worker died, daily expiry). The real Redis and workers: test_services_*.py."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import pytest

from admints import celery_app, clock, job_runners, job_worker, jobs
from admints.comptes import notification_jobs
from admints.errors import DomainError
from admints.models import Compte, Eleve, EtatCompte, Job, NotificationOutbox

from . import factories
from .outbox_helpers import TODAY, guardians
from .smtp_server import SmtpServer, free_port
from .test_jobs import count_to


def _dead_pid() -> tuple[int, str]:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    started = job_runners.process_marker(proc.pid) or ""
    proc.wait()
    return proc.pid, started


def test_r_acc_6_celery_settings_late_ack_json_beat_in_paris(app):
    app.config.update(CELERY_BROKER_URL="redis://127.0.0.1:1/0", EXPIRY_HOUR=4, EXPIRY_MINUTE=5)
    conf = celery_app.settings(app.config)
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert conf["worker_prefetch_multiplier"] == 1 and conf["accept_content"] == ["json"]
    assert conf["timezone"] == "Europe/Paris"
    expiry = conf["beat_schedule"]["expiration-quotidienne"]
    assert expiry["task"] == celery_app.PURGE_EXPIRED
    assert expiry["schedule"].hour == {4} and expiry["schedule"].minute == {5}
    assert conf["beat_schedule"]["reprise-des-taches"]["schedule"] == 300.0


def test_r_acc_6_celery_runner_is_the_default_with_a_broker_only():
    from admints.config import Config, derive

    with_broker = {"JOB_RUNNER": Config.JOB_RUNNER, "CELERY_BROKER_URL": "redis://r/1"}
    derive(with_broker)
    assert with_broker["JOB_RUNNER"] == "celery"
    without = {"JOB_RUNNER": Config.JOB_RUNNER, "CELERY_BROKER_URL": ""}
    derive(without)
    assert without["JOB_RUNNER"] == "thread"  # make run: unchanged


def test_r_acc_6_broker_not_answering_french_message_job_failed_nothing_done(
        app, db, etab, tmp_path):
    """A broker port where nothing listens: refused within the connection timeout, in French;
    the job row is « échouée » (never « en attente » for ever), the outbox released, the
    accounts unchanged."""
    liens = guardians(db, etab, [f"b{i}@example.org" for i in range(3)])
    app.config.update(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",
                      JOB_RUNNER="celery")
    celery_app.init_celery(app)
    start = time.monotonic()
    with pytest.raises(DomainError) as refused:
        notification_jobs.start_notification(
            etab.id, "responsable", [lien.compte_id for lien in liens], mode="courriel",
            today=dt.date.fromisoformat(TODAY), by="chef", out_dir=tmp_path, inline=False)
    assert time.monotonic() - start < 5
    assert refused.value.message == celery_app.UNAVAILABLE
    db.session.rollback()
    job = db.session.scalar(db.select(Job))
    assert job.status == "failed" and job.error == celery_app.UNAVAILABLE
    assert job.runner == "celery" and job.attempts == 0
    assert {db.session.get(Compte, lien.compte_id).etat for lien in liens} == \
        {EtatCompte.NON_NOTIFIE}
    assert all(r.status == "failed" and r.password_encrypted is None
               for r in db.session.scalars(db.select(NotificationOutbox)))


def test_r_acc_6_run_queued_is_idempotent(app, db, etab):
    """Each delivery of the same message: a pending job runs once; done → nothing; a live
    runner elsewhere → nothing; interrupted and not resumable → left to the staff member;
    interrupted before it ever started → run."""
    job = jobs.new_job("test", etab.id, {"n": 3}, count_to)
    db.session.commit()
    assert job_worker.run_queued(job.id) == "ran"
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "done" and job.result == {"counted": 3} and job.runner == "celery"
    assert job_worker.run_queued(job.id) == "finished"
    assert job_worker.run_queued(999) == "absent"

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        busy = jobs.new_job("test", etab.id, {"n": 1}, count_to)
        busy.status, busy.runner, busy.attempts = "running", "celery", 1
        busy.runner_host = job_runners.this_process()["runner_host"]
        busy.runner_pid = sleeper.pid
        busy.runner_started = job_runners.process_marker(sleeper.pid)
        busy.heartbeat_at = clock.utcnow()
        db.session.commit()
        assert job_worker.run_queued(busy.id) == "busy"
        assert db.session.get(Job, busy.id).status == "running"
    finally:
        sleeper.kill()
        sleeper.wait()

    plain = jobs.new_job("test", etab.id, {"n": 1}, count_to)
    plain.status, plain.attempts = "interrupted", 1
    never = jobs.new_job("test", etab.id, {"n": 2}, count_to)
    never.status, never.attempts = "interrupted", 0
    db.session.commit()
    assert job_worker.run_queued(plain.id) == "not-resumable"
    assert job_worker.run_queued(never.id) == "ran"
    db.session.expire_all()
    assert db.session.get(Job, plain.id).status == "interrupted"
    assert db.session.get(Job, never.id).status == "done"


def test_r_acc_6_beat_recovers_and_resumes_a_celery_job_whose_worker_died(app, db, etab,
                                                                          tmp_path):
    """A notification claimed on Celery whose worker process is dead: the beat pass makes it
    « interrompue » and resumes it (here inline): every account notified, once."""
    liens = guardians(db, etab, [f"d{i}@example.org" for i in range(4)])
    server = SmtpServer().start()
    try:
        app.config.update(MAIL_PORT=server.port, JOB_RUNNER="inline")
        from admints.comptes import notification

        params = notification.params_for("responsable", [lien.compte_id for lien in liens],
                                         mode="courriel", today=dt.date.fromisoformat(TODAY),
                                         out_path=str(tmp_path / "n.pdf"))
        job, _, _ = notification.claim(etab.id, params, by="chef")
        pid, started = _dead_pid()
        job.status, job.runner, job.attempts = "running", "celery", 1
        job.runner_host = job_runners.this_process()["runner_host"]
        job.runner_pid, job.runner_started = pid, started
        db.session.commit()
        passes = job_worker.recover_and_resume()
        assert passes == {"recovered": [job.id], "resumed": [job.id]}
        db.session.expire_all()
        job = db.session.get(Job, job.id)
        assert job.status == "done" and job.result["notified"] == 4 and job.attempts == 2
        assert sorted(m.rcpt_tos[0] for m in server.messages) == \
            [f"d{i}@example.org" for i in range(4)]
        assert job_worker.recover_and_resume() == {"recovered": [], "resumed": []}
    finally:
        server.stop()


def test_r_acc_10_beat_daily_expiry(app, db, etab):
    """The beat task of the daily expiry expires what `purge-expired` would, and commits."""
    eleve = factories.make_eleve(etab, "PETIT", "Jean", etat=EtatCompte.NOTIFIE,
                                 date_notification=dt.datetime(2026, 8, 28, 10),
                                 identifiant="jean.p")
    db.session.commit()
    eleve_id = eleve.id
    clock.set_now(dt.datetime(2026, 11, 29, 12, tzinfo=clock.PARIS))
    try:
        assert job_worker.purge_expired() == 1
        assert job_worker.purge_expired() == 0  # safe to run again
    finally:
        clock.set_now(None)
    db.session.rollback()
    db.session.expire_all()
    compte = db.session.get(Eleve, eleve_id).compte
    assert compte.etat == EtatCompte.NON_NOTIFIE  # a fresh « Non notifié » account


def test_r_acc_7_broker_down_staff_member_sees_french_message(app, db, client, auth, etab,
                                                               smtp):
    """« Écrire à plusieurs responsables » above JOB_THRESHOLD with the broker down: the page
    says « Le service des tâches est indisponible… Réessayez », no email leaves, the job row is
    « échouée » with that message (never « en attente »)."""
    from .comptes_helpers import post_action, school

    app.config.update(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",
                      JOB_RUNNER="celery", JOB_THRESHOLD=2)
    celery_app.init_celery(app)
    liens = school(etab, n_6a=4, n_6b=0)["liens"]
    auth.login("chef.0999001a")
    resp = post_action(client, "/responsables/", "ecrire", rowids=[li.id for li in liens],
                       confirme="1", sujet="Réunion", texte="Jeudi 18 h.")
    assert resp.status_code == 302 and "/taches/" not in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Le service des tâches est indisponible" in page and "Réessayez" in page
    assert smtp.messages == []
    job = db.session.scalar(db.select(Job))
    assert job.status == "failed" and job.error == celery_app.UNAVAILABLE
