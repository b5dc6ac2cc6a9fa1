"""Menu « Accès des responsables » (guide §4, R-ACC-1/3/4/7/8/9): one row per pupil–guardian
pair of level légal 1 / légal 2, with filters, mass actions on the whole filtered set and the
« Gérer le compte » page."""

from __future__ import annotations

import html

from flask_admin.actions import action
from markupsafe import Markup
from sqlalchemy import Select
from sqlalchemy.orm import Query, contains_eager

from .. import permissions
from ..comptes import selection as comptes_selection
from ..comptes.selection import NIVEAUX_LISTES
from ..email_syntax import email_status
from ..extensions import db
from ..models import Division, Eleve, Responsable, ResponsableEleve
from . import comptes_actions, comptes_gerer, mailto, taches
from .comptes import ComptesListView
from .comptes_columns import (
    COMPTE_COLUMN_LABELS,
    COMPTE_FORMATTERS,
    COMPTE_SORTS,
    LIST_COMPTE_COLUMNS,
)
from .comptes_filtres import compte_filters, qualite_filter

CATEGORY = "Accès des responsables"
QUALITES = {1: "Légal 1", 2: "Légal 2"}


def _adresse(view, context, row, name):
    """Adresse / Courriel: the SIECLE email, else the postal address (guide §4.1)."""
    if row.email:
        if email_status(row.email) == "invalide":
            return Markup(
                '<span class="email-invalide" title="Format d\'adresse de messagerie invalide">'
                f'<span aria-hidden="true">⚠</span> {html.escape(row.email)}</span>')
        return mailto.link(row.email)
    parts = [row.adresse_ligne1, f"{row.code_postal or ''} {row.commune or ''}".strip()]
    return ", ".join(p for p in parts if p)


# What one row of the list reads (plain rows, see ComptesListView.get_list).
LIST_ROW_COLUMNS = (
    ResponsableEleve.id, ResponsableEleve.niveau,
    Eleve.nom.label("eleve_nom"), Eleve.prenom.label("eleve_prenom"),
    Division.code.label("division"),
    Responsable.civilite, Responsable.nom.label("resp_nom"),
    Responsable.prenom.label("resp_prenom"), Responsable.email, Responsable.adresse_ligne1,
    Responsable.code_postal, Responsable.commune,
    *LIST_COMPTE_COLUMNS,
)

# Pupil, division, guardian and account come with the row (contains_eager: no N+1).
ROW_OPTIONS = (
    contains_eager(ResponsableEleve.eleve).contains_eager(Eleve.division),
    contains_eager(ResponsableEleve.responsable),
    contains_eager(ResponsableEleve.compte),
)


class ResponsablesView(comptes_gerer.GererMixin, comptes_actions.MassActionsMixin,
                       ComptesListView):
    """Notifier les accès des responsables / Gérer le compte responsable (guide §4.1, §4.2)."""

    area = permissions.RESPONSABLES
    kind = "responsable"
    column_list = (
        "eleve.nom", "eleve.prenom", "eleve.division", "responsable", "niveau", "adresse",
        "compte.date_notification", "compte.mode_notification", "compte.etat",
        "compte.derniere_connexion",
    )
    column_labels = {
        "eleve.nom": "Nom de l'élève", "eleve.prenom": "Prénom de l'élève",
        "eleve.division": "Division", "responsable": "Responsable", "niveau": "Qualité",
        "adresse": "Adresse / Courriel", **COMPTE_COLUMN_LABELS,
    }
    column_formatters = {
        "eleve.nom": lambda v, c, m, n: m.eleve_nom,
        "eleve.prenom": lambda v, c, m, n: m.eleve_prenom,
        "eleve.division": lambda v, c, m, n: m.division,
        "responsable": lambda v, c, m, n: Responsable.display_name(m.civilite, m.resp_nom,
                                                                     m.resp_prenom),
        "niveau": lambda v, c, m, n: QUALITES.get(m.niveau, ""),
        "adresse": _adresse,
        **COMPTE_FORMATTERS,
    }
    sort_map = {
        "eleve.nom": (Eleve.nom, Eleve.prenom), "eleve.prenom": (Eleve.prenom, Eleve.nom),
        "eleve.division": (Division.code, Eleve.nom, Eleve.prenom),
        "responsable": (Responsable.nom, Responsable.prenom),
        "niveau": (ResponsableEleve.niveau, Eleve.nom),
        **COMPTE_SORTS,
    }
    default_sort_key = "eleve.nom"
    column_filters = compte_filters(qualite_filter())

    def tenant_column(self):
        return ResponsableEleve.etablissement_id

    def row_eleve(self, row):
        return row.eleve

    def row_label(self, row) -> str:
        who = Responsable.display_name(row.civilite, row.resp_nom, row.resp_prenom)
        return f"{who}, responsable de {row.eleve_nom} {row.eleve_prenom}"

    def list_row_columns(self) -> tuple:
        return LIST_ROW_COLUMNS

    def build_query(self) -> Query:
        # One query: pupil, division, guardian and account joined (no N+1).
        return (
            Query(ResponsableEleve)
            .join(ResponsableEleve.eleve)
            .join(ResponsableEleve.responsable)
            .outerjoin(Eleve.division)
            .outerjoin(ResponsableEleve.compte)
            .filter(ResponsableEleve.niveau.in_(NIVEAUX_LISTES))
        )

    def row_options(self) -> tuple:
        return ROW_OPTIONS

    def list_joins(self, stmt: Select) -> Select:
        return (stmt.outerjoin(comptes_selection.LIEN_RESPONSABLE)
                .outerjoin(comptes_selection.ELEVE_DIVISION))

    @action("notifier", "Notifier")
    def action_notifier(self, ids):
        return self.run_notifier(ids)

    @action("ecrire", "Écrire à plusieurs responsables")
    def action_ecrire(self, ids):
        return self.run_ecrire(ids)


def register(admin) -> None:
    admin.add_view(ResponsablesView(
        ResponsableEleve, db, name="Notifier / gérer les comptes", category=CATEGORY,
        endpoint="responsables", url="/responsables/"))
    taches.register(admin)
