"""« Tâches »: the progress page of a notification job (R-ACC-6), hidden from the menu.

The page polls `etat.json` every second (static `jobs.js`), then shows the PDF link and the
recap (notified, failed with reasons). A job is only ever read through the current
establishment (R-SEC-1): another school's job id gives 404, and the PDF served is the file the
job row names, under the output directory, never a path from the request.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, send_file
from flask_admin import expose
from flask_login import current_user

from .. import clock, permissions
from ..extensions import db
from ..models import Job
from .base import TenantBaseView

NOTIFY_KINDS = ("notification_eleve", "notification_responsable")


def start_notification(etablissement_id: int, kind: str, compte_ids: list[int], *, mode: str,
                       reset_used: bool = False, reset_all: bool = False) -> Job:
    """One job for the whole selection (R-ACC-6); its PDF goes under OUTPUT_DIR/jobs/<etab>/.
    A selection of at most JOB_THRESHOLD accounts runs inline, within the request (the job
    page then shows the recap at once); a bigger one runs in the background (issue 3)."""
    from .. import actions, jobs

    out_dir = Path(current_app.config["OUTPUT_DIR"]) / "jobs" / str(etablissement_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / f"notification_{kind}_{uuid.uuid4().hex}.pdf"
    params = {"kind": kind, "compte_ids": list(compte_ids), "mode": mode,
              "reset_used": bool(reset_used), "reset_all": bool(reset_all),
              "today": clock.today().isoformat(), "out_path": str(out_path)}
    inline = len(compte_ids) <= current_app.config.get("JOB_THRESHOLD", 300)
    return jobs.start_job(f"notification_{kind}", etablissement_id, params, actions.notify_job,
                          getattr(current_user, "login", None), total=len(compte_ids),
                          inline=inline)


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
        return job

    @expose("/")
    def index(self):
        jobs = db.session.scalars(
            db.select(Job).where(Job.etablissement_id == self.etablissement_id(),
                                 Job.kind.in_(NOTIFY_KINDS))
            .order_by(Job.id.desc()).limit(50)).all()
        return self.render("admints/comptes/taches.html", jobs=jobs)

    @expose("/<int:job_id>/")
    def job_view(self, job_id: int):
        job = self._job(job_id)
        recap = job.result or {}
        return self.render("admints/comptes/tache.html", job=job, recap=recap,
                           has_pdf=self._pdf_path(job) is not None,
                           back_url=self._back_url(job))

    @expose("/<int:job_id>/etat.json")
    def job_state(self, job_id: int):
        job = self._job(job_id)
        return jsonify(status=job.status, done=job.done, total=job.total, percent=job.percent,
                       error=job.error if job.status == "failed" else None)

    @expose("/<int:job_id>/pdf")
    def job_pdf(self, job_id: int):
        job = self._job(job_id)
        path = self._pdf_path(job)
        if path is None or job.status != "done":
            abort(404)
        return send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=f"notification_{job.id}.pdf")

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
