"""Mass actions of the account lists (R-ACC-3/4/5/6/7), thin over the operations of
`admints.comptes` (notification_jobs, bulk, writing, exports).

Every action first resolves its selection on the server (`ComptesListView.selection`). The
actions that change accounts or send mail only render a confirmation page on the first POST;
the confirmation page posts the same selection back with `confirme=1` and the chosen options,
and only that second POST acts. The domain functions write the audit entries. « Notifier » and
« Écrire » start a job (in the background above JOB_THRESHOLD) and show its page; a small
« Écrire » shows its recap at once. « Exporter (CSV) » streams the file in the answer, or, above
EXPORT_JOB_MIN_ROWS accounts, starts an export job (`comptes.export_jobs`) and shows its page.
"""

from __future__ import annotations

from flask import Response, flash, redirect, request, stream_with_context, url_for
from flask_admin.actions import action
from flask_login import current_user

from .. import clock, confirmations
from ..comptes import (
    activation,
    bulk,
    export_jobs,
    exports,
    notification,
    notification_jobs,
    writing,
)
from ..errors import DomainError
from ..extensions import db
from .comptes import Selection
from .confirmation import confirmed


class MassActionsMixin:
    """The actions both list views offer (`action_reinitialiser`, `action_exporter`) and the
    `run_<action>(ids)` implementations behind the ones they label themselves."""

    kind: str

    def modes(self) -> dict[str, str]:
        return notification.modes_for(self.kind)

    def _empty(self, sel: Selection):
        if sel.count:
            return None
        flash("Aucun compte sélectionné.", "warning")
        return redirect(self.return_url())

    def _confirm(self, sel: Selection, action: str, title: str, **extra):
        return self.render(
            "admints/comptes/confirmer.html", sel=sel, action=action, title=title,
            state=self.selection_form_state(sel), mode_effects=confirmations.MODE_EFFECTS,
            reset_warning=confirmations.ELEVE_RESET_WARNING,
            pdf_advice=confirmations.PDF_ADVICE, mass_reset_effect=confirmations.mass_reset,
            write_effect=confirmations.WRITE_EFFECT, **extra)

    def _confirmed(self) -> bool:
        return confirmed()

    def _not_activated(self):
        """R-SRV-1: refuse before the confirmation page too (the operation refuses again)."""
        reason = activation.blocked_reason(self.etablissement_id())
        if reason is None:
            return None
        flash(reason, "error")
        return redirect(self.return_url())

    # -- Notifier ----------------------------------------------------------------------
    def run_notifier(self, ids):
        sel = self.selection(ids)
        if (resp := self._empty(sel) or self._not_activated()) is not None:
            return resp
        modes = self.modes()
        mode = request.form.get("mode", "")
        reset_used = request.form.get("reset_used") == "1" and self.kind == "eleve"
        if not self._confirmed() or mode not in modes:
            if self._confirmed():
                flash("Choisissez un mode de transmission.", "error")
            return self._confirm(sel, "notifier", "Notifier les comptes", modes=modes,
                                 mode=mode if mode in modes else next(iter(modes)),
                                 reset_used=reset_used)
        try:
            job = notification_jobs.start_notification(
                self.etablissement_id(), self.kind, sel.compte_ids, mode=mode,
                reset_used=reset_used, today=clock.today(),
                by=getattr(current_user, "login", None), out_dir=self.jobs_dir())
        except DomainError as exc:  # e.g. « une notification de ces comptes est déjà en cours »
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(self.return_url())
        return redirect(url_for("taches.job_view", job_id=job.id))

    # -- Réinitialiser les mots de passe --------------------------------------------------
    @action("reinitialiser", "Réinitialiser les mots de passe")
    def action_reinitialiser(self, ids):
        sel = self.selection(ids)
        if (resp := self._empty(sel) or self._not_activated()) is not None:
            return resp
        if not self._confirmed():
            return self._confirm(sel, "reinitialiser", "Réinitialiser les mots de passe")
        try:
            count = bulk.reset_passwords(
                self.etablissement_id(), self.kind, sel.compte_ids, today=clock.today(),
                by=getattr(current_user, "login", None))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(self.get_url(".index_view"))
        flash(f"{count} mot(s) de passe réinitialisé(s). Notifiez les comptes pour transmettre "
              "les nouveaux mots de passe provisoires.", "success")
        return redirect(self.return_url())

    # -- Exporter --------------------------------------------------------------------------
    @action("exporter", "Exporter (CSV)")
    def action_exporter(self, ids):
        sel = self.selection(ids)
        if (resp := self._empty(sel)) is not None:
            return resp
        if export_jobs.runs_as_job(len(sel.compte_ids)):  # the file is written by a job
            try:
                job = export_jobs.start_export(
                    self.etablissement_id(), self.kind, sel.compte_ids,
                    by=getattr(current_user, "login", None), out_dir=self.jobs_dir())
            except DomainError as exc:  # e.g. the job service is down: nothing started
                db.session.rollback()
                flash(exc.message, "error")
                return redirect(self.return_url())
            return redirect(url_for("taches.job_view", job_id=job.id))
        pieces = exports.export_accounts_csv(self.etablissement_id(), self.kind,
                                             sel.compte_ids,
                                             by=getattr(current_user, "login", None))
        db.session.commit()  # the audit entry, before the first byte leaves
        name = f"comptes_{self.kind}s_{clock.today():%Y%m%d}.csv"
        # streamed: the file of a whole school is never held whole (issue 14)
        body = stream_with_context(piece.encode("utf-8") for piece in pieces)
        return Response(body, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}"})

    # -- Écrire à plusieurs responsables (R-ACC-7) ----------------------------------------
    def run_ecrire(self, ids):
        sel = self.selection(ids)
        if (resp := self._empty(sel)) is not None:
            return resp
        sujet = (request.form.get("sujet") or "").strip()
        texte = (request.form.get("texte") or "").strip()
        error = None
        if self._confirmed():
            try:
                sujet, texte = writing.check_message(sujet, texte)
            except DomainError as exc:
                error = exc.message
        if not self._confirmed() or error:
            if error:
                flash(error, "error")
            return self._confirm(sel, "ecrire", "Écrire à plusieurs responsables",
                                 sujet=sujet, texte=texte, ecrire=True,
                                 subject_max=writing.SUBJECT_MAX)
        try:
            job = writing.start_writing(
                self.etablissement_id(), sel.compte_ids, subject=sujet, body=texte,
                today=clock.today(), by=getattr(current_user, "login", None))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(self.get_url(".index_view"))
        if job.runner == "inline" and job.status == "done":  # a small selection: recap at once
            return self.render("admints/comptes/recap_ecrire.html", recap=job.result,
                               return_url=self.return_url())
        return redirect(url_for("taches.job_view", job_id=job.id))

    def jobs_dir(self):
        from flask import current_app

        return notification_jobs.jobs_dir(current_app.config["OUTPUT_DIR"],
                                          self.etablissement_id())

    def etablissement_id(self) -> int:
        from ..tenancy import require_etablissement_id

        return require_etablissement_id()

