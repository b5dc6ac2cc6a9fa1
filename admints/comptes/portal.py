"""The family portal's side of an account (R-POR-1, R-ACC-8): first login, the activation link and
the account's email address. Plain functions: flush, never commit, raise `DomainError`, audit.

The activation link is signed and expires (config PORTAIL_ACTIVATION_MAX_AGE, on the product's
clock); it names the account, its address and a fingerprint of its chosen password, so a link
of an earlier first connection (another address or password) no longer works, and a used one
says so (`LinkUsed`). The new password follows the password rule (`password_policy`), which the
first-connection page states.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from .. import audit, clock, secrets_store
from ..academie import password_policy
from ..email_syntax import invalid_reason
from ..errors import DomainError
from ..extensions import db
from ..models import Compte, Eleve, EtatCompte, KindCompte, Responsable, ResponsableEleve
from .lifecycle import stamp, temporary_password

ACTIVATION_MAX_AGE = 30 * 24 * 3600  # default of config PORTAIL_ACTIVATION_MAX_AGE


class WrongBirthDate(DomainError):
    """The birth date typed at first connection is not the pupil's (counted by the portal)."""


class LinkExpired(DomainError):
    """An authentic activation link, too old: a new one may be sent (`link_account`)."""


class LinkUsed(DomainError):
    """The link of an account already activated with that address."""


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:  # the product's clock, so that tests can age a link
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="admints-activation",
                                  signer=_ClockSigner)


def fingerprint(value: str | bytes | None) -> str:
    """A short digest of a stored secret (hash or encrypted token), to notice that it changed
    without keeping it: in links and in portal sessions."""
    if not value:
        return ""
    data = value if isinstance(value, bytes) else value.encode()
    return hashlib.sha256(data).hexdigest()[:24]


def activation_token(compte: Compte) -> str:
    return _serializer().dumps({"c": compte.id, "e": compte.email,
                                "h": fingerprint(compte.mot_de_passe_hash)})


def activation_link(compte: Compte) -> str:
    """The address of the link in the activation email: PORTAL_URL + activation/<token>."""
    base = current_app.config["PORTAL_URL"].rstrip("/") + "/activation/"
    return base + activation_token(compte)


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


def password_context(compte: Compte) -> tuple[str | None, ...]:
    """Words of the account a chosen password must not be built from: identifier, holder's
    names, establishment."""
    words: list[str | None] = [compte.identifiant, compte.etablissement.nom]
    if compte.kind == KindCompte.ELEVE:
        rows = db.session.execute(db.select(Eleve.prenom, Eleve.nom)
                                  .where(Eleve.compte_id == compte.id))
    else:
        rows = db.session.execute(
            db.select(Responsable.prenom, Responsable.nom)
            .join(ResponsableEleve, ResponsableEleve.responsable_id == Responsable.id)
            .where(ResponsableEleve.compte_id == compte.id).distinct())
    for prenom, nom in rows:
        words += [prenom, nom]
    return tuple(words)


def check_new_password(compte: Compte, new_password: str, *, old: str | None = None) -> None:
    """The password rule (`password_policy`) and not the temporary password again."""
    if old and new_password == old:
        raise DomainError("Le nouveau mot de passe doit différer du mot de passe provisoire.")
    password_policy.check_password(new_password, password_context(compte))


def _check_first_login(compte: Compte, password: str, birth_date: dt.date | None,
                       new_password: str) -> None:
    """State, temporary password, birth date, then the new password: in that order, so that a
    birth date is judged only for someone who knows the temporary password."""
    if compte.etat not in (EtatCompte.NOTIFIE, EtatCompte.EN_COURS_ACTIVATION) or \
            compte.ferme_le is not None:
        raise DomainError("Ce compte ne peut pas être activé.")
    current = temporary_password(compte) or ""
    if not password or not current or not hmac.compare_digest(current.encode(),
                                                              password.encode()):
        raise DomainError("Identifiant ou mot de passe provisoire incorrect.")
    check_birth_date(compte, birth_date)
    check_new_password(compte, new_password, old=password)


def _birth_dates(compte: Compte) -> set[dt.date]:
    """The pupil's birth date, or those of the children attached to a guardian's account."""
    if compte.kind == KindCompte.ELEVE:
        query = db.select(Eleve.date_naissance).where(Eleve.compte_id == compte.id)
    else:
        query = (db.select(Eleve.date_naissance)
                 .join(ResponsableEleve, ResponsableEleve.eleve_id == Eleve.id)
                 .where(ResponsableEleve.compte_id == compte.id))
    return {d for d in db.session.scalars(query) if d is not None}


def check_birth_date(compte: Compte, birth_date: dt.date | None) -> None:
    """R-POR-1: the pupil's birth date (a guardian gives one of the children's)."""
    if birth_date is None or birth_date not in _birth_dates(compte):
        raise WrongBirthDate("La date de naissance ne correspond pas.")


def activate_eleve(compte: Compte, *, password: str, birth_date: dt.date, new_password: str,
                   today: dt.date) -> None:
    """R-POR-1 élève first login: temporary password + birth date → *Utilisé*."""
    if compte.kind != KindCompte.ELEVE:
        raise DomainError("Identifiant ou mot de passe provisoire incorrect.")
    _check_first_login(compte, password, birth_date, new_password)
    compte.mot_de_passe_hash = secrets_store.hash_password(new_password)
    compte.mot_de_passe_provisoire_chiffre = None  # erased once used (R-SEC-2)
    compte.etat = EtatCompte.UTILISE
    compte.date_activation = compte.derniere_connexion = stamp(today)
    audit.record("compte.activation", etablissement_id=compte.etablissement_id,
                 target=compte.identifiant, rows=[compte.id], after=compte.etat, login="portail")


def activate_responsable(compte: Compte, *, password: str, birth_date: dt.date,
                         new_password: str, email: str, today: dt.date) -> str:
    """R-POR-1 responsable first login (a child's birth date, a mandatory address) →
    *En cours d'activation*; returns the token of the link to email
    (`mailing.activation_message`)."""
    if compte.kind != KindCompte.RESPONSABLE:
        raise DomainError("Identifiant ou mot de passe provisoire incorrect.")
    _check_first_login(compte, password, birth_date, new_password)
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


def _max_age() -> int:
    return int(current_app.config.get("PORTAIL_ACTIVATION_MAX_AGE", ACTIVATION_MAX_AGE))


def validate_email(token: str, *, today: dt.date) -> Compte:
    """R-POR-1: the link of the activation email → *Utilisé*, temporary password erased.
    Raises `LinkExpired` (authentic but too old), `LinkUsed`, or `DomainError`."""
    serializer = _serializer()
    try:
        data = serializer.loads(token, max_age=_max_age())
    except SignatureExpired as exc:
        raise LinkExpired("Ce lien d'activation a expiré.") from exc
    except BadSignature as exc:
        raise DomainError("Ce lien d'activation n'est pas valide.") from exc
    if not isinstance(data, dict):
        raise DomainError("Ce lien d'activation n'est pas valide.")
    compte = db.session.get(Compte, data.get("c")) if isinstance(data.get("c"), int) else None
    matches = compte is not None and compte.email == data.get("e") and \
        fingerprint(compte.mot_de_passe_hash) == data.get("h")
    if matches and compte.etat == EtatCompte.UTILISE and compte.email_valide:
        raise LinkUsed("Ce lien d'activation a déjà servi : votre compte est activé.")
    if not matches or compte.etat != EtatCompte.EN_COURS_ACTIVATION or \
            compte.ferme_le is not None:
        raise DomainError("Ce lien d'activation n'est plus valable.")
    compte.email_valide = True
    compte.etat = EtatCompte.UTILISE
    compte.mot_de_passe_provisoire_chiffre = None
    compte.date_activation = stamp(today)
    audit.record("compte.validation_courriel", etablissement_id=compte.etablissement_id,
                 target=compte.identifiant, rows=[compte.id], after=compte.etat,
                 login="portail")
    return compte


def link_account(token: str | None) -> Compte | None:
    """The account named by an authentic activation link, whatever its age, while it still
    waits for that address to be validated: a new link may be sent to the address it holds
    (never to one typed by the visitor). None for anything else."""
    try:
        data = _serializer().loads(token or "")
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    compte = db.session.get(Compte, data["c"])
    if compte is None or compte.etat != EtatCompte.EN_COURS_ACTIVATION or \
            compte.ferme_le is not None or compte.email != data.get("e") or \
            invalid_reason(compte.email):
        return None
    return compte
