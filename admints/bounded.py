"""Bounded parsing of untrusted values: ids, numbers, pages and dates typed in URLs and forms
(R-SEC-5: no input, however hostile, gives an HTTP 500).

Python integers are unbounded, SQL ones are not: `int("9" * 20)` reaches SQLite as an
OverflowError and PostgreSQL as « integer out of range » (SQLAlchemy casts binds to INTEGER);
`page=10**18` overflows OFFSET; `date(9999, 12, 31) + 1 day` overflows Python. Every id, page,
number and date read from a request goes through this module once; out-of-range values read as
« absent » (an id that cannot exist), so the caller answers 404 or a French message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from werkzeug.routing import IntegerConverter

# Primary keys and integer columns are SQL INTEGER (32 bits on PostgreSQL).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# Beyond this a page number means nothing; lists clamp to their last page anyway.
PAGE_MAX = 100_000
YEAR_MIN, YEAR_MAX = 1900, 2100
_DIGITS = re.compile(r"[0-9]{1,12}")
_SIGNED = re.compile(r"-?[0-9]{1,12}")
_PAGE = re.compile(r"[0-9]{1,40}")


def parse_int(raw: object, lo: int = INT_MIN, hi: int = INT_MAX) -> int | None:
    """An integer written in plain digits (optional minus, no spaces) within [lo, hi], or None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "")
        if not _SIGNED.fullmatch(text):
            return None
        value = int(text)
    return value if lo <= value <= hi else None


def parse_id(raw: object) -> int | None:
    """A primary key: 1 … INT_MAX in plain digits, or None (no such row can exist)."""
    if isinstance(raw, str) and not _DIGITS.fullmatch(raw):
        return None
    return parse_int(raw, 1, INT_MAX)


def parse_ids(raws: Iterable[object]) -> list[int]:
    """The valid ids of a list (ticked rows), in order, without duplicates."""
    seen: dict[int, None] = {}
    for raw in raws or ():
        pk = parse_id(raw.strip() if isinstance(raw, str) else raw)
        if pk is not None:
            seen.setdefault(pk, None)
    return list(seen)


def parse_page(raw: object) -> int:
    """A 0-based page number: anything that is not one reads as the first page; huge ones are
    capped (the list then clamps to its last page, `clamp_page`)."""
    text = str(raw if raw is not None else "").strip()
    if not _PAGE.fullmatch(text):
        return 0
    return min(int(text), PAGE_MAX)


def clamp_page(page: int | None, count: int | None, page_size: int | None) -> int:
    """The page to show: the last one when `page` is beyond it."""
    page = max(page or 0, 0)
    if not page_size or count is None:
        return page
    last = max((count - 1) // page_size, 0)
    return min(page, last)


def date_in_range(day: dt.date) -> bool:
    return YEAR_MIN <= day.year <= YEAR_MAX


def parse_date(raw: object, formats: tuple[str, ...] = ("%Y-%m-%d", "%d/%m/%Y")) -> dt.date | None:
    """A calendar date (ISO or JJ/MM/AAAA) of years 1900–2100, or None: impossible days
    (2026-02-30), 0000-00-00 and far years (9999-12-31, whose next day overflows) alike."""
    if isinstance(raw, dt.datetime):
        day = raw.date()
    elif isinstance(raw, dt.date):
        day = raw
    else:
        text = str(raw or "").strip()
        if len(text) > 10:
            return None
        day = None
        for fmt in formats:
            try:
                day = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        if day is None:
            return None
    return day if date_in_range(day) else None


def within_sql_range(value: object) -> bool:
    """Every integer and date inside `value` (a list, tuple or scalar) fits the database."""
    if isinstance(value, list | tuple | set | frozenset):
        return all(within_sql_range(v) for v in value)
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return INT_MIN <= value <= INT_MAX
    if isinstance(value, dt.datetime | dt.date):
        return date_in_range(value)
    return True


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` of every route: at most INT_MAX, so a huge id is a 404 before any view runs."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        kwargs.setdefault("fixed_digits", 0)
        super().__init__(map, *args, **kwargs)


def register_converters(app) -> None:
    """Replace Werkzeug's unbounded `int` converter (before any route is added)."""
    app.url_map.converters["int"] = BoundedIntConverter
