"""Menu « Statistiques » (R-STA-1..3): synthèse comptes élèves, synthèse comptes responsables,
synthèse accès téléservices — as the guide's §6 tables, each with a Plotly chart above it and
a CSV export; for the académie role, the same screens over its establishments (one sortable
line per establishment), or the selected establishment with `?portee=etablissement`.

Isolation (R-SEC-1): no establishment id is ever read from the request. The establishment is
the one of the session (`TenantBaseView.etablissement_id`), the académie the user's own.
plotly.js is the partial « basic » bundle fetched by scripts/fetch_plotly.py (make dsfr) into
static/vendor/plotly/, served like every static file (versioned URL, long cache, compressed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, abort, flash, request
from flask_admin import expose
from flask_login import current_user

from .. import clock, permissions
from ..comptes.exports import csv_text
from ..errors import DomainError
from ..formatting import format_number
from ..models import Role
from ..statistiques import figures, rollups, summaries, visits
from ..tenancy import current_etablissement
from .base import TenantBaseView

CATEGORY = "Statistiques"
PLOTLY_JS = "vendor/plotly/plotly-basic.min.js"  # in the static folder

# The guide's columns, in the guide's order: (attribute, header).
COLONNES_ELEVES = (
    ("eleves", "Nombre d'élèves"),
    ("non_notifies", "Nombre de comptes non notifiés"),
    ("notifies", "Nombre de comptes notifiés"),
    ("utilises", "Nombre de comptes utilisés"),
    ("pct_utilises", "% d'élèves avec comptes utilisés"),
)
COLONNES_RESPONSABLES = (
    ("comptes", "Nombre de comptes responsables"),
    ("non_notifies", "Nombre de comptes non notifiés"),
    ("notifies", "Nombre de comptes notifiés ou en cours d'activation"),
    ("notifies_annee", "Nombre de comptes notifiés ou en cours d'activation année courante"),
    ("utilises", "Nombre de comptes utilisés"),
    ("pct_comptes_utilises", "% de comptes resp. avec un compte utilisé"),
    ("pct_eleves_resp_utilise", "% élèves ayant au moins un resp. avec un compte utilisé"),
)

def cell(ligne, key: str) -> str:
    """A table cell as shown and exported: counts as they are, percentages by the one rule."""
    value = getattr(ligne, key)
    return summaries.format_pourcentage(value) if key.startswith("pct_") else str(value)


def shown_cell(ligne, key: str) -> str:
    """A table cell as the page shows it: counts grouped (« 1 703 »), percentages by the one
    rule; the CSV keeps plain counts (`cell`) for spreadsheets."""
    value = getattr(ligne, key)
    return summaries.format_pourcentage(value) if key.startswith("pct_") else format_number(value)


def csv_response(name: str, header, rows, suffix: str | None = None) -> Response:
    """The CSV download (cells neutralised by the project's CSV helper), named after the
    establishment, or the académie for a roll-up."""
    if suffix is None:
        etab = current_etablissement()
        suffix = etab.uai if etab else "etablissement"
    return Response(csv_text(header, rows).encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}_{suffix}.csv"',
                             "Cache-Control": "no-store"})


def structure_rows(synthese: summaries.Synthese, columns) -> list[list[str]]:
    rows = []
    for table in synthese.mefs:
        for ligne in [*table.lignes, table.somme]:
            rows.append([table.libelle, ligne.libelle, *(cell(ligne, k) for k, _ in columns)])
    return rows


def academie_code() -> str:
    academie = current_user.academie
    return academie.code if academie else "academie"


class StatsView(TenantBaseView):
    area = permissions.STATISTIQUES
    template = ""

    def academie_id(self) -> int | None:
        """The académie of the roll-up, for the académie role only (unless it asked for the
        selected establishment)."""
        if (current_user.role == Role.ACADEMIE and current_user.academie_id
                and request.args.get("portee") != "etablissement"):
            return current_user.academie_id
        return None

    def sorted_lines(self, lignes, allowed):
        return rollups.sort_lignes(lignes, request.args.get("tri"),
                                          request.args.get("ordre") == "desc", allowed)

    def page(self, **kwargs):
        return self.render(self.template, cell=shown_cell, plotly_js=PLOTLY_JS,
                           est_academie=current_user.role == Role.ACADEMIE,
                           args=request.args.to_dict(), **kwargs)


@dataclass(frozen=True)
class SyntheseSpec:
    """What tells the two account syntheses apart (R-STA-1 élèves, R-STA-2 responsables)."""

    template: str
    columns: tuple
    unit: str
    csv_name: str
    tris: tuple
    synthese: Callable[[int], summaries.Synthese]  # etablissement_id -> Synthese
    rollup: Callable[[int], tuple]  # academie_id -> (total, lignes)


SYNTHESE_ELEVES = SyntheseSpec(
    "admints/statistiques/eleves.html", COLONNES_ELEVES, "élèves", "synthese_comptes_eleves",
    rollups.TRIS_ELEVES, summaries.synthese_eleves, rollups.rollup_eleves)
SYNTHESE_RESPONSABLES = SyntheseSpec(
    "admints/statistiques/responsables.html", COLONNES_RESPONSABLES, "comptes",
    "synthese_comptes_responsables", rollups.TRIS_RESPONSABLES,
    summaries.synthese_responsables, rollups.rollup_responsables)


class SyntheseComptesView(StatsView):
    """R-STA-1 and R-STA-2 share their shape: establishment line, then tables per MEF; one
    view class, told apart by its `SyntheseSpec`."""

    def __init__(self, spec: SyntheseSpec, **kwargs):
        self.spec = spec
        self.template = spec.template
        super().__init__(**kwargs)

    @expose("/")
    def index(self):
        spec = self.spec
        academie_id = self.academie_id()
        if academie_id:
            total, lignes = spec.rollup(academie_id)
            chart = figures.comptes_par_etat(
                lignes, f"Comptes par établissement ({spec.unit})", spec.unit, lambda li: li.uai)
            return self.page(mode="academie", columns=spec.columns, total=total, chart=chart,
                             lignes=self.sorted_lines(lignes, spec.tris))
        synthese = spec.synthese(self.etablissement_id())
        chart = figures.comptes_par_etat(
            synthese.mefs, f"Comptes par MEF ({spec.unit})", spec.unit, lambda t: t.libelle)
        return self.page(mode="etablissement", columns=spec.columns, synthese=synthese,
                         chart=chart)

    @expose("/csv/<table>")
    def csv(self, table: str):
        spec = self.spec
        headers = [label for _k, label in spec.columns]
        if table == "academie":
            academie_id = self.academie_id()
            if not academie_id:
                abort(403)
            total, lignes = spec.rollup(academie_id)
            rows = [[li.uai, li.libelle, *(cell(li, k) for k, _ in spec.columns)]
                    for li in [*self.sorted_lines(lignes, spec.tris), total]]
            return csv_response(f"{spec.csv_name}_academie", ["UAI", "Établissement", *headers],
                                rows, suffix=academie_code())
        synthese = spec.synthese(self.etablissement_id())
        if table == "etablissement":
            return csv_response(f"{spec.csv_name}_etablissement", headers,
                                [[cell(synthese.etablissement, k) for k, _ in spec.columns]])
        if table == "structure":
            return csv_response(f"{spec.csv_name}_structure", ["MEF", "Division", *headers],
                                structure_rows(synthese, spec.columns))
        abort(404)


class AccesView(StatsView):
    """R-STA-3: visits per month, category and MEFSTAT for a period (school year by default)."""

    template = "admints/statistiques/acces.html"

    def periode(self) -> visits.Periode:
        return visits.parse_periode(request.args.get("du"), request.args.get("au"),
                                   clock.today())

    def data(self, periode: visits.Periode):
        academie_id = self.academie_id()
        if academie_id:
            synthese, categories, lignes = rollups.rollup_acces(academie_id, periode)
            return synthese, categories, self.sorted_lines(lignes, rollups.TRIS_ACCES)
        return visits.synthese_acces(self.etablissement_id(), periode), [], None

    @expose("/")
    def index(self):
        try:
            periode = self.periode()
        except DomainError as error:
            flash(error.message + " La période par défaut est affichée.", "error")
            periode = visits.periode_par_defaut(clock.today())
        synthese, categories, lignes = self.data(periode)
        charts = {
            "mois": figures.bar([m for m, _ in synthese.par_mois],
                                     [n for _, n in synthese.par_mois], "Accès par mois"),
            "categorie": figures.bar([c for c, _ in synthese.par_categorie],
                                          [n for _, n in synthese.par_categorie],
                                          "Accès par catégorie de service"),
            "mefstat": figures.bar([f"{s} {li}".strip() for s, li, _ in synthese.par_mefstat],
                                        [n for _, _, n in synthese.par_mefstat],
                                        "Accès par MEFSTAT"),
        }
        return self.page(mode="academie" if lignes is not None else "etablissement",
                         synthese=synthese, periode=periode, charts=charts,
                         categories=categories, lignes=lignes)

    @expose("/csv/<table>")
    def csv(self, table: str):
        if table == "academie" and not self.academie_id():
            abort(403)
        try:
            periode = self.periode()
        except DomainError as error:
            return Response(error.message, status=400, mimetype="text/plain")
        synthese, categories, lignes = self.data(periode)
        name = f"acces_teleservices_{table}_{periode.debut:%Y%m%d}_{periode.fin:%Y%m%d}"
        if table == "mois":
            return csv_response(name, ["Mois", "Nombre d'accès"], synthese.par_mois)
        if table == "categorie":
            return csv_response(name, ["Catégorie", "Nombre d'accès"], synthese.par_categorie)
        if table == "mefstat":
            return csv_response(name, ["MEFSTAT", "Libellé", "Nombre d'accès"],
                                synthese.par_mefstat)
        if table == "academie":
            rows = [[li.uai, li.libelle, li.total, *(li.par_categorie[c] for c in categories)]
                    for li in lignes]
            return csv_response(name, ["UAI", "Établissement", "Total", *categories], rows,
                                suffix=academie_code())
        abort(404)


def register(admin) -> None:
    admin.add_view(SyntheseComptesView(
        SYNTHESE_ELEVES, name="Synthèse comptes élèves", category=CATEGORY,
        endpoint="stats_eleves", url="/statistiques/eleves"))
    admin.add_view(SyntheseComptesView(
        SYNTHESE_RESPONSABLES, name="Synthèse comptes responsables", category=CATEGORY,
        endpoint="stats_responsables", url="/statistiques/responsables"))
    admin.add_view(AccesView(name="Synthèse accès téléservices", category=CATEGORY,
                             endpoint="stats_acces", url="/statistiques/acces"))
