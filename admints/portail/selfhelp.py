"""Self-help from the login page (R-POR-3, guide §1.5.3): « identifiant oublié » or « mot de passe
oublié », for accounts whose address was validated.

`request_help(address, demande, today)`: the address's format is checked (the same French
message for everyone); then the *Utilisé*, open accounts whose validated address it is:
- IDENTIFIANT: one email listing their identifiers; nothing changes;
- MOT_DE_PASSE: for each account, a new temporary password, stored encrypted (with the time it
  was made) and COMMITTED before its email leaves; if the server refuses the email, the
  account's previous value is put back (committed). The account's state never changes and its
  chosen password keeps working until the family, logging in with the temporary one, chooses a
  new one (`complete_reset`); the temporary one expires after PORTAIL_OUBLI_MAX_AGE. So no
  family receives a password that was not stored, a stranger typing a family's address locks
  nobody out, and an account whose email did not leave keeps what it had.
Whether the address is known is never told: the caller shows one answer (no enumeration).
Audited: « portail.oubli » for an address without account, « portail.oubli_identifiant » /
« portail.oubli_mot_de_passe » per account (with « echec » when its email did not leave).
Commits: a password must be durable before its email leaves.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app

from .. import audit, secrets_store
from ..comptes import mailing, portal
from ..comptes.identifiers import generate_temporary_password
from ..comptes.lifecycle import stamp
from ..email_syntax import is_valid_email
from ..errors import DomainError
from ..extensions import db
from ..models import Compte, Eleve, EtatCompte, KindCompte, ResponsableEleve
from . import messages
from .first_login import MISMATCH
from .signin import selfhelp_password

IDENTIFIANT, MOT_DE_PASSE = "identifiant", "mot_de_passe"
DEMANDES = {IDENTIFIANT: "J'ai oublié mon identifiant",
            MOT_DE_PASSE: "J'ai oublié mon mot de passe"}
CHOOSE = "Indiquez ce que vous avez oublié : votre identifiant ou votre mot de passe."
MAX_ACCOUNTS = 20  # of one address: bounds the work of one request


def check_address(address: str | None) -> str:
    address = (address or "").strip()
    if not address:
        raise DomainError("Saisissez votre adresse de messagerie.")
    if not is_valid_email(address):
        raise DomainError("Adresse de messagerie invalide : vérifiez sa saisie "
                          "(exemple : nom@domaine.fr).")
    return address


def accounts_of(address: str) -> list[Compte]:
    return list(db.session.scalars(
        db.select(Compte).where(db.func.lower(Compte.email) == address.lower(),
                                Compte.email_valide.is_(True), Compte.ferme_le.is_(None),
                                Compte.etat == EtatCompte.UTILISE)
        .order_by(Compte.id).limit(MAX_ACCOUNTS)))


def _pupils(compte: Compte) -> str:
    if compte.kind == KindCompte.ELEVE:
        query = db.select(Eleve.prenom, Eleve.nom).where(Eleve.compte_id == compte.id)
    else:
        query = (db.select(Eleve.prenom, Eleve.nom)
                 .join(ResponsableEleve, ResponsableEleve.eleve_id == Eleve.id)
                 .where(ResponsableEleve.compte_id == compte.id).distinct())
    return ", ".join(f"{p} {n}" for p, n in db.session.execute(query))


def validity_label() -> str:
    seconds = int(current_app.config["PORTAIL_OUBLI_MAX_AGE"])
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} jour{'s' if days > 1 else ''}"
    return f"{max(1, seconds // 3600)} heure(s)"


def check_request(address: str | None, demande: str | None) -> str:
    """The request as typed, checked before anything is looked up (the same French message for
    every address): the address, normalised."""
    if demande not in DEMANDES:
        raise DomainError(CHOOSE)
    return check_address(address)


def request_help(address: str | None, demande: str | None, *, today: dt.date) -> None:
    address = check_request(address, demande)
    comptes = accounts_of(address)
    if not comptes:
        audit.record("portail.oubli", login="portail", target=address[:300],
                     after={"demande": demande})
        db.session.commit()
        return
    if demande == IDENTIFIANT:
        _send_identifiers(address, comptes)
    else:
        _send_passwords(address, comptes)


def _send_identifiers(address: str, comptes: list[Compte]) -> None:
    accounts = [{"identifiant": c.identifiant, "etablissement": c.etablissement.nom,
                 "pour": _pupils(c)} for c in comptes]
    result = mailing.send_batch([messages.identifier_message(address, accounts)])[0]
    for c in comptes:
        audit.record("portail.oubli_identifiant", etablissement_id=c.etablissement_id,
                     target=c.identifiant, rows=[c.id], login="portail",
                     after=None if result.ok else {"echec": result.error})
    db.session.commit()


def _send_passwords(address: str, comptes: list[Compte]) -> None:
    previous = {c.id: c.mot_de_passe_provisoire_chiffre for c in comptes}
    plain = {}
    for c in comptes:
        plain[c.id] = generate_temporary_password()
        c.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret(plain[c.id])
    db.session.commit()  # stored before anything leaves
    validite = validity_label()
    built = [messages.temporary_password_message(
        c.etablissement, address, identifiant=c.identifiant, password=plain[c.id],
        validite=validite) for c in comptes]
    results = mailing.send_batch(built, keys=[c.id for c in comptes])
    by_id = {c.id: c for c in comptes}
    for result in results:
        c = by_id[result.key]
        if not result.ok:  # never sent: the account keeps what it had
            c.mot_de_passe_provisoire_chiffre = previous[c.id]
        audit.record("portail.oubli_mot_de_passe", etablissement_id=c.etablissement_id,
                     target=c.identifiant, rows=[c.id], login="portail",
                     after=None if result.ok else {"echec": result.error})
    db.session.commit()


def complete_reset(compte: Compte, *, new_password: str, confirmation: str,
                   today: dt.date) -> None:
    """The family logged in with its self-help temporary password and chooses a new one:
    the temporary password is erased, the state stays *Utilisé*, every other session of the
    account ends (its password fingerprint changed). Flushes."""
    temporary = selfhelp_password(compte)
    if temporary is None:
        raise DomainError("Ce mot de passe provisoire n'est plus valable : refaites une "
                          "demande de mot de passe oublié.")
    if new_password != confirmation:
        raise DomainError(MISMATCH)
    portal.check_new_password(compte, new_password, old=temporary)
    compte.mot_de_passe_hash = secrets_store.hash_password(new_password)
    compte.mot_de_passe_provisoire_chiffre = None
    compte.derniere_connexion = stamp(today)
    audit.record("portail.mot_de_passe", etablissement_id=compte.etablissement_id,
                 target=compte.identifiant, rows=[compte.id], login="portail")
