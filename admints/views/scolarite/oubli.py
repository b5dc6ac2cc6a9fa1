"""Self-help (R-POR-3): /oubli/ (field `courriel`, choice `demande`) and the new password chosen
after logging in with a self-help temporary password.

The answer to /oubli/ is one and the same page whatever the address (known, unknown, not
validated; email sent or refused): a redirect to /oubli/ with the same message. It is also sent
in the same time: the lookup and the email (an SMTP exchange only for a known address) run once
the answer has left (`call_on_close`), so the response time does not tell whether the address
is known. Limited per IP address and per address typed.
"""

from __future__ import annotations

from flask import copy_current_request_context, current_app, flash, redirect, request, url_for

from ...errors import DomainError
from ...extensions import db, limiter
from ...portail import identity, selfhelp
from .blueprint import bp, limit, render, today
from .forms import PASSWORD_RULE, ForgottenForm, NewPasswordForm

ANSWER = ("Si cette adresse est celle, validée, d'un compte Scolarité services, un courriel "
          "vient d'y être envoyé. Consultez votre messagerie (et le dossier des indésirables).")
_TOO_MANY = "Trop de demandes. Réessayez plus tard."


def _address_key() -> str:
    return "portail-oubli:" + (request.form.get("courriel") or "").strip().lower()[:254]


@bp.route("/oubli/", methods=["GET", "POST"])
@limiter.limit(lambda: limit("PORTAIL_OUBLI_RATE_LIMIT"), methods=["POST"],
               error_message=_TOO_MANY)
@limiter.limit(lambda: limit("PORTAIL_OUBLI_ADDRESS_RATE_LIMIT"), methods=["POST"],
               key_func=_address_key, error_message=_TOO_MANY)
def oubli():
    form = ForgottenForm()
    if form.validate_on_submit():
        try:
            address = selfhelp.check_request(form.courriel.data, form.demande.data)
        except DomainError as exc:
            field = form.demande if exc.message == selfhelp.CHOOSE else form.courriel
            field.errors.append(exc.message)
        else:
            flash(ANSWER, "info")
            response = redirect(url_for("scolarite.oubli"))
            response.call_on_close(_after_answer(address, form.demande.data))
            return response
    return render("oubli.html", form=form, demandes=selfhelp.DEMANDES)


def _after_answer(address: str, demande: str):
    """The self-help work, run in a copy of this request's context once the answer is sent."""
    day = today()

    @copy_current_request_context
    def work() -> None:
        try:
            selfhelp.request_help(address, demande, today=day)
        except Exception:  # the family already has its answer: log, never raise after it
            db.session.rollback()
            current_app.logger.exception("Aide à la connexion : la demande n'a pas abouti.")

    return work


@bp.route("/nouveau-mot-de-passe", methods=["GET", "POST"])
@limiter.limit(lambda: limit("PORTAIL_LOGIN_RATE_LIMIT"), methods=["POST"],
               deduct_when=lambda response: response.status_code != 302,
               error_message="Trop de tentatives. Réessayez dans une minute.")
def nouveau_mot_de_passe():
    compte = identity.step_account(identity.NOUVEAU_MDP)
    if compte is None:
        flash("Connectez-vous avec votre identifiant et le mot de passe provisoire reçu par "
              "courriel.", "warning")
        return redirect(url_for("scolarite.connexion"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            selfhelp.complete_reset(compte, new_password=form.nouveau_mot_de_passe.data,
                                    confirmation=form.confirmation.data, today=today())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            identity.sign_in(identity.viewer_for(compte))
            db.session.commit()
            flash("Votre nouveau mot de passe est enregistré.", "success")
            return redirect(url_for("scolarite.accueil"))
    return render("nouveau_mot_de_passe.html", form=form, rule=PASSWORD_RULE,
                  etablissement_id=compte.etablissement_id)
