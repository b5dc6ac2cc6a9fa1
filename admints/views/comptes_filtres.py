"""The filters of the two account lists (R-ACC-4/5/8): division and MEF (one, several or all,
options of the request's establishment), quality, state, first letters of the pupil's name,
continuity — drawn by the lists' own filter bar (`?flt0_division=3&flt0_division=5`).

Flask-Admin's view takes these filter objects for their URL names, checks and options; none is
ever applied to a query by Flask-Admin: `account_filters` turns the request's valid ones into
the domain's `AccountFilters`, and `comptes.selection.select_accounts` selects the rows."""

from __future__ import annotations

import datetime as dt

from flask_admin.contrib.sqla import filters as sqla_filters
from sqlalchemy import bindparam, literal, union_all

from .. import clock
from ..comptes.selection import AccountFilters
from ..extensions import db
from ..models import ETAT_LABELS, Compte, Division, Eleve, EtatCompte, Mef, ResponsableEleve
from . import per_request
from .base import per_establishment


class MultiFilter(sqla_filters.FilterInList):
    """« Dans la liste »: one, several or all values; `as_int` checks and converts ids."""

    def __init__(self, column, name, options=None, as_int=False, key=None, field=None):
        super().__init__(column, name, options)
        self.as_int = as_int
        self.url_key = key
        self.field = field  # the AccountFilters field it sets
        self.data_type = None  # our filter bar draws it, not select2

    def clean(self, value):
        values = [v.strip() for v in str(value).split(",") if v.strip()]
        return [int(v) for v in values] if self.as_int else values

    def validate(self, value) -> bool:
        values = [v.strip() for v in str(value).split(",") if v.strip()]
        if not values:
            return False
        return all(v.isdigit() for v in values) if self.as_int else True

    def domain_value(self, value) -> tuple:
        return tuple(self.clean(value))


class StartsWithFilter(sqla_filters.BaseSQLAFilter):
    """Première(s) lettre(s) du nom de l'élève (R-ACC-8)."""

    url_key = "nom"
    field = "nom_prefixes"

    def domain_value(self, value) -> str:
        return str(value).strip()

    def validate(self, value) -> bool:
        return bool(str(value).strip()) and len(str(value)) <= 60

    def operation(self):
        return "starts with"


class BoolFilter(sqla_filters.BaseSQLAFilter):
    def __init__(self, column, name, key=None, field=None):
        super().__init__(column, name, options=(("1", "Oui"), ("0", "Non")))
        self.url_key = key
        self.field = field

    def validate(self, value) -> bool:
        return value in ("0", "1")

    def domain_value(self, value) -> bool:
        return value == "1"

    def operation(self):
        return "equals"


class ExpiryFilter(BoolFilter):
    """« Expire dans les 30 jours » (R-ACC-10, guide §1.4 step 12): *Notifié* / *En cours
    d'activation* accounts whose expiry (`lifecycle.expires_on`) falls within 30 days of
    today, so staff can renotify in time. Drawn like a yes/no filter."""

    bar_kind = "BoolFilter"
    DAYS = 30

    def __init__(self, column, name):
        super().__init__(column, name, key="expire", field="expire_le")
        self.options = (("1", "Oui"),)

    def validate(self, value) -> bool:
        return value == "1"

    def domain_value(self, value) -> dt.date:
        return clock.today() + dt.timedelta(days=self.DAYS)


ETAT_OPTIONS = [(e.value, ETAT_LABELS[e]) for e in EtatCompte]
# Guide §5.2 note 2: a pupil's account is never « En cours d'activation ».
ETAT_OPTIONS_ELEVES = [(value, label) for value, label in ETAT_OPTIONS
                       if value != EtatCompte.EN_COURS_ACTIVATION]


# Both lists' division and MEF options in one statement, built once and run on the session's
# connection once per request (each list page asks both: one round trip, not two).
_BOTH = union_all(
    db.select(literal("division").label("kind"), Division.id, Division.code.label("label"))
    .where(Division.etablissement_id == bindparam("etab_id")),
    db.select(literal("mef").label("kind"), Mef.id, Mef.libelle.label("label"))
    .where(Mef.etablissement_id == bindparam("etab_id"))).subquery()
_OPTIONS = db.select(_BOTH).order_by(_BOTH.c.kind, _BOTH.c.label, _BOTH.c.id)


def _options(etab_id, kind: str) -> list[tuple[str, str]]:
    return per_request.once(f"admints.filter_options:{etab_id}",
                            lambda: _read_options(etab_id))[kind]


def _read_options(etab_id) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {"division": [], "mef": []}
    for row in db.session.connection().execute(_OPTIONS, {"etab_id": etab_id}).all():
        found[row.kind].append((str(row.id), row.label))
    return found


def division_options(etab_id):
    return _options(etab_id, "division")


def mef_options(etab_id):
    return _options(etab_id, "mef")


def compte_filters(*extra, etats=ETAT_OPTIONS) -> tuple:
    """The filters of both lists, in the guide's order; `extra` goes after the MEF (the
    guardians' list adds « Qualité »); `etats`: the states offered (no « En cours
    d'activation » for pupils). Fresh filter objects for each view."""
    return (
        MultiFilter(Eleve.division_id, "Division", per_establishment(division_options), as_int=True,
                    key="division", field="divisions"),
        MultiFilter(Eleve.mef_id, "MEF", per_establishment(mef_options), as_int=True, key="mef",
                    field="mefs"),
        *extra,
        MultiFilter(Compte.etat, "État du compte", etats, key="etat", field="etats"),
        StartsWithFilter(Eleve.nom, "Première(s) lettre(s) du nom de l'élève"),
        BoolFilter(Compte.continuite, "Continuité d'accès", key="continuite", field="continuite"),
        ExpiryFilter(Compte.date_notification, "Expire dans les 30 jours"),
    )


def qualite_filter() -> MultiFilter:
    """The guardians' list's « Qualité » (légal 1, légal 2)."""
    return MultiFilter(ResponsableEleve.niveau, "Qualité", (("1", "Légal 1"), ("2", "Légal 2")),
                       as_int=True, key="qualite", field="niveaux")


def account_filters(active) -> AccountFilters:
    """The domain's filters from the request's valid `(filter, value)` pairs, in URL order
    (the same filter given twice narrows: `AccountFilters.of`)."""
    return AccountFilters.of((flt.field, flt.domain_value(value)) for flt, value in active)
