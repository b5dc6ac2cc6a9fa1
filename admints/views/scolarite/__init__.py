"""Scolarité services, the families' portal at /scolarite/ (R-POR-1, R-POR-3): the views.

They parse and render; the rules live in `admints.portail`. Pages extend
`templates/portail/base.html` (DSFR); the portal's own session, viewer and steps come from
`admints.portail.identity`. Modules: `connexion` (login, logout, home), `activation` (first
connection, activation link, address to validate), `oubli` (self-help, new password).
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from ... import clock
from ...extensions import db
from ...models import Etablissement
from ...portail.identity import current_viewer

bp = Blueprint("scolarite", __name__, url_prefix="/scolarite")


def today():
    return clock.today()


def render(template: str, *, etablissement_id: int | None = None, **context):
    """A portal page: the establishment's name under the service name when known."""
    viewer = current_viewer()
    etab_id = etablissement_id or (viewer.etablissement_id if viewer else None)
    etab = db.session.get(Etablissement, etab_id) if etab_id else None
    return render_template(f"portail/{template}", viewer=viewer,
                           etablissement_nom=etab.nom if etab else "", **context)


def limit(key: str) -> str:
    return current_app.config[key]


from . import activation, connexion, oubli  # noqa: E402,F401  (routes)
