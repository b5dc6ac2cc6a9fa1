"""R-SEC-5: impossible and far dates (2026-02-30, 0000-00-00, 9999-12-31, whose next day
overflows Python) typed in the access statistics period, the Notes publication dates and the
journal's date filters: a French message, never a 500, nothing changed. Dates are read by one
helper (`bounded.parse_date`, years 1900–2100)."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_admin.tools import iterencode

from admints import bounded

from .support import assert_refused

FAR = ("9999-12-31", "0000-00-00", "2026-02-30", "31/12/9999", "1899-12-31", "2101-01-01",
       "99999-01-01", "2026-1-1" + "0" * 50)


@pytest.mark.parametrize("du, au", [("9999-12-31", "9999-12-31"), ("0000-00-00", "2026-12-01"),
                                    ("2026-02-30", "2026-03-01"), ("2026-09-01", "9999-12-31"),
                                    ("1899-12-31", "1900-01-05"), ("x" * 500, "")])
def test_r_sec_5_statistics_period_with_far_dates(world, as_user, snapshot, du, au):
    session = as_user("chef")
    snapshot.take()
    page = session.get("/statistiques/acces/", query_string={"du": du, "au": au})
    assert_refused(page, f"acces {du} {au}")
    assert page.status_code == 200
    assert "Date invalide" in page.get_data(as_text=True)
    csv = session.get("/statistiques/acces/csv/mois", query_string={"du": du, "au": au})
    assert csv.status_code == 400 and "Date invalide" in csv.get_data(as_text=True)
    snapshot.unchanged(f"{du} {au}")


def test_r_sec_5_statistics_period_at_the_bounds_is_shown(world, as_user):
    session = as_user("chef")
    page = session.get("/statistiques/acces/", query_string={"du": "2100-12-30",
                                                              "au": "2100-12-31"})
    assert page.status_code == 200
    assert "Date invalide" not in page.get_data(as_text=True)


@pytest.mark.parametrize("day", FAR)
def test_r_sec_5_publication_dates_with_far_dates(world, as_user, snapshot, day):
    session = as_user("chef")
    snapshot.take()
    response = session.post("/services/notes/dates/ajouter", data={
        "mef_id": world["mef"].id, "division_id": world["division"].id, "date": day})
    assert response.status_code == 302
    page = session.get(response.headers["Location"]).get_data(as_text=True)
    assert "Date de publication invalide" in page
    pair = iterencode((world["mef"].id, world["division"].id))
    response = session.post("/services/notes/dates/action/", data={
        "action": "definir_date", "rowid": pair, "date_action": day})
    assert_refused(response, f"action {day}")
    snapshot.unchanged(day)


@pytest.mark.parametrize("value", [
    "9999-12-31 00:00:00 to 9999-12-31 23:59:59", "0001-01-01 00:00:00 to 0001-01-02 00:00:00",
    "2026-02-30 00:00:00 to 2026-03-01 00:00:00"])
def test_r_sec_5_journal_date_filter_with_far_dates(app, world, as_user, snapshot, value):
    session = as_user("chef")
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "journal")
    key = next(k for k, (_i, flt) in view._filter_args.items() if "Date" in str(flt.name))
    snapshot.take()
    page = session.get("/journal/", query_string={f"flt0_{key}": value})
    assert_refused(page, value)
    assert page.status_code == 200
    assert "Valeur de filtre invalide" in page.get_data(as_text=True)
    snapshot.unchanged(value)


def test_r_sec_5_one_date_helper_bounds_years():
    assert bounded.parse_date("2026-09-01") == dt.date(2026, 9, 1)
    assert bounded.parse_date("01/09/2026") == dt.date(2026, 9, 1)
    for raw in (*FAR, None, "", "2026-09-01T00:00"):
        assert bounded.parse_date(raw) is None, raw
