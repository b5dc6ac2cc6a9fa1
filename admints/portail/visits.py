"""A family's visit of a service page (R-POR-2), the row the access statistics count (R-STA-3,
`statistiques.visits`): establishment, account, service and the MEF of the pupil concerned at
visit time. A read-only viewer (the staff's simulation, R-POR-4) is never counted.
Adds and flushes; the view commits.
"""

from __future__ import annotations

from ..extensions import db
from ..models import AccesTeleservice, Eleve, Teleservice
from .identity import Viewer


def record_visit(viewer: Viewer, service: Teleservice, eleve: Eleve | None) -> bool:
    """One `AccesTeleservice` row for this page; False (nothing written) when read-only."""
    if viewer.read_only:
        return False
    db.session.add(AccesTeleservice(etablissement_id=viewer.etablissement_id,
                                    compte_id=viewer.compte_id, teleservice_id=service.id,
                                    mef_id=eleve.mef_id if eleve is not None else None))
    db.session.flush()
    return True
