"""Background jobs behind a small interface (R-ACC-6).

    job = start_job(kind, etablissement_id, params, fn, created_by)

`fn(ctx: JobContext, progress) -> dict` does the work in its own app context and database
session and returns the JSON result (a dict, or an object with `as_dict()` — its `pdf_path`
attribute, if set, becomes the job's file). `ctx` looks like the Job row (`id`, `params`,
`etablissement_id`, `created_by`); `progress(done, total)` (= `ctx.progress`) records progress,
written to the Job row at most every `PROGRESS_EVERY` items and committed on a separate
connection so that the work's own transaction is untouched; `ctx.checkpoint(partial)` writes a
partial result the same way (what a body without an outbox has done so far, for its recap hook);
`ctx.file_path = ...` also names the file to download. After `fn` returns, its session is
committed, then the job is marked done; if it raises, its session is rolled back and the job is
marked failed with a French message — or *interrupted* when its recap hook says work is left (an
outbox-backed job: resumable). A recap hook marked `hook.resumable = False` only reports (a job
that cannot be resumed).

Progress and heartbeat writes are best effort (skipped when the database is busy); status
writes (running, done, failed, interrupted) are not: they are retried for about ten seconds,
then `JobStateError` is raised and logged as critical — a job row never silently stays
« running ». A job whose runner is gone is turned into « interrompue » by `job_recovery`.

Runners: "inline" (runs before `start_job` returns), "thread" (a daemon thread) and "celery"
(a message to the Celery workers, `celery_app` / `job_worker`: the default when
CELERY_BROKER_URL is set). The caller chooses with `inline=`: True runs inline whatever the
configuration (a small selection: the user sees the recap at once, R-ACC-6 / issue 3),
False/None uses the configured background runner JOB_RUNNER ("thread" in the app, "inline" in
tests). A worker calls `run_here(job_id, fn)`: `fn` is recorded by dotted path in
`params["_fn"]` (and the recap hook in `params["_recap"]`), the runner identity and heartbeat
are written by `run_here`, and outbox-backed bodies are idempotent (`resume`).
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

from .clock import utcnow
from .errors import DomainError
from .extensions import db
from .job_runners import Heartbeat, this_process
from .models import Job

log = logging.getLogger(__name__)
PROGRESS_EVERY = 100
FINAL_RETRY_DELAYS = (0.1, 0.3, 1.0, 2.0, 3.0, 4.0)  # seconds between status write attempts
_threads: dict[int, threading.Thread] = {}
_live: set[int] = set()  # jobs this process is running right now (inline or thread)
_live_lock = threading.Lock()


class JobStateError(RuntimeError):
    """A job status could not be written after retries: the runner stops loudly."""


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
        values = {"done": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["total"] = total
        _write(self.job_id, **values)

    def checkpoint(self, partial: dict) -> None:
        """Best effort: `partial` becomes the row's result until the job ends (its recap hook
        reads it after an interruption); the final result replaces it."""
        _write(self.job_id, result=partial, heartbeat_at=utcnow())


def _write(job_id: int, **values) -> None:
    """Progress / heartbeat on its own connection, committed at once. On SQLite a writer may
    hold the lock (the work flushing its changes): progress is best effort, skip it then."""
    try:
        with db.engine.begin() as conn:
            conn.execute(db.update(Job).where(Job.id == job_id).values(**values))
    except OperationalError:
        log.info("job %s: progress not written (database busy)", job_id)


def write_status(job_id: int, *, where=None, **values) -> int:
    """A status change on its own connection, retried while the database is busy, then
    `JobStateError`. `where`: extra condition (recovery races); returns the rows changed."""
    last: Exception | None = None
    for delay in (None, *FINAL_RETRY_DELAYS):
        if delay is not None:
            time.sleep(delay)
        try:
            with db.engine.begin() as conn:
                stmt = db.update(Job).where(Job.id == job_id)
                if where is not None:
                    stmt = stmt.where(where)
                return conn.execute(stmt.values(**values)).rowcount
        except OperationalError as exc:
            last = exc
            log.warning("job %s: status write failed, retrying (%s)", job_id, type(exc).__name__)
    log.critical("job %s: status %s could not be written", job_id, values.get("status"))
    raise JobStateError(f"job {job_id}: status not written") from last


def fn_path(fn: Callable) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    target = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def live_ids() -> set[int]:
    with _live_lock:
        return set(_live)


def runs_inline(count: int) -> bool:
    """A job over `count` items small enough to run before the page answers (the one reading
    of JOB_THRESHOLD, issue 3)."""
    return count <= current_app.config.get("JOB_THRESHOLD", 300)


def new_job(kind: str, etablissement_id: int | None, params: dict, fn: Callable,
            created_by: str | None = None, *, total: int = 0,
            recap: Callable | None = None) -> Job:
    """Add a pending Job row (flushed, not committed: the caller's transaction decides, e.g.
    together with the outbox rows of a notification). `recap(job_id) -> dict` builds the recap
    of an interrupted job; with it, the job is resumable unless `recap.resumable` is False."""
    params = {**params, "_fn": fn_path(fn)}
    recap = recap or getattr(fn, "job_recap", None)
    if recap is not None:
        params["_recap"] = fn_path(recap)
    job = Job(kind=kind, etablissement_id=etablissement_id, status="pending", total=total,
              params=params, created_by=created_by, attempts=0)
    db.session.add(job)
    db.session.flush()
    return job


def start_job(kind: str, etablissement_id: int | None, params: dict, fn: Callable,
              created_by: str | None = None, *, total: int = 0,
              inline: bool | None = None, recap: Callable | None = None) -> Job:
    """Create the Job row (committed: this is an edge function, like a command), then run
    `fn`: inline (`inline=True`) or with the configured runner. Returns the Job (done or
    failed after an inline run; else reload it to see progress)."""
    job = new_job(kind, etablissement_id, params, fn, created_by, total=total, recap=recap)
    db.session.commit()
    return launch(job.id, fn=fn, inline=inline)


def launch(job_id: int, *, fn: Callable | None = None, inline: bool | None = None) -> Job:
    """Run the committed pending job `job_id` with a runner: `fn`, else its `params["_fn"]`."""
    app = current_app._get_current_object()
    runner = "inline" if inline else app.config.get("JOB_RUNNER", "thread")
    job = db.session.get(Job, job_id)
    fn = fn or resolve(job.params["_fn"])
    if runner == "inline":
        _run(app, job_id, fn, runner)
        db.session.refresh(job)
    elif runner == "celery":
        _enqueue(app, job_id, job)
    elif runner == "thread":
        thread = threading.Thread(target=_run, args=(app, job_id, fn, runner), daemon=True,
                                  name=f"admints-job-{job_id}")
        _threads[job_id] = thread
        thread.start()
    else:
        raise DomainError(f"Exécuteur de tâches inconnu : {runner}.")
    return job


def _enqueue(app: Flask, job_id: int, job: Job) -> None:
    """Hand the job to the Celery workers (`job_worker.run_queued`). Broker down: the job is
    marked failed with nothing done (an outbox is released) and the caller gets the French
    QueueUnavailable — never a row left « en attente »."""
    from .celery_app import RUN_JOB, enqueue

    write_status(job_id, runner="celery")  # queued: judged by JOB_QUEUE_STALE_SECONDS
    try:
        enqueue(app, RUN_JOB, job_id)
    except DomainError as exc:
        _record_failure(job_id, dict(job.params or {}), exc)
        db.session.expire_all()
        raise


def _run(app: Flask, job_id: int, fn: Callable, runner: str) -> None:
    # A fresh app context gives a fresh session (Flask-SQLAlchemy scopes per context).
    with app.app_context():
        try:
            run_here(job_id, fn, runner=runner)
        except Exception:  # recorded on the job row (or logged as critical)
            pass
        finally:
            _threads.pop(job_id, None)


def run_here(job_id: int, fn: Callable, *, runner: str = "inline"):
    """Run `fn` for `job_id` in this process and the current app context: runner identity and
    heartbeat, then done / failed / interrupted. Returns `fn`'s own result; re-raises its
    exception once recorded."""
    job = db.session.get(Job, job_id)
    raw_params = dict(job.params or {})
    ctx = JobContext(job_id, {k: v for k, v in raw_params.items() if not k.startswith("_")},
                     job.etablissement_id, job.created_by)
    db.session.commit()
    with _live_lock:
        _live.add(job_id)  # before the identity is visible: recovery never sees us as gone
    beat = Heartbeat(current_app._get_current_object(), job_id,
                     lambda: _write(job_id, heartbeat_at=utcnow()))
    try:
        write_status(job_id, status="running", started_at=utcnow(), heartbeat_at=utcnow(),
                     runner=runner, attempts=Job.attempts + 1, **this_process())
        beat.start()
        try:
            raw = fn(ctx, ctx.progress)
            db.session.commit()
        except Exception as exc:
            _reset_session()
            _record_failure(job_id, raw_params, exc)
            raise
        result = raw
        if hasattr(raw, "as_dict"):
            ctx.file_path = ctx.file_path or _str_or_none(getattr(raw, "pdf_path", None))
            result = raw.as_dict()
        write_status(job_id, status="done", result=result, file_path=ctx.file_path,
                     error=None, finished_at=utcnow())
        return raw
    finally:
        beat.stop()
        with _live_lock:
            _live.discard(job_id)


def _reset_session() -> None:
    """Roll the work's session back; when its connection is gone (database restarted), drop
    the session: the next use opens a new one."""
    try:
        db.session.rollback()
    except Exception:
        db.session.remove()


def _record_failure(job_id: int, params: dict, exc: Exception) -> None:
    message = exc.message if isinstance(exc, DomainError) else \
        "Erreur inattendue pendant la tâche ; rien n'a été enregistré."
    if not isinstance(exc, DomainError):
        log.exception("job %s failed", job_id)
    recap = None
    for delay in (None, *FINAL_RETRY_DELAYS):  # the database may be restarting (issue 14)
        if delay is not None:
            time.sleep(delay)
        try:
            recap = interrupted_recap(job_id, params, error=message)
            break
        except Exception:  # a lost connection surfaces as psycopg's or SQLAlchemy's errors
            log.warning("job %s: recap not built, retrying", job_id, exc_info=True)
            _reset_session()
    else:
        write_status(job_id, status="interrupted", finished_at=utcnow(),
                     error=f"Tâche interrompue : {message} Reprenez-la depuis sa page.")
        return
    if recap and recap.get("remaining"):
        write_status(job_id, status="interrupted", error=f"Tâche interrompue : {message}",
                     result=recap, finished_at=utcnow())
    else:
        write_status(job_id, status="failed", error=message, result=recap,
                     finished_at=utcnow())


def interrupted_recap(job_id: int, params: dict, *, error: str | None = None) -> dict | None:
    """The recap hook of the job (`params["_recap"]`, called with `error` after a failure in
    this process), or None for a plain job."""
    path = params.get("_recap")
    if not path:
        return None
    try:
        hook = resolve(path)
        return hook(job_id) if error is None else hook(job_id, error=error)
    finally:
        db.session.rollback()  # whatever the hook left open


def resumable(params: dict) -> bool:
    """Whether a job can be resumed: it has a recap hook not marked `resumable = False`."""
    path = (params or {}).get("_recap")
    return bool(path) and getattr(resolve(path), "resumable", True)


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
        if job is None or job.status in ("done", "failed", "interrupted"):
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
