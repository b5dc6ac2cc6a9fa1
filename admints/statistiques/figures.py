"""Plotly figures of the statistics screens, as plain JSON-able dicts (R-STA-3).

The page embeds each figure in a `<script type="application/json">` block and the static
`admints-charts.js` draws it with the plotly.js the app serves itself: no inline script, no
CDN (school networks filter them). Every trace shows its count in the hover tooltip.
"""

from __future__ import annotations

# Plotly's config (issue 12 point 8): French toolbar, only the buttons that help (download as
# PNG, reset the axes), no logo, and nothing that sends the chart's data to an outside service
# (the « Share chart » / Chart Studio buttons and links).
MODEBAR_BUTTONS = [["toImage", "resetScale2d"]]
FRENCH = {
    "dictionary": {
        "Download plot as a png": "Télécharger le graphique (PNG)",
        "Download plot as a PNG": "Télécharger le graphique (PNG)",  # plotly.js 3
        "Download plot": "Télécharger le graphique",
        "Reset axes": "Réinitialiser les axes",
        "Autoscale": "Échelle automatique",
        "Zoom": "Zoom",
        "Double-click to zoom back out": "Double-cliquez pour revenir à la vue d'origine",
        "Taking snapshot - this may take a few seconds": "Capture en cours…",
        "Snapshot succeeded": "Capture enregistrée",
        "Sorry, there was a problem downloading your snapshot!":
            "Le graphique n'a pas pu être téléchargé.",
        "trace": "série",
    },
    "format": {
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                   "septembre", "octobre", "novembre", "décembre"],
        "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
                        "sept.", "oct.", "nov.", "déc."],
        "date": "%d/%m/%Y",
        "decimal": ",",
        "thousands": "\u202f",
    },
}
CONFIG = {
    "responsive": True,
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "modeBarButtons": MODEBAR_BUTTONS,
    "toImageButtonOptions": {"filename": "statistiques", "format": "png"},
    "locale": "fr",
    "locales": {"fr": FRENCH},
}

COLOURS = {"non_notifies": "#6c757d", "notifies": "#17a2b8", "utilises": "#28a745",
           "acces": "#2fa4e7"}


def _nombre(unit: str) -> str:
    return f"Nombre d'{unit}" if unit[:1] in "aeiouéè" else f"Nombre de {unit}"


def _layout(title: str, y_title: str, **extra) -> dict:
    return {
        "title": {"text": title, "font": {"size": 15}},
        "separators": ",\u202f",  # French: decimal comma, narrow no-break space for thousands
        "margin": {"l": 50, "r": 20, "t": 45, "b": 80},
        "height": 320,
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", "tickformat": ",d"},
        "xaxis": {"type": "category", "automargin": True},
        "hovermode": "closest",
        **extra,
    }


def bar(labels: list[str], values: list[int], title: str, unit: str = "accès") -> dict:
    """One series of bars; hovering a bar shows « <label> : <n> <unit> »."""
    return {
        "data": [{
            "type": "bar", "x": list(labels), "y": list(values), "name": unit,
            "marker": {"color": COLOURS["acces"]},
            "hovertemplate": f"%{{x}} : %{{y:,d}} {unit}<extra></extra>",
        }],
        "layout": _layout(title, _nombre(unit)),
        "config": CONFIG,
    }


def stacked(labels: list[str], series: list[tuple[str, str, list[int]]], title: str,
            unit: str = "comptes") -> dict:
    """Stacked bars, one series per account state: (key, name, values)."""
    return {
        "data": [{
            "type": "bar", "x": list(labels), "y": list(values), "name": name,
            "marker": {"color": COLOURS.get(key, "#999")},
            "hovertemplate": f"%{{x}}<br>{name} : %{{y:,d}} {unit}<extra></extra>",
        } for key, name, values in series],
        "layout": _layout(title, _nombre(unit), barmode="stack",
                          legend={"orientation": "h", "y": -0.3}),
        "config": CONFIG,
    }


def comptes_par_etat(tables_or_lines, title: str, unit: str, label) -> dict:
    """Stacked non notifiés / notifiés / utilisés for MEF sums or roll-up lines."""
    lines = list(tables_or_lines)
    return stacked(
        [label(x) for x in lines],
        [("non_notifies", "Non notifiés", [x.non_notifies for x in _lines(lines)]),
         ("notifies", "Notifiés" if unit == "élèves" else "Notifiés ou en cours d'activation",
          [x.notifies for x in _lines(lines)]),
         ("utilises", "Utilisés", [x.utilises for x in _lines(lines)])],
        title, unit)


def _lines(items):
    # A MEF table is drawn by its « Somme » line.
    return [getattr(x, "somme", None) or x for x in items]
