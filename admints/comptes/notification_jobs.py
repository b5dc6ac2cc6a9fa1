"""A notification as a job (R-ACC-6): starting it — the one operation behind the mass action,
« Gérer le compte » and the `notify` command — « Créer un nouveau compte » with its letter or
email in the same step (`new_account`, guide §1.5.2), and the rules of its letters' PDF (where it
may be, its deletion, audited).

Views parse the request and call these with the user, the date and the output directory; the
CLI calls `start_notification` inline with its own file and progress bar.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import audit, jobs
from ..errors import DomainError
from ..models import Compte, Job, ResponsableEleve
from . import lifecycle, notification


def jobs_dir(output_dir: str | Path, etablissement_id: int) -> Path:
    """Where the establishment's notification PDFs are written: OUTPUT_DIR/jobs/<etab>/."""
    return Path(output_dir) / "jobs" / str(etablissement_id)


def start_notification(etablissement_id: int, kind: str, compte_ids: Sequence[int], *,
                       mode: str, reset_used: bool = False, reset_all: bool = False,
                       today: dt.date, by: str | None, out_dir: str | Path | None = None,
                       out_path: str | Path | None = None, inline: bool | None = None,
                       on_progress: Callable[[int, int], None] | None = None) -> Job:
    """One job for the whole selection (R-ACC-6). The outbox is stored first (a notification
    of the same accounts already under way is refused in French: DomainError, nothing
    stored); then a selection of at most JOB_THRESHOLD accounts (`inline=None`) is delivered
    at once, a bigger one in the background (issue 3). The PDF goes to `out_path`, or to a new
    file under `out_dir`. `on_progress(done, total)` follows an inline delivery."""
    if out_path is None:
        if out_dir is None:
            raise ValueError("out_dir or out_path is required")
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        out_path = Path(out_dir) / f"notification_{kind}_{uuid.uuid4().hex}.pdf"
    if inline is None:
        inline = jobs.runs_inline(len(compte_ids))
    fn = notification.notify_job
    if on_progress is not None:
        def fn(ctx, progress):  # the recorded body stays notify_job (resume)
            def both(done: int, total: int) -> None:
                progress(done, total)
                on_progress(done, total)
            return notification.notify_job(ctx, both)
    return notification.start(etablissement_id, kind, list(compte_ids), mode=mode,
                              reset_used=reset_used, reset_all=reset_all, today=today,
                              out_path=out_path, by=by, inline=inline, fn=fn)


@dataclass(frozen=True)
class NewAccount:
    """The outcome of « Créer un nouveau compte »: the new account, the job that produced its
    letter or email (None when not asked), and what remains to do (None: it is *Notifié*)."""

    compte: Compte
    job: Job | None
    remaining: str | None


def new_account(etablissement_id: int, compte: Compte, *, lien: ResponsableEleve | None = None,
                mode: str | None, today: dt.date, by: str | None, out_dir: str | Path
                ) -> NewAccount:
    """R-ACC-8 and guide §1.5.2 (« Le nouveau compte apparaîtra alors à l'état Notifié »): the
    new account (`lifecycle.create_new_account`) and, when `mode` is given, its letter or email
    in the same step — one notification job, inline — so it is *Notifié*; without `mode`, or
    when its notification failed, `remaining` says in French what is left to do. A mode the
    account kind does not offer is refused before anything changes. The creation is committed
    with the notification's outbox (`notification.claim` commits); the caller commits too."""
    if compte.etablissement_id != etablissement_id:
        raise DomainError("Compte inconnu.")
    if mode is not None and mode not in notification.modes_for(compte.kind):
        raise DomainError("Mode de transmission invalide.")
    new = lifecycle.create_new_account(compte, lien=lien, today=today)
    if mode is None:
        return NewAccount(new, None, (
            f"Le nouveau compte {new.identifiant} est « Non notifié » : il reste à le notifier "
            "(« Renotifier ») pour que la famille reçoive son identifiant et son mot de passe "
            "provisoire."))
    job = start_notification(etablissement_id, compte.kind, [new.id], mode=mode, today=today,
                             by=by, out_dir=out_dir, inline=True)
    result = job.result or {}
    if job.status == "done" and result.get("notified") == 1:
        return NewAccount(new, job, None)
    failed = result.get("failed") or []
    reason = failed[0]["reason"] if failed else (job.error or "")
    return NewAccount(new, job, (
        f"Le nouveau compte {new.identifiant} n'a pas pu être notifié"
        f"{f' ({reason})' if reason else ''} : il reste « Non notifié », notifiez-le "
        "(« Renotifier ») par un autre mode."))


def job_pdf(job: Job, output_dir: str | Path) -> Path | None:
    """The job's PDF if it exists under the establishment's jobs directory — never a path
    from anywhere else, whatever the row says."""
    if not job.file_path or job.etablissement_id is None:
        return None
    root = jobs_dir(output_dir, job.etablissement_id).resolve()
    path = Path(job.file_path).resolve()
    if root not in path.parents or path.suffix != ".pdf" or not path.is_file():
        return None  # a PDF only: an export job's CSV is served by comptes.export_jobs
    return path


def delete_pdf(job: Job, output_dir: str | Path, *, by: str | None) -> bool:
    """The guide asks to delete the letters' PDF after use (it holds passwords): removed and
    audited `notification.pdf_supprime`. False when there was none. Flushes, never commits."""
    path = job_pdf(job, output_dir)
    if path is None:
        return False
    path.unlink()
    audit.record("notification.pdf_supprime", etablissement_id=job.etablissement_id,
                 login=by, target=f"Tâche {job.id}")
    return True
