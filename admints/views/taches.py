"""« Tâches »: the progress page of a notification job (R-ACC-6), of a mass email to guardians
(R-ACC-7) or of a large CSV export (issue 14, R-ACC-4), hidden from the menu. Its list also
names the SIECLE imports run as jobs, to whoever may import, linked to their page under
« Données SIECLE » (`permissions.can_list_job`).

The page polls `etat.json` every second (static `admints-comptes.js`), then shows the PDF link
and the recap in place (notified, failed with reasons; for an email: sent, refused, without
address), the end said in words by `etat.json`'s `message` (`end_message`). A job whose runner
is gone is shown « interrompue » (recovered when its page is read) with what was and was not sent;
a notification can be resumed, a mass email cannot. A job is only ever read through the current
establishment (R-SEC-1): another school's job id gives 404, and the PDF served is the file the job
row names, under the output directory, never a path from the request. Inside the
establishment a job belongs to the menu of its kind (R-SEC-5, `permissions.can_open_job`): a
délégué with only the élèves menu gets 403 on a guardians' job, on every URL (page, state, PDF,
deletion), and the helpdesk only reaches the letter of its own individual help. The PDF holds
temporary passwords: sent `Cache-Control: no-store`. An export job offers its CSV (« Télécharger
le fichier CSV », no-store too: identifiers and addresses) and its deletion, with the same rules;
the file is the one `comptes.export_jobs.job_csv` finds, never a path from the request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, send_file, url_for
from flask_admin import expose
from flask_login import current_user

from .. import confirmations, job_recovery, jobs, permissions
from ..cache_control import no_store
from ..comptes import export_jobs, job_files, notification_jobs, writing
from ..errors import DomainError
from ..extensions import db
from ..formatting import format_number
from ..models import Job, Role
from ..siecle import import_job
from .base import TenantBaseView
from .confirmation import ask, confirmed


class TachesView(TenantBaseView):
    """Job progress, PDF and recap; open to whoever may open either account list."""

    area = permissions.RESPONSABLES

    def is_accessible(self) -> bool:
        return permissions.allowed(current_user, permissions.RESPONSABLES) or permissions.allowed(
            current_user, permissions.ELEVES)

    def is_visible(self) -> bool:
        return False

    def _job(self, job_id: int) -> Job:
        job = db.session.scalar(
            db.select(Job).where(Job.id == job_id, Job.etablissement_id == self.etablissement_id(),
                                 Job.kind.in_(tuple(permissions.JOB_AREAS))))
        if job is None:
            abort(404)
        if not permissions.can_open_job(current_user, job):
            abort(403)
        return job

    @expose("/")
    def index(self):
        user = current_user._get_current_object()
        query = db.select(Job).where(Job.etablissement_id == self.etablissement_id(),
                                     Job.kind.in_(permissions.listed_job_kinds(user)))
        if user.role == Role.ASSISTANCE:
            query = query.where(Job.created_by == user.login, Job.total == 1)
        jobs = [(job, self._page_url(job))
                for job in db.session.scalars(query.order_by(Job.id.desc()).limit(200))
                if permissions.can_list_job(user, job)][:50]
        return self.render("admints/comptes/taches.html", jobs=jobs)

    def _page_url(self, job: Job) -> str:
        """A job's page: here, or under « Données SIECLE » for an import."""
        if job.kind == import_job.JOB_KIND:
            return url_for("import_siecle.job_view", job_id=job.id)
        return self.get_url(".job_view", job_id=job.id)

    def _recovered(self, job_id: int) -> Job:
        """The job, turned into « interrompue » first if its runner is gone (R-ACC-6)."""
        job = self._job(job_id)
        if job.status in ("pending", "running") and job_recovery.recover(job_id=job.id):
            db.session.expire_all()
            job = self._job(job_id)
        return job

    @expose("/<int:job_id>/")
    def job_view(self, job_id: int):
        job = self._recovered(job_id)
        recap = job.result or {}
        if job.kind == writing.JOB_KIND:
            # Only the recap: the subject and text are never shown here.
            return self.render("admints/comptes/tache_ecrire.html", job=job,
                               recap=recap,
                               failure=recap.get("message") or job.error,
                               back_url=self._back_url(job))
        if export_jobs.is_export(job):
            return self.render("admints/comptes/tache_export.html", job=job, recap=recap,
                               has_csv=self._csv_path(job) is not None,
                               back_url=self._back_url(job))
        return self.render("admints/comptes/tache.html", job=job, recap=recap,
                           has_pdf=self._pdf_path(job) is not None,
                           can_resume=jobs.resumable(job.params),
                           back_url=self._back_url(job))

    @expose("/<int:job_id>/etat.json")
    def job_state(self, job_id: int):
        return state_response(self._recovered(job_id), end_message)

    @expose("/<int:job_id>/reprendre/", methods=("POST",))
    def job_resume(self, job_id: int):
        """Resume an interrupted notification: only what was not sent leaves, with the
        passwords stored before the interruption. A mass email is refused (no outbox)."""
        job = self._recovered(job_id)
        try:
            job_recovery.resume(job.id, self.etablissement_id(), inline=jobs.runs_inline(job.total))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        return redirect(self.get_url(".job_view", job_id=job.id))

    @expose("/<int:job_id>/pdf")
    @no_store  # the letters carry temporary passwords
    def job_pdf(self, job_id: int):
        job = self._job(job_id)
        return _send_job_file(job, self._pdf_path(job), "application/pdf",
                              f"notification_{job.id}.pdf")

    @expose("/<int:job_id>/supprimer/", methods=("POST",))
    def job_pdf_delete(self, job_id: int):
        """The guide asks to delete the letters' PDF after use (it holds passwords)."""
        job = self._job(job_id)
        return self._delete_job_file(job, self._pdf_path(job), confirmations.delete_job_pdf,
                                     notification_jobs.delete_pdf,
                                     "Le document PDF a été supprimé.")

    @expose("/<int:job_id>/csv")
    @no_store  # the families' identifiers and addresses
    def job_csv(self, job_id: int):
        job = self._job(job_id)
        return _send_job_file(job, self._csv_path(job), "text/csv",
                              export_jobs.download_name(job))

    @expose("/<int:job_id>/csv/supprimer/", methods=("POST",))
    def job_csv_delete(self, job_id: int):
        """The export's file off the server, after a confirmation."""
        job = self._job(job_id)
        return self._delete_job_file(job, self._csv_path(job), confirmations.delete_job_csv,
                                     export_jobs.delete_csv, "Le fichier CSV a été supprimé.")

    def _delete_job_file(self, job: Job, path: Path | None, question, delete, done: str):
        """A job's file off the server: asked first (`question`, a `confirmations` text) while
        the file is there, then deleted and audited by the domain's `delete`."""
        if path is not None and not confirmed():
            return ask(self, question(), cancel_url=self.get_url(".job_view", job_id=job.id))
        if delete(job, current_app.config["OUTPUT_DIR"], by=current_user.login):
            db.session.commit()
            flash(done, "success")
        return redirect(self.get_url(".job_view", job_id=job.id))

    def _csv_path(self, job: Job) -> Path | None:
        return export_jobs.job_csv(job, current_app.config["OUTPUT_DIR"])

    def _pdf_path(self, job: Job) -> Path | None:
        return notification_jobs.job_pdf(job, current_app.config["OUTPUT_DIR"])

    def _back_url(self, job: Job) -> str:
        area = permissions.JOB_AREAS.get(job.kind)
        return url_for("eleves.index_view" if area == permissions.ELEVES
                       else "responsables.index_view")


def _send_job_file(job: Job, path: Path | None, mimetype: str, name: str):
    """The file a finished job left (404 before the end or once deleted), never cached nor
    revalidated: the letters hold passwords, the exports the families' details. Each download
    is audited (`job_files.record_download`)."""
    if path is None or job.status != "done":
        abort(404)
    job_files.record_download(job, path, by=current_user.login)
    db.session.commit()
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name,
                     etag=False, last_modified=None, conditional=False)


def state_response(job: Job, says: Callable[[Job], str | None]):
    """A job page's `etat.json`, which its progress bar polls (`admints-comptes.js`): state,
    progress, the error of a failed or interrupted job, and its end in words (`says`)."""
    return jsonify(status=job.status, done=job.done, total=job.total, percent=job.percent,
                   error=job.error if job.status in ("failed", "interrupted") else None,
                   message=says(job))


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count <= 1 else many}"


def end_message(job: Job) -> str | None:
    """What the job page announces when the job ends (issue 13 point 4): « Terminé : 120
    courriers générés », from the recap the job recorded. None while it runs."""
    recap = job.result or {}
    if job.status == "failed":
        return "La tâche a échoué : voir le détail ci-dessous."
    if job.status == "interrupted":
        return "La tâche a été interrompue : voir le détail ci-dessous."
    if job.status != "done":
        return None
    if job.kind == writing.JOB_KIND:
        return f"Terminé : {_n(recap.get('sent', 0), 'courriel envoyé', 'courriels envoyés')}."
    if export_jobs.is_export(job):
        rows = recap.get("rows", 0)
        return (f"Terminé : {format_number(rows)} "
                f"{'ligne exportée' if rows <= 1 else 'lignes exportées'}.")
    by_mode = recap.get("by_mode") or {}
    parts = []
    if by_mode.get("courrier") or not by_mode.get("courriel"):
        parts.append(_n(by_mode.get("courrier", 0), "courrier généré", "courriers générés"))
    if by_mode.get("courriel"):
        parts.append(_n(by_mode["courriel"], "courriel envoyé", "courriels envoyés"))
    failed = len(recap.get("failed") or [])
    if failed:
        parts.append(_n(failed, "compte non notifié", "comptes non notifiés"))
    return "Terminé : " + ", ".join(parts) + "."


def register(admin) -> None:
    admin.add_view(TachesView(name="Tâches", endpoint="taches", url="/taches/"))
