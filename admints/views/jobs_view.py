"""« Tâches »: the progress page of a notification job (R-ACC-6), hidden from the menu.

The page polls `etat.json` every second (static `jobs.js`), then shows the PDF link and the
recap (notified, failed with reasons). A job whose runner is gone is shown « interrompue »
(recovered when its page is read) with what was and was not sent, and can be resumed. A job is only ever read through the current
establishment (R-SEC-1): another school's job id gives 404, and the PDF served is the file the
job row names, under the output directory, never a path from the request. Inside the
establishment a job belongs to the menu of its kind (R-SEC-5, `permissions.can_open_job`): a
délégué with only the élèves menu gets 403 on a guardians' job, on every URL (page, state, PDF,
deletion), and the helpdesk only reaches the letter of its own individual help. The PDF holds
temporary passwords: sent `Cache-Control: no-store`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, send_file
from flask_admin import expose
from flask_login import current_user

from .. import clock, permissions
from ..cache_control import no_store
from ..errors import DomainError
from ..extensions import db
from ..models import Job, Role
from .base import TenantBaseView

NOTIFY_KINDS = ("notification_eleve", "notification_responsable")


def start_notification(etablissement_id: int, kind: str, compte_ids: list[int], *, mode: str,
                       reset_used: bool = False, reset_all: bool = False) -> Job:
    """One job for the whole selection (R-ACC-6); its PDF goes under OUTPUT_DIR/jobs/<etab>/.
    The outbox is stored within the request (a notification of the same accounts already
    under way is refused here, in French: DomainError); a selection of at most JOB_THRESHOLD
    accounts is then delivered inline (the job page shows the recap at once), a bigger one in
    the background (issue 3)."""
    from .. import actions, notification

    out_dir = Path(current_app.config["OUTPUT_DIR"]) / "jobs" / str(etablissement_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / f"notification_{kind}_{uuid.uuid4().hex}.pdf"
    inline = len(compte_ids) <= current_app.config.get("JOB_THRESHOLD", 300)
    return notification.start(etablissement_id, kind, list(compte_ids), mode=mode,
                              reset_used=reset_used, reset_all=reset_all,
                              today=clock.today(), out_path=out_path,
                              by=getattr(current_user, "login", None), inline=inline,
                              fn=actions.notify_job)


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
                                 Job.kind.in_(NOTIFY_KINDS)))
        if job is None:
            abort(404)
        if not permissions.can_open_job(current_user, job):
            abort(403)
        return job

    @expose("/")
    def index(self):
        user = current_user._get_current_object()
        query = db.select(Job).where(Job.etablissement_id == self.etablissement_id(),
                                     Job.kind.in_(permissions.job_kinds(user)))
        if user.role == Role.ASSISTANCE:
            query = query.where(Job.created_by == user.login, Job.total == 1)
        jobs = [job for job in db.session.scalars(query.order_by(Job.id.desc()).limit(200))
                if permissions.can_open_job(user, job)][:50]
        return self.render("admints/comptes/taches.html", jobs=jobs)

    def _recovered(self, job_id: int) -> Job:
        """The job, turned into « interrompue » first if its runner is gone (R-ACC-6)."""
        from ..job_recovery import recover

        job = self._job(job_id)
        if job.status in ("pending", "running") and recover(job_id=job.id):
            db.session.expire_all()
            job = self._job(job_id)
        return job

    @expose("/<int:job_id>/")
    def job_view(self, job_id: int):
        job = self._recovered(job_id)
        recap = job.result or {}
        return self.render("admints/comptes/tache.html", job=job, recap=recap,
                           has_pdf=self._pdf_path(job) is not None,
                           back_url=self._back_url(job))

    @expose("/<int:job_id>/etat.json")
    def job_state(self, job_id: int):
        job = self._recovered(job_id)
        return jsonify(status=job.status, done=job.done, total=job.total, percent=job.percent,
                       error=job.error if job.status in ("failed", "interrupted") else None)

    @expose("/<int:job_id>/reprendre/", methods=("POST",))
    def job_resume(self, job_id: int):
        """Resume an interrupted notification: only what was not sent leaves, with the
        passwords stored before the interruption."""
        from .. import jobs

        job = self._recovered(job_id)
        try:
            jobs.resume(job.id, self.etablissement_id(),
                        inline=job.total <= current_app.config.get("JOB_THRESHOLD", 300))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        return redirect(self.get_url(".job_view", job_id=job.id))

    @expose("/<int:job_id>/pdf")
    @no_store  # the letters carry temporary passwords
    def job_pdf(self, job_id: int):
        job = self._job(job_id)
        path = self._pdf_path(job)
        if path is None or job.status != "done":
            abort(404)
        response = send_file(path, mimetype="application/pdf", as_attachment=True,
                             download_name=f"notification_{job.id}.pdf", etag=False,
                             last_modified=None, conditional=False)
        return response

    @expose("/<int:job_id>/supprimer/", methods=("POST",))
    def job_pdf_delete(self, job_id: int):
        """The guide asks to delete the letters' PDF after use (it holds passwords)."""
        from .. import audit

        job = self._job(job_id)
        path = self._pdf_path(job)
        if path is not None:
            path.unlink()
            audit.record("notification.pdf_supprime", etablissement_id=job.etablissement_id,
                         target=f"Tâche {job.id}")
            db.session.commit()
            flash("Le document PDF a été supprimé.", "success")
        return redirect(self.get_url(".job_view", job_id=job.id))

    def _pdf_path(self, job: Job) -> Path | None:
        if not job.file_path:
            return None
        root = (Path(current_app.config["OUTPUT_DIR"]) / "jobs" / str(job.etablissement_id)).resolve()
        path = Path(job.file_path).resolve()
        if root not in path.parents or not path.is_file():
            return None
        return path

    def _back_url(self, job: Job) -> str:
        kind = (job.params or {}).get("kind")
        from flask import url_for

        return url_for("eleves.index_view" if kind == "eleve" else "responsables.index_view")


def register(admin) -> None:
    admin.add_view(TachesView(name="Tâches", endpoint="taches", url="/taches/"))
