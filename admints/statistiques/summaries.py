"""Statistiques (R-STA-1..3): account summaries of pupils and guardians, accesses to the
online services, and the académie roll-up of the three.

Every figure is computed by aggregate SQL (GROUP BY with CASE WHEN sums and COUNT DISTINCT)
that runs the same on SQLite and PostgreSQL; Python only orders the few aggregated rows and
fills empty months. Functions take explicit arguments (establishment ids, `today`) and never
write anything.

Counting rules (decided here, shown under the tables):
- Élèves: one line per pupil, placed by its MEF and division. Pupils have no « en cours
  d'activation » state (R-ACC-1); an account in an unexpected state other than *Utilisé* and
  *Non notifié* is counted as notified so that the three columns always add up to the pupils.
  A pupil without an account counts as *Non notifié*. Divisions without pupils do not appear.
- Responsables: accounts are reached through the guardian–pupil links that carry an account
  (légal 1 / légal 2). An account shared by siblings is counted ONCE per line: in each
  division line where it has a child, once in the MEF's « Somme » and once in the
  establishment's line (COUNT DISTINCT), so a « Somme » may be below the total of its lines.
  « Année courante »: notified or being activated with a notification date in the
  establishment's school year (1 September of `annee_scolaire` to 31 August).
- Accès (module `visits`, re-exported here): visits of `AccesTeleservice` in a period
  of days (UTC), by month, by the service's category and by the MEFSTAT of the pupil
  concerned at visit time.
The académie roll-up of the three is in `rollups`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)

from ..errors import DomainError
from ..extensions import db
from ..i18n import format_percent
from ..models import (
    Compte,
    Division,
    Eleve,
    Etablissement,
    EtatCompte,
    KindCompte,
    Mef,
    ResponsableEleve,
)

SANS_MEF = "Sans MEF"
SANS_DIVISION = "Sans division"


# --- one percentage, everywhere ------------------------------------------------------------

def pourcentage(part: int, total: int) -> float | None:
    """Share of `total` in percent; None when there is nothing to divide (0 pupils)."""
    if not total:
        return None
    return 100.0 * part / total


# « 1,59 % », « 100 % », and « — » when there is no denominator: the application's single
# percentage format, also the templates' `percent_fr` filter.
format_pourcentage = format_percent


# --- rows ----------------------------------------------------------------------------------

@dataclass
class LigneEleves:
    libelle: str
    eleves: int = 0
    non_notifies: int = 0
    notifies: int = 0
    utilises: int = 0
    uai: str | None = None  # académie roll-up lines

    @property
    def pct_utilises(self) -> float | None:
        return pourcentage(self.utilises, self.eleves)

    def as_dict(self) -> dict:
        return {**asdict(self), "pct_utilises": self.pct_utilises}


@dataclass
class LigneResponsables:
    libelle: str
    comptes: int = 0
    non_notifies: int = 0
    notifies: int = 0
    notifies_annee: int = 0
    utilises: int = 0
    eleves: int = 0
    eleves_resp_utilise: int = 0
    uai: str | None = None

    @property
    def pct_comptes_utilises(self) -> float | None:
        return pourcentage(self.utilises, self.comptes)

    @property
    def pct_eleves_resp_utilise(self) -> float | None:
        return pourcentage(self.eleves_resp_utilise, self.eleves)

    def as_dict(self) -> dict:
        return {**asdict(self), "pct_comptes_utilises": self.pct_comptes_utilises,
                "pct_eleves_resp_utilise": self.pct_eleves_resp_utilise}


@dataclass
class TableMef:
    mef_id: int | None
    code: str | None
    libelle: str
    lignes: list = field(default_factory=list)
    somme: object = None

    def as_dict(self) -> dict:
        return {"code": self.code, "libelle": self.libelle,
                "lignes": [ligne.as_dict() for ligne in self.lignes],
                "somme": self.somme.as_dict()}


@dataclass
class Synthese:
    """An establishment line, then one table per MEF (R-STA-1/2)."""

    etablissement: object
    mefs: list[TableMef]

    def as_dict(self) -> dict:
        return {"etablissement": self.etablissement.as_dict(),
                "mefs": [t.as_dict() for t in self.mefs]}


def _mef_order(code: str | None, libelle: str) -> tuple:
    # MEF codes grow from 6e to 3e; pupils without MEF come last.
    return (code is None, code or "", libelle)


def _build_tables(rows, make_line) -> list[TableMef]:
    """Group (mef, division) aggregate rows into ordered per-MEF tables (no sums here)."""
    tables: dict = {}
    for row in rows:
        key = row.mef_id
        if key not in tables:
            tables[key] = TableMef(key, row.mef_code, row.mef_libelle or row.mef_code or SANS_MEF)
        tables[key].lignes.append(make_line(row.division_code or SANS_DIVISION, row))
    ordered = sorted(tables.values(), key=lambda t: _mef_order(t.code, t.libelle))
    for table in ordered:
        table.lignes.sort(key=lambda ligne: (ligne.libelle == SANS_DIVISION, ligne.libelle))
    return ordered


def _eleve_structure_select():
    return (
        select(Eleve.mef_id, Mef.code.label("mef_code"), Mef.libelle.label("mef_libelle"),
               Eleve.division_id, Division.code.label("division_code"))
        .select_from(Eleve)
        # Each table scoped by the pupil's establishment (issue 14): PostgreSQL reads the
        # establishment's MEFs and divisions by index, not the académie's.
        .outerjoin(Mef, and_(Mef.id == Eleve.mef_id,
                             Mef.etablissement_id == Eleve.etablissement_id))
        .outerjoin(Division, and_(Division.id == Eleve.division_id,
                                  Division.etablissement_id == Eleve.etablissement_id))
    )


_STRUCTURE_GROUP = (Eleve.mef_id, Mef.code, Mef.libelle, Eleve.division_id, Division.code)


# --- R-STA-1 -------------------------------------------------------------------------------

def _eleve_counts():
    etat = Compte.etat
    return (
        func.count(Eleve.id).label("eleves"),
        func.sum(case((or_(Compte.id.is_(None), etat == EtatCompte.NON_NOTIFIE.value), 1),
                      else_=0)).label("non_notifies"),
        func.sum(case((and_(Compte.id.is_not(None),
                            etat.not_in([EtatCompte.NON_NOTIFIE.value,
                                         EtatCompte.UTILISE.value])), 1),
                      else_=0)).label("notifies"),
        func.sum(case((etat == EtatCompte.UTILISE.value, 1), else_=0)).label("utilises"),
    )


def _ligne_eleves(libelle: str, row, uai: str | None = None) -> LigneEleves:
    return LigneEleves(libelle, int(row.eleves or 0), int(row.non_notifies or 0),
                       int(row.notifies or 0), int(row.utilises or 0), uai)


def _sum_eleves(libelle: str, lignes: list[LigneEleves]) -> LigneEleves:
    # Each pupil is in exactly one line: the sums of the lines are exact.
    return LigneEleves(libelle, *(sum(getattr(li, f) for li in lignes)
                                  for f in ("eleves", "non_notifies", "notifies", "utilises")))


def synthese_eleves(etablissement_id: int) -> Synthese:
    """R-STA-1: the establishment's line, then per MEF a line per division and a « Somme »."""
    stmt = (
        _eleve_structure_select().add_columns(*_eleve_counts())
        .outerjoin(Compte, and_(Compte.id == Eleve.compte_id,
                                Compte.etablissement_id == Eleve.etablissement_id))
        .where(Eleve.etablissement_id == etablissement_id)
        .group_by(*_STRUCTURE_GROUP)
    )
    tables = _build_tables(db.session.execute(stmt), _ligne_eleves)
    for table in tables:
        table.somme = _sum_eleves("Somme :", table.lignes)
    total = _sum_eleves("Établissement", [t.somme for t in tables])
    return Synthese(total, tables)


# --- R-STA-2 -------------------------------------------------------------------------------

def annee_bounds(annee_scolaire: int) -> tuple[dt.datetime, dt.datetime]:
    """The school year starting 1 September of `annee_scolaire` (end excluded)."""
    return dt.datetime(annee_scolaire, 9, 1), dt.datetime(annee_scolaire + 1, 9, 1)


def _annee_condition(annees: dict[int, list[int]] | int):
    """Notification date within the school year of the account's establishment.

    `annees` is one year, or {year: [establishment ids]} for a roll-up whose establishments
    may not all be in the same year (portable SQL: no date built from a column)."""
    if isinstance(annees, dict) and len(annees) == 1:
        annees = next(iter(annees))  # the usual case: one school year for the whole académie
    if isinstance(annees, int):
        start, end = annee_bounds(annees)
        return and_(Compte.date_notification >= start, Compte.date_notification < end)
    parts = []
    for annee, ids in annees.items():
        start, end = annee_bounds(annee)
        parts.append(and_(Compte.etablissement_id.in_(ids), Compte.date_notification >= start,
                          Compte.date_notification < end))
    return or_(*parts) if parts else literal(False)


def _compte_counts(annee_condition):
    """State counts over rows that are each ONE account (made distinct beforehand)."""
    etat = Compte.etat
    notifie = etat.in_([EtatCompte.NOTIFIE.value, EtatCompte.EN_COURS_ACTIVATION.value])

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    return (
        func.count(Compte.id).label("comptes"),
        count_if(etat == EtatCompte.NON_NOTIFIE.value).label("non_notifies"),
        count_if(notifie).label("notifies"),
        count_if(and_(notifie, annee_condition)).label("notifies_annee"),
        count_if(etat == EtatCompte.UTILISE.value).label("utilises"),
    )


def _accounts_by_level(annee_condition, etablissement_id: int):
    """Account counts of the establishment's pupils at three levels in ONE statement: per
    (MEF, division), per MEF and for all. The guardian links are read once into a CTE of
    distinct (MEF, division, account) triples; each level takes the distinct accounts of its
    own key (an account shared by siblings is one account per line), joins them to `compte`
    and sums one CASE WHEN per state. Rows: (level, mef_id, division_id, counts...)."""
    triples = (
        select(Eleve.mef_id, Eleve.division_id, ResponsableEleve.compte_id)
        .select_from(ResponsableEleve).join(Eleve, Eleve.id == ResponsableEleve.eleve_id)
        # Both sides filtered on the establishment (links carry it too): PostgreSQL then reads
        # the establishment's links by index instead of scanning every link.
        .where(ResponsableEleve.compte_id.is_not(None),
               ResponsableEleve.etablissement_id == etablissement_id,
               Eleve.etablissement_id == etablissement_id)
        .distinct().cte("triples")
    )
    per_mef = select(triples.c.mef_id, triples.c.compte_id).distinct().subquery("per_mef")
    per_all = select(triples.c.compte_id).distinct().subquery("per_all")
    nothing = cast(null(), Integer)

    def level(name, source, mef, division, group):
        return (select(literal_column(f"'{name}'", String).label("level"), mef.label("mef_id"),
                       division.label("division_id"), *_compte_counts(annee_condition))
                .select_from(source).join(Compte, and_(
                    Compte.id == source.c.compte_id,
                    Compte.etablissement_id == etablissement_id))
                .group_by(*group))

    return union_all(
        level("division", triples, triples.c.mef_id, triples.c.division_id,
              (triples.c.mef_id, triples.c.division_id)),
        level("mef", per_mef, per_mef.c.mef_id, nothing, (per_mef.c.mef_id,)),
        level("tout", per_all, nothing, nothing, ()),
    )


def _pupils_with_used_guardian(etablissement_id: int):
    """Pupils having at least one guardian whose account is used, per (MEF, division): from
    the establishment's used accounts (indexed state) to their links and pupils."""
    group_cols = (Eleve.mef_id, Eleve.division_id)
    return (
        select(*group_cols, func.count(func.distinct(ResponsableEleve.eleve_id)).label("n"))
        .select_from(Compte).join(ResponsableEleve, ResponsableEleve.compte_id == Compte.id)
        .join(Eleve, Eleve.id == ResponsableEleve.eleve_id)
        .where(Compte.etablissement_id == etablissement_id,
               Compte.kind == KindCompte.RESPONSABLE.value,
               Compte.etat == EtatCompte.UTILISE.value,
               Eleve.etablissement_id == etablissement_id)
        .group_by(*group_cols)
    )


def _ligne_responsables(libelle: str, comptes, eleves: int, eleves_utilise: int,
                        uai: str | None = None) -> LigneResponsables:
    if comptes is None:
        return LigneResponsables(libelle, eleves=eleves, eleves_resp_utilise=eleves_utilise,
                                 uai=uai)
    return LigneResponsables(
        libelle, int(comptes.comptes or 0), int(comptes.non_notifies or 0),
        int(comptes.notifies or 0), int(comptes.notifies_annee or 0), int(comptes.utilises or 0),
        eleves, eleves_utilise, uai)


def synthese_responsables(etablissement_id: int) -> Synthese:
    """R-STA-2: the establishment's line, then per MEF a line per division and a « Somme »."""
    annee = db.session.scalar(
        select(Etablissement.annee_scolaire).where(Etablissement.id == etablissement_id))
    if annee is None:
        raise DomainError("Établissement inconnu.")
    condition = _annee_condition(annee)
    scope = Eleve.etablissement_id == etablissement_id
    # Pupils per division (additive: each pupil is in one line).
    pupils = (_eleve_structure_select().add_columns(func.count(Eleve.id).label("eleves"))
              .where(scope).group_by(*_STRUCTURE_GROUP))
    used = {(r.mef_id, r.division_id): r.n for r in db.session.execute(
        _pupils_with_used_guardian(etablissement_id))}
    per_division, per_mef, total = {}, {}, None
    for row in db.session.execute(_accounts_by_level(condition, etablissement_id)):
        if row.level == "division":
            per_division[(row.mef_id, row.division_id)] = row
        elif row.level == "mef":
            per_mef[row.mef_id] = row
        else:
            total = row

    def line(libelle, row):
        key = (row.mef_id, row.division_id)
        return _ligne_responsables(libelle, per_division.get(key), int(row.eleves),
                                   int(used.get(key, 0)))

    tables = _build_tables(db.session.execute(pupils), line)
    for table in tables:
        table.somme = _ligne_responsables(
            "Somme :", per_mef.get(table.mef_id), sum(li.eleves for li in table.lignes),
            sum(li.eleves_resp_utilise for li in table.lignes))
    etab_line = _ligne_responsables(
        "Établissement", total, sum(t.somme.eleves for t in tables),
        sum(t.somme.eleves_resp_utilise for t in tables))
    return Synthese(etab_line, tables)


