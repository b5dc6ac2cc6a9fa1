"""Large SIECLE imports as a background job (issue 14 point 1, R-DAT-1 / R-DAT-3).

An upload whose files together exceed SIECLE_JOB_MIN_BYTES is not imported in the web request:
`start_import` keeps the files with `pending` (under OUTPUT_DIR, bound to the establishment and
the sender, no plan yet) and starts a job of kind `JOB_KIND` through `jobs.start_job`; with
CELERY_BROKER_URL set it runs on a Celery worker (by the dotted path of `import_job`), else in a
thread (inline in the tests). Smaller uploads are imported in the request as before
(`runs_in_job`).

The body `import_job` reads the kept files back, runs `importer.import_siecle` for the job's
establishment (never creates one), commits, and records the recap the upload screen shows
(`recap`), then deletes the files. Its progress is in steps: files read, checked, written.
- Over the departure threshold (R-DAT-3) nothing is applied: the files stay kept with the plan
  (`pending.replan`, one more hour) and the job's result holds the plan (`{"attente": …}`); the
  job page shows it with « Confirmer » / « Annuler », and the confirmation starts the same job
  again with `confirm=True`, applied only within that plan (or runs in the request when the
  kept files are small — same rule as an upload).
- A refused file (bad XML, bomb, limits, unknown establishment…: `DomainError`) ends the job
  « échouée » with its French message; nothing is written and the files are deleted, as on any
  other failure.
The command `admints import-siecle` stays synchronous whatever the size.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from flask import current_app

from .. import clock, jobs
from ..errors import DomainError
from ..extensions import db
from ..models import Etablissement, Job
from . import pending
from .departures import DeparturesToConfirm
from .importer import ImportSummary, import_siecle
from .stream import Upload

JOB_KIND = "import_siecle"  # permissions: the « Données SIECLE » menu
STEPS = 3  # files read, checked, written


def upload_bytes(payload: list[tuple[str, Upload]]) -> int:
    """The size of the files together (bytes, a kept file's path, or a spooled upload)."""
    total = 0
    for _name, data in payload:
        if isinstance(data, bytes | bytearray):
            total += len(data)
        elif isinstance(data, str | Path):
            total += os.path.getsize(data)
        else:
            here = data.tell()
            total += data.seek(0, os.SEEK_END)
            data.seek(here)
    return total


def runs_in_job(nbytes: int) -> bool:
    """An import of `nbytes` of files is a background job (above SIECLE_JOB_MIN_BYTES)."""
    return nbytes > int(current_app.config["SIECLE_JOB_MIN_BYTES"])


def start_import(etablissement_id: int, payload: list[tuple[str, Upload]] | None, *,
                 user_id: int, by: str, token: str | None = None,
                 confirm: bool = False) -> Job:
    """Keep `payload` (or use the files already kept under `token`) and start the import job.
    The job service unavailable (Celery broker down): nothing starts, the files are deleted
    and its French `DomainError` is raised."""
    if token is None:
        token = pending.save(payload, etablissement_id=etablissement_id, user_id=user_id,
                             departures=None)
    try:
        return jobs.start_job(JOB_KIND, etablissement_id,
                              {"token": token, "user_id": user_id, "confirm": confirm},
                              import_job, created_by=by, total=STEPS)
    except DomainError:
        pending.discard(token)
        raise


def import_job(ctx: jobs.JobContext, progress) -> dict:
    """The job body (run by dotted path on a worker). Returns the recap, or the plan."""
    params = ctx.params
    token, user_id = params["token"], params["user_id"]
    today = dt.date.fromisoformat(params["today"]) if params.get("today") else clock.today()
    progress(0, STEPS, force=True)
    try:
        payload, plan = pending.load(token, etablissement_id=ctx.etablissement_id,
                                     user_id=user_id)
        etab = db.session.get(Etablissement, ctx.etablissement_id)
        summary = import_siecle(
            payload, uai=etab.uai, create_missing=False, today=today,
            confirm_departures=plan if params.get("confirm") and plan is not None else False,
            on_step=lambda step: progress(step, STEPS, force=True),
            by=(user_id, ctx.created_by))
        db.session.commit()
    except DeparturesToConfirm as exc:
        db.session.rollback()
        pending.replan(token, etablissement_id=ctx.etablissement_id, user_id=user_id,
                       departures=exc.departures)
        progress(STEPS, STEPS, force=True)
        return {"attente": {"token": token, "message": exc.message,
                            "lines": exc.departures.lines_fr()}}
    except BaseException:
        db.session.rollback()
        pending.discard(token)  # refused or broken: nothing written, nothing kept
        raise
    pending.discard(token)
    progress(STEPS, STEPS, force=True)
    return recap(summary)


def import_recap(job_id: int, error: str | None = None) -> dict:
    """Recap hook of an import whose runner died (or that failed here): its kept files are
    deleted now — SIECLE exports of families, which nothing would otherwise read again — and
    the sender is told to upload them again (the import is one transaction: a killed runner
    wrote nothing; one that died after its commit is re-imported without change)."""
    job = db.session.get(Job, job_id)
    token = (job.params or {}).get("token") if job is not None else None
    if token:
        try:
            pending.discard(token)
        except DomainError:  # not a token of ours: nothing to delete
            pass
    return {"message": error or "Les fichiers gardés pour cet import ont été supprimés."}


import_recap.resumable = False  # a report only: an import is uploaded again, not resumed
import_job.job_recap = import_recap


def recap(summary: ImportSummary) -> dict:
    """What the upload screen shows of an import: counts per kind, files, the « Ignorés »
    lines (the ImportSummary as a dict, plus its French lines)."""
    return {**summary.as_dict(), "lignes": summary.lines_fr()}


def can_confirm(job: Job, token: str, user_id: int) -> bool:
    """The plan a job ended with can still be confirmed by `user_id`: its files are still kept,
    for them (the sender) and this establishment."""
    try:
        pending.size(token, etablissement_id=job.etablissement_id, user_id=user_id)
    except DomainError:
        return False
    return True
