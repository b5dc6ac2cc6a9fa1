"""Login and logout of the portal (R-POR-1, R-SEC-2, R-SEC-4).

Failed logins are limited per IP address (PORTAIL_LOGIN_RATE_LIMIT) and per identifier
whatever the address (PORTAIL_ACCOUNT_RATE_LIMIT, audited « portail.blocage » when reached),
like the staff's login (admints.auth).
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from ...extensions import db, limiter
from ...portail import identity, signin
from .blueprint import bp, limit, render, today
from .forms import LoginForm

NEXT = {identity.PREMIERE: "scolarite.premiere_connexion", identity.ATTENTE: "scolarite.attente",
        identity.NOUVEAU_MDP: "scolarite.nouveau_mot_de_passe"}


def _failed(response) -> bool:
    return response.status_code != 302


def _login_key() -> str:
    return "portail-login:" + (request.form.get("login") or "").strip().lower()[:80]


def _blocked(request_limit) -> None:
    signin.record_block(request.form.get("login") or "", request_limit.limit.get_expiry(),
                        str(request_limit.limit))
    db.session.commit()


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(lambda: limit("PORTAIL_LOGIN_RATE_LIMIT"), methods=["POST"],
               deduct_when=_failed,
               error_message="Trop de tentatives de connexion. Réessayez dans une minute.")
@limiter.limit(lambda: limit("PORTAIL_ACCOUNT_RATE_LIMIT"), methods=["POST"],
               key_func=_login_key, deduct_when=_failed, on_breach=_blocked,
               error_message="Trop de tentatives de connexion pour cet identifiant. Réessayez "
                             "plus tard ou contactez l'établissement.")
def connexion():
    if identity.current_viewer() is not None:
        return redirect(url_for("scolarite.accueil"))
    form = LoginForm()
    if form.validate_on_submit():
        entry = signin.authenticate(form.login.data, form.password.data, today=today())
        if entry is None:
            db.session.commit()  # the failure's journal entry
            flash(signin.FAILED, "error")
            return render("connexion.html", form=form), 200
        if entry.step == identity.ACCUEIL:
            identity.sign_in(identity.viewer_for(entry.compte))
            db.session.commit()
            return redirect(url_for("scolarite.accueil"))
        identity.begin_step(entry.step, entry.compte)
        db.session.commit()
        return redirect(url_for(NEXT[entry.step]))
    return render("connexion.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
def deconnexion():
    identity.sign_out()
    db.session.commit()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("scolarite.connexion"))

