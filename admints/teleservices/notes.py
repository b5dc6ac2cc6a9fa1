"""Configuration Notes (R-SRV-4): publication mode and échéance dates per MEF × division, and the
rule deciding whether an assessment is visible to families on a given day.

The mode is a versioned setting (`notes.mode`, next-day effect, R-PAR-1); échéance dates are
`DatePublication` rows. Closing the Notes service keeps both (guide §2.2).
`PaireMefDivision` maps the MEF × division combinations that actually have pupils (a read-only
SELECT DISTINCT over `eleve`), which is what the échéance screen lists.
Functions add/flush, never commit, raise `DomainError` and write the audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from sqlalchemy import and_, select
from sqlalchemy.orm import foreign, relationship

from .. import audit, bounded
from ..errors import DomainError
from ..extensions import db
from ..models import DatePublication, Division, Eleve, Evaluation, Mef
from ..parametrage import versions

MODE_KEY = "notes.mode"
FIL_DE_L_EAU = "fil_de_l_eau"
ECHEANCE = "echeance"
MODES = {FIL_DE_L_EAU: "Publication au fil de l'eau (quotidienne)",
         ECHEANCE: "Publication à échéance (dates par MEF et division)"}
DEFAULT_MODE = FIL_DE_L_EAU


def is_visible(evaluation: Evaluation, day: dt.date, mode: str,
               echeances: Iterable[dt.date] | Mapping | None) -> bool:
    """R-SRV-4: may families see `evaluation` on `day`?

    Au fil de l'eau: from the day after it was entered (SIECLE data reach the portal at night,
    guide §1.6). À échéance: once an échéance date D of its MEF/division has arrived (D <= day)
    and the teacher's publication date is on or before D (no teacher date: its entry date).
    `echeances` is the dates of the assessment's MEF/division, or the mapping
    {(mef_id, division_id): dates} of `echeances_by_pair`.
    """
    entered = evaluation.date_saisie
    if day <= entered:
        return False
    if mode != ECHEANCE:
        return True
    if isinstance(echeances, Mapping):
        echeances = _dates_for(evaluation, echeances)
    teacher = evaluation.date_publication or entered
    return any(d <= day and teacher <= d for d in (echeances or ()))


def _dates_for(evaluation: Evaluation, by_pair: Mapping) -> list[dt.date]:
    if evaluation.mef_id is not None:
        return list(by_pair.get((evaluation.mef_id, evaluation.division_id), ()))
    # No MEF recorded: the échéances of the division, whatever the MEF.
    return [d for (m, div), dates in by_pair.items() if div == evaluation.division_id
            for d in dates]


def echeances_by_pair(etablissement_id: int,
                      division_id: int | None = None) -> dict[tuple[int, int], list[dt.date]]:
    """{(mef_id, division_id): dates}, of one division only when `division_id` is given."""
    stmt = (select(DatePublication.mef_id, DatePublication.division_id, DatePublication.date)
            .where(DatePublication.etablissement_id == etablissement_id)
            .order_by(DatePublication.date))
    if division_id is not None:  # one pupil's page: its division's dates only
        stmt = stmt.where(DatePublication.division_id == division_id)
    rows = db.session.execute(stmt)
    result: dict[tuple[int, int], list[dt.date]] = {}
    for mef_id, division_id, date in rows:
        result.setdefault((mef_id, division_id), []).append(date)
    return result


def mode_on(etablissement_id: int, day: dt.date) -> str:
    return versions.get(etablissement_id, MODE_KEY, day, DEFAULT_MODE) or DEFAULT_MODE


def visible_evaluations(etablissement_id: int, day: dt.date,
                        division_id: int | None = None) -> list[Evaluation]:
    """The assessments families see on `day` (for the portal), with the mode in force that day."""
    mode = mode_on(etablissement_id, day)
    by_pair = echeances_by_pair(etablissement_id, division_id) if mode == ECHEANCE else {}
    stmt = select(Evaluation).where(Evaluation.etablissement_id == etablissement_id)
    if division_id is not None:
        stmt = stmt.where(Evaluation.division_id == division_id)
    return [e for e in db.session.scalars(stmt) if is_visible(e, day, mode, by_pair)]


def set_mode(etablissement_id: int, mode: str, *, today: dt.date, by: str | None = None) -> dt.date:
    if mode not in MODES:
        raise DomainError("Mode de publication inconnu : choisissez « au fil de l'eau » ou "
                          "« à échéance ».")
    return versions.set_value(etablissement_id, MODE_KEY, mode, today, by=by)


# --- Échéance dates per MEF × division ------------------------------------------------------

_pairs = (
    select(Eleve.etablissement_id.label("etablissement_id"), Eleve.mef_id.label("mef_id"),
           Eleve.division_id.label("division_id"))
    .where(Eleve.mef_id.is_not(None), Eleve.division_id.is_not(None))
    .distinct()
    .subquery("paire_mef_division")
)


class PaireMefDivision(db.Model):
    """A MEF × division combination that has pupils (read-only, not a table)."""

    __table__ = _pairs
    __mapper_args__ = {"primary_key": [_pairs.c.mef_id, _pairs.c.division_id]}

    mef = relationship(Mef, primaryjoin=foreign(_pairs.c.mef_id) == Mef.id, viewonly=True)
    division = relationship(Division, primaryjoin=foreign(_pairs.c.division_id) == Division.id,
                            viewonly=True)
    dates = relationship(
        DatePublication, viewonly=True, order_by=DatePublication.date,
        primaryjoin=and_(foreign(DatePublication.mef_id) == _pairs.c.mef_id,
                         foreign(DatePublication.division_id) == _pairs.c.division_id))

    def __str__(self) -> str:
        return f"{self.mef} / {self.division}"


def _check_pair(etablissement_id: int, mef_id: object, division_id: object) -> tuple[Mef, Division]:
    mef_pk, div_pk = bounded.parse_id(mef_id), bounded.parse_id(division_id)
    if mef_pk is None or div_pk is None:
        raise DomainError("MEF ou division inconnu.")
    mef, div = db.session.get(Mef, mef_pk), db.session.get(Division, div_pk)
    if (mef is None or div is None or mef.etablissement_id != etablissement_id
            or div.etablissement_id != etablissement_id):
        raise DomainError("MEF ou division inconnu.")
    has_pupils = db.session.scalar(select(Eleve.id).where(
        Eleve.etablissement_id == etablissement_id, Eleve.mef_id == mef.id,
        Eleve.division_id == div.id).limit(1))
    if has_pupils is None:
        raise DomainError(f"Aucun élève de la division {div.code} n'est inscrit en {mef}.")
    return mef, div


def parse_date(raw: object) -> dt.date:
    day = bounded.parse_date(raw)
    if day is None:
        raise DomainError("Date de publication invalide : saisissez une date au format "
                          f"JJ/MM/AAAA (années {bounded.YEAR_MIN} à {bounded.YEAR_MAX}).")
    return day


def add_date(etablissement_id: int, mef_id: object, division_id: object,
             date: object) -> DatePublication:
    """« + »: add an échéance date to a MEF × division (several dates allowed)."""
    mef, div = _check_pair(etablissement_id, mef_id, division_id)
    day = date if isinstance(date, dt.date) else parse_date(date)
    exists = db.session.scalar(select(DatePublication).where(
        DatePublication.mef_id == mef.id, DatePublication.division_id == div.id,
        DatePublication.date == day))
    if exists is not None:
        raise DomainError(f"La date du {day:%d/%m/%Y} existe déjà pour {mef} / {div.code}.")
    row = DatePublication(etablissement_id=etablissement_id, mef_id=mef.id, division_id=div.id,
                          date=day)
    db.session.add(row)
    db.session.flush()
    audit.record("notes.date_publication.ajout", etablissement_id=etablissement_id,
                 target=f"{mef.code}/{div.code}", before=None, after=day.isoformat())
    return row


def find_date(etablissement_id: int, date_id: object) -> DatePublication:
    """One échéance date of the establishment (another school's id is « introuvable »)."""
    pk = bounded.parse_id(date_id)
    row = db.session.get(DatePublication, pk) if pk is not None else None
    if row is None or row.etablissement_id != etablissement_id:
        raise DomainError("Date de publication introuvable.")
    return row


def remove_date(etablissement_id: int, date_id: object) -> None:
    """« − »: remove one échéance date of the establishment."""
    row = find_date(etablissement_id, date_id)
    audit.record("notes.date_publication.suppression", etablissement_id=etablissement_id,
                 target=f"{row.mef.code}/{row.division.code}", before=row.date.isoformat(),
                 after=None)
    db.session.delete(row)
    db.session.flush()


def set_date_on_pairs(etablissement_id: int, pairs: Iterable[tuple[object, object]],
                      date: object) -> int:
    """Bulk action: add one date to each selected pair (pairs that have it already are left)."""
    day = date if isinstance(date, dt.date) else parse_date(date)
    checked = [_check_pair(etablissement_id, m, d) for m, d in pairs]
    if not checked:
        raise DomainError("Sélectionnez au moins une ligne MEF / division.")
    existing = {
        (m, d) for m, d in db.session.execute(
            select(DatePublication.mef_id, DatePublication.division_id).where(
                DatePublication.etablissement_id == etablissement_id,
                DatePublication.date == day))
    }
    added = []
    for mef, div in checked:
        if (mef.id, div.id) in existing:
            continue
        existing.add((mef.id, div.id))
        db.session.add(DatePublication(etablissement_id=etablissement_id, mef_id=mef.id,
                                       division_id=div.id, date=day))
        added.append(f"{mef.code}/{div.code}")
    db.session.flush()
    audit.record("notes.date_publication.ajout_masse", etablissement_id=etablissement_id,
                 target=day.isoformat(), rows=added, before=None, after=day.isoformat())
    return len(added)
