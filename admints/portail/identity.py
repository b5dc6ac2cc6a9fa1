"""Who is looking at the portal: the `Viewer` of the request, kept in the portal's own
server-side session (cookie `scolarite_session`, Path=/scolarite, admints.sessions: a staff
session never opens the portal, a family session never opens the back-office, R-SEC-4).

For the portal's views and the helpdesk's simulation (R-POR-4):

- `viewer_for(compte, simulated_by=None)` builds a `Viewer` (its pupils are read here);
- `sign_in(viewer)` starts a new session (new id: no fixation) for it;
- `current_viewer()` is the `Viewer` of this request or None. It is checked on every request
  against the account: still *Utilisé*, not closed, same chosen password (a fingerprint of its
  hash is in the session) — so a password change, a reset by the establishment or an expiry
  ends every session of the account, on any browser;
- `sign_out()` ends the session (its id is deleted from the store; audited, flushed: the
  caller commits);
- `viewer_required` decorates a view: without a viewer, to the login page;
- `simulation_session(compte, binding)`: the data of a portal session opened by a staff member's
  read-only simulation (R-POR-4, admints.portail.simulation, which `current_viewer` asks on every
  request whether it may go on: expiry, the staff user's sessions and rights);
  `current_simulation()` its binding, `ended_simulation()` what ended during this request;
- `eleves_of(viewer)`: its pupils (ORM rows), by name.

Getting in takes steps before there is a viewer (first connection after the temporary
password, address not yet validated, new password after a self-help one): `begin_step(kind,
compte)` / `step_account(kind)` / `end_step()` keep the account of a step in the session for
STEP_MAX_AGE seconds, bound to the secret that opened it (a fingerprint of the temporary
password's token or of the password hash): a renotification in between ends the step.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import g, redirect, session, url_for

from .. import audit, clock, sessions
from ..comptes.portal import fingerprint
from ..extensions import db
from ..models import Compte, Eleve, EtatCompte, KindCompte, ResponsableEleve
from . import simulation

_VIEWER = "portail_viewer"
_STEP = "portail_etape"
ACCUEIL, PREMIERE, ATTENTE, NOUVEAU_MDP = "accueil", "premiere", "attente", "nouveau_mdp"
STEP_MAX_AGE = 30 * 60


@dataclass(frozen=True)
class Viewer:
    """The family looking at the portal. `eleve_ids`: the pupils it may see (its own for a
    pupil; the children attached to a guardian's account in its establishment), by name.
    `simulated_by`: the staff user id of a read-only simulation (R-POR-4), else None."""

    compte_id: int
    kind: str  # KindCompte: "eleve" | "responsable"
    identifiant: str
    etablissement_id: int
    eleve_ids: tuple[int, ...]
    simulated_by: int | None = None

    @property
    def read_only(self) -> bool:
        return self.simulated_by is not None

    @property
    def is_guardian(self) -> bool:
        return self.kind == KindCompte.RESPONSABLE


def visible_eleve_ids(compte: Compte) -> tuple[int, ...]:
    """Pupils of the account, in its establishment, by name."""
    query = db.select(Eleve.id).where(Eleve.etablissement_id == compte.etablissement_id)
    if compte.kind == KindCompte.ELEVE:
        query = query.where(Eleve.compte_id == compte.id)
    else:
        query = query.where(Eleve.id.in_(db.select(ResponsableEleve.eleve_id).where(
            ResponsableEleve.compte_id == compte.id)))
    return tuple(db.session.scalars(query.order_by(Eleve.nom, Eleve.prenom, Eleve.id)))


def eleves_of(viewer: Viewer) -> list[Eleve]:
    """The pupils the viewer sees, in the order of `eleve_ids`."""
    if not viewer.eleve_ids:
        return []
    rows = {e.id: e for e in db.session.scalars(
        db.select(Eleve).where(Eleve.id.in_(viewer.eleve_ids)))}
    return [rows[i] for i in viewer.eleve_ids if i in rows]


def viewer_for(compte: Compte, *, simulated_by: int | None = None) -> Viewer:
    return Viewer(compte_id=compte.id, kind=compte.kind, identifiant=compte.identifiant,
                  etablissement_id=compte.etablissement_id,
                  eleve_ids=visible_eleve_ids(compte), simulated_by=simulated_by)


def _may_view(compte: Compte | None) -> bool:
    return compte is not None and compte.etat == EtatCompte.UTILISE and \
        compte.ferme_le is None and bool(compte.mot_de_passe_hash)


def _fresh_session() -> None:
    session.clear()
    sessions.renew(session)


def sign_in(viewer: Viewer) -> None:
    """A new portal session for `viewer` (its account must be *Utilisé*)."""
    compte = db.session.get(Compte, viewer.compte_id)
    if not _may_view(compte):
        raise ValueError("only an account in state « Utilisé » opens the portal")
    _fresh_session()
    session[_VIEWER] = {"c": compte.id, "h": fingerprint(compte.mot_de_passe_hash),
                        "s": viewer.simulated_by}
    g.portail_viewer = viewer


def sign_out() -> None:
    """End the session; a family's logout is journaled (« portail.deconnexion »), not the end
    of a simulation (its own module audits it)."""
    viewer = current_viewer()
    if viewer is not None and not viewer.read_only:
        audit.record("portail.deconnexion", etablissement_id=viewer.etablissement_id,
                     target=viewer.identifiant, rows=[viewer.compte_id], login="portail")
    _fresh_session()
    g.portail_viewer = None


def current_viewer() -> Viewer | None:
    if "portail_viewer" in g:
        return g.portail_viewer
    data = session.get(_VIEWER)
    viewer = None
    if isinstance(data, dict) and isinstance(data.get("c"), int):
        compte = db.session.get(Compte, data["c"])
        simulated_by = data.get("s") if isinstance(data.get("s"), int) else None
        ended = None
        if not _may_view(compte) or fingerprint(compte.mot_de_passe_hash) != data.get("h"):
            ended = "compte"
        elif data.get("s") is not None:
            ended = simulation.end_reason(data.get("sim") if simulated_by else None, compte)
        if ended is None:
            viewer = viewer_for(compte, simulated_by=simulated_by)
        else:  # the account (or the simulation) changed since: this session is over
            session.pop(_VIEWER, None)
            if data.get("s") is not None:
                g.portail_simulation_finie = (data.get("sim"), compte, ended)
    g.portail_viewer = viewer
    return viewer


def simulation_session(compte: Compte, binding: dict) -> dict:
    """The data of a new portal session showing `compte` to the staff member of `binding`
    (simulation.start), read-only."""
    return {_VIEWER: {"c": compte.id, "h": fingerprint(compte.mot_de_passe_hash),
                      "s": binding["u"], "sim": binding}}


def current_simulation() -> dict | None:
    """The binding of this request's simulation, or None (no viewer, or a family's own)."""
    viewer = current_viewer()
    if viewer is None or not viewer.read_only:
        return None
    return session.get(_VIEWER, {}).get("sim")


def ended_simulation() -> tuple | None:
    """(binding, account, reason) when this request found its simulation over, else None."""
    current_viewer()
    return g.get("portail_simulation_finie")


def viewer_required(view):
    """Decorator of the portal's pages: without a viewer, to the portal's login page."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_viewer() is None:
            return redirect(url_for("scolarite.connexion"))
        return view(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------- steps before a viewer

def _step_secret(kind: str, compte: Compte) -> str:
    if kind == ATTENTE:
        return fingerprint(compte.mot_de_passe_hash)
    return fingerprint(compte.mot_de_passe_provisoire_chiffre)


def begin_step(kind: str, compte: Compte) -> None:
    """Remember, in a new session, that `compte` proved the secret of step `kind`."""
    _fresh_session()
    session[_STEP] = {"k": kind, "c": compte.id, "f": _step_secret(kind, compte),
                      "t": int(clock.now().timestamp())}


def step_account(kind: str) -> Compte | None:
    """The account of the current step `kind`, or None (none, another, too old, changed)."""
    data = session.get(_STEP)
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("c"), int):
        return None
    age = int(clock.now().timestamp()) - int(data.get("t") or 0)
    if not 0 <= age <= STEP_MAX_AGE:
        return None
    compte = db.session.get(Compte, data["c"])
    if compte is None or compte.ferme_le is not None or \
            _step_secret(kind, compte) != data.get("f"):
        return None
    return compte


def end_step() -> None:
    session.pop(_STEP, None)
