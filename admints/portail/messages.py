"""The emails the portal sends itself (R-POR-1, R-POR-3), French text + HTML from
`templates/emails/portail_*`; sent with `comptes.mailing.send_batch` like every other email.
The activation email is the back-office's own (`mailing.activation_message`)."""

from __future__ import annotations

from flask import current_app

from ..comptes.mailing import FastMessage


def login_url() -> str:
    """The portal's login page as families reach it (config PORTAL_URL)."""
    return current_app.config["PORTAL_URL"].rstrip("/") + "/connexion"


def _message(subject: str, to: str, template: str, **ctx) -> FastMessage:
    env = current_app.jinja_env
    return FastMessage(subject=subject, recipients=[to],
                       body=env.get_template(f"emails/{template}.txt").render(**ctx),
                       html=env.get_template(f"emails/{template}.html").render(**ctx))


def identifier_message(to: str, accounts: list[dict]) -> FastMessage:
    """« Identifiant oublié »: every account of that validated address (identifiant,
    etablissement, pour = the pupil(s) it is for)."""
    return _message("Votre identifiant Scolarité services", to, "portail_identifiant",
                    accounts=accounts, login_url=login_url())


def temporary_password_message(etab, to: str, *, identifiant: str, password: str,
                               validite: str) -> FastMessage:
    """« Mot de passe oublié »: a new temporary password, to be replaced at the next login."""
    return _message(f"Nouveau mot de passe provisoire – {etab.nom}", to,
                    "portail_mot_de_passe", etab=etab, identifiant=identifiant,
                    password=password, validite=validite, login_url=login_url())
