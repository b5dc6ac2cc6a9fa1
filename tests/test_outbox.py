"""The outbox rule beyond mass notification (issue 9 §2, R-ACC-3/4/6/8): single renotification
and « Créer un nouveau compte » follow it, the other writers of passwords are refused while a
notification of the account is open, an interrupted job is shown and resumed from its page,
recovery judges runners by process and heartbeat, and status writes are retried then loud."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import event

from admints import job_recovery, job_runners, jobs
from admints.clock import utcnow
from admints.comptes import lifecycle, notification
from admints.errors import DomainError
from admints.models import Compte, EtatCompte, Job, NotificationOutbox, ResponsableEleve

from .comptes_helpers import csrf_of, post_action, school
from .db_snapshot import db_snapshot
from .outbox_helpers import mail_password, pdf_passwords, stored, wait_for
from .smtp_server import SmtpServer

TODAY = dt.date(2026, 11, 28)
BASE = "/responsables/"


def _rows(db, job_id):
    db.session.expire_all()
    return db.session.scalars(db.select(NotificationOutbox).where(
        NotificationOutbox.job_id == job_id)).all()


def test_r_acc_8_single_renotify_by_email_goes_through_the_outbox(app, db, client, auth, etab,
                                                                  smtp):
    s = school(etab, n_6a=1, n_6b=0)
    lien = s["liens"][0]
    auth.login("assistance.0999001a")
    page = f"{BASE}compte/{lien.id}/"
    resp = client.post(f"{page}renotifier/", data={"csrf_token": csrf_of(client, page),
                                                   "mode": "courriel"})
    job_id = int(re.search(r"/taches/(\d+)/", resp.headers["Location"]).group(1))
    assert db.session.get(Job, job_id).status == "done"
    (row,) = _rows(db, job_id)
    assert row.compte_id == lien.compte_id and row.status == "sent"
    assert row.password_encrypted is None  # the account holds it now, the outbox no more
    ident, password = mail_password(smtp.messages[0])
    assert password == stored(db, lien.compte_id)
    assert db.session.get(Compte, lien.compte_id).etat == EtatCompte.NOTIFIE


def test_r_acc_8_renotify_new_account_and_reset_refused_while_a_notification_runs(
        app, db, client, auth, etab):
    """A notification of 3 guardians is held by the SMTP server after 1 email: renotifying one
    of them, giving it a new account or resetting its password is refused in French and
    changes nothing; once it is over, « Nouveau compte » works and its letter shows the
    password stored when the account was created."""
    s = school(etab, n_6a=3, n_6b=0)
    ids = [lien.compte_id for lien in s["liens"]]
    target, old_id = s["liens"][2], s["liens"][2].compte_id
    app.config["JOB_HEARTBEAT_SECONDS"] = 3600  # no heartbeat write during the snapshot
    server = SmtpServer(hold_after=1, accept_held=True).start()
    app.config.update(MAIL_PORT=server.port, MAIL_SERVER="127.0.0.1")
    outcome = {}

    def run():
        with app.app_context():
            outcome["recap"] = notification.notify(
                etab.id, "responsable", ids, mode="courriel", today=TODAY,
                out_path=f"{app.config['OUTPUT_DIR']}/x.pdf")

    thread = threading.Thread(target=run)
    try:
        thread.start()
        wait_for(server.handler.holding.is_set, what="the held email")
        auth.login("chef.0999001a")
        page = f"{BASE}compte/{target.id}/"
        token = csrf_of(client, page)
        before = db_snapshot(db)
        client.post(f"{page}renotifier/", data={"csrf_token": token, "mode": "papier"})
        html = client.get(page).get_data(as_text=True)
        assert "Une notification de ce compte est déjà en cours" in html
        client.post(f"{page}nouveau/", data={"csrf_token": token, "confirme": "1"})
        assert "Une notification de ce compte est déjà en cours" in \
            client.get(page).get_data(as_text=True)
        post_action(client, BASE, "reinitialiser", rowids=[target.id], confirme="1")
        assert "déjà en cours" in client.get(BASE).get_data(as_text=True)
        post_action(client, BASE, "notifier", select_all=True, confirme="1", mode="papier")
        assert "Une notification de ces comptes est déjà en cours" in \
            client.get(BASE).get_data(as_text=True)
        assert db_snapshot(db) == before
    finally:
        server.handler.hold_after = None
        server.handler.release.set()
        thread.join(60)
        server.stop()
    assert len(outcome["recap"].notified) == 3
    # Over: a new account for this guardian, then its letter carries the stored password.
    client.post(f"{page}nouveau/", data={"csrf_token": token, "confirme": "1"})
    db.session.expire_all()
    new_id = db.session.get(ResponsableEleve, target.id).compte_id
    assert new_id != old_id and db.session.get(Compte, old_id) is None
    created = stored(db, new_id)
    assert created and db.session.get(Compte, new_id).etat == EtatCompte.NON_NOTIFIE
    resp = client.post(f"{page}renotifier/", data={"csrf_token": token, "mode": "papier"})
    job = db.session.get(Job, int(re.search(r"/taches/(\d+)/", resp.headers["Location"])[1]))
    letters = pdf_passwords(job.file_path)
    assert list(letters.values()) == [created] == [stored(db, new_id)]


def _interrupted_job(app, db, etab, ids, mode="papier"):
    """A job that stored its outbox and whose process died before sending anything."""
    params = notification.params_for("responsable", ids, mode=mode, today=TODAY,
                                     out_path=f"{app.config['OUTPUT_DIR']}/jobs/{etab.id}/i.pdf")
    job, _, _ = notification.claim(etab.id, params, by="chef.0999001a")
    # What a process killed while writing the PDF leaves: its temporary file, with passwords.
    out = Path(params["out_path"])
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.x1y2.part"
    partial.write_bytes(b"%PDF-1.4 partial")
    app.config["JOB_STALE_SECONDS"] = 0  # no runner ever started: stale at once
    (recovered,) = job_recovery.recover()
    app.config["JOB_STALE_SECONDS"] = 120
    assert recovered["id"] == job.id and recovered["result"]["remaining"] == len(ids)
    assert not partial.exists()
    return job.id


def test_r_acc_8_new_account_refused_after_an_interrupted_job_resumed_from_its_page(
        app, db, client, auth, etab):
    s = school(etab, n_6a=2, n_6b=0)
    ids = [lien.compte_id for lien in s["liens"]]
    job_id = _interrupted_job(app, db, etab, ids)
    stored_rows = {r.compte_id: r.password_encrypted for r in _rows(db, job_id)}
    auth.login("chef.0999001a")
    page = f"{BASE}compte/{s['liens'][0].id}/"
    token = csrf_of(client, page)
    before = db_snapshot(db)
    client.post(f"{page}nouveau/", data={"csrf_token": token, "confirme": "1"})
    html = client.get(page).get_data(as_text=True)
    assert f"a été interrompue (tâche n° {job_id})" in html
    assert db_snapshot(db) == before
    html = client.get(f"/taches/{job_id}/").get_data(as_text=True)
    assert "Notification interrompue" in html and "Reprendre la notification" in html
    assert 'data-testid="recap-remaining"' in html and "resp.0999001a.1" in html
    assert client.get(f"/taches/{job_id}/pdf").status_code == 404  # nothing to offer yet
    resp = client.post(f"/taches/{job_id}/reprendre/",
                       data={"csrf_token": csrf_of(client, f"/taches/{job_id}/")})
    assert resp.status_code == 302
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    assert job.status == "done" and job.attempts == 1 and job.result["notified"] == 2
    letters = pdf_passwords(job.file_path)
    from admints import secrets_store

    for lien in s["liens"]:
        expected = secrets_store.decrypt_secret(stored_rows[lien.compte_id])
        assert letters[lien.compte.identifiant] == expected == stored(db, lien.compte_id)
    assert client.get(f"/taches/{job_id}/pdf").status_code == 200
    new = lifecycle.create_new_account(db.session.get(Compte, ids[0]),
                                      lien=db.session.get(ResponsableEleve, s["liens"][0].id),
                                      today=TODAY)
    db.session.commit()
    assert new.etat == EtatCompte.NON_NOTIFIE


def test_r_acc_6_failure_in_process_releases_what_never_left(app, db, etab):
    """An error raised by the job before anything left: failed, rows released (accounts
    unchanged, passwords erased), and the same accounts can be notified at once."""
    s = school(etab, n_6a=2, n_6b=0)
    ids = [lien.compte_id for lien in s["liens"]]
    params = notification.params_for("responsable", ids, mode="papier", today=TODAY,
                                     out_path=f"{app.config['OUTPUT_DIR']}/f.pdf")
    job, _, _ = notification.claim(etab.id, params)

    def broken(ctx, progress):
        raise DomainError("Imprimante indisponible.")

    with pytest.raises(DomainError):
        jobs.run_here(job.id, broken)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "failed" and job.error == "Imprimante indisponible."
    assert {(r.status, r.password_encrypted) for r in _rows(db, job.id)} == {("failed", None)}
    assert all(db.session.get(Compte, i).etat == EtatCompte.NON_NOTIFIE for i in ids)
    recap = notification.notify(etab.id, "responsable", ids, mode="papier", today=TODAY,
                           out_path=f"{app.config['OUTPUT_DIR']}/g.pdf")
    assert len(recap.notified) == 2


def test_r_acc_10_purge_skips_an_account_being_notified(app, db, etab):
    s = school(etab, n_6a=1, n_6b=0)
    compte = db.session.get(Compte, s["liens"][0].compte_id)
    compte.etat, compte.date_notification = EtatCompte.NOTIFIE, dt.datetime(2026, 6, 1)
    db.session.commit()
    _interrupted_job(app, db, etab, [compte.id])
    assert lifecycle.purge_expired(today=TODAY) == []


def _job(**kw) -> Job:
    now = utcnow()
    base = dict(id=999, kind="k", status="running", created_at=now, started_at=now,
                heartbeat_at=now, runner="thread")
    return Job(**{**base, **kw})


def test_r_acc_6_orphan_rules_process_and_heartbeat(app):
    now, stale, host = utcnow(), dt.timedelta(seconds=120), socket.gethostname()
    me = job_runners.this_process()
    judge = lambda job, live=frozenset(): job_recovery.is_orphaned(  # noqa: E731
        job, now=now, stale=stale, live=set(live))
    assert not judge(_job(**me), live={999})  # this process runs it
    assert judge(_job(**me))  # this process, thread gone
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    assert judge(_job(runner_host=host, runner_pid=dead, runner_started="1"))
    reused = _job(runner_host=host, runner_pid=os.getppid(), runner_started="1")
    assert judge(reused)  # a live pid, but not the process that started the job
    parent = job_runners.process_marker(os.getppid())
    assert not judge(_job(runner_host=host, runner_pid=os.getppid(), runner_started=parent))
    elsewhere = dict(runner_host="autre-serveur", runner_pid=1, runner_started="1")
    assert not judge(_job(**elsewhere))
    assert judge(_job(**elsewhere, heartbeat_at=now - dt.timedelta(minutes=5)))
    assert not judge(_job(**me, status="done"))


def test_r_acc_6_status_write_retried_then_fails_loudly(app, db, etab, caplog, monkeypatch):
    """SQLite: another connection holds the write lock. A status write waits and retries
    until it is free; held for good, it raises JobStateError, logged as critical."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write lock of another connection is SQLite's")
    event.listen(db.engine, "connect",
                 lambda conn, _r: conn.execute("PRAGMA busy_timeout=50"))
    db.engine.dispose()
    job = jobs.new_job("test", etab.id, {}, test_r_acc_6_status_write_retried_then_fails_loudly)
    db.session.commit()
    blocker = sqlite3.connect(db.engine.url.database, isolation_level=None,
                              check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")

    class FreeOnFirstRetry(logging.Handler):
        """Another writer finishing while the status write waits to retry."""

        def emit(self, record):
            if "retrying" in record.getMessage() and blocker.in_transaction:
                blocker.execute("COMMIT")

    # Alembic's fileConfig (migration tests in the same worker) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("admints.jobs"), "disabled", False)
    caplog.set_level(logging.WARNING, logger="admints.jobs")
    freer = FreeOnFirstRetry()
    logging.getLogger("admints.jobs").addHandler(freer)
    try:
        assert jobs.write_status(job.id, status="done") == 1
    finally:
        logging.getLogger("admints.jobs").removeHandler(freer)
    assert any("retrying" in r.getMessage() for r in caplog.records)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "done"
    blocker.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr(jobs, "FINAL_RETRY_DELAYS", (0.01, 0.01))  # a short wait, same rule
    try:
        with pytest.raises(jobs.JobStateError):
            jobs.write_status(job.id, status="failed", where=None)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "done"


def test_r_acc_6_recover_any_time_leaves_a_live_job_alone(app, db, etab, runner):
    """A job running in this process (held in its thread) is not touched by `--recover`; a
    plain job interrupted cannot be resumed (its body is not idempotent): refused in French."""
    release = threading.Event()

    def held(ctx, progress):
        release.wait(30)
        return {"ok": True}

    app.config["JOB_RUNNER"] = "thread"
    job = jobs.start_job("test", etab.id, {}, held)
    wait_for(lambda: db.session.get(Job, job.id).status == "running"
             or db.session.expire_all(), what="the job to run")
    res = runner.invoke(args=["admints", "jobs", "--recover", "--json"])
    assert res.exit_code == 0 and '"recovered": []' in res.stdout
    db.session.expire_all()
    running = db.session.get(Job, job.id)
    assert running.runner == "thread" and running.runner_pid == os.getpid()
    assert running.heartbeat_at is not None
    release.set()
    assert jobs.wait(job.id).status == "done"
    db.session.execute(db.update(Job).where(Job.id == job.id).values(status="interrupted"))
    db.session.commit()
    res = runner.invoke(args=["admints", "jobs", "--resume", str(job.id)])
    assert res.exit_code == 1 and "ne peut pas être reprise" in res.output
