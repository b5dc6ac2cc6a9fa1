"""The product's one clock: today's date and the current time in Europe/Paris.

AdminTS serves French schools: « today » is the date in Paris, whatever the server's time zone
(between 22:00 and midnight UTC, Paris is already on the next day). Rules take a `today`
argument; the edges (views, CLI, jobs, demo) ask this module, never `date.today()` or
`datetime.now()`. Stored timestamps stay naive UTC (`utcnow`, the columns' convention since the
first migration); `local_date` reads one back as a Paris date.

Tests set the time with `set_now(moment)` (the `clock` fixture of tests/conftest.py): an aware
datetime, fixed until `set_now(None)`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

_fixed: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, aware, in Europe/Paris."""
    if _fixed is not None:
        return _fixed.astimezone(PARIS)
    return dt.datetime.now(PARIS)


def today() -> dt.date:
    """Today's date in Europe/Paris."""
    return now().date()


def utcnow() -> dt.datetime:
    """The current time as the columns store it: naive UTC."""
    if _fixed is not None:
        return _fixed.astimezone(dt.UTC).replace(tzinfo=None)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local_date(stored: dt.datetime) -> dt.date:
    """The Paris date of a stored (naive UTC) timestamp."""
    return stored.replace(tzinfo=dt.UTC).astimezone(PARIS).date()


def utc_start_of(day: dt.date) -> dt.datetime:
    """Midnight of a Paris day as the columns store it (naive UTC): the bound of a day filter."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=PARIS)
    return start.astimezone(dt.UTC).replace(tzinfo=None)


def set_now(moment: dt.datetime | None) -> None:
    """Fix the clock at `moment` (aware), or give it back to the system with None. Tests."""
    global _fixed
    if moment is not None and moment.utcoffset() is None:
        raise ValueError("set_now needs an aware datetime (with its time zone)")
    _fixed = moment
