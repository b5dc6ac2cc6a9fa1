"""Menu « Accès des élèves » (guide §5, R-ACC-1/3/5/8/9/11): the pupils' account list with
filters and mass actions (paper notification only), « Gérer le compte » and the class lists."""

from __future__ import annotations

from flask_admin.actions import action
from sqlalchemy import Select
from sqlalchemy.orm import Query, contains_eager

from .. import permissions
from ..comptes import selection as comptes_selection
from ..extensions import db
from ..i18n import format_date
from ..models import Division, Eleve
from . import comptes_actions, comptes_gerer, listes_classes
from .comptes import ComptesListView
from .comptes_columns import (
    COMPTE_COLUMN_LABELS,
    COMPTE_FORMATTERS,
    COMPTE_SORTS,
    LIST_COMPTE_COLUMNS,
)
from .comptes_filtres import ETAT_OPTIONS_ELEVES, compte_filters

CATEGORY = "Accès des élèves"


# What one row of the list reads (plain rows, see ComptesListView.get_list).
LIST_ROW_COLUMNS = (Eleve.id, Eleve.nom, Eleve.prenom, Eleve.date_naissance,
                    Division.code.label("division"), *LIST_COMPTE_COLUMNS)
ROW_OPTIONS = (contains_eager(Eleve.division), contains_eager(Eleve.compte))


class ElevesView(comptes_gerer.GererMixin, comptes_actions.MassActionsMixin, ComptesListView):
    """Notifier les accès des élèves / Gérer le compte élève (guide §5.1, §5.2)."""

    area = permissions.ELEVES
    kind = "eleve"
    column_list = (
        "eleve", "division", "date_naissance", "compte.date_notification",
        "compte.mode_notification", "compte.etat", "compte.derniere_connexion",
    )
    column_labels = {
        "eleve": "Élève", "division": "Division", "date_naissance": "Date de naissance",
        **COMPTE_COLUMN_LABELS,
    }
    column_formatters = {
        "eleve": lambda v, c, m, n: f"{m.nom} {m.prenom}",
        "division": lambda v, c, m, n: m.division,
        "date_naissance": lambda v, c, m, n: format_date(m.date_naissance),
        **COMPTE_FORMATTERS,
    }
    sort_map = {
        "eleve": (Eleve.nom, Eleve.prenom),
        "division": (Division.code, Eleve.nom, Eleve.prenom),
        "date_naissance": (Eleve.date_naissance,),
        **COMPTE_SORTS,
    }
    default_sort_key = "eleve"
    column_filters = compte_filters(etats=ETAT_OPTIONS_ELEVES)

    def row_eleve(self, row):
        return row

    def row_label(self, row) -> str:
        return f"{row.nom} {row.prenom}"

    def list_row_columns(self) -> tuple:
        return LIST_ROW_COLUMNS

    def build_query(self) -> Query:
        return Query(Eleve).outerjoin(Eleve.division).outerjoin(Eleve.compte)

    def row_options(self) -> tuple:
        return ROW_OPTIONS

    def list_joins(self, stmt: Select) -> Select:
        return stmt.outerjoin(comptes_selection.ELEVE_DIVISION)

    @action("notifier", "Notifier (papier)")
    def action_notifier(self, ids):
        return self.run_notifier(ids)


def register(admin) -> None:
    admin.add_view(ElevesView(
        Eleve, db, name="Notifier / gérer les comptes", category=CATEGORY,
        endpoint="eleves", url="/eleves/"))
    listes_classes.register(admin, CATEGORY)
