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
- Accès: visits of `AccesTeleservice` in a period of days (UTC), by month, by the service's
  category and by the MEFSTAT of the pupil concerned at visit time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from sqlalchemy import and_, case, func, literal, literal_column, or_, select

from .errors import DomainError
from .extensions import db
from .models import (
    AccesTeleservice,
    Compte,
    Division,
    Eleve,
    EtatCompte,
    Etablissement,
    Mef,
    ResponsableEleve,
    Teleservice,
)

SANS_MEF = "Sans MEF"
SANS_DIVISION = "Sans division"
NON_RENSEIGNE = "Non renseigné"
MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre")
MAX_PERIOD_DAYS = 3 * 366


# --- one percentage, everywhere ------------------------------------------------------------

def pourcentage(part: int, total: int) -> float | None:
    """Share of `total` in percent; None when there is nothing to divide (0 pupils)."""
    if not total:
        return None
    return 100.0 * part / total


def format_pourcentage(value: float | None) -> str:
    """« 1,59 % », « 100 % », and « — » when there is no denominator."""
    if value is None:
        return "—"
    return f"{round(value, 2):g}".replace(".", ",") + " %"


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
        .outerjoin(Mef, Mef.id == Eleve.mef_id)
        .outerjoin(Division, Division.id == Eleve.division_id)
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
        .outerjoin(Compte, Compte.id == Eleve.compte_id)
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
    """Notification date within the school year of the pupil's establishment.

    `annees` is one year, or {year: [establishment ids]} for a roll-up whose establishments
    may not all be in the same year (portable SQL: no date built from a column)."""
    if isinstance(annees, int):
        start, end = annee_bounds(annees)
        return and_(Compte.date_notification >= start, Compte.date_notification < end)
    parts = []
    for annee, ids in annees.items():
        start, end = annee_bounds(annee)
        parts.append(and_(Eleve.etablissement_id.in_(ids), Compte.date_notification >= start,
                          Compte.date_notification < end))
    return or_(*parts) if parts else literal(False)


def _responsable_counts(annee_condition):
    etat = Compte.etat
    notifie = etat.in_([EtatCompte.NOTIFIE.value, EtatCompte.EN_COURS_ACTIVATION.value])
    utilise = etat == EtatCompte.UTILISE.value

    def distinct_if(condition, column=Compte.id):
        return func.count(func.distinct(case((condition, column))))

    return (
        func.count(func.distinct(Eleve.id)).label("eleves"),
        func.count(func.distinct(Compte.id)).label("comptes"),
        distinct_if(etat == EtatCompte.NON_NOTIFIE.value).label("non_notifies"),
        distinct_if(notifie).label("notifies"),
        distinct_if(and_(notifie, annee_condition)).label("notifies_annee"),
        distinct_if(utilise).label("utilises"),
        distinct_if(utilise, Eleve.id).label("eleves_resp_utilise"),
    )


def _responsable_select(annee_condition, *columns):
    """Pupils, left-joined to their guardians' accounts: pupils without one still count."""
    return (
        select(*columns, *_responsable_counts(annee_condition))
        .select_from(Eleve)
        .outerjoin(ResponsableEleve, and_(ResponsableEleve.eleve_id == Eleve.id,
                                          ResponsableEleve.compte_id.is_not(None)))
        .outerjoin(Compte, Compte.id == ResponsableEleve.compte_id)
    )


def _ligne_responsables(libelle: str, row, uai: str | None = None) -> LigneResponsables:
    return LigneResponsables(
        libelle, int(row.comptes or 0), int(row.non_notifies or 0), int(row.notifies or 0),
        int(row.notifies_annee or 0), int(row.utilises or 0), int(row.eleves or 0),
        int(row.eleves_resp_utilise or 0), uai)


def synthese_responsables(etablissement_id: int) -> Synthese:
    """R-STA-2: the establishment's line, then per MEF a line per division and a « Somme »."""
    annee = db.session.scalar(
        select(Etablissement.annee_scolaire).where(Etablissement.id == etablissement_id))
    if annee is None:
        raise DomainError("Établissement inconnu.")
    condition = _annee_condition(annee)
    scope = Eleve.etablissement_id == etablissement_id

    base = _eleve_structure_select()
    per_division = (
        _responsable_select(condition, *base.selected_columns)
        .outerjoin(Mef, Mef.id == Eleve.mef_id).outerjoin(Division, Division.id == Eleve.division_id)
        .where(scope).group_by(*_STRUCTURE_GROUP)
    )
    tables = _build_tables(db.session.execute(per_division), _ligne_responsables)
    # Sums with COUNT DISTINCT: a sibling account counts once per MEF and per establishment.
    per_mef = _responsable_select(condition, Eleve.mef_id).where(scope).group_by(Eleve.mef_id)
    sums = {row.mef_id: row for row in db.session.execute(per_mef)}
    for table in tables:
        table.somme = _ligne_responsables("Somme :", sums[table.mef_id])
    total_row = db.session.execute(_responsable_select(condition).where(scope)).one()
    return Synthese(_ligne_responsables("Établissement", total_row), tables)



# --- R-STA-3 -------------------------------------------------------------------------------

@dataclass
class Periode:
    """Days from `debut` to `fin`, both included."""

    debut: dt.date
    fin: dt.date

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return (dt.datetime.combine(self.debut, dt.time()),
                dt.datetime.combine(self.fin + dt.timedelta(days=1), dt.time()))

    @property
    def libelle(self) -> str:
        return f"du {self.debut:%d/%m/%Y} au {self.fin:%d/%m/%Y}"


def periode_par_defaut(today: dt.date) -> Periode:
    """The school year containing `today`, from 1 September up to today."""
    start_year = today.year if today.month >= 9 else today.year - 1
    return Periode(dt.date(start_year, 9, 1), today)


def parse_periode(debut: str | None, fin: str | None, today: dt.date) -> Periode:
    """The period typed in the selector (ISO dates); empty fields take the default."""
    default = periode_par_defaut(today)
    try:
        start = dt.date.fromisoformat(debut) if debut else default.debut
        end = dt.date.fromisoformat(fin) if fin else default.fin
    except ValueError:
        raise DomainError("Date invalide : saisissez une date au format JJ/MM/AAAA.") from None
    if start > end:
        raise DomainError("La date de début doit précéder la date de fin.")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise DomainError("La période ne peut pas dépasser trois ans.")
    return Periode(start, end)


def month_bucket(column):
    """'YYYY-MM' of a timestamp, in the SQL of the connected database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return func.strftime(literal_column("'%Y-%m'"), column)


def _months(periode: Periode) -> list[str]:
    year, month, keys = periode.debut.year, periode.debut.month, []
    while (year, month) <= (periode.fin.year, periode.fin.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def libelle_mois(key: str) -> str:
    year, month = key.split("-")
    return f"{MOIS[int(month) - 1]} {year}"


@dataclass
class SyntheseAcces:
    periode: Periode
    total: int
    par_mois: list[tuple[str, int]]  # (« novembre 2026 », n), every month of the period
    par_categorie: list[tuple[str, int]]
    par_mefstat: list[tuple[str, str, int]]  # (MEFSTAT, libellé, n)

    def as_dict(self) -> dict:
        return {"debut": self.periode.debut.isoformat(), "fin": self.periode.fin.isoformat(),
                "total": self.total,
                "par_mois": [{"mois": m, "acces": n} for m, n in self.par_mois],
                "par_categorie": [{"categorie": c, "acces": n} for c, n in self.par_categorie],
                "par_mefstat": [{"mefstat": s, "libelle": li, "acces": n}
                                for s, li, n in self.par_mefstat]}


def _acces_scope(etablissement_ids: list[int] | int, periode: Periode):
    start, end = periode.bounds
    ids = [etablissement_ids] if isinstance(etablissement_ids, int) else list(etablissement_ids)
    where = AccesTeleservice.etablissement_id.in_(ids) if len(ids) != 1 else (
        AccesTeleservice.etablissement_id == ids[0])
    return and_(where, AccesTeleservice.visited_at >= start, AccesTeleservice.visited_at < end)


def synthese_acces(etablissement_ids: list[int] | int, periode: Periode) -> SyntheseAcces:
    """R-STA-3: visits per month, per service category and per MEFSTAT in the period."""
    scope = _acces_scope(etablissement_ids, periode)
    n = func.count(AccesTeleservice.id)
    bucket = month_bucket(AccesTeleservice.visited_at)
    months = dict(db.session.execute(
        select(bucket, n).where(scope).group_by(bucket)).all())
    par_mois = [(libelle_mois(k), int(months.get(k, 0))) for k in _months(periode)]
    par_categorie = [(c, int(v)) for c, v in db.session.execute(
        select(Teleservice.categorie, n).join(Teleservice,
                                              Teleservice.id == AccesTeleservice.teleservice_id)
        .where(scope).group_by(Teleservice.categorie).order_by(n.desc(), Teleservice.categorie))]
    par_mefstat = [(s or NON_RENSEIGNE, li or "", int(v)) for s, li, v in db.session.execute(
        select(Mef.mefstat, func.min(Mef.libelle), n)
        .select_from(AccesTeleservice).outerjoin(Mef, Mef.id == AccesTeleservice.mef_id)
        .where(scope).group_by(Mef.mefstat).order_by(Mef.mefstat))]
    par_mefstat.sort(key=lambda r: (r[0] == NON_RENSEIGNE, r[0]))
    return SyntheseAcces(periode, sum(v for _, v in par_mois), par_mois, par_categorie,
                         par_mefstat)
