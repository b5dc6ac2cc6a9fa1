"""Helpers of the simulation tests (R-POR-4): accounts in state *Utilisé* (a pupil, a guardian),
and a staff member's browser that opens « Gérer le compte » and starts the simulation."""

from __future__ import annotations

from flask import g

from admints import secrets_store
from admints.extensions import db
from admints.models import AuditEntry, EtatCompte

from . import factories
from .portail_helpers import NEW_PASSWORD, csrf_from

ELEVES, RESPONSABLES = "/eleves/", "/responsables/"


def used_pupil(etab, identifiant="zoe.martin"):
    eleve = factories.make_eleve(etab, etat=EtatCompte.UTILISE, identifiant=identifiant,
                                 prenom="Zoë", nom="MARTIN",
                                 mot_de_passe_hash=secrets_store.hash_password(NEW_PASSWORD))
    db.session.commit()
    return eleve


def used_guardian(etab, eleve, identifiant="marie.martin"):
    resp = factories.make_responsable(etab, "MARTIN", "Marie")
    lien = factories.link(eleve, resp, 1, etat=EtatCompte.UTILISE, identifiant=identifiant,
                          mot_de_passe_hash=secrets_store.hash_password(NEW_PASSWORD))
    db.session.commit()
    return lien


def gerer_url(base: str, row_id) -> str:
    return f"{base}compte/{row_id}/"


class Staff:
    """A staff member's browser (a Flask test client) already logged in with `auth`."""

    def __init__(self, client, auth, login: str):
        self.client = client
        assert auth.login(login).status_code == 302, login

    def gerer(self, base: str, row_id):
        g.pop("csrf_token", None)
        return self.client.get(gerer_url(base, row_id))

    def token(self) -> str:
        g.pop("csrf_token", None)
        return csrf_from(self.client.get("/").get_data(as_text=True))

    def simulate(self, base: str, row_id, token: str | None = None):
        return self.client.post(f"{gerer_url(base, row_id)}simuler/",
                                data={"csrf_token": token or self.token()})

    def portal_token(self) -> str:
        g.pop("csrf_token", None)
        response = self.client.get("/scolarite/")
        assert response.status_code == 200
        return csrf_from(response.get_data(as_text=True))

    def end(self):
        return self.client.post("/scolarite/simulation/fin",
                                data={"csrf_token": self.portal_token()})


def audit_actions(prefix: str = "portail.simulation") -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)))
