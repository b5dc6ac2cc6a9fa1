"""`flask admints jobs`: background jobs whose runner is gone (R-ACC-6, issue 9 §2).

    flask --app app admints jobs                 # jobs en cours ou interrompues
    flask --app app admints jobs --recover       # orphelines → « interrompue », avec le bilan
    flask --app app admints jobs --resume 12     # reprend la tâche 12 (le reste seulement)

`--recover` is safe to run at any time (the same pass runs at start-up): it changes only jobs
whose runner process is dead or silent, and sends nothing. `--resume` sends only what the job's
outbox still holds, with the passwords stored before the interruption.
"""

from __future__ import annotations

import click

from .. import job_recovery
from ..errors import DomainError
from ..extensions import db
from ..models import KIND_LABELS, STATUS_LABELS, Job
from .group import admints_cli
from .output import emit, fail


def _line(job_id: int, kind: str, status: str, result: dict | None, error: str | None) -> str:
    what = KIND_LABELS.get(kind, kind)
    head = f"Tâche n° {job_id} ({what}) : {STATUS_LABELS.get(status, status)}"
    detail = (result or {}).get("message") or error
    return f"{head}. {detail}" if detail else f"{head}."


def _recap_lines(result: dict | None) -> list[str]:
    out = []
    for key, label in (("uncertain", "issue inconnue"), ("pending", "non envoyé"),
                       ("failed", "échec")):
        for item in (result or {}).get(key) or []:
            out.append(f"  {item.get('identifiant') or item.get('compte_id')} ({label}) : "
                       f"{item.get('reason')}")
    return out


@admints_cli.command("jobs")
@click.option("--recover", is_flag=True,
              help="Passe les tâches dont l'exécutant a disparu à l'état « interrompue ».")
@click.option("--resume", "resume_id", type=click.IntRange(1, 2**31 - 1),
              help="Reprend une tâche interrompue (n'envoie que le reste).")
@click.option("--json", "as_json", is_flag=True)
def jobs_command(recover, resume_id, as_json):
    """Tâches de fond : état, reprise après un arrêt du serveur."""
    from ..job_recovery import recover as recover_jobs

    if recover:
        done = recover_jobs()
        lines = [f"{len(done)} tâche(s) passée(s) à l'état « interrompue »."]
        for item in done:
            lines.append(_line(item["id"], item["kind"], item["status"], item["result"],
                               item["error"]))
            lines += _recap_lines(item["result"])
        payload = [{**item, "statut": STATUS_LABELS["interrupted"]} for item in done]
        emit({"recovered": payload}, as_json, "\n".join(lines))
        return
    if resume_id is not None:
        try:
            job = job_recovery.resume(resume_id, inline=True)
        except DomainError as error:
            db.session.rollback()
            fail(error, as_json)
        text = "\n".join([_line(job.id, job.kind, job.status, job.result, job.error),
                          *_recap_lines(job.result)])
        emit({"id": job.id, "kind": job.kind, "status": job.status,
              "statut": job.status_label, "result": job.result, "error": job.error},
             as_json, text)
        if job.status != "done":
            raise SystemExit(1)
        return
    rows = db.session.scalars(db.select(Job).where(
        Job.status.in_(("pending", "running", "interrupted"))).order_by(Job.id)).all()
    emit({"jobs": [{"id": j.id, "kind": j.kind, "status": j.status, "statut": j.status_label,
                    "etablissement_id": j.etablissement_id, "done": j.done, "total": j.total}
                   for j in rows]}, as_json,
         "\n".join([_line(j.id, j.kind, j.status, j.result, j.error) for j in rows])
         or "Aucune tâche en cours ni interrompue.")
