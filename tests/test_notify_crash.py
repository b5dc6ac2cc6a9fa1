"""Crash mid-job (issue 9 §2, R-ACC-3/4/6): a real process notifying by email is killed with
SIGKILL while the real SMTP server (aiosmtpd, in this test process) holds its next message.

Then: recovery turns the job into « interrompue » with the recap of what was and was not done;
every email received carries the password stored on its account; the accounts not reached kept
their state; a rerun sends the rest with the passwords stored before the crash — the held
message included — and nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys

import pytest
from pypdf import PdfReader

from admints.comptes import notification
from admints.models import Compte, EtatCompte, Job, NotificationOutbox

from .outbox_helpers import (
    ROOT,
    TODAY,
    child_env,
    flask_cmd,
    guardians,
    mail_password,
    outbox_passwords,
    pdf_passwords,
    stored,
    wait_for,
)
from .smtp_server import SmtpServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _kill_when_held(proc: subprocess.Popen, server: SmtpServer) -> None:
    try:
        wait_for(lambda: server.handler.holding.is_set() or proc.poll() is not None,
                 what="the SMTP server to hold a message")
    finally:
        out = "" if proc.poll() is None else proc.communicate()[0]
        assert proc.poll() is None, f"the child ended before the crash:\n{out}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)  # reaped: the runner pid is gone, not a zombie
        server.handler.release.set()


def _states(db, liens) -> dict[str, str]:
    db.session.expire_all()
    return {lien.compte.identifiant: db.session.get(Compte, lien.compte_id).etat
            for lien in liens}


def test_r_acc_3_4_6_cli_killed_mid_batch_recover_then_resume_same_passwords(
        app, db, etab, runner, tmp_path):
    """`flask admints notify` killed after 5 of 12 emails; `jobs --recover`; `jobs --resume`."""
    liens = guardians(db, etab, [f"p{i:02d}@example.org" for i in range(12)])
    by_ident = {lien.compte.identifiant: lien.compte_id for lien in liens}
    server = SmtpServer(hold_after=5).start()
    try:
        proc = subprocess.Popen(
            flask_cmd("notify", "--uai", etab.uai, "--kind", "responsable", "--mode",
                      "courriel", "--out", str(tmp_path / "n.pdf"), "--today", TODAY,
                      "--json"),
            cwd=ROOT, env=child_env(app, server.port), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        _kill_when_held(proc, server)
    finally:
        server.stop()
    first = server.messages
    assert len(first) == 5

    # Recovery: « interrompue », with what was and was not done; safe to run again.
    res = runner.invoke(args=["admints", "jobs", "--recover", "--json"])
    assert res.exit_code == 0, res.output
    recovered = json.loads(res.stdout)["recovered"]
    assert len(recovered) == 1 and recovered[0]["statut"] == "interrompue"
    recap = recovered[0]["result"]
    assert recap["notified"] == 5 and recap["total"] == 12 and recap["remaining"] == 7
    assert len(recap["uncertain"]) == 1 and len(recap["pending"]) == 6 and recap["failed"] == []
    job_id = recovered[0]["id"]
    job = db.session.get(Job, job_id)
    assert job.status == "interrupted" and "interrompue" in job.error
    res = runner.invoke(args=["admints", "jobs", "--recover"])
    assert res.exit_code == 0 and "0 tâche(s)" in res.stdout
    res = runner.invoke(args=["admints", "jobs"])
    assert f"Tâche n° {job_id} (Notification – responsables) : interrompue" in res.stdout

    # Delivered: the password received is the one stored; the others did not change.
    delivered = {}
    for received in first:
        ident, password = mail_password(received)
        assert password and stored(db, by_ident[ident]) == password
        delivered[ident] = password
    states = _states(db, liens)
    for ident, etat in states.items():
        assert etat == (EtatCompte.NOTIFIE if ident in delivered else EtatCompte.NON_NOTIFIE)
        if ident not in delivered:
            assert stored(db, by_ident[ident]) is None
    before_rerun = outbox_passwords(db, job_id)
    assert len(before_rerun) == 7 and all(before_rerun.values())
    held = recap["uncertain"][0]["identifiant"]
    assert held not in delivered

    # Rerun: only the rest leaves, with the passwords stored before the crash.
    second = SmtpServer().start()
    try:
        app.config["MAIL_PORT"] = second.port
        res = runner.invoke(args=["admints", "jobs", "--resume", str(job_id), "--json"])
    finally:
        second.stop()
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["status"] == "done" and data["result"]["notified"] == 12
    again = {}
    for received in second.messages:
        ident, password = mail_password(received)
        assert ident not in delivered, f"{ident} received twice"
        assert password == before_rerun[by_ident[ident]] == stored(db, by_ident[ident])
        again[ident] = password
    assert held in again and len(again) == 7
    assert set(_states(db, liens).values()) == {EtatCompte.NOTIFIE}
    db.session.expire_all()
    rows = db.session.scalars(db.select(NotificationOutbox).where(
        NotificationOutbox.job_id == job_id)).all()
    assert {r.status for r in rows} == {"sent"}
    assert all(r.password_encrypted is None for r in rows)  # erased once delivered
    res = runner.invoke(args=["admints", "jobs", "--resume", str(job_id)])
    assert res.exit_code == 1 and "interrompue peut être reprise" in res.output


SCRIPT = """
import sys, time
from admints import create_app
from admints.comptes import notification
from admints.extensions import db
from admints.models import Compte
import datetime as dt
app = create_app()
with app.app_context():
    ids = list(db.session.scalars(db.select(Compte.id).where(Compte.kind == "responsable")))
    job = notification.start({etab}, "responsable", ids, mode="courriel-et-papier",
                             today=dt.date.fromisoformat("{today}"), out_path={out!r},
                             by="script", inline=False)
    print(job.id, flush=True)
    time.sleep(600)  # the thread runner works; the test kills this process
"""


def test_r_acc_4_thread_job_killed_startup_recovery_rerun_by_state(app, db, etab, tmp_path):
    """The web app's thread runner (a script using create_app) killed after 3 emails; the next
    start-up recovers the job; a new notification of the « Non notifié » accounts takes over
    the stored passwords: emails and the PDF letters show them, none is sent twice."""
    emails = [f"q{i:02d}@example.org" if i % 3 else None for i in range(12)]  # 4 on paper
    liens = guardians(db, etab, emails)
    by_ident = {lien.compte.identifiant: lien.compte_id for lien in liens}
    server = SmtpServer(hold_after=3).start()
    try:
        script = SCRIPT.format(etab=etab.id, today=TODAY, out=str(tmp_path / "t.pdf"))
        proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                                env=child_env(app, server.port, JOB_RUNNER="thread"),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        _kill_when_held(proc, server)
    finally:
        server.stop()
    assert len(server.messages) == 3
    db.session.expire_all()
    job = db.session.scalar(db.select(Job))
    assert job.status == "running" and job.runner == "thread" and job.runner_pid == proc.pid

    # Start-up of the app (JOB_RECOVER_ON_START) recovers it.
    from admints import create_app

    restarted = create_app({**app.config, "JOB_RECOVER_ON_START": True})
    with restarted.app_context():
        pass
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "interrupted" and job.result["notified"] == 3
    assert job.result["remaining"] == 9 and not (tmp_path / "t.pdf").exists()
    first = {mail_password(m)[0]: mail_password(m)[1] for m in server.messages}
    kept = outbox_passwords(db, job.id)

    # Rerun filtered on the state: the stored passwords go out, to those not reached only.
    todo = [cid for cid in by_ident.values()
            if db.session.get(Compte, cid).etat == EtatCompte.NON_NOTIFIE]
    assert len(todo) == 9
    second = SmtpServer().start()
    try:
        app.config["MAIL_PORT"] = second.port
        recap = notification.notify(etab.id, "responsable", todo, mode="courriel-et-papier",
                               today=dt.date.fromisoformat(TODAY), out_path=tmp_path / "r.pdf")
    finally:
        second.stop()
    assert len(recap.notified) == 9 and recap.failed == []
    for received in second.messages:
        ident, password = mail_password(received)
        assert ident not in first and password == kept[by_ident[ident]]
        assert stored(db, by_ident[ident]) == password
    letters = pdf_passwords(tmp_path / "r.pdf")
    assert len(letters) == 4 == len(PdfReader(str(tmp_path / "r.pdf")).pages)
    for ident, password in letters.items():
        assert password == kept[by_ident[ident]] == stored(db, by_ident[ident])
    db.session.expire_all()
    old_rows = db.session.scalars(db.select(NotificationOutbox.status).where(
        NotificationOutbox.job_id == job.id)).all()
    assert sorted(set(old_rows)) == ["sent", "superseded"]
