"""What a Celery worker does with a job id (issue 14, R-ACC-6): run it once, whatever the number
of deliveries. A message may come twice (redelivered after its worker died, or after the
broker's visibility timeout) and a job may have been resumed meanwhile, so `run_queued` looks at
the row first:

- done or failed → nothing;
- running (or claimed) by a live runner → nothing: that runner finishes it;
- running for a dead runner → `job_recovery` makes it « interrompue » with its recap, then as
  below;
- interrupted → reopened and run again (JOB_MAX_ATTEMPTS runs at most) when it is resumable
  (its outbox: only what is left is sent, with the passwords stored before the crash) or never
  started (attempts 0: nothing was done); otherwise left for the staff member to rerun;
- pending → claimed by one conditional update (two deliveries at once: one runs), then
  `jobs.run_here(..., runner="celery")`.

Also the periodic passes of Celery beat: the recovery of orphaned jobs (resumed when they ran
on Celery: the system queued them, the outbox makes the resume safe) and the daily expiry.
"""

from __future__ import annotations

import logging

from . import clock, job_recovery, jobs
from .clock import utcnow
from .comptes import job_files, lifecycle
from .errors import DomainError
from .extensions import db
from .job_runners import this_process
from .models import Job

log = logging.getLogger(__name__)


def run_queued(job_id: int) -> str:
    """Run job `job_id` here if nobody else does or did. Returns what happened: "absent",
    "finished", "busy", "not-resumable" or "ran"."""
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    if job is None:
        return "absent"
    if job.status in ("done", "failed"):
        return "finished"
    if job.status == "running" or job.runner_pid is not None and job.status == "pending":
        if not job_recovery.recover(job_id=job_id):
            return "busy"  # its runner lives: it finishes the job
        db.session.expire_all()
        job = db.session.get(Job, job_id)
    if job.status == "interrupted":
        if job.attempts and not jobs.resumable(job.params) or job.attempts >= _max_attempts():
            return "not-resumable"  # the staff member reruns it (or resumes it by hand)
        try:
            job_recovery.reopen(job)
        except DomainError:
            return "busy"
        job = db.session.get(Job, job_id)
    attempts = job.attempts
    fn = jobs.resolve(job.params["_fn"])
    db.session.commit()
    claimed = db.session.execute(db.update(Job).where(
        Job.id == job_id, Job.status == "pending", Job.attempts == attempts,
        Job.runner_pid.is_(None)).values(runner="celery", heartbeat_at=utcnow(),
                                         **this_process())).rowcount
    db.session.commit()
    if not claimed:
        return "busy"
    try:
        jobs.run_here(job_id, fn, runner="celery")
    except Exception:  # recorded on the job row (or logged as critical by `jobs`)
        log.info("job %s ended with an error (recorded on the job)", job_id)
    return "ran"


def _max_attempts() -> int:
    from flask import current_app

    return int(current_app.config.get("JOB_MAX_ATTEMPTS", 3))


def recover_and_resume() -> dict:
    """Beat pass: orphaned jobs become « interrompue »; those that ran on Celery and are
    resumable are queued again. Returns the ids recovered and resumed."""
    recovered = [item["id"] for item in job_recovery.recover()]
    resumed = []
    for job_id in recovered:
        job = db.session.get(Job, job_id)
        if job.runner != "celery" or not jobs.resumable(job.params) \
                or job.attempts >= _max_attempts():
            continue
        try:
            job_recovery.resume(job.id)
        except DomainError as exc:  # reopened elsewhere, broker down (job marked)…
            log.warning("job %s not resumed: %s", job.id, exc.message)
            db.session.rollback()
            continue
        resumed.append(job.id)
    return {"recovered": recovered, "resumed": resumed}


def purge_expired() -> int:
    """R-ACC-10, the daily expiry of every establishment (the `admints purge-expired` command
    on a schedule), and the files of jobs kept past JOB_FILES_MAX_DAYS. Returns the number of
    accounts expired."""
    done = lifecycle.purge_expired(today=clock.today())
    files = job_files.purge_old_files(now=utcnow())
    db.session.commit()
    log.info("daily expiry: %s account(s) expired, %s job file(s) deleted", len(done),
             len(files))
    return len(done)
