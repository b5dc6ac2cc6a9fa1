"""Synthèse accès téléservices (R-STA-3): visits of `AccesTeleservice` in a period of days
(UTC), per month, per category of the service and per MEFSTAT of the pupil concerned at visit
time — the three breakdowns (and the académie's per-establishment one) from ONE aggregate
statement. Portable SQL: the month bucket is chosen by dialect (`month_bucket`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import String, and_, cast, func, literal_column, null, select, union_all

from .. import bounded
from ..errors import DomainError
from ..extensions import db
from ..models import AccesTeleservice, Mef, Teleservice

NON_RENSEIGNE = "Non renseigné"
MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre")
MAX_PERIOD_DAYS = 3 * 366


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
    start = bounded.parse_date(debut) if debut else default.debut
    end = bounded.parse_date(fin) if fin else default.fin
    if start is None or end is None:
        raise DomainError("Date invalide : saisissez une date au format JJ/MM/AAAA (années "
                          f"{bounded.YEAR_MIN} à {bounded.YEAR_MAX}).")
    if start > end:
        raise DomainError("La date de début doit précéder la date de fin.")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise DomainError("La période ne peut pas dépasser trois ans.")
    return Periode(start, end)


def month_bucket(column):
    """'YYYY-MM' of a timestamp, in the SQL of the connected database. The format is inlined
    (not a bound parameter) so that PostgreSQL sees the same expression in SELECT and GROUP BY.
    On SQLite, SQLAlchemy stores a DateTime as 'YYYY-MM-DD HH:MM:SS.ffffff' text: its first
    seven characters are the month, twice as fast as strftime() on a large académie."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return func.substr(column, literal_column("1"), literal_column("7"))


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


def _acces_query(scope, per_etablissement: bool):
    """All breakdowns of R-STA-3 in ONE statement: the visits of the scope are scanned once
    (covering index) into a small CTE counted per establishment × service × MEF × month, and
    each breakdown is a GROUP BY over that CTE, put together with UNION ALL as rows
    (kind, a, b, n)."""
    bucket = month_bucket(AccesTeleservice.visited_at)
    acces = AccesTeleservice
    cube = (select(acces.etablissement_id, acces.teleservice_id, acces.mef_id,
                   bucket.label("mois"), func.count().label("n"))
            .where(scope)
            .group_by(acces.etablissement_id, acces.teleservice_id, acces.mef_id, bucket)
            .cte("acces_cube"))
    n = func.sum(cube.c.n).label("n")
    nothing = cast(null(), String)

    def kind(name):
        return literal_column(f"'{name}'", String).label("kind")

    parts = [
        select(kind("mois"), cube.c.mois.label("a"), nothing.label("b"), n)
        .group_by(cube.c.mois),
        select(kind("categorie"), Teleservice.categorie.label("a"), nothing.label("b"), n)
        .select_from(cube).join(Teleservice, Teleservice.id == cube.c.teleservice_id)
        .group_by(Teleservice.categorie),
        select(kind("mefstat"), Mef.mefstat.label("a"), func.min(Mef.libelle).label("b"), n)
        .select_from(cube).outerjoin(Mef, and_(  # the visit's own establishment (issue 14)
            Mef.id == cube.c.mef_id, Mef.etablissement_id == cube.c.etablissement_id))
        .group_by(Mef.mefstat),
    ]
    if per_etablissement:
        parts.append(
            select(kind("etablissement"), cast(cube.c.etablissement_id, String).label("a"),
                   Teleservice.categorie.label("b"), n)
            .select_from(cube).join(Teleservice, Teleservice.id == cube.c.teleservice_id)
            .group_by(cube.c.etablissement_id, Teleservice.categorie))
    return union_all(*parts)


def synthese_acces(etablissement_ids: list[int] | int, periode: Periode,
                   per_etablissement: dict | None = None) -> SyntheseAcces:
    """R-STA-3: visits per month, per service category and per MEFSTAT in the period.

    With `per_etablissement` (a dict), also fills it with {establishment id: {category: n}}
    from the same statement (the académie roll-up)."""
    rows = db.session.execute(_acces_query(_acces_scope(etablissement_ids, periode),
                                           per_etablissement is not None)).all()
    months: dict[str, int] = {}
    par_categorie, par_mefstat = [], []
    for kind, a, b, n in rows:  # a few dozen aggregated rows, already counted by SQL
        if kind == "mois":
            months[a] = int(n)
        elif kind == "categorie":
            par_categorie.append((a, int(n)))
        elif kind == "mefstat":
            par_mefstat.append((a or NON_RENSEIGNE, b or "", int(n)))
        else:
            per_etablissement.setdefault(int(a), {})[b] = int(n)
    par_mois = [(libelle_mois(k), months.get(k, 0)) for k in _months(periode)]
    par_categorie.sort(key=lambda r: (-r[1], r[0]))
    par_mefstat.sort(key=lambda r: (r[0] == NON_RENSEIGNE, r[0]))
    return SyntheseAcces(periode, sum(v for _, v in par_mois), par_mois, par_categorie,
                         par_mefstat)
