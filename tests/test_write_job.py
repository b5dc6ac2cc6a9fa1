"""« Écrire à plusieurs responsables » as a job (R-ACC-7, issue 10 point 7; R-ACC-6 runner).

Above JOB_THRESHOLD the emails leave from a background thread with a progress bar, over a real
SMTP server (aiosmtpd); at most JOB_THRESHOLD they leave within the request (recap at once). The
message is checked before any job row exists. The job page shows only the recap, to the users of
the guardians' menu of its establishment. A write job whose process was killed mid-batch is
« interrompue » with what it recorded and cannot be resumed (no outbox for free emails).
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import signal
import subprocess
import sys

import pytest

from admints import job_recovery, jobs
from admints.comptes import writing
from admints.errors import DomainError
from admints.extensions import db
from admints.models import AuditEntry, Job

from . import factories as f
from .comptes_helpers import csrf_of, post_action, school
from .db_snapshot import db_snapshot
from .outbox_helpers import ROOT, child_env, guardians, wait_for
from .smtp_server import SmtpServer

BASE = "/responsables/"
TODAY = dt.date(2026, 11, 28)
SUBJECT, BODY = "Réunion parents-professeurs", "Jeudi 18 h, salle 12. Texte-témoin-7f3a."


def _selection(etab, *, n=5):
    """`n` guardians with an address (one of them refused by the server), one without."""
    s = school(etab, n_6a=n, n_6b=0)
    sans = f.make_responsable(etab, nom="SANSMAIL", email=None)
    lien = f.link(s["eleves"][0], sans, 2, identifiant="resp.sansmail")
    db.session.commit()
    return s["liens"] + [lien]


def _job_id(resp) -> int:
    assert resp.status_code == 302, resp.status_code
    return int(re.search(r"/taches/(\d+)/", resp.headers["Location"]).group(1))


def test_r_acc_7_above_threshold_background_job_progress_and_recap(app, client, auth, etab,
                                                                   smtp):
    """More than JOB_THRESHOLD accounts: the request returns at once, the emails leave from the
    job's thread (progress bar while it runs), each once; the recap counts sent, refused (with
    the server's reason) and without address; the page never shows the text; audit written."""
    app.config.update(JOB_RUNNER="thread", JOB_THRESHOLD=2)
    liens = _selection(etab)
    refused = "parent1.0999001a@example.org"
    smtp.handler.refuse.add(refused)
    smtp.handler.hold_after, smtp.handler.accept_held = 2, True  # freeze it mid-batch
    auth.login("chef.0999001a")
    resp = post_action(client, BASE, "ecrire", rowids=[li.id for li in liens], confirme="1",
                       sujet=SUBJECT, texte=BODY)
    job_id = _job_id(resp)
    wait_for(smtp.handler.holding.is_set, what="the server to hold the third email")
    page = client.get(f"/taches/{job_id}/").get_data(as_text=True)
    assert 'data-testid="job-progress"' in page and "Écrire à plusieurs responsables" in page
    state = client.get(f"/taches/{job_id}/etat.json").get_json()
    assert state["status"] == "running" and state["total"] == 6 and state["done"] < 6
    assert job_id in jobs._threads
    smtp.handler.release.set()
    final = jobs.wait(job_id, timeout=60)
    assert final.status == "done" and final.runner == "thread", final.error
    assert final.done == final.total == 6
    recap = final.result
    assert recap["sent"] == 4 and len(recap["without_address"]) == 1
    assert [(x["email"], "550" in x["reason"]) for x in recap["failed"]] == [(refused, True)]
    received = collections.Counter(to for m in smtp.messages for to in m.rcpt_tos)
    assert len(received) == 4 and set(received.values()) == {1} and refused not in received
    assert {m.subject for m in smtp.messages} == {SUBJECT}
    assert "subject" not in final.params and "body" not in final.params  # the text is gone
    (entry,) = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "responsable.ecrire"))
    assert entry.login == "chef.0999001a" and len(entry.rows) == 4
    html = client.get(f"/taches/{job_id}/").get_data(as_text=True)
    assert "Envoi terminé" in html and re.search(r'recap-sent">4<', html)
    assert re.search(r'recap-failed">1<', html) and re.search(r'recap-without">1<', html)
    assert "Texte-témoin-7f3a" not in html and "job-resume" not in html
    assert re.search(r'href="/responsables/"[^>]*data-testid="job-back"', html)
    listing = client.get("/taches/").get_data(as_text=True)
    assert f'href="/taches/{job_id}/"' in listing and "Écrire à plusieurs responsables" in listing


def test_r_acc_7_at_most_threshold_inline_recap_at_once(app, client, auth, etab, smtp):
    """At most JOB_THRESHOLD accounts: sent within the request even with the thread runner,
    and the recap page answers the POST itself (today's behaviour), from a job row."""
    app.config.update(JOB_RUNNER="thread", JOB_THRESHOLD=10)
    liens = _selection(etab, n=3)
    auth.login("chef.0999001a")
    resp = post_action(client, BASE, "ecrire", rowids=[li.id for li in liens], confirme="1",
                       sujet=SUBJECT, texte=BODY)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and re.search(r'recap-sent">3<', html)
    assert re.search(r'recap-without">1<', html) and len(smtp.messages) == 3
    job = db.session.scalar(db.select(Job))
    assert job.kind == writing.JOB_KIND and job.status == "done" and job.runner == "inline"
    assert job.id not in jobs._threads and job.done == job.total == 4


@pytest.mark.parametrize("subject", ["Réunion\nBcc: x@example.org", "x" * 201])
def test_r_acc_7_hostile_subject_refused_before_any_job(app, client, auth, etab, smtp, subject):
    """A subject over two lines or of 201 characters: French refusal, no job row, nothing sent,
    nothing audited — through the action and through the operation."""
    liens = _selection(etab, n=3)
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    resp = post_action(client, BASE, "ecrire", rowids=[li.id for li in liens], confirme="1",
                       sujet=subject, texte=BODY)
    assert resp.status_code == 200
    assert "L&#39;objet doit tenir sur une ligne de 200 caractères" in resp.get_data(as_text=True)
    with pytest.raises(DomainError, match="une ligne de 200 caractères"):
        writing.start_writing(etab.id, [li.compte_id for li in liens], subject=subject,
                              body=BODY, today=TODAY, by="chef.0999001a", inline=False)
    db.session.rollback()
    assert db_snapshot(db) == before and not before["job"]
    assert not smtp.messages
    assert not db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "responsable.ecrire"))


def test_r_sec_1_write_job_of_another_establishment_is_404(app, client, auth, etab, other_etab,
                                                           smtp):
    liens = _selection(other_etab, n=2)
    job = writing.start_writing(other_etab.id, [li.compte_id for li in liens], subject=SUBJECT,
                                body=BODY, today=TODAY, by="chef.0999002b")
    assert job.status == "done"
    auth.login("chef.0999001a")
    for url in (f"/taches/{job.id}/", f"/taches/{job.id}/etat.json"):
        assert client.get(url).status_code == 404, url
    assert f'href="/taches/{job.id}/"' not in client.get("/taches/").get_data(as_text=True)


@pytest.mark.parametrize("login, status", [("delegue.eleves", 403), ("comptable.test", 403),
                                           ("delegue.resp", 200)])
def test_r_sec_5_write_job_belongs_to_the_guardians_menu(app, client, auth, etab, smtp, login,
                                                         status):
    """Only who may open the guardians' list opens a write job (permissions.JOB_AREAS)."""
    f.make_user("delegue.eleves", "delegue", etablissement=etab, droits=["eleves"])
    f.make_user("delegue.resp", "delegue", etablissement=etab, droits=["responsables"])
    f.make_user("comptable.test", "comptable", etablissement=etab)
    liens = _selection(etab, n=2)
    job = writing.start_writing(etab.id, [li.compte_id for li in liens], subject=SUBJECT,
                                body=BODY, today=TODAY, by="chef.0999001a")
    auth.login(login)
    before = db_snapshot(db)
    for url in (f"/taches/{job.id}/", f"/taches/{job.id}/etat.json"):
        assert client.get(url).status_code == status, url
    assert db_snapshot(db) == before
    if login == "delegue.eleves":
        listing = client.get("/taches/").get_data(as_text=True)
        assert f'href="/taches/{job.id}/"' not in listing


CHILD = """
import time
import datetime as dt
from admints import create_app
from admints.comptes import writing
from admints.extensions import db
from admints.models import Compte
app = create_app()
with app.app_context():
    ids = list(db.session.scalars(db.select(Compte.id).where(Compte.kind == "responsable")))
    job = writing.start_writing({etab}, ids, subject="Sortie", body="Texte-témoin-9c1d",
                                today=dt.date.fromisoformat("{today}"), by="chef.0999001a",
                                inline=False)
    print(job.id, flush=True)
    time.sleep(600)  # the thread runner works; the test kills this process
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_r_acc_6_7_write_job_killed_is_interrupted_not_resumable(app, client, auth, etab):
    """The web app's thread runner killed after 30 of 40 emails (the 31st held by the server):
    the job page recovers it as « interrompue »: the 25 emails of its last checkpoint are
    recorded as sent, the 15 others « peut-être partis »; it cannot be resumed, and nothing
    more leaves; the text is no longer stored."""
    emails = [f"w{i:02d}@example.org" for i in range(40)] + [None, None]
    guardians(db, etab, emails)
    server = SmtpServer(hold_after=30).start()
    try:
        proc = subprocess.Popen([sys.executable, "-c", CHILD.format(etab=etab.id, today=TODAY)],
                                cwd=ROOT, env=child_env(app, server.port, JOB_RUNNER="thread"),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for(lambda: server.handler.holding.is_set() or proc.poll() is not None,
                     what="the SMTP server to hold the 31st email")
            assert proc.poll() is None, proc.communicate()[0]
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)  # reaped: the runner pid is gone
            server.handler.release.set()
    finally:
        server.stop()
    assert len(server.messages) == 30
    db.session.expire_all()
    job = db.session.scalar(db.select(Job))
    assert job.kind == writing.JOB_KIND and job.status == "running"
    assert job.runner == "thread" and job.runner_pid == proc.pid

    auth.login("chef.0999001a")
    html = client.get(f"/taches/{job.id}/").get_data(as_text=True)  # recovered when read
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "interrupted" and not jobs.resumable(job.params)
    recap = job.result
    assert recap["sent"] == 25 and len(recap["uncertain"]) == 15
    assert len(recap["without_address"]) == 2 and recap["failed"] == []
    sent_to = {m.rcpt_tos[0] for m in server.messages}
    recorded = {r["identifiant"] for r in recap["sent_recorded"]}
    assert len(recorded) == 25 and len(sent_to) == 30
    assert {f"w{ident[-2:]}@example.org" for ident in recorded} <= sent_to
    assert "ne peut pas être reprise" in job.error and "on ne sait pas" in job.error
    assert "subject" not in job.params and "body" not in job.params
    assert 'data-testid="job-interrupted"' in html and "Des courriels ont pu partir" in html
    assert re.search(r'recap-sent">25<', html) and re.search(r'recap-uncertain">15<', html)
    assert "job-resume" not in html and "Texte-témoin-9c1d" not in html
    # Resuming is refused in French (page and operation); nothing else leaves.
    resp = client.post(f"/taches/{job.id}/reprendre/",
                       data={"csrf_token": csrf_of(client, f"/taches/{job.id}/")},
                       follow_redirects=True)
    assert "ne peut pas être reprise" in resp.get_data(as_text=True)
    with pytest.raises(DomainError, match="ne peut pas être reprise"):
        job_recovery.resume(job.id, etab.id)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "interrupted"
