"""First connection, the address waiting to be validated, and the activation link (R-POR-1).

/premiere-connexion needs the step PREMIERE (the login form proved the temporary password);
/attente the step ATTENTE (first connection done, or a login with the chosen password of an
account *En cours d'activation*); /activation/<token> is the link of the email: an expired one
offers a new link (sent to the account's own address), a tampered or used one says so.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from ...comptes import portal
from ...errors import DomainError
from ...extensions import db, limiter
from ...models import EtatCompte, KindCompte
from ...portail import first_login, identity, lockout, signin
from .blueprint import bp, limit, render, today
from .forms import PASSWORD_RULE, FirstLoginForm

_LINK_LIMIT = "Trop de demandes de lien. Réessayez dans quelques minutes."
_RESTART = ("Votre session de première connexion a expiré ou n'existe pas : connectez-vous avec "
            "l'identifiant et le mot de passe provisoire de votre courrier.")


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/premiere-connexion", methods=["GET", "POST"])
@limiter.limit(lambda: limit("PORTAIL_LOGIN_RATE_LIMIT"), methods=["POST"],
               deduct_when=_failed,
               error_message="Trop de tentatives. Réessayez dans une minute.")
def premiere_connexion():
    compte = identity.step_account(identity.PREMIERE)
    if compte is None:
        flash(_RESTART, "warning")
        return redirect(url_for("scolarite.connexion"))
    guardian = compte.kind == KindCompte.RESPONSABLE
    form = FirstLoginForm()
    if form.validate_on_submit():
        if guardian and not (form.courriel.data or "").strip():
            form.courriel.errors.append("Saisissez votre adresse de messagerie : elle est "
                                        "obligatoire pour un responsable.")
        else:
            done = _first_login(compte, form)
            if done is not None:
                return done
    until = lockout.locked_until(compte)
    return render("premiere_connexion.html", form=form, guardian=guardian,
                  etablissement_id=compte.etablissement_id, rule=PASSWORD_RULE,
                  locked=lockout.lock_message(until) if until else None)


def _first_login(compte, form: FirstLoginForm):
    """Run the first connection; a response when it succeeded, else None (errors on the form
    or flashed)."""
    compte_id = compte.id
    try:
        etat = first_login.first_login(
            compte, birth_date=form.birth_date, new_password=form.nouveau_mot_de_passe.data,
            confirmation=form.confirmation.data, email=form.courriel.data, today=today())
    except portal.WrongBirthDate as exc:
        db.session.rollback()
        compte = db.session.get(type(compte), compte_id)
        locked = lockout.wrong_birth_date(compte)
        db.session.commit()
        form.date_naissance.errors.append(exc.message)
        if locked:
            form.date_naissance.errors.append("Trop d'erreurs : la première connexion est "
                                              "bloquée pour un moment.")
        return None
    except DomainError as exc:
        db.session.rollback()
        target = form.confirmation if exc.message == first_login.MISMATCH else None
        if target is not None:
            target.errors.append(exc.message)
        else:
            flash(exc.message, "error")
        return None
    if etat == EtatCompte.UTILISE:
        identity.sign_in(identity.viewer_for(compte))
        db.session.commit()
        flash("Votre compte est activé. Bienvenue dans Scolarité services.", "success")
        return redirect(url_for("scolarite.accueil"))
    identity.begin_step(identity.ATTENTE, compte)
    db.session.commit()
    flash("Un courriel vient de vous être envoyé : ouvrez le lien qu'il contient pour activer "
          "votre compte.", "success")
    return redirect(url_for("scolarite.attente"))


@bp.route("/attente", methods=["GET", "POST"])
@limiter.limit(lambda: limit("PORTAIL_LIEN_RATE_LIMIT"), methods=["POST"],
               error_message=_LINK_LIMIT)
def attente():
    compte = identity.step_account(identity.ATTENTE)
    if compte is None:
        flash("Connectez-vous avec votre identifiant et votre mot de passe.", "warning")
        return redirect(url_for("scolarite.connexion"))
    if compte.etat == EtatCompte.UTILISE:  # validated meanwhile (another browser)
        return _open(compte)
    if request.method == "POST":
        try:
            first_login.resend_link(compte)
            db.session.commit()
            flash("Un nouveau lien d'activation vient d'être envoyé.", "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        return redirect(url_for("scolarite.attente"))
    return render("attente.html", email=compte.email, etablissement_id=compte.etablissement_id)


def _open(compte):
    """The account waiting in this browser is now *Utilisé*: in, straight to the home page."""
    signin.mark_login(compte, today())
    identity.sign_in(identity.viewer_for(compte))
    db.session.commit()
    flash("Votre adresse de messagerie est validée : votre compte est activé.", "success")
    return redirect(url_for("scolarite.accueil"))


@bp.route("/activation/<token>")
def activation(token: str):
    if len(token) > 1000:
        return render("activation.html", outcome="invalide"), 400
    try:
        compte = portal.validate_email(token, today=today())
    except portal.LinkExpired:
        db.session.rollback()
        return render("activation.html", outcome="expire", token=token), 410
    except portal.LinkUsed:
        db.session.rollback()
        return render("activation.html", outcome="utilise")
    except DomainError:
        db.session.rollback()
        return render("activation.html", outcome="invalide"), 400
    db.session.commit()
    waiting = identity.step_account(identity.ATTENTE)
    if waiting is not None and waiting.id == compte.id:
        return _open(compte)
    return render("activation.html", outcome="active", etablissement_id=compte.etablissement_id)


@bp.route("/activation/nouveau-lien", methods=["POST"])
@limiter.limit(lambda: limit("PORTAIL_LIEN_RATE_LIMIT"), error_message=_LINK_LIMIT)
def nouveau_lien():
    token = (request.form.get("token") or "")[:1000]
    compte = portal.link_account(token)
    if compte is None:
        flash("Ce lien ne permet pas d'en demander un nouveau : connectez-vous avec votre "
              "identifiant et votre mot de passe.", "warning")
        return redirect(url_for("scolarite.connexion"))
    try:
        first_login.resend_link(compte)
        db.session.commit()
        flash("Un nouveau lien d'activation a été envoyé à votre adresse de messagerie.",
              "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("scolarite.connexion"))
