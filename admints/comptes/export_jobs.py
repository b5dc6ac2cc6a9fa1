"""A large « Exporter (CSV) » of an account list as a background job (issue 14 point 1, R-ACC-4,
R-SEC-3, R-SEC-5).

A selection of at most EXPORT_JOB_MIN_ROWS accounts is streamed in the request
(`exports.export_accounts_csv`); a bigger one is a job (`start_export`): its body `export_job`
runs where the configured runner puts it (inline in tests, a thread, or a Celery worker by the
dotted path in `params["_fn"]`) and writes the same bytes as the streamed answer (BOM, columns,
`exports.export_csv_chunks` piece by piece, memory flat) to a `.part` file under the
establishment's jobs directory (OUTPUT_DIR/jobs/<etab>/, shared by web and worker), renamed when
complete: a half-written file is never served. The body writes the one audit entry
`<kind>.export_csv` (committed with the job's end: a failed export leaves none), reports its
progress in rows and returns the recap (`rows`). `job_csv` is the only way to the file (the path
the job row names, checked to be under that directory); `delete_csv` removes it, audited.
An interrupted export is not resumed: it is started again from the list; its recap hook
(`export_recap`) removes the `.part` file a killed runner left.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from flask import current_app

from .. import audit, jobs
from ..errors import DomainError
from ..extensions import db
from ..models import Job
from . import exports
from .notification_jobs import jobs_dir

JOB_KINDS = {"eleve": "export_eleve", "responsable": "export_responsable"}  # KindCompte values
KIND_OF_JOB = {job_kind: kind for kind, job_kind in JOB_KINDS.items()}


def runs_as_job(count: int) -> bool:
    """An export of `count` accounts is a job above EXPORT_JOB_MIN_ROWS (the one reading of
    the key); at or below it, it is streamed in the request."""
    return count > current_app.config.get("EXPORT_JOB_MIN_ROWS", 2000)


def is_export(job: Job) -> bool:
    return job.kind in KIND_OF_JOB


def start_export(etablissement_id: int, kind: str, compte_ids: Sequence[int], *,
                 by: str | None, out_dir: str | Path, inline: bool | None = None) -> Job:
    """Start the export job of these accounts (scoped to the establishment by the export's
    queries), its file to be written under `out_dir`. Commits the job row (`jobs.start_job`);
    a broker that is down raises the French `QueueUnavailable` with the job marked failed."""
    if kind not in JOB_KINDS:
        raise DomainError(f"Type de compte inconnu : {kind}.")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    out_path = Path(out_dir) / f"export_{kind}_{uuid.uuid4().hex}.csv"
    params = {"kind": kind, "compte_ids": [int(i) for i in compte_ids],
              "out_path": str(out_path)}
    return jobs.start_job(JOB_KINDS[kind], etablissement_id, params, export_job, by,
                          total=len(params["compte_ids"]), inline=inline)


def export_job(ctx, progress) -> dict:
    """The job body: the CSV written to the job's file, audited once; the recap."""
    kind, ids = ctx.params["kind"], ctx.params["compte_ids"]
    path = Path(ctx.params["out_path"])
    rows = write_csv(ctx.etablissement_id, kind, ids, path, progress=progress)
    exports.audit_export(ctx.etablissement_id, kind, ids, by=ctx.created_by)
    ctx.file_path = str(path)
    return {"rows": rows, "comptes": len(ids)}


def export_recap(job_id: int, error: str | None = None) -> dict:
    """Recap hook of an export that did not end (its runner killed, or `error` here): the
    half-written `.part` file is removed — it lists families' identifiers and addresses, and
    nothing would ever serve or delete it — and the staff member is told to start again."""
    job = db.session.get(Job, job_id)
    out_path = Path(str((job.params or {}).get("out_path") or "")) if job else None
    if job is not None and out_path and out_path.name and job.etablissement_id is not None:
        part = out_path.with_name(out_path.name + ".part").resolve()
        root = jobs_dir(current_app.config["OUTPUT_DIR"], job.etablissement_id).resolve()
        if root in part.parents:  # only ever a file of this establishment's jobs
            part.unlink(missing_ok=True)
    return {"message": "L'export n'est pas allé jusqu'au bout et aucun fichier n'a été gardé : "
                       "relancez-le depuis la liste."}


export_recap.resumable = False  # a report only: an export is started again, not resumed
export_job.job_recap = export_recap


def write_csv(etablissement_id: int, kind: str, compte_ids: Sequence[int], path: Path, *,
              progress: Callable[[int, int], None] | None = None) -> int:
    """The export's bytes to `path` (through `<path>.part`, renamed at the end; removed when
    the writing fails). Returns the rows read."""
    rows = 0

    def follow(done: int, total: int) -> None:
        nonlocal rows
        rows = done
        if progress is not None:
            progress(done, total)

    part = path.with_name(path.name + ".part")
    try:
        # newline="": the pieces already end their lines with CRLF, as the streamed answer
        with part.open("w", encoding="utf-8", newline="") as out:
            for piece in exports.export_csv_chunks(etablissement_id, kind, compte_ids,
                                                   progress=follow):
                out.write(piece)
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return rows


def job_csv(job: Job, output_dir: str | Path) -> Path | None:
    """The export job's CSV if it exists under the establishment's jobs directory — never a
    path from anywhere else, whatever the row says."""
    if not is_export(job) or not job.file_path or job.etablissement_id is None:
        return None
    root = jobs_dir(output_dir, job.etablissement_id).resolve()
    path = Path(job.file_path).resolve()
    if root not in path.parents or path.suffix != ".csv" or not path.is_file():
        return None
    return path


def download_name(job: Job) -> str:
    """The name the file is saved under, like the streamed one (`comptes_eleves_…csv`)."""
    kind = KIND_OF_JOB.get(job.kind, "compte")
    return f"comptes_{kind}s_{job.created_at:%Y%m%d}_{job.id}.csv"


def delete_csv(job: Job, output_dir: str | Path, *, by: str | None) -> bool:
    """« Supprimer le fichier du serveur »: the export's CSV removed (it lists the families'
    identifiers and addresses) and audited `export_csv.supprime`. False when there was none.
    Flushes, never commits."""
    path = job_csv(job, output_dir)
    if path is None:
        return False
    path.unlink()
    audit.record("export_csv.supprime", etablissement_id=job.etablissement_id, login=by,
                 target=f"Tâche {job.id}")
    return True
