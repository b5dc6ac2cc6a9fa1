"""Job runner (R-ACC-6): inline and thread runners, progress in the Job row, result JSON,
failure rolled back, one job for a whole notification, isolation of job reads."""

from __future__ import annotations

import datetime as dt

from pypdf import PdfReader

from admints import jobs
from admints.comptes import notification, writing
from admints.errors import DomainError
from admints.extensions import db as _db
from admints.models import Compte, EtatCompte, Job

from . import factories


def count_to(ctx, progress):
    total = ctx.params["n"]
    for i in range(1, total + 1):
        progress(i, total)
    return {"counted": total}


def fails_after_change(ctx, progress):
    compte = _db.session.get(Compte, ctx.params["compte_id"])
    compte.etat = EtatCompte.UTILISE
    _db.session.flush()
    raise DomainError("Échec volontaire.")


def crashes(ctx, progress):
    raise RuntimeError("secret detail")


def test_r_acc_6_inline_job_done_with_progress_and_result(app, db, etab):
    job = jobs.start_job("test", etab.id, {"n": 250}, count_to, "chef")
    assert job.status == "done" and job.result == {"counted": 250}
    assert job.done == 250 and job.total == 250 and job.percent == 100
    assert job.started_at and job.finished_at and job.params["_fn"].endswith(":count_to")


def test_r_acc_6_failed_job_rolls_back_its_work(app, db, etab):
    e = factories.make_eleve(etab)
    db.session.commit()
    job = jobs.start_job("test", etab.id, {"compte_id": e.compte_id}, fails_after_change)
    assert job.status == "failed" and job.error == "Échec volontaire."
    db.session.expire_all()
    assert db.session.get(Compte, e.compte_id).etat == EtatCompte.NON_NOTIFIE


def test_r_acc_6_unexpected_error_message_is_generic(app, db, etab):
    job = jobs.start_job("test", etab.id, {}, crashes)
    assert job.status == "failed" and "secret" not in job.error and "Erreur" in job.error


def test_r_acc_6_thread_runner(app, db, etab):
    app.config["JOB_RUNNER"] = "thread"
    job = jobs.start_job("test", etab.id, {"n": 120}, count_to)
    final = jobs.wait(job.id, timeout=30)
    assert final.status == "done" and final.result == {"counted": 120}


def test_r_acc_6_inline_flag_overrides_the_thread_runner(app, db, etab):
    """A small selection (at most JOB_THRESHOLD) asks for `inline=True`: done on return."""
    app.config["JOB_RUNNER"] = "thread"
    job = jobs.start_job("test", etab.id, {"n": 5}, count_to, inline=True)
    assert job.status == "done" and job.result == {"counted": 5}
    assert job.id not in jobs._threads


def test_r_acc_6_whole_establishment_notification_is_one_job(app, db, etab, tmp_path):
    divs = [factories.make_division(etab, f"6{c}") for c in "ABC"]
    eleves = [factories.make_eleve(etab, f"NOM{i:03d}", "P", division=divs[i % 3])
              for i in range(150)]
    db.session.commit()
    out = tmp_path / "all.pdf"
    params = {"kind": "eleve", "compte_ids": [e.compte_id for e in eleves], "mode": "papier",
              "today": "2026-11-28", "out_path": str(out)}
    job = jobs.start_job("notification_eleve", etab.id, params, notification.notify_job, "chef")
    assert job.status == "done", job.error
    assert job.result["notified"] == 150 and job.file_path == str(out)
    assert job.done == job.total == 150
    assert len(PdfReader(str(out)).pages) == 150
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Compte.id)).where(
        Compte.etat == EtatCompte.NOTIFIE)) == 150


def test_r_sec_1_get_job_scoped(app, db, etab, other_etab):
    job = jobs.start_job("test", other_etab.id, {"n": 1}, count_to)
    assert jobs.get_job(job.id, etab.id) is None
    assert jobs.get_job(job.id, other_etab.id).id == job.id
    assert db.session.scalar(db.select(db.func.count(Job.id))) == 1


def test_resolve_fn_path_for_a_future_queue():
    assert jobs.resolve(jobs.fn_path(notification.notify_job)) is notification.notify_job
    assert dt.date(2026, 11, 28)


def test_r_acc_7_write_to_responsables_as_a_job(app, db, etab, smtp):
    liens = [factories.link(factories.make_eleve(etab), factories.make_responsable(
        etab, f"R{i}", "X", email=f"r{i}@example.org"), 1) for i in range(3)]
    db.session.commit()
    job = jobs.start_job("ecrire", etab.id, {
        "compte_ids": [lien.compte_id for lien in liens], "subject": "Info", "body": "Texte",
        "today": "2026-11-28"}, writing.write_job, "chef")
    assert job.status == "done" and job.result["sent"] == 3 and len(smtp.messages) == 3
    assert job.done == 3
