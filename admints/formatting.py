"""The one way dates, times and numbers are written for users (issue 12 point 9): French,
in Europe/Paris, through Babel (the library under Flask-Babel) with the `fr_FR` locale.

- dates « 02/12/2026 », date-times « 02/12/2026 16:35 » in Paris time: stored timestamps are
  naive UTC (admints.clock), so a naive datetime is read as UTC before it is converted;
- whole numbers grouped by a narrow no-break space (« 1 703 »), decimals with a comma
  (« 15,50 € »), a narrow no-break space before « % » (« 44,64 % »);
- the school year « 2026/2027 ».

Templates use these as Jinja filters (`register_filters`); list screens use them as column
formatters. Nothing else formats a date or a number for a user.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency, format_decimal
from flask import Flask

from .clock import PARIS

LOCALE = "fr_FR"
NNBSP = "\u202f"  # narrow no-break space: thousands, and before « % » and « € »


def _paris(value: dt.datetime) -> dt.datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(PARIS)


def format_date(value: dt.date | dt.datetime | None) -> str:
    """JJ/MM/AAAA; a timestamp gives its Paris date. Built by hand for plain dates: the account
    lists format two dates per row and Babel costs several times more."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = _paris(value)
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def format_datetime(value: dt.datetime | None) -> str:
    """JJ/MM/AAAA HH:MM in Europe/Paris (a naive value is a stored UTC timestamp)."""
    if not value:
        return ""
    if not isinstance(value, dt.datetime):
        return format_date(value)
    return _babel_datetime(value, "dd/MM/yyyy HH:mm", tzinfo=PARIS, locale=LOCALE)


def format_number(value: int | float | Decimal | None, decimals: int | None = None) -> str:
    """« 1 703 », « 15,5 »; with `decimals`, exactly that many (« 15,50 »)."""
    if value is None or value == "":
        return ""
    if type(value) is int and value >= 0 and decimals is None:
        # The common case (counts on every list page) without Babel's pattern machinery: the
        # same text (tests/test_french_formats.py compares them).
        return f"{value:,}".replace(",", NNBSP)
    pattern = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE).replace("\u00a0", NNBSP)


def format_money(value: int | float | Decimal | None) -> str:
    """« 15,50 € »."""
    if value is None or value == "":
        return ""
    return format_currency(value, "EUR", locale=LOCALE).replace("\u00a0", NNBSP)


def format_percent(value: float | None) -> str:
    """The one percentage format (issue 5 point 4): at most two decimals, trailing zeros
    dropped, decimal comma, narrow no-break space before « % » — « 1,59 % », « 100 % » — and
    « — » when there is nothing to divide. `value` is already a percentage (44.64)."""
    if value is None:
        return "—"
    return format_number(round(value, 2)) + NNBSP + "%"


def school_year(annee: int | None) -> str:
    """« 2026/2027 » for the school year starting in September 2026."""
    return f"{annee}/{annee + 1}" if annee else ""


class GroupedCount(int):
    """A count that prints grouped (« 1 129 ») and computes as an int: Flask-Admin's list
    template writes « Liste ({{ count }}) » and also does arithmetic with it."""

    def __str__(self) -> str:
        return format_number(int(self))

    def __html__(self) -> str:
        return str(self)


FILTERS = {
    "date_fr": format_date,
    "datetime_fr": format_datetime,
    "nombre": format_number,
    "euros": format_money,
    "percent_fr": format_percent,
    "annee_scolaire": school_year,
}


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
