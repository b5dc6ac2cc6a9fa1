"""Background jobs behind a small interface (R-ACC-6).

    job = start_job(kind, etablissement_id, params, fn, created_by)

`fn(ctx: JobContext, progress) -> dict` does the work in its own app context and database
session and returns the JSON result (a dict, or an object with `as_dict()` — its `pdf_path`
attribute, if set, becomes the job's file). `ctx` looks like the Job row (`id`, `params`,
`etablissement_id`, `created_by`); `progress(done, total)` (= `ctx.progress`) records progress,
written to the Job row at most every `PROGRESS_EVERY` items and committed on a separate
connection so that the work's own transaction is untouched; `ctx.file_path = ...` also names
the file to download. After `fn`
returns, its session is committed, then the job is marked done; if it raises, its session is
rolled back and the job is marked failed with a French message.

Runners: "inline" (runs before `start_job` returns) and "thread" (a daemon thread). The
caller chooses with `inline=`: True runs inline whatever the configuration (a small selection:
the user sees the recap at once, R-ACC-6 / issue 3), False/None uses the configured background
runner JOB_RUNNER ("thread" in the app, "inline" in tests). A real queue later only needs
another runner: `fn` is also recorded by dotted path in `params["_fn"]` so that a worker
process can import it.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy.exc import OperationalError

from .errors import DomainError
from .extensions import db
from .models import Job, utcnow

log = logging.getLogger(__name__)
PROGRESS_EVERY = 100
_threads: dict[int, threading.Thread] = {}


@dataclass
class JobContext:
    job_id: int
    params: dict
    etablissement_id: int | None
    created_by: str | None
    file_path: str | None = None
    _last: int = field(default=-PROGRESS_EVERY, repr=False)

    @property
    def id(self) -> int:
        return self.job_id

    def progress(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        if not force and done - self._last < PROGRESS_EVERY and done != total:
            return
        self._last = done
        values = {"done": done}
        if total is not None:
            values["total"] = total
        _write(self.job_id, **values)


def _write(job_id: int, **values) -> None:
    """Update the Job row on its own connection, committed at once. On SQLite a writer may
    hold the lock (the work flushing its changes): progress is best effort, skip it then."""
    try:
        with db.engine.begin() as conn:
            conn.execute(db.update(Job).where(Job.id == job_id).values(**values))
    except OperationalError:
        log.info("job %s: progress not written (database busy)", job_id)


def fn_path(fn: Callable) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    target = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def start_job(kind: str, etablissement_id: int | None, params: dict, fn: Callable,
              created_by: str | None = None, *, total: int = 0,
              inline: bool | None = None) -> Job:
    """Create the Job row (committed: this is an edge function, like a command), then run
    `fn`: inline (`inline=True`) or with the configured runner. Returns the Job (done or
    failed after an inline run; else reload it to see progress)."""
    job = Job(kind=kind, etablissement_id=etablissement_id, status="pending", total=total,
              params={**params, "_fn": fn_path(fn)}, created_by=created_by)
    db.session.add(job)
    db.session.commit()
    app = current_app._get_current_object()
    runner = "inline" if inline else app.config.get("JOB_RUNNER", "thread")
    if runner == "inline":
        _run(app, job.id, fn)
        db.session.refresh(job)
    elif runner == "thread":
        thread = threading.Thread(target=_run, args=(app, job.id, fn), daemon=True,
                                  name=f"admints-job-{job.id}")
        _threads[job.id] = thread
        thread.start()
    else:
        raise DomainError(f"Exécuteur de tâches inconnu : {runner}.")
    return job


def _run(app: Flask, job_id: int, fn: Callable) -> None:
    # A fresh app context gives a fresh session (Flask-SQLAlchemy scopes per context).
    with app.app_context():
        job = db.session.get(Job, job_id)
        ctx = JobContext(job_id, {k: v for k, v in (job.params or {}).items() if k != "_fn"},
                         job.etablissement_id, job.created_by)
        db.session.commit()
        _write(job_id, status="running", started_at=utcnow())
        try:
            result = fn(ctx, ctx.progress)
            db.session.commit()
            if hasattr(result, "as_dict"):
                ctx.file_path = ctx.file_path or _str_or_none(getattr(result, "pdf_path", None))
                result = result.as_dict()
        except Exception as exc:  # noqa: BLE001 - a job records its failure, never raises
            db.session.rollback()
            message = exc.message if isinstance(exc, DomainError) else \
                "Erreur inattendue pendant la tâche ; rien n'a été enregistré."
            if not isinstance(exc, DomainError):
                log.exception("job %s failed", job_id)
            _write(job_id, status="failed", error=message, finished_at=utcnow())
            return
        finally:
            _threads.pop(job_id, None)
        _write(job_id, status="done", result=result, file_path=ctx.file_path,
               finished_at=utcnow())


def _str_or_none(value) -> str | None:
    return str(value) if value else None


def wait(job_id: int, timeout: float = 60.0) -> Job | None:
    """Block until a thread job ends (tests, CLI); returns the reloaded Job."""
    thread = _threads.get(job_id)
    deadline = time.monotonic() + timeout
    if thread is not None:
        thread.join(timeout)
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if job is None or job.status in ("done", "failed"):
            return job
        time.sleep(0.05)
    return db.session.get(Job, job_id)


def get_job(job_id: int, etablissement_id: int | None) -> Job | None:
    """A job of this establishment only (R-SEC-1), reloaded from the database."""
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    if job is None or job.etablissement_id != etablissement_id:
        return None
    return job
