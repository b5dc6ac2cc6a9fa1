"""The one account-selection query (R-ACC-4, R-SEC-1): which rows of an account list — pupils
(`Eleve`) or pupil–guardian pairs of level légal 1 / légal 2 (`ResponsableEleve`) — match an
establishment and a set of filters.

The list pages (count and shown rows), « Sélectionner les M comptes correspondant aux
filtres » and `flask admints notify` all start from `select_accounts`, so the count a user
reads is the set an action acts on. The query is an unordered, unpaged SQLAlchemy `Select`
with two labelled columns, `row_id` and `compte_id`; callers add their own columns, joins,
order and page.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, false, func

from ..errors import DomainError
from ..extensions import db
from ..models import Compte, Division, Eleve, KindCompte, Responsable, ResponsableEleve
from . import lifecycle

NIVEAUX_LISTES = (1, 2)  # the guardians' list: légal 1 and légal 2 only

# Fields holding a set of accepted values (`IN`); given twice, both apply: they meet.
_SET_FIELDS = ("divisions", "mefs", "niveaux", "etats")


@dataclass(frozen=True)
class AccountFilters:
    """What a list's filter bar (or the CLI's options) asks. `None`: no filter on that field;
    an empty tuple: a filter no row matches (e.g. two division filters that don't meet)."""

    divisions: tuple[int, ...] | None = None
    mefs: tuple[int, ...] | None = None
    niveaux: tuple[int, ...] | None = None  # guardians' list only (« Qualité »)
    etats: tuple[str, ...] | None = None
    # First letters of the pupil's name, any case, taken literally (`%`, `_` are letters);
    # several: every one applies.
    nom_prefixes: tuple[str, ...] = ()
    continuite: bool | None = None
    # R-ACC-10: *Notifié* / *En cours d'activation* accounts that expire on or before this day
    # (« expire dans les 30 jours »: today + 30, `lifecycle.expires_on`).
    expire_le: dt.date | None = None
    open_only: bool = False  # accounts not closed (`ferme_le IS NULL`): the CLI's notify
    nothing: bool = False  # two answers that exclude each other (continuité oui and non)

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, object]]) -> AccountFilters:
        """Filters from `(field, value)` pairs, e.g. a URL's filters in order. Every pair
        applies (AND): the same field given twice narrows — two division lists meet, two
        prefixes must both match, « continuité » yes and no selects nothing."""
        fields: dict = {}
        for name, value in pairs:
            old = fields.get(name)
            if name in _SET_FIELDS:
                fields[name] = (tuple(value) if old is None
                                else tuple(v for v in old if v in value))
            elif name == "nom_prefixes":
                fields[name] = (*(old or ()), value)
            elif name == "expire_le":
                fields[name] = value if old is None else min(old, value)
            elif name == "continuite":
                if old is not None and old != value:
                    fields["nothing"] = True
                fields[name] = value
            else:
                raise DomainError(f"Filtre inconnu : {name}.")
        return cls(**fields)


# Frozen: one shared instance is a safe default.
NO_FILTERS = AccountFilters()


def _in(column, values) -> list:
    if values is None:
        return []
    return [column.in_(values) if values else false()]


def base(kind: str, *columns) -> Select:
    """The FROM of a list, unscoped and unfiltered: the pupil (guardians' list) and, outer, the
    account; columns `row_id` and `compte_id`, or `columns`. A list page builds its statement
    of shown columns on it once (`base(kind, *columns)`, then its own joins) and adds
    `select_accounts(...).whereclause` per request."""
    if not columns:
        return _default_base(kind)
    # Columns given here rather than through `with_only_columns`, which would keep a memo of
    # the joins and lengthen every execution's cache key (bench/list_page.py).
    if kind == KindCompte.ELEVE:
        return db.select(*columns).select_from(Eleve).outerjoin(_ELEVE_COMPTE)
    if kind == KindCompte.RESPONSABLE:
        return (db.select(*columns).select_from(ResponsableEleve)
                .join(ResponsableEleve.eleve).outerjoin(_LIEN_COMPTE))
    raise DomainError(f"Type de compte inconnu : {kind}.")


# Issue 14: every table is scoped to the establishment, so that PostgreSQL reads each one through
# an (etablissement_id, …) index, never the académie's rows. The joined tables in their (outer)
# join, column to column (the cached statements keep no parameter; a row without an account
# stays listed); the WHERE of `select_accounts` fixes the establishment (see there).
_ELEVE_COMPTE = Eleve.compte.and_(Compte.etablissement_id == Eleve.etablissement_id)
_LIEN_COMPTE = ResponsableEleve.compte.and_(Compte.etablissement_id == Eleve.etablissement_id)
# The joins a list page adds for its shown columns (outer joins), scoped alike.
ELEVE_DIVISION = Eleve.division.and_(Division.etablissement_id == Eleve.etablissement_id)
LIEN_RESPONSABLE = ResponsableEleve.responsable.and_(
    Responsable.etablissement_id == Eleve.etablissement_id)


@functools.cache
def _default_base(kind: str) -> Select:
    # Building joins costs as much as a list page's SQL: built once per kind (a Select is
    # immutable: `.where` and `.join` return new ones). Joined along the relationships: their
    # cache key (computed on every execution) is cheaper than explicit ON clauses'.
    if kind == KindCompte.ELEVE:
        return base(kind, Eleve.id.label("row_id"), Eleve.compte_id.label("compte_id"))
    return base(kind, ResponsableEleve.id.label("row_id"),
                ResponsableEleve.compte_id.label("compte_id"))


# Clauses are immutable: the guardians' list's own condition is built once.
_LISTED = ResponsableEleve.niveau.in_(NIVEAUX_LISTES)
# The guardians' rows without their pupil (`select_accounts(count=True)`), the account scoped
# by the link's own establishment.
_LIEN_SEUL_COMPTE = ResponsableEleve.compte.and_(
    Compte.etablissement_id == ResponsableEleve.etablissement_id)


@functools.cache
def _links_base() -> Select:
    return (db.select(ResponsableEleve.id.label("row_id"),
                      ResponsableEleve.compte_id.label("compte_id"))
            .select_from(ResponsableEleve).outerjoin(_LIEN_SEUL_COMPTE))


def _reads_pupil(filters: AccountFilters) -> bool:
    return (filters.divisions is not None or filters.mefs is not None
            or bool(filters.nom_prefixes))


def select_accounts(etablissement_id: int, kind: str, filters: AccountFilters = NO_FILTERS, *,
                    page: bool = False, count: bool = False) -> Select:
    """Rows of one account list of the establishment, filtered. Columns `row_id` (Eleve.id or
    ResponsableEleve.id) and `compte_id`; joins: the pupil (guardians' list) and, outer, the
    account — nothing else, so a count stays cheap.

    Every table carries the establishment (issue 14): `eleve`; `responsable_eleve` (guardians'
    list); `compte` with its kind when a filter reads the account, through the (etablissement,
    kind, état) index. `page=True` (a list page's shown rows, ordered by the pupil's name) leaves
    the link's own condition to its join with the pupil: the same rows (a link belongs to its
    pupil's establishment), but PostgreSQL would multiply the two fully correlated
    selectivities (4,000 rows estimated at 27) and sort every row of the school rather than
    walk the pupils' name index (bench/academie.py: 42 → 1 ms at 1M accounts).

    `count=True` (rows only counted, never read): on the guardians' list, when no filter reads
    the pupil, the links are not joined to their pupils — the same rows, for the same reason —
    and PostgreSQL counts them on the (etablissement, niveau) index alone (bench/academie.py,
    1M accounts: 1.3 → 0.5 ms for 4,000 rows)."""
    stmt = base(kind)  # DomainError on an unknown kind
    where = [Eleve.etablissement_id == etablissement_id]
    if count and kind == KindCompte.RESPONSABLE and not _reads_pupil(filters):
        stmt, where = _links_base(), []
    if kind == KindCompte.RESPONSABLE:
        if not page:
            where.append(ResponsableEleve.etablissement_id == etablissement_id)
        where += [_LISTED, *_in(ResponsableEleve.niveau, filters.niveaux)]
    if filters.nothing:
        where.append(false())
    where += _in(Eleve.division_id, filters.divisions)
    where += _in(Eleve.mef_id, filters.mefs)
    where += _in(Compte.etat, filters.etats)
    # autoescape: % and _ typed by the user are letters, not wildcards.
    where += [Eleve.nom.istartswith(prefix.strip(), autoescape=True)
              for prefix in filters.nom_prefixes]
    if filters.continuite is not None:
        where.append(Compte.continuite.is_(filters.continuite))
    if filters.open_only:
        where.append(Compte.ferme_le.is_(None))
    if filters.expire_le is not None:
        where += [Compte.etat.in_(lifecycle.NOT_ACTIVATED_STATES), Compte.ferme_le.is_(None),
                  Compte.date_notification < lifecycle.notified_before_expiry_by(
                      filters.expire_le)]
    if (filters.etats is not None or filters.continuite is not None or filters.open_only
            or filters.expire_le is not None):  # rows without an account are out anyway
        where += [Compte.etablissement_id == etablissement_id,
                  Compte.kind == KindCompte(kind).value]
    return stmt.where(*where)


def _whole(stmt: Select, *columns) -> Select:
    # Every page, any order: what was selected, not what was shown.
    return stmt.with_only_columns(*columns).order_by(None).limit(None).offset(None)


_COUNT = func.count()


def count_statement(stmt: Select) -> Select:
    """The statement counting the rows `stmt` (a `select_accounts` query, possibly with more
    joins) selects."""
    return _whole(stmt, _COUNT)


def count_rows(stmt: Select) -> int:
    """How many rows `stmt` (a `select_accounts` query, possibly with more joins) selects."""
    return db.session.connection().execute(count_statement(stmt)).scalar()


def _distinct_ids(ids: Iterable[int | None]) -> list[int]:
    # One guardian account may stand on several rows (one per pupil): acted on once.
    return list(dict.fromkeys(i for i in ids if i is not None))


def compte_ids(stmt: Select) -> list[int]:
    """The distinct account ids of a `select_accounts` query, every page, rows without an
    account dropped."""
    column = stmt.selected_columns["compte_id"]
    return _distinct_ids(db.session.connection().execute(_whole(stmt, column)).scalars())


def row_and_compte_ids(stmt: Select) -> tuple[list[int], list[int]]:
    """The row ids of a `select_accounts` query and its distinct account ids (rows without an
    account dropped), in one statement: what an action on the list's rows needs."""
    rows = db.session.connection().execute(_whole(
        stmt, stmt.selected_columns["row_id"], stmt.selected_columns["compte_id"])).all()
    return [r.row_id for r in rows], _distinct_ids(r.compte_id for r in rows)


def division_ids(etablissement_id: int, codes: Iterable[str]) -> tuple[int, ...]:
    """The ids of the establishment's divisions named by `codes`; DomainError on an unknown
    code."""
    codes = tuple(codes)
    ids = dict(db.session.execute(db.select(Division.code, Division.id).where(
        Division.etablissement_id == etablissement_id, Division.code.in_(codes))).all())
    unknown = sorted(set(codes) - set(ids))
    if unknown:
        raise DomainError(f"Division(s) inconnue(s) : {', '.join(unknown)}.")
    return tuple(ids[c] for c in dict.fromkeys(codes))
