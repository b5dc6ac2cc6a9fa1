"""« Gérer le compte » (R-ACC-8, guide §4.2 and §5.2): one account, reached from its list row.

Open to the helpdesk too (individual help is not a mass action), except « Créer un nouveau compte »,
which the guide gives to the establishment (`permissions.can_create_new_account`). The row is always
read through the list view's establishment-scoped query (`get_one`), so another school's id gives
404. Single notification runs as a (small, so inline: see JOB_THRESHOLD) job like the mass one, so
its PDF, recap and scoping are the same; « Nouveau compte » asks for a server-side confirmation
first, and so does « Renotifier et réinitialiser le mot de passe » of an *Utilisé* account
(its chosen password is lost).
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from .. import clock, confirmations, permissions
from ..comptes import notification, notification_jobs, writing
from ..comptes.lifecycle import MODE_LABELS
from ..comptes.recipients import pick_email
from ..email_syntax import email_status
from ..errors import DomainError
from ..extensions import db
from ..models import EtatCompte
from .confirmation import ask, confirmed

OPS = ("renotifier", "renotifier_reinit", "activation", "ecrire", "nouveau")


class GererMixin:
    """Endpoints `gerer_view` (GET) and `gerer_post` (POST) of a list view."""

    kind: str

    def _row_or_404(self, id: int):
        row = self.get_one(id)
        if row is None or self.row_compte(row) is None:
            abort(404)
        return row

    @expose("/compte/<int:id>/")
    def gerer_view(self, id: int):
        row = self._row_or_404(id)
        compte = self.row_compte(row)
        eleve = self.row_eleve(row)
        responsable = getattr(row, "responsable", None)
        return self.render(
            "admints/comptes/gerer.html", row=row, compte=compte, eleve=eleve,
            responsable=responsable, niveau=getattr(row, "niveau", None),
            modes=notification.available_modes(self.kind, pick_email(
                responsable.email, compte.email, compte.email_valide) if responsable else None),
            mode_label=MODE_LABELS.get(compte.mode_notification or ""),
            subject_max=writing.SUBJECT_MAX, siecle_email_status=email_status(
                responsable.email if responsable else None),
            return_url=self.return_url(),
            can_create_new=permissions.can_create_new_account(current_user, self.area),
            EtatCompte=EtatCompte)

    @expose("/compte/<int:id>/<op>/", methods=("POST",))
    def gerer_post(self, id: int, op: str):
        if op not in OPS:
            abort(404)
        row = self._row_or_404(id)
        if op == "nouveau" and not permissions.can_create_new_account(current_user, self.area):
            abort(403)
        compte = self.row_compte(row)
        back = self.get_url(".gerer_view", id=id)
        today = clock.today()
        try:
            if op in ("renotifier", "renotifier_reinit"):
                mode = request.form.get("mode", "papier")
                if mode not in self.modes():
                    raise DomainError("Mode de transmission invalide.")
                if (op == "renotifier_reinit" and compte.etat == EtatCompte.UTILISE
                        and not confirmed()):
                    # The chosen password is lost: confirmed on the server first (issue 12).
                    return ask(self, confirmations.reset_used_account(
                        self.kind, compte.identifiant, mode), cancel_url=back)
                job = notification_jobs.start_notification(
                    self.etablissement_id(), self.kind, [compte.id], mode=mode,
                    reset_all=op == "renotifier_reinit", today=today,
                    by=getattr(current_user, "login", None), out_dir=self.jobs_dir())
                return redirect(url_for("taches.job_view", job_id=job.id))
            if op == "activation":
                return self._activation(row, compte, today, back)
            if op == "ecrire":
                return self._ecrire(row, compte, today, back)
            if op == "nouveau":
                if not confirmed():
                    return self.render("admints/comptes/confirmer_nouveau.html", row=row,
                                       compte=compte, eleve=self.row_eleve(row),
                                       action_url=self.get_url(".gerer_post", id=id, op="nouveau"),
                                       back=back)
                from ..comptes import lifecycle

                new = lifecycle.create_new_account(
                    compte, lien=row if self.kind == "responsable" else None, today=today)
                db.session.commit()
                flash(f"Nouveau compte créé : {new.identifiant} (à notifier). "
                      "L'ancien compte est fermé.", "success")
                return redirect(back)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(back)
        abort(404)

    def _activation(self, row, compte, today, back):
        if self.kind != "responsable":
            abort(404)

        email = (request.form.get("email") or "").strip() or (compte.email or "")
        writing.resend_activation(self.etablissement_id(), compte.id, email, today=today)
        db.session.commit()
        flash(f"Courriel d'activation envoyé à {compte.email}.", "success")
        return redirect(back)

    def _ecrire(self, row, compte, today, back):
        recap = writing.write_to_account(
            self.etablissement_id(), self.kind, compte.id, subject=request.form.get("sujet"),
            body=request.form.get("texte"), today=today, by=getattr(current_user, "login", None))
        db.session.commit()
        if recap["sent"]:
            flash("Courriel envoyé.", "success")
        else:
            failed = recap["failed"]
            reason = failed[0]["reason"] if failed else ""
            flash(f"Le courriel n'a pas été envoyé. {reason}".strip(), "error")
        return redirect(back)
