"""How long the files jobs leave under OUTPUT_DIR are kept: the notification PDFs (temporary
passwords) and the CSV exports (families' identifiers and addresses). The guide asks to delete
the letters once printed; staff do it from the job page (« Supprimer »), and what they forget
is removed JOB_FILES_MAX_DAYS days after its job ended, by the daily pass (`admints
purge-expired` from cron, Celery beat's daily task), audited like a deletion by hand (login
« système »). Imports waiting for a confirmation (`siecle.pending`) are purged by the same pass.
Each download of such a file is audited too (`record_download`): who took the passwords or the
families' details, and when (R-SEC-3).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import current_app

from .. import audit
from ..extensions import db
from ..models import Job
from ..siecle import pending
from . import export_jobs, notification_jobs

SYSTEM = "système"
# The audit action of a download, by the file's suffix (the only files jobs leave).
DOWNLOADED = {".pdf": "notification.pdf_telecharge", ".csv": "export_csv.telecharge"}


def purge_old_files(*, now: dt.datetime, max_days: int | None = None,
                    output_dir: str | Path | None = None,
                    etablissement_id: int | None = None) -> list[int]:
    """Delete the files of the jobs (of one establishment, or all) that ended more than
    `max_days` (JOB_FILES_MAX_DAYS) days before `now` (naive UTC, like the stored timestamps).
    Returns the jobs' ids. Flushes, never commits."""
    config = current_app.config
    days = int(config["JOB_FILES_MAX_DAYS"] if max_days is None else max_days)
    out = output_dir or config["OUTPUT_DIR"]
    cutoff = now - dt.timedelta(days=days)
    query = db.select(Job).where(Job.file_path.is_not(None), Job.finished_at.is_not(None),
                                 Job.finished_at < cutoff)
    if etablissement_id is not None:
        query = query.where(Job.etablissement_id == etablissement_id)
    old = db.session.scalars(query.order_by(Job.id))
    removed = [job.id for job in old
               if notification_jobs.delete_pdf(job, out, by=SYSTEM)
               or export_jobs.delete_csv(job, out, by=SYSTEM)]
    pending.purge()
    return removed


def record_download(job: Job, path: Path, *, by: str | None) -> None:
    """A job's file (`notification_jobs.job_pdf`, `export_jobs.job_csv`) handed to `by`:
    audited like its deletion. Flushes nothing, never commits."""
    audit.record(DOWNLOADED[path.suffix], etablissement_id=job.etablissement_id, login=by,
                 target=f"Tâche {job.id}")
