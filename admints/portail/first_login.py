"""First connection and the activation link (R-POR-1), for the portal's views.

`first_login` runs after the login form has proved the temporary password (step PREMIERE):
the birth date (a guardian gives one of the children's), the new password twice (the rule of
`password_policy`, stated on the page), and for a guardian the mandatory address.
- pupil → *Utilisé*, the temporary password erased (`comptes.portal.activate_eleve`);
- guardian → *En cours d'activation* and an email with the signed, expiring link
  (`activate_responsable`). The account's new values are kept in the session's memory, nothing
  is flushed, while the email goes out; an address the server refuses raises a French
  `DomainError` and the caller rolls back: the account changes only if its email went out.
A wrong birth date raises `WrongBirthDate`: the caller rolls back, then records it with
`lockout.wrong_birth_date` (PORTAIL_NAISSANCE_ESSAIS wrong dates lock the first connection).

`resend_link` sends a new link to the address the account holds (page « adresse à valider »
after a login with the chosen password, or an expired link). Functions flush, never commit.
"""

from __future__ import annotations

import datetime as dt

from .. import audit
from ..comptes import mailing, portal
from ..comptes.lifecycle import temporary_password
from ..errors import DomainError
from ..extensions import db
from ..models import Compte, EtatCompte, KindCompte
from . import lockout

MISMATCH = "Les deux mots de passe saisis ne sont pas identiques."


def first_login(compte: Compte, *, birth_date: dt.date | None, new_password: str,
                confirmation: str, email: str | None, today: dt.date) -> str:
    """Returns the account's new state (*Utilisé* or *En cours d'activation*)."""
    until = lockout.locked_until(compte)
    if until is not None:
        raise DomainError(lockout.lock_message(until))
    if new_password != confirmation:
        raise DomainError(MISMATCH)
    etab = compte.etablissement  # loaded now: nothing is read while the email goes out
    password = temporary_password(compte) or ""
    if compte.kind == KindCompte.ELEVE:
        portal.activate_eleve(compte, password=password, birth_date=birth_date,
                              new_password=new_password, today=today)
        return compte.etat
    with db.session.no_autoflush:
        portal.activate_responsable(compte, password=password, birth_date=birth_date,
                                    new_password=new_password, email=email or "", today=today)
        _send_link(etab, compte, failure="Le courriel d'activation n'a pas pu être envoyé à "
                                         "cette adresse ; vérifiez-la ou indiquez-en une autre")
    return compte.etat


def _send_link(etab, compte: Compte, *, failure: str) -> None:
    message = mailing.activation_message(etab, compte.email, identifiant=compte.identifiant,
                                         link=portal.activation_link(compte))
    result = mailing.send_batch([message])[0]
    if not result.ok:
        raise DomainError(f"{failure} ({result.error})")


def resend_link(compte: Compte) -> None:
    """A new activation link to the account's own address (R-POR-1, guide §1.5.3)."""
    if compte.etat != EtatCompte.EN_COURS_ACTIVATION or compte.ferme_le is not None:
        raise DomainError("Ce compte n'attend pas de validation d'adresse.")
    _send_link(compte.etablissement, compte,
               failure="Le courriel d'activation n'a pas pu être envoyé")
    audit.record("portail.nouveau_lien", etablissement_id=compte.etablissement_id,
                 target=compte.identifiant, rows=[compte.id], login="portail")

