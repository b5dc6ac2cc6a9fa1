"""Scolarité services, the families' portal at /scolarite/ (R-POR-1, R-POR-3): the views.

They parse and render; the rules live in `admints.portail`. Pages extend
`templates/portail/base.html` (DSFR); the portal's own session, viewer and steps come from
`admints.portail.identity`. Modules: `blueprint` (the blueprint and shared helpers),
`connexion` (login, logout), `pages` (home, contact, Notes and the other services),
`activation` (first connection, activation link, address to validate), `oubli` (self-help,
new password), `simulation` (read-only under a staff member's simulation, R-POR-4).
"""

from __future__ import annotations

# Importing the route modules registers their routes on the blueprint.
from . import activation, connexion, oubli, pages, simulation  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
