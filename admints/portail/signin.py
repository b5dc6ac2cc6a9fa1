"""The portal's login form (R-POR-1, R-POR-3, R-ACC-10, R-SEC-2): which password opens what.

`authenticate(login, password, today)` returns an `Entry` (where the family goes next) or None:
- *Utilisé* + its chosen password → ACCUEIL: `derniere_connexion` stamped, « portail.connexion »;
- *Utilisé* + a self-help temporary password still valid (R-POR-3, config
  PORTAIL_OUBLI_MAX_AGE) → NOUVEAU_MDP (choose a new one; the old one works until then);
- *Notifié* or *En cours d'activation* + its temporary password, within the 3 months of
  R-ACC-10 → PREMIERE (first connection);
- *En cours d'activation* + the password chosen at first connection → ATTENTE (the address is
  not validated yet: the page offers a new link);
- anything else — unknown identifier, wrong password, *Non notifié*, closed or expired account,
  a temporary password once the account is activated — None: one message whatever the cause,
  « portail.connexion_echec » in the account's establishment journal when the identifier exists.
Exactly one argon2 verification per attempt, whatever the outcome, so that the time taken does
not tell which identifiers exist. Flushes, never commits.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from flask import current_app

from .. import audit, secrets_store
from ..academie.password_policy import MAX_LENGTH
from ..clock import utcnow
from ..comptes.lifecycle import expiry_reason, stamp, temporary_password
from ..extensions import db
from ..models import AuditEntry, Compte, EtatCompte
from .identity import ACCUEIL, ATTENTE, NOUVEAU_MDP, PREMIERE

FAILED = "Identifiant ou mot de passe incorrect."


@dataclass(frozen=True)
class Entry:
    step: str  # ACCUEIL, PREMIERE, ATTENTE or NOUVEAU_MDP
    compte: Compte


def _same(a: str | None, b: str) -> bool:
    return bool(a) and hmac.compare_digest(a.encode(), b.encode())


def _burn_one_verification() -> None:
    secrets_store.verify_nothing("autre-chose")


def selfhelp_password(compte: Compte) -> str | None:
    """The self-help temporary password of an *Utilisé* account, while valid (R-POR-3)."""
    if compte.etat != EtatCompte.UTILISE:
        return None
    return secrets_store.decrypt_secret(compte.mot_de_passe_provisoire_chiffre,
                                        max_age=current_app.config["PORTAIL_OUBLI_MAX_AGE"])


def find_account(login: str | None) -> Compte | None:
    typed = (login or "").strip().lower()
    if not typed or len(typed) > 80:
        return None
    return db.session.scalar(db.select(Compte).where(Compte.identifiant == typed))


def _judge(compte: Compte | None, password: str, today: dt.date) -> tuple[str | None, bool]:
    """(step or None, whether an argon2 verification was done)."""
    if compte is None or compte.ferme_le is not None or expiry_reason(compte, today):
        return None, False
    etat = compte.etat
    if etat == EtatCompte.UTILISE:
        if secrets_store.verify_password(compte.mot_de_passe_hash, password):
            return ACCUEIL, True
        return (NOUVEAU_MDP if _same(selfhelp_password(compte), password) else None), True
    if etat in (EtatCompte.NOTIFIE, EtatCompte.EN_COURS_ACTIVATION):
        if _same(temporary_password(compte), password):
            return PREMIERE, False
        if etat == EtatCompte.EN_COURS_ACTIVATION:
            ok = secrets_store.verify_password(compte.mot_de_passe_hash, password)
            return (ATTENTE if ok else None), True
    return None, False


def authenticate(login: str | None, password: str | None, *, today: dt.date) -> Entry | None:
    password = password or ""
    compte = find_account(login) if 0 < len(password) <= MAX_LENGTH else None
    step, verified = _judge(compte, password, today)
    if not verified:
        _burn_one_verification()
    if step is None:
        typed = (login or "").strip().lower()[:80]
        audit.record("portail.connexion_echec", login="portail", target=typed,
                     etablissement_id=compte.etablissement_id if compte else None)
        return None
    if step == ACCUEIL:
        mark_login(compte, today)
    return Entry(step, compte)


def mark_login(compte: Compte, today: dt.date) -> None:
    """A login into the portal: last login (the back-office lists show it), audited."""
    compte.derniere_connexion = stamp(today)
    audit.record("portail.connexion", etablissement_id=compte.etablissement_id,
                 target=compte.identifiant, rows=[compte.id], login="portail")


def record_block(typed_login: str, window_seconds: int, limit: str) -> None:
    """The per-identifier limit was reached (R-SEC-2): one journal entry per window."""
    typed = (typed_login or "").strip().lower()[:80]
    since = utcnow() - dt.timedelta(seconds=window_seconds)
    if db.session.scalar(db.select(AuditEntry.id).where(
            AuditEntry.action == "portail.blocage", AuditEntry.target == typed,
            AuditEntry.at >= since).limit(1)):
        return
    compte = find_account(typed)
    audit.record("portail.blocage", etablissement_id=compte.etablissement_id if compte else None,
                 target=typed, login="portail", after={"limite": limit})
