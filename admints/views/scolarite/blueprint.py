"""The portal's blueprint and what every portal view shares: today's date, a page rendered with
the establishment's name, a configured limit."""

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

