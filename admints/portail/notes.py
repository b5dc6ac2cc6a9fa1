"""The Notes page of one pupil (R-POR-2 with R-SRV-4): the assessments of the pupil's division
(and MEF, when the assessment has one) that `teleservices.notes` makes visible on `today`, with
the mode of publication in force that day; most recent first.
"""

from __future__ import annotations

import datetime as dt

from ..models import Eleve, Evaluation
from ..teleservices import notes

SERVICE_CODE = "notes"


def visible_for(eleve: Eleve, today: dt.date) -> list[Evaluation]:
    """R-SRV-4 for one pupil: nothing without a division."""
    if eleve.division_id is None:
        return []
    rows = notes.visible_evaluations(eleve.etablissement_id, today, division_id=eleve.division_id)
    rows = [e for e in rows if e.mef_id is None or e.mef_id == eleve.mef_id]
    return sorted(rows, key=lambda e: (e.date_controle, e.id), reverse=True)
