"""Activation first (R-SRV-1, guide §2.1 and §1.4 step 1): until the head has activated the
establishment's téléservices, nothing that hands out a temporary password may run — no
notification (mass, single, CLI, resumed job), no password reset, no new account, no class list
with passwords. The operations of `comptes` call `require_activated` themselves, so the screens,
the action POSTs and the CLI all get the same French refusal; the views ask `blocked_reason` to
say why their actions are unavailable (and link to the activation screen, the home page).
"""

from __future__ import annotations

from ..errors import DomainError
from ..extensions import db
from ..models import Etablissement
from ..teleservices import opening

MESSAGE = ("Les téléservices de l'établissement ne sont pas encore activés : aucune "
           "notification, réinitialisation de mot de passe ni liste de classe avec mots de passe "
           "n'est possible avant. Le chef d'établissement les active sur l'écran d'accueil "
           "(« Activer les téléservices »).")


class NotActivated(DomainError):
    """R-SRV-1: the establishment's téléservices are not activated yet."""


def blocked_reason(etablissement_id: int) -> str | None:
    """Why the password-bearing operations are unavailable, or None when they are allowed."""
    etab = db.session.get(Etablissement, etablissement_id)
    return None if opening.is_activated(etab) else MESSAGE


def require_activated(etablissement_id: int) -> None:
    """Raise `NotActivated` (French) unless the establishment's téléservices are activated."""
    if blocked_reason(etablissement_id) is not None:
        raise NotActivated(MESSAGE)
