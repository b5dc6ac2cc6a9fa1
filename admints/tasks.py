"""The Celery tasks (issue 14): thin wrappers that take ids only and call `job_worker`, in an app
context (`celery_app.FlaskTask`). Loaded by the worker (`admints.worker`), never by the web
processes, which send tasks by name (`celery_app.enqueue`)."""

from __future__ import annotations

from celery import shared_task

from . import job_worker
from .celery_app import PURGE_EXPIRED, RECOVER_JOBS, RUN_JOB


@shared_task(name=RUN_JOB, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(job_id: int) -> str:
    """Run job `job_id` (idempotent: see `job_worker.run_queued`)."""
    return job_worker.run_queued(int(job_id))


@shared_task(name=RECOVER_JOBS, ignore_result=True)
def recover_jobs() -> dict:
    """Beat, every JOB_RECOVER_EVERY seconds: orphaned jobs recovered, Celery ones resumed."""
    return job_worker.recover_and_resume()


@shared_task(name=PURGE_EXPIRED, ignore_result=True)
def purge_expired() -> int:
    """Beat, daily at EXPIRY_HOUR:EXPIRY_MINUTE Europe/Paris: R-ACC-10."""
    return job_worker.purge_expired()
