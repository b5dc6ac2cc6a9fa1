"""Académie roll-up of the statistics (R-STA-1..3 for the rectorat): one line per
establishment of the académie, sortable, so that the académie sees where adoption lags.

One GROUP BY query per summary over the whole académie (never one query per establishment);
an establishment without pupils or visits still has its line, with « — » percentages.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select

from ..extensions import db
from ..models import (
    Compte,
    Eleve,
    Etablissement,
    EtatCompte,
    KindCompte,
    ResponsableEleve,
)
from .summaries import (
    LigneEleves,
    LigneResponsables,
    _annee_condition,
    _compte_counts,
    _eleve_counts,
    _ligne_eleves,
    _ligne_responsables,
    _sum_eleves,
)
from .visits import Periode, SyntheseAcces, synthese_acces

# Sortable columns of each roll-up (the `tri` argument), allow-listed.
TRIS_ELEVES = ("uai", "libelle", "eleves", "non_notifies", "notifies", "utilises", "pct_utilises")
TRIS_RESPONSABLES = ("uai", "libelle", "comptes", "non_notifies", "notifies", "notifies_annee",
                     "utilises", "pct_comptes_utilises", "pct_eleves_resp_utilise")
TRIS_ACCES = ("uai", "libelle", "total")


def etablissements(academie_id: int) -> list[tuple[int, str, str, int]]:
    """(id, uai, nom, annee_scolaire) of the académie's establishments, by name."""
    return [tuple(r) for r in db.session.execute(
        select(Etablissement.id, Etablissement.uai, Etablissement.nom,
               Etablissement.annee_scolaire)
        .where(Etablissement.academie_id == academie_id).order_by(Etablissement.nom))]


def _ids(academie_id: int):
    return select(Etablissement.id).where(Etablissement.academie_id == academie_id)


def sort_lignes(lignes: list, tri: str | None, desc: bool, allowed: tuple[str, ...]) -> list:
    """Order roll-up lines by an allow-listed column; « — » (None) always last."""
    key = tri if tri in allowed else "libelle"

    def value(ligne):
        v = getattr(ligne, key)
        return v.lower() if isinstance(v, str) else v

    present = sorted((li for li in lignes if getattr(li, key) is not None), key=value,
                     reverse=desc)
    return present + [li for li in lignes if getattr(li, key) is None]


def rollup_eleves(academie_id: int) -> tuple[LigneEleves, list[LigneEleves]]:
    """R-STA-1 per establishment of the académie, and the académie's total line."""
    stmt = (
        select(Eleve.etablissement_id, *_eleve_counts())
        .select_from(Eleve).outerjoin(Compte, and_(  # each table by establishment
            Compte.id == Eleve.compte_id, Compte.etablissement_id == Eleve.etablissement_id))
        .where(Eleve.etablissement_id.in_(_ids(academie_id)))
        .group_by(Eleve.etablissement_id)
    )
    counts = {row.etablissement_id: row for row in db.session.execute(stmt)}
    lignes = [
        _ligne_eleves(nom, counts[etab_id], uai) if etab_id in counts else LigneEleves(nom, uai=uai)
        for etab_id, uai, nom, _annee in etablissements(academie_id)
    ]
    return _sum_eleves("Académie", lignes), lignes


def rollup_responsables(academie_id: int) -> tuple[LigneResponsables, list[LigneResponsables]]:
    """R-STA-2 per establishment. An account belongs to one establishment: its line counts the
    establishment's guardian accounts that some pupil's link carries, and the académie's total
    is the sum of the lines."""
    etabs = etablissements(academie_id)
    annees: dict[int, list[int]] = {}
    for etab_id, _uai, _nom, annee in etabs:
        annees.setdefault(annee, []).append(etab_id)
    ids = _ids(academie_id)
    pupils = dict(db.session.execute(
        select(Eleve.etablissement_id, func.count(Eleve.id))
        .where(Eleve.etablissement_id.in_(ids)).group_by(Eleve.etablissement_id)).all())
    # From the used accounts (index on establishment, kind, state) to their links.
    used = dict(db.session.execute(
        select(Compte.etablissement_id, func.count(func.distinct(ResponsableEleve.eleve_id)))
        .select_from(Compte).join(ResponsableEleve, and_(
            ResponsableEleve.compte_id == Compte.id,
            ResponsableEleve.etablissement_id == Compte.etablissement_id))
        .where(Compte.etablissement_id.in_(ids), Compte.kind == KindCompte.RESPONSABLE.value,
               Compte.etat == EtatCompte.UTILISE.value)
        .group_by(Compte.etablissement_id)).all())
    linked = exists().where(ResponsableEleve.compte_id == Compte.id,
                            ResponsableEleve.etablissement_id == Compte.etablissement_id)
    accounts = {row.etablissement_id: row for row in db.session.execute(
        select(Compte.etablissement_id, *_compte_counts(_annee_condition(annees)))
        .where(Compte.etablissement_id.in_(ids), Compte.kind == KindCompte.RESPONSABLE.value,
               linked)
        .group_by(Compte.etablissement_id))}
    lignes = [_ligne_responsables(nom, accounts.get(etab_id), int(pupils.get(etab_id, 0)),
                                  int(used.get(etab_id, 0)), uai)
              for etab_id, uai, nom, _annee in etabs]
    fields = ("comptes", "non_notifies", "notifies", "notifies_annee", "utilises", "eleves",
              "eleves_resp_utilise")
    total = LigneResponsables("Académie", *(sum(getattr(li, f) for li in lignes) for f in fields))
    return total, lignes


@dataclass
class LigneAcces:
    libelle: str
    uai: str
    par_categorie: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.par_categorie.values())

    def as_dict(self) -> dict:
        return {"uai": self.uai, "libelle": self.libelle, "total": self.total,
                "par_categorie": dict(self.par_categorie)}


def rollup_acces(academie_id: int, periode: Periode
                 ) -> tuple[SyntheseAcces, list[str], list[LigneAcces]]:
    """R-STA-3 over the académie (charts), and a line per establishment with its visits per
    service category (the categories are the académie's columns, most visited first)."""
    etabs = etablissements(academie_id)
    cells: dict[int, dict[str, int]] = {}
    synthese = synthese_acces([e[0] for e in etabs], periode, per_etablissement=cells)
    categories = [c for c, _n in synthese.par_categorie]
    lignes = [LigneAcces(nom, uai, {c: cells.get(etab_id, {}).get(c, 0) for c in categories})
              for etab_id, uai, nom, _annee in etabs]
    return synthese, categories, lignes
