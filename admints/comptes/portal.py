"""The family portal's side of an account (R-POR-1, R-ACC-8): first login, the activation link and
the account's email address. Plain functions: flush, never commit, raise `DomainError`, audit.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import audit, secrets_store
from ..email_syntax import invalid_reason
from ..errors import DomainError
from ..extensions import db
from ..models import Compte, Eleve, EtatCompte, KindCompte
from .lifecycle import stamp, temporary_password

ACTIVATION_MAX_AGE = 30 * 24 * 3600  # seconds an activation link stays valid


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="admints-activation")


def activation_token(compte: Compte) -> str:
    return _serializer().dumps({"c": compte.id, "e": compte.email})


def set_account_email(compte: Compte, email: str, *, today: dt.date) -> None:
    """Correct the account's address before resending the activation email (R-ACC-8)."""
    if compte.kind != KindCompte.RESPONSABLE:
        raise DomainError("Seuls les comptes responsables ont un courriel d'activation.")
    if compte.etat != EtatCompte.EN_COURS_ACTIVATION:
        raise DomainError("Le courriel d'activation ne concerne que les comptes "
                          "« En cours d'activation ».")
    email = (email or "").strip()
    reason = invalid_reason(email)
    if reason:
        raise DomainError(reason)
    before = compte.email
    compte.email, compte.email_valide = email, False
    audit.record("compte.courriel", etablissement_id=compte.etablissement_id,
                 target=compte.identifiant, rows=[compte.id], before=before, after=email)


def _check_first_login(compte: Compte, password: str, new_password: str) -> None:
    if compte.etat not in (EtatCompte.NOTIFIE, EtatCompte.EN_COURS_ACTIVATION) or \
            compte.ferme_le is not None:
        raise DomainError("Ce compte ne peut pas être activé.")
    if temporary_password(compte) != password:
        raise DomainError("Identifiant ou mot de passe provisoire incorrect.")
    if len(new_password or "") < 8 or new_password == password:
        raise DomainError("Le nouveau mot de passe doit compter au moins 8 caractères "
                          "et différer du mot de passe provisoire.")


def activate_eleve(compte: Compte, *, password: str, birth_date: dt.date, new_password: str,
                   today: dt.date) -> None:
    """R-POR-1 élève first login: temporary password + birth date → *Utilisé*."""
    eleve = db.session.scalar(db.select(Eleve).where(Eleve.compte_id == compte.id))
    if compte.kind != KindCompte.ELEVE or eleve is None or eleve.date_naissance != birth_date:
        raise DomainError("Identifiant, mot de passe ou date de naissance incorrect.")
    _check_first_login(compte, password, new_password)
    compte.mot_de_passe_hash = secrets_store.hash_password(new_password)
    compte.mot_de_passe_provisoire_chiffre = None  # erased once used (R-SEC-2)
    compte.etat = EtatCompte.UTILISE
    compte.date_activation = compte.derniere_connexion = stamp(today)
    audit.record("compte.activation", etablissement_id=compte.etablissement_id,
                 target=compte.identifiant, rows=[compte.id], after=compte.etat, login="portail")


def activate_responsable(compte: Compte, *, password: str, new_password: str, email: str,
                         today: dt.date) -> str:
    """R-POR-1 responsable first login: → *En cours d'activation*; returns the token of the
    link to email (`mailing.activation_message`)."""
    if compte.kind != KindCompte.RESPONSABLE:
        raise DomainError("Identifiant ou mot de passe provisoire incorrect.")
    _check_first_login(compte, password, new_password)
    reason = invalid_reason(email)
    if reason:
        raise DomainError(reason)
    compte.mot_de_passe_hash = secrets_store.hash_password(new_password)
    compte.email, compte.email_valide = email.strip(), False
    compte.etat = EtatCompte.EN_COURS_ACTIVATION
    compte.derniere_connexion = stamp(today)
    audit.record("compte.premiere_connexion", etablissement_id=compte.etablissement_id,
                 target=compte.identifiant, rows=[compte.id], after=compte.etat,
                 login="portail")
    return activation_token(compte)


def validate_email(token: str, *, today: dt.date) -> Compte:
    """R-POR-1: the link of the activation email → *Utilisé*, temporary password erased."""
    try:
        data = _serializer().loads(token, max_age=ACTIVATION_MAX_AGE)
    except SignatureExpired as exc:
        raise DomainError("Ce lien d'activation a expiré.") from exc
    except BadSignature as exc:
        raise DomainError("Ce lien d'activation n'est pas valide.") from exc
    compte = db.session.get(Compte, data.get("c"))
    if compte is None or compte.email != data.get("e") or \
            compte.etat != EtatCompte.EN_COURS_ACTIVATION:
        raise DomainError("Ce lien d'activation n'est plus valable.")
    compte.email_valide = True
    compte.etat = EtatCompte.UTILISE
    compte.mot_de_passe_provisoire_chiffre = None
    compte.date_activation = stamp(today)
    audit.record("compte.validation_courriel", etablissement_id=compte.etablissement_id,
                 target=compte.identifiant, rows=[compte.id], after=compte.etat,
                 login="portail")
    return compte
