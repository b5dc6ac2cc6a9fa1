"""The cells of the two account lists: the account columns both lists end with (labels,
formatters over the list's plain rows, sorts), the state badge with its expiry (R-ACC-1,
R-ACC-10), and the escaping of a cell and of the filter bar's options."""

from __future__ import annotations

import html

from markupsafe import Markup

from ..comptes.lifecycle import (
    MODE_LABELS as MODES_LABELS,  # the one copy of the labels
)
from ..comptes.lifecycle import expires_on
from ..i18n import format_date
from ..models import Compte, Eleve
from .base import etat_badge


def fmt_mode(value) -> str:
    return MODES_LABELS.get(value or "", value or "")


_BADGES: dict[str, Markup] = {}


def fmt_etat(value) -> Markup:
    # Four states: the badges are built once (the list page formats hundreds of rows).
    if value not in _BADGES:
        _BADGES[value] = etat_badge(value)
    return _BADGES[value]


def fmt_etat_expiry(row) -> Markup:
    """The state badge and, for a *Notifié* / *En cours d'activation* account, « expire le
    JJ/MM/AAAA » (R-ACC-10, `lifecycle.expires_on`)."""
    badge = fmt_etat(row.etat)
    if getattr(row, "continuite", False):
        badge += _CONTINUITE_BADGE
    due = expires_on(row.etat, row.date_notification)
    if due is None:
        return badge
    # format_date gives JJ/MM/AAAA: digits and slashes only, nothing to escape.
    return badge + Markup(f' <small class="compte-expire">expire le {format_date(due)}</small>')


# R-ACC-9 / issue 13: continuity said in words (an icon and a text), never by colour alone.
_CONTINUITE_BADGE = Markup(
    ' <span class="fr-badge fr-badge--sm fr-badge--purple-glycine compte-continuite-badge">'
    '<span aria-hidden="true">↺ </span>Continuité d\'accès</span>')


# Account columns the list pages read, as plain row fields (`row.etat`, …).
LIST_COMPTE_COLUMNS = (Compte.etat.label("etat"),
                       Compte.date_notification.label("date_notification"),
                       Compte.mode_notification.label("mode_notification"),
                       Compte.derniere_connexion.label("derniere_connexion"),
                       Compte.continuite.label("continuite"))


# The account columns both lists end with: labels, formatters, sorts.
COMPTE_COLUMN_LABELS = {
    "compte.date_notification": "Date de notification",
    "compte.mode_notification": "Mode de notification", "compte.etat": "État du compte",
    "compte.derniere_connexion": "Dernier accès au compte",
}
# Formatters read the list's plain rows (LIST_COMPTE_COLUMNS), not ORM objects.
COMPTE_FORMATTERS = {
    "compte.date_notification": lambda v, c, m, n: format_date(m.date_notification),
    "compte.mode_notification": lambda v, c, m, n: fmt_mode(m.mode_notification),
    "compte.etat": lambda v, c, m, n: fmt_etat_expiry(m),
    "compte.derniere_connexion": lambda v, c, m, n: format_date(m.derniere_connexion),
}
COMPTE_SORTS = {
    "compte.date_notification": (Compte.date_notification,),
    "compte.etat": (Compte.etat, Eleve.nom),
    "compte.derniere_connexion": (Compte.derniere_connexion,),
}



def cell(value) -> str:
    # Formatters' Markup (badges, pictogram) is kept; anything else is escaped. html.escape is
    # markupsafe.escape's rule (& < > " ') at a third of its cost per cell.
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return html.escape(value if isinstance(value, str) else str(value))


def option_elements(options, chosen) -> Markup:
    # A school's divisions and MEFs are some eighty options: written here, every value
    # escaped, like the table body (`table_rows`), rather than by a template loop.
    chosen = set(chosen)
    return Markup("".join(
        f'<option value="{html.escape(value)}"{" selected" if value in chosen else ""}>'
        f'{html.escape(label)}</option>' for value, label in options))
