"""R-SEC-5: the one helper that reads ids, pages, numbers and dates from requests
(`admints.bounded`) and the bounded `<int:…>` URL converter of every route."""

from __future__ import annotations

import datetime as dt

import pytest

from admints import bounded

from .support import HUGE, IDS


@pytest.mark.parametrize("raw", IDS)
def test_r_sec_5_parse_id_refuses_what_cannot_be_a_row(raw):
    assert bounded.parse_id(raw) is None


@pytest.mark.parametrize("raw, expected", [("1", 1), ("42", 42), (7, 7), ("2147483647", 2**31 - 1)])
def test_r_sec_5_parse_id_reads_real_ids(raw, expected):
    assert bounded.parse_id(raw) == expected


def test_r_sec_5_parse_ids_keeps_valid_ones_in_order():
    assert bounded.parse_ids(["3", HUGE[1], "x", " 5 ", "3", "-1", "0", "2147483648"]) == [3, 5]


@pytest.mark.parametrize("raw, expected", [("1000000000000000000", bounded.PAGE_MAX),
                                           ("-5", 0), ("x", 0), ("", 0), (None, 0), ("3", 3),
                                           ("1e3", 0), ("9" * 41, 0)])
def test_r_sec_5_parse_page(raw, expected):
    assert bounded.parse_page(raw) == expected


@pytest.mark.parametrize("page, count, size, expected", [
    (bounded.PAGE_MAX, 61, 50, 1), (1, 61, 50, 1), (5, 0, 50, 0), (2, 100, 50, 1), (0, 10, 50, 0),
    (3, None, 50, 3), (3, 10, 0, 3)])
def test_r_sec_5_clamp_page_to_the_last(page, count, size, expected):
    assert bounded.clamp_page(page, count, size) == expected


def test_r_sec_5_values_within_the_database_range():
    assert bounded.within_sql_range([1, 2, "texte", dt.date(2026, 9, 1)])
    assert not bounded.within_sql_range([1, 2**31])
    assert not bounded.within_sql_range((dt.datetime(9999, 12, 31),))
    assert not bounded.within_sql_range(-(2**31) - 1)


def test_r_sec_5_int_url_converter_is_bounded(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/taches/2147483647/")[1] == {"job_id": 2**31 - 1}
    from werkzeug.exceptions import NotFound

    for value in ("2147483648", HUGE[1]):
        with pytest.raises(NotFound):
            adapter.match(f"/taches/{value}/")
