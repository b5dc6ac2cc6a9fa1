"""« Gérer le compte » (R-ACC-8, guide §4.2 and §5.2): one account, reached from its list row.

Open to the helpdesk too (individual help is not a mass action), except « Créer un nouveau compte »,
which the guide gives to the establishment (`permissions.can_create_new_account`). The row is always
read through the list view's establishment-scoped query (`get_one`), so another school's id gives
404. Single notification runs as a (small, so inline: see JOB_THRESHOLD) job like the mass one, so
its PDF, recap and scoping are the same; « Nouveau compte » asks for a server-side confirmation
first, and so does « Renotifier et réinitialiser le mot de passe » of an *Utilisé* account
(its chosen password is lost). « Simuler l'accès de la famille » (R-POR-4) opens, in the same
browser, a read-only portal session bound to the staff member (admints.portail.simulation); the
staff session is untouched.

A refused « Écrire un courriel » or « Renvoyer le courriel d'activation » still redirects to the
page (POST-redirect-GET), which then shows the message under its field (`aria-invalid`,
`aria-describedby`) with an error summary, and keeps what was typed (issue 13 point 3): the
error rides in the session for that one page view (`_field_error`).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_admin import expose
from flask_login import current_user

from .. import clock, confirmations, permissions, sessions
from ..comptes import activation, notification, notification_jobs, writing
from ..comptes.lifecycle import MODE_LABELS, expires_on
from ..comptes.recipients import account_children, pick_email
from ..email_syntax import email_status
from ..error_pages import refuse
from ..errors import DomainError
from ..extensions import db
from ..models import EtatCompte
from ..portail import identity, simulation
from .confirmation import ask, confirmed

OPS = ("renotifier", "renotifier_reinit", "activation", "ecrire", "nouveau", "simuler")
# The forms whose refusal is shown under their field, and what of them is kept (typed text).
FIELD_FORMS = {"activation": ("email",), "ecrire": ("sujet", "texte")}
_ERROR_KEY = "admints_gerer_erreur"
_KEPT_MAX = 2000  # characters of typed text kept in the session cookie


def _field_error(op: str, id: int, message: str) -> dict:
    """The refused field of form `op` (the first empty one, else the address / the form)."""
    values = {name: (request.form.get(name) or "")[:_KEPT_MAX] for name in FIELD_FORMS[op]}
    field = next((name for name in FIELD_FORMS[op] if not values[name].strip()), None)
    if field is None:
        field = "email" if op == "activation" else None
    return {"row": id, "form": op, "field": field, "message": message, "values": values}


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
        # R-SRV-1: before activation, nothing that hands out a password is offered.
        blocked = activation.blocked_reason(self.etablissement_id())
        user, etab_id = current_user._get_current_object(), self.etablissement_id()
        erreur = session.pop(_ERROR_KEY, None)
        if not isinstance(erreur, dict) or erreur.get("row") != id:
            erreur = None
        return self.render(
            "admints/comptes/gerer.html", row=row, compte=compte, eleve=eleve,
            responsable=responsable, niveau=getattr(row, "niveau", None),
            modes=self._modes(row, compte),
            mode_label=MODE_LABELS.get(compte.mode_notification or ""),
            subject_max=writing.SUBJECT_MAX, siecle_email_status=email_status(
                responsable.email if responsable else None),
            return_url=self.return_url(),
            can_create_new=not blocked and permissions.can_create_new_account(current_user,
                                                                              self.area),
            can_renotify=not blocked, activation_requise=blocked,
            expire_le=expires_on(compte.etat, compte.date_notification),
            # A guardian account shared by siblings: every child it is for (one letter).
            enfants=account_children(self.etablissement_id(), compte.id) if responsable
            else [],
            can_simulate=simulation.may_simulate(user, compte, etab_id),
            simulation_unavailable=simulation.unavailable(user, compte, etab_id),
            EtatCompte=EtatCompte, erreur=erreur)

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
            if op == "simuler":
                return self._simuler(compte, back)
            if op == "nouveau":
                return self._nouveau(row, compte, today, back)
        except simulation.UnknownAccount:
            db.session.rollback()
            abort(404)
        except simulation.SimulationForbidden as exc:
            db.session.rollback()
            refuse(403, exc.message)
        except DomainError as exc:
            db.session.rollback()
            if op in FIELD_FORMS:
                session[_ERROR_KEY] = _field_error(op, id, exc.message)
            else:
                flash(exc.message, "error")
            return redirect(back)
        abort(404)

    def _modes(self, row, compte) -> dict[str, str]:
        responsable = getattr(row, "responsable", None)
        return notification.available_modes(self.kind, pick_email(
            responsable.email, compte.email, compte.email_valide) if responsable else None)

    def _nouveau(self, row, compte, today, back):
        """R-ACC-8 / guide §1.5.2: confirmation with the choice of notifying the new account in
        the same step (its letter or email: *Notifié*) or later (it says what remains)."""
        modes = self._modes(row, compte)
        activation.require_activated(self.etablissement_id())  # R-SRV-1, before confirming
        if not confirmed():
            return self.render("admints/comptes/confirmer_nouveau.html", row=row,
                               compte=compte, eleve=self.row_eleve(row), modes=modes,
                               action_url=self.get_url(".gerer_post", id=row.id, op="nouveau"),
                               back=back)
        mode = request.form.get("notification") or None  # absent or empty: notify later
        if mode is not None and mode not in modes:
            raise DomainError("Mode de transmission invalide.")
        done = notification_jobs.new_account(
            self.etablissement_id(), compte, lien=row if self.kind == "responsable" else None,
            mode=mode, today=today, by=getattr(current_user, "login", None),
            out_dir=self.jobs_dir())
        db.session.commit()
        if done.remaining:
            flash(f"Nouveau compte créé, l'ancien compte est fermé. {done.remaining}", "warning")
        else:
            flash(f"Nouveau compte créé et notifié : {done.compte.identifiant} (état « Notifié »"
                  "). L'ancien compte est fermé.", "success")
        if done.job is not None:
            return redirect(url_for("taches.job_view", job_id=done.job.id))
        return redirect(back)

    def _simuler(self, compte, back):
        """R-POR-4: audited, committed, then the portal's cookie set on the redirect to it."""
        binding = simulation.start(self.etablissement_id(), compte.id,
                                   user=current_user._get_current_object(), retour=back)
        db.session.commit()
        response = redirect(url_for("scolarite.accueil"))
        sessions.open_portal_session(current_app, identity.simulation_session(compte, binding),
                                     response)
        return response

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
