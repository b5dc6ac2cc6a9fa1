"""French everywhere: locale selection for Flask-Babel (Flask-Admin's own strings) and the
date/number filters templates use."""

from __future__ import annotations

import datetime as dt

from flask import Flask


def select_locale() -> str:
    return "fr"


def format_date(value: dt.date | dt.datetime | None) -> str:
    """JJ/MM/AAAA. Built by hand: strftime costs several times more, and the account lists
    format two dates per row."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if value else ""


def format_datetime(value: dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def format_percent(value: float | None) -> str:
    """The one percentage format of the application (issue 5 point 4): at most two decimals,
    trailing zeros dropped, decimal comma — « 1,59 % », « 33,33 % », « 100 % » — and « — » when
    there is nothing to divide. `summaries.format_pourcentage` and the `percent_fr` filter are this
    very function."""
    if value is None:
        return "—"
    return f"{round(value, 2):g}".replace(".", ",") + " %"


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["date_fr"] = format_date
    app.jinja_env.filters["datetime_fr"] = format_datetime
    app.jinja_env.filters["percent_fr"] = format_percent
