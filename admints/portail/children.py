"""Which pupil a portal page is about: one of the viewer's own (R-POR-2, R-SEC-1).

A pupil sees himself; a guardian sees each child attached to the account and switches between
them. The child comes from the request (`?eleve=`), so it is checked against `viewer.eleve_ids`
only — never against the establishment or anything else the request says: an id that is not the
viewer's is « no such page », whatever it is.
"""

from __future__ import annotations

from .. import bounded
from ..extensions import db
from ..models import Eleve
from .identity import Viewer


def chosen_child(viewer: Viewer, raw: object = None) -> Eleve | None:
    """The viewer's pupil `raw` (an id as typed in the URL), the first one when `raw` is empty,
    None when it is not one of the viewer's pupils (the view answers 404)."""
    if raw is None or raw == "":
        eleve_id = viewer.eleve_ids[0] if viewer.eleve_ids else None
    else:
        eleve_id = bounded.parse_id(raw)
    if eleve_id is None or eleve_id not in viewer.eleve_ids:
        return None
    eleve = db.session.get(Eleve, eleve_id)
    if eleve is None or eleve.etablissement_id != viewer.etablissement_id:
        return None
    return eleve
