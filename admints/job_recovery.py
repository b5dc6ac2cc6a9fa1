"""Jobs whose runner is gone (R-ACC-6): the recovery pass that turns orphaned jobs into
« interrompue » with the recap of what was done, and the resume of an interrupted job. Who runs
a job and whether it still runs is told by `job_runners`.

A running job row names its runner: host, process id and a process start marker (the start
time in /proc/<pid>/stat on Linux, so that a reused pid is not taken for the runner), and a
heartbeat bumped every JOB_HEARTBEAT_SECONDS. A pending or running job is orphaned when
- this very process is its runner but no longer runs it (its thread ended without a status);
- its runner is another process of this host that is dead (or a zombie);
- its runner is on another host, or it has none yet, and its heartbeat (else its start or
  creation) is older than JOB_STALE_SECONDS.

`recover()` is idempotent and safe at any time, from several processes at once: each change is
conditional on the row being unchanged since it was read. It runs at start-up
(JOB_RECOVER_ON_START), from `flask admints jobs --recover`, and when a job page is viewed. It
resends nothing: an outbox-backed job (notification) gets its recap from its outbox and can be
resumed (`resume`); a job with a report-only recap hook (free emails to guardians) says what it
recorded and cannot be resumed; the rest is left to the rerun.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from . import audit, job_runners, jobs
from .clock import utcnow
from .comptes import outbox
from .errors import DomainError
from .extensions import db
from .models import Job

log = logging.getLogger(__name__)
ACTIVE = ("pending", "running")


def is_orphaned(job: Job, *, now: dt.datetime, stale: dt.timedelta, live: set[int],
                queued: dt.timedelta | None = None) -> bool:
    """`queued`: how long a job waiting in the Celery queue (runner "celery", no process yet)
    may wait before it counts as lost (its message gone with the broker)."""
    if job.status not in ACTIVE:
        return False
    last = job.heartbeat_at or job.started_at or job.created_at
    if job.runner_pid is not None and job.runner_host == socket.gethostname()[:255]:
        me = job_runners.this_process()
        if job.runner_pid == me["runner_pid"] and \
                (job.runner_started or "") == me["runner_started"]:
            return job.id not in live
        if not job_runners.alive(job.runner_pid, job.runner_started):
            return True
        # A Celery worker process outlives its jobs: silent that long, its job is gone.
        return job.runner == "celery" and (last is None or now - last > stale)
    if job.runner == "celery" and job.runner_pid is None and queued is not None:
        stale = queued
    return last is None or now - last > stale


def recover(*, etablissement_id: int | None = None, job_id: int | None = None) -> list[dict]:
    """Turn every orphaned job (of one establishment / one job, or all) into « interrompue »
    with its recap. Returns one dict per job changed: id, kind, etablissement_id, status,
    error, result. Commits its audit entries."""
    query = db.select(Job).where(Job.status.in_(ACTIVE)).order_by(Job.id)
    if etablissement_id is not None:
        query = query.where(Job.etablissement_id == etablissement_id)
    if job_id is not None:
        query = query.where(Job.id == job_id)
    now = utcnow()
    stale = dt.timedelta(seconds=current_app.config.get("JOB_STALE_SECONDS", 120))
    queued = dt.timedelta(seconds=current_app.config.get("JOB_QUEUE_STALE_SECONDS", 6 * 3600))
    live = jobs.live_ids()
    candidates = [(j.id, j.status, j.attempts, j.kind, j.etablissement_id, dict(j.params or {}),
                   j.done, j.total, j.runner_pid, j.runner_host)
                  for j in db.session.scalars(query)
                  if is_orphaned(j, now=now, stale=stale, live=live, queued=queued)]
    db.session.rollback()
    changed = []
    for jid, status, attempts, kind, etab_id, params, done, total, pid, host in candidates:
        recap = jobs.interrupted_recap(jid, params) or {
            "done": done, "total": total, "remaining": max(total - done, 0),
            "message": f"{done} / {total} traité(s) avant l'interruption ; relancez la tâche."}
        runner = f"processus {pid} sur {host}" if pid else "aucun exécutant n'a démarré"
        error = f"Tâche interrompue : son exécutant s'est arrêté ({runner}). {recap['message']}"
        if not jobs.write_status(jid, where=db.and_(Job.status == status,
                                                    Job.attempts == attempts),
                                 status="interrupted", error=error, result=recap,
                                 finished_at=now):
            continue  # someone else changed it meanwhile (finished, recovered, resumed)
        audit.record("tache.interrompue", etablissement_id=etab_id, target=f"Tâche {jid} ({kind})",
                     before=status, after=recap.get("message"))
        db.session.commit()
        changed.append({"id": jid, "kind": kind, "etablissement_id": etab_id,
                        "status": "interrupted", "error": error, "result": recap})
    for item in changed:
        log.warning("job %s (%s) recovered as interrupted", item["id"], item["kind"])
    return changed


def recover_at_startup(app: Flask) -> None:
    """Start-up pass (JOB_RECOVER_ON_START): never stops the app from starting, e.g. before
    `flask db upgrade` created the tables."""
    with app.app_context():
        try:
            recover()
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.info("job recovery at start-up skipped (%s)", type(exc).__name__)


def resume(job_id: int, etablissement_id: int | None = None, *,
           inline: bool | None = None) -> Job:
    """Run an interrupted, resumable job again: its body sends only what is left, with what
    was stored. Refused in French otherwise."""
    job = db.session.get(Job, job_id)
    if job is None or (etablissement_id is not None and job.etablissement_id != etablissement_id):
        raise DomainError("Tâche introuvable.")
    if job.status in ("pending", "running"):
        recover(job_id=job_id)
        db.session.expire_all()
        job = db.session.get(Job, job_id)
    if not jobs.resumable(job.params):
        raise DomainError("Cette tâche ne peut pas être reprise : relancez-la.")
    if job.status != "interrupted":
        raise DomainError(f"Seule une tâche interrompue peut être reprise (celle-ci est "
                          f"{job.status_label}).")
    reopen(job)
    return jobs.launch(job_id, inline=inline)


def reopen(job: Job) -> None:
    """The interrupted `job` back to « en attente », once (DomainError when another process
    reopened it first): then a runner may take it (`resume`, a Celery worker)."""
    job_id = job.id
    # Under the establishment's notification lock, like a new claim: either a new
    # notification took its open rows over first, or it sees this job pending and refuses.
    # No runner yet: judged by its heartbeat until `run_here` writes the new runner.
    db.session.commit()
    if job.etablissement_id is not None:
        outbox.lock(job.etablissement_id, job_id)
    changed = db.session.execute(
        db.update(Job).where(Job.id == job_id, Job.status == "interrupted").values(
            status="pending", error=None, finished_at=None, heartbeat_at=utcnow(),
            runner=None, runner_host=None, runner_pid=None, runner_started=None)).rowcount
    db.session.commit()
    db.session.expire_all()
    if not changed:
        raise DomainError("Cette tâche est déjà en cours de reprise.")
