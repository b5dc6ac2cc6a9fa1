"""French everywhere: locale selection for Flask-Babel (Flask-Admin's own strings) and the
date/number filters templates use."""

from __future__ import annotations

import datetime as dt

from flask import Flask


def select_locale() -> str:
    return "fr"


def format_date(value: dt.date | dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def format_datetime(value: dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def format_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %".replace(".", ",")


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["date_fr"] = format_date
    app.jinja_env.filters["datetime_fr"] = format_datetime
    app.jinja_env.filters["percent_fr"] = format_percent
