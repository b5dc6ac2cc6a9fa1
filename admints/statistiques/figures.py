"""Plotly figures of the statistics screens, as plain JSON-able dicts (R-STA-3).

The page embeds each figure in a `<script type="application/json">` block and the static
`admints-charts.js` draws it with the plotly.js the app serves itself: no inline script, no
CDN (school networks filter them). Every trace shows its count in the hover tooltip.
"""

from __future__ import annotations

COLOURS = {"non_notifies": "#6c757d", "notifies": "#17a2b8", "utilises": "#28a745",
           "acces": "#2fa4e7"}


def _nombre(unit: str) -> str:
    return f"Nombre d'{unit}" if unit[:1] in "aeiouéè" else f"Nombre de {unit}"


def _layout(title: str, y_title: str, **extra) -> dict:
    return {
        "title": {"text": title, "font": {"size": 15}},
        "separators": ", ",  # French: decimal comma, thin thousands separator
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
            "hovertemplate": f"%{{x}} : %{{y}} {unit}<extra></extra>",
        }],
        "layout": _layout(title, _nombre(unit)),
    }


def stacked(labels: list[str], series: list[tuple[str, str, list[int]]], title: str,
            unit: str = "comptes") -> dict:
    """Stacked bars, one series per account state: (key, name, values)."""
    return {
        "data": [{
            "type": "bar", "x": list(labels), "y": list(values), "name": name,
            "marker": {"color": COLOURS.get(key, "#999")},
            "hovertemplate": f"%{{x}}<br>{name} : %{{y}} {unit}<extra></extra>",
        } for key, name, values in series],
        "layout": _layout(title, _nombre(unit), barmode="stack",
                          legend={"orientation": "h", "y": -0.3}),
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
