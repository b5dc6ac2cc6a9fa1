"""A staff member sees the portal as a family does (R-POR-4, guide §4.2.1): « Simuler l'accès de
la famille » on « Gérer le compte » of an account in state *Utilisé*.

- `may_simulate(user, compte, etablissement_id)`: the head, the délégués holding the menu of the
  account's kind, the helpdesk, in the establishment they work on (permissions.can_simulate);
  the account must be *Utilisé* (`unavailable` says why not, in French);
- `start(...)` checks, writes « portail.simulation.debut » and returns the *binding* kept in
  the portal session (identity.simulation_session): the staff user's id, login and session
  version, the start time and the « Gérer le compte » page to go back to;
- `end_reason(binding, compte)` is asked on every portal request (identity.current_viewer):
  the simulation ends when it is older than PORTAIL_SIMULATION_MAX_AGE, or when the staff user
  is gone, deactivated, has lost the right, or its sessions ended (logout, password change:
  `session_version` moved);
- `record_end(binding, compte, reason)` writes « portail.simulation.fin » (`finish` when the
  staff member ends it).

Nothing here touches the account: its password is neither read in clear nor changed, the
family's own sessions go on, and the read-only rule of the portal's pages is enforced by the
portal's blueprint (views/scolarite/simulation), which counts no visit either.
"""

from __future__ import annotations

from flask import current_app

from .. import audit, clock, permissions, tenancy
from ..errors import DomainError
from ..extensions import db
from ..models import Compte, EtatCompte, KindCompte, StaffUser

AREAS = {KindCompte.ELEVE: permissions.ELEVES, KindCompte.RESPONSABLE: permissions.RESPONSABLES}
NOT_USED = ("La simulation de l'accès à Scolarité services n'est possible que pour un compte à "
            "l'état « Utilisé ».")
FORBIDDEN = "Vous n'avez pas le droit de simuler l'accès de cette famille."
ENDED = {
    "terminee": "La simulation est terminée.",
    "expiree": "La simulation a expiré : relancez-la depuis « Gérer le compte ».",
    "agent": "La session de l'agent a pris fin (déconnexion, changement de mot de passe ou "
             "compte désactivé) : la simulation est terminée.",
    "droits": "L'agent n'a plus le droit de simuler l'accès de ce compte : la simulation est "
              "terminée.",
    "compte": "Ce compte ne permet plus d'accéder au portail : la simulation est terminée.",
}


class SimulationForbidden(DomainError):
    """This staff user may not simulate this account (the view answers 403)."""


class UnknownAccount(DomainError):
    """No such account in the establishment (the view answers 404, R-SEC-1)."""


def max_age() -> int:
    return int(current_app.config["PORTAIL_SIMULATION_MAX_AGE"])


def _used(compte: Compte) -> bool:
    return compte.etat == EtatCompte.UTILISE and compte.ferme_le is None and \
        bool(compte.mot_de_passe_hash)


def _user_may(user: StaffUser | None, compte: Compte) -> bool:
    area = AREAS.get(compte.kind)
    return area is not None and permissions.can_simulate(user, area) and \
        tenancy.may_use(user, compte.etablissement_id)


def may_simulate(user: StaffUser | None, compte: Compte, etablissement_id: int) -> bool:
    """Whether « Simuler l'accès de la famille » is offered to `user` for `compte`."""
    return compte.etablissement_id == etablissement_id and _user_may(user, compte) and \
        _used(compte)


def unavailable(user: StaffUser | None, compte: Compte, etablissement_id: int) -> str | None:
    """Why a user who may simulate cannot for this account (not *Utilisé*), else None."""
    if compte.etablissement_id == etablissement_id and _user_may(user, compte) and \
            not _used(compte):
        return NOT_USED
    return None


def start(etablissement_id: int, compte_id: int, *, user: StaffUser, retour: str) -> dict:
    """Start a simulation of `compte_id` by `user`: checked, audited (flushed; the caller
    commits), the binding returned. `retour`: the local path of « Gérer le compte »."""
    compte = db.session.scalar(db.select(Compte).where(
        Compte.id == compte_id, Compte.etablissement_id == etablissement_id))
    if compte is None:
        raise UnknownAccount("Compte introuvable.")
    if not _user_may(user, compte) or not tenancy.may_use(user, etablissement_id):
        raise SimulationForbidden(FORBIDDEN)
    if not _used(compte):
        raise DomainError(NOT_USED)
    now = int(clock.now().timestamp())
    audit.record("portail.simulation.debut", etablissement_id=etablissement_id,
                 target=compte.identifiant, rows=[compte.id], login=user.login, user_id=user.id,
                 after={"compte": compte.identifiant, "duree_max_secondes": max_age()})
    db.session.flush()
    return {"u": user.id, "l": user.login, "v": user.session_version or 0, "t": now,
            "r": retour if _local(retour) else "/"}


def _local(path: object) -> bool:
    return isinstance(path, str) and path.startswith("/") and not path.startswith("//") and \
        "\\" not in path and len(path) <= 500


def end_reason(binding: object, compte: Compte) -> str | None:
    """None while the simulation bound by `binding` may go on, else the key of ENDED."""
    if not isinstance(binding, dict) or not all(
            isinstance(binding.get(k), int) for k in ("u", "v", "t")):
        return "agent"
    age = int(clock.now().timestamp()) - binding["t"]
    if not 0 <= age <= max_age():
        return "expiree"
    user = db.session.get(StaffUser, binding["u"])
    if user is None or not user.actif or (user.session_version or 0) != binding["v"]:
        return "agent"
    if not _user_may(user, compte):
        return "droits"
    return None


def return_path(binding: object) -> str:
    """The « Gérer le compte » page the simulation was started from (a local path)."""
    path = binding.get("r") if isinstance(binding, dict) else None
    return path if _local(path) else "/"


def record_end(binding: object, compte: Compte | None, reason: str) -> None:
    """« portail.simulation.fin », in the name of the staff user who started it (flushed by the
    caller's commit)."""
    binding = binding if isinstance(binding, dict) else {}
    user_id = binding.get("u") if isinstance(binding.get("u"), int) else None
    if user_id is not None and db.session.get(StaffUser, user_id) is None:
        user_id = None
    login = binding.get("l") if isinstance(binding.get("l"), str) else None
    audit.record("portail.simulation.fin",
                 etablissement_id=compte.etablissement_id if compte else None,
                 target=compte.identifiant if compte else None,
                 rows=[compte.id] if compte else None, login=(login or "")[:80] or None,
                 user_id=user_id, after={"motif": reason if reason in ENDED else "terminee"})


def finish(binding: object, compte_id: int) -> None:
    """« Terminer la simulation »: its end, journaled."""
    record_end(binding, db.session.get(Compte, compte_id), "terminee")
