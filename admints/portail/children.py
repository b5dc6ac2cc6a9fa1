"""Which pupil a portal page is about: one of the viewer's own (R-POR-2, R-SEC-1).

A pupil sees himself; a guardian sees each child attached to the account and switches between
them. The child comes from the request (`?eleve=`), so it is checked against `viewer.eleve_ids`
only — never against the establishment or anything else the request says: an id that is not the
viewer's is « no such page », whatever it is.
"""

from __future__ import annotations

from .. import bounded
from ..models import Eleve
from .identity import Viewer, eleves_of


def chosen_child(viewer: Viewer, raw: object = None) -> tuple[Eleve | None, list[Eleve]]:
    """(the viewer's pupil `raw` — an id as typed in the URL —, all the viewer's pupils).
    The first pupil when `raw` is empty; None when `raw` is not one of the viewer's pupils
    (the view answers 404)."""
    eleves = eleves_of(viewer)  # the viewer's own, in its establishment, by name
    if raw is None or raw == "":
        return (eleves[0] if eleves else None), eleves
    eleve_id = bounded.parse_id(raw)
    chosen = next((e for e in eleves if e.id == eleve_id), None) if eleve_id else None
    if chosen is not None and chosen.etablissement_id != viewer.etablissement_id:
        chosen = None
    return chosen, eleves
