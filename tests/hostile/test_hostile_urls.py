"""R-SEC-5 (and R-SEC-1): every URL of the app, crawled as a logged-in head (an académie
administrator for the académie screens) with hostile ids, pages, sorts and filter values.
Each request answers 302 to the app, 400, 403, 404, 405 or a page — never a 500 — in French,
and no row of the database changes (`db_snapshot`). Routes and views are read from the app at
collection time: screens added later are crawled without editing this file."""

from __future__ import annotations

import re

import pytest

from admints.views.base import ScopedModelView

from .support import (
    DATES,
    FILTER_VALUES,
    HUGE,
    IDS,
    MARKUP,
    admin_views,
    assert_refused,
    base_url,
    collection_app,
    who_for,
)

APP = collection_app()
STANDARD = {"/", "/new/", "/edit/", "/details/", "/delete/", "/action/", "/ajax/lookup/",
            "/ajax/update/", "/export/<export_type>/"}


def _int_rules():
    rules = [r for r in APP.url_map.iter_rules() if "<int:" in r.rule]
    return [pytest.param(r.rule, r.endpoint, sorted(r.methods - {"HEAD", "OPTIONS"}),
                         id=r.rule) for r in rules]


def _model_views():
    return [pytest.param(v.endpoint, id=v.endpoint) for v in admin_views(APP)
            if isinstance(v, ScopedModelView)]


def _custom_rules():
    """Every route that is not one of Flask-Admin's standard model routes, nor static."""
    out = []
    for rule in APP.url_map.iter_rules():
        if rule.endpoint in ("static", "admin.static") or "<int:" in rule.rule:
            continue
        view = next((v for v in admin_views(APP) if rule.endpoint.startswith(v.endpoint + ".")),
                    None)
        if isinstance(view, ScopedModelView) and any(
                rule.rule.endswith(s) for s in STANDARD if s != "/"):
            continue
        if isinstance(view, ScopedModelView) and rule.endpoint.endswith(".index_view"):
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        out.append(pytest.param(rule.rule, rule.endpoint, methods, id=rule.rule))
    return out


def _numeric_or_date(flt) -> bool:
    """Filters whose value is an id, a number or a date (not free text)."""
    from flask_admin.model import filters as fa

    kinds = (fa.BaseIntFilter, fa.BaseIntListFilter, fa.BaseFloatFilter, fa.BaseDateFilter,
             fa.BaseDateBetweenFilter, fa.BaseDateTimeFilter, fa.BaseDateTimeBetweenFilter)
    return isinstance(flt, kinds) or bool(getattr(flt, "as_int", False))


def _fill(rule: str, value: str) -> str:
    url = re.sub(r"<int:[a-z_]+>", value, rule)
    url = url.replace("<op>", "renotifier").replace("<table>", "mois")
    url = url.replace("<key>", "entete").replace("<export_type>", "csv")
    return re.sub(r"<[a-z]+:?[a-z_]*>", value, url).replace("//", "/")


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@pytest.mark.parametrize("rule, endpoint, methods", _int_rules())
def test_r_sec_5_hostile_ids_in_the_path_give_404(as_user, snapshot, rule, endpoint, methods):
    session = as_user(who_for(APP, endpoint))
    snapshot.take()
    for value in IDS:
        url = _fill(rule, _quote(value) or "%20")
        response = (session.get(url) if "GET" in methods else
                    session.post(url, data={"mode": "papier", "confirme": "1"}))
        assert_refused(response, f"{url}", allow_ok=False)
        if value in HUGE or value in ("-1", "abc"):
            assert response.status_code == 404, (url, response.status_code)
    snapshot.unchanged(rule)


@pytest.mark.parametrize("endpoint", _model_views())
def test_r_sec_5_hostile_ids_of_every_model_view(app, as_user, snapshot, endpoint):
    view = next(v for v in admin_views(app) if v.endpoint == endpoint)
    session = as_user(who_for(app, endpoint + ".index_view"))
    base = base_url(app, view)
    snapshot.take()
    for value in IDS:
        for sub in ("details/", "edit/"):
            assert_refused(session.get(f"{base}/{sub}", query_string={"id": value}),
                           f"GET {sub} {value!r}")
        assert_refused(session.post(f"{base}/edit/?id={_quote(value)}",
                                    data={"libelle": "X", "nom": "X"}), f"POST edit {value!r}")
        assert_refused(session.post(f"{base}/delete/", data={"id": value}),
                       f"delete {value!r}")
        for name, _label in getattr(view, "_actions", None) or []:
            assert_refused(session.post(f"{base}/action/", data={
                "action": name, "rowid": [value, "0"], "confirme": "1", "mode": "papier",
                "date_action": "2026-12-01"}), f"action {name} {value!r}")
        assert_refused(session.post(f"{base}/ajax/update/", data={"list_form_pk": value}),
                       f"ajax update {value!r}")
        assert_refused(session.get(f"{base}/ajax/lookup/", query_string={
            "name": "etablissement", "query": "a", "offset": value, "limit": value}),
            f"ajax lookup {value!r}")
    snapshot.unchanged(endpoint)


@pytest.mark.parametrize("endpoint", _model_views())
def test_r_sec_5_hostile_pages_sorts_and_searches_of_every_list(app, as_user, snapshot,
                                                                endpoint):
    view = next(v for v in admin_views(app) if v.endpoint == endpoint)
    session = as_user(who_for(app, endpoint + ".index_view"))
    base = base_url(app, view)
    snapshot.take()
    pages = ("1000000000000000000", *HUGE, "-5", "x", "1e3", "")
    for value in pages:
        for arg in ("page", "page_size"):
            response = session.get(f"{base}/", query_string={arg: value})
            assert_refused(response, f"{arg}={value}")
    for value in ("999", "-1", *HUGE, "x"):
        assert_refused(session.get(f"{base}/", query_string={"sort": value, "desc": value}),
                       f"sort={value}")
    for value in (MARKUP, "%", "_", "x" * 10000, "\x00"):
        assert_refused(session.get(f"{base}/", query_string={"search": value}),
                       f"search={value[:20]}")
    if getattr(view, "can_export", False):
        assert_refused(session.get(f"{base}/export/csv/", query_string={"page": HUGE[1]}),
                       "export")
    snapshot.unchanged(endpoint)


def test_r_sec_5_huge_page_shows_the_last_page(as_user, snapshot):
    """A page beyond the last one is clamped to the last one (CONVENTIONS: OFFSET overflow)."""
    chef = as_user("chef")
    snapshot.take()
    response = chef.get("/eleves/?page=1000000000000000000")
    assert response.status_code == 200
    assert "DUPONT" in response.get_data(as_text=True)
    response = chef.get("/parametrage/liens/?page=1000000000000000000")
    assert response.status_code == 200
    assert "lien.example.org" in response.get_data(as_text=True)
    snapshot.unchanged()


def test_r_sec_5_page_beyond_the_last_is_the_last_page(db, world, as_user):
    """61 links, 50 a page: page 10**18 shows page 2, its rows and its pager."""
    from admints.models import LienUtile

    db.session.add_all([LienUtile(etablissement_id=world["etab"].id, libelle=f"Lien {n:02d}",
                                  url=f"https://l{n:02d}.example.org/", position=n)
                        for n in range(1, 61)])
    db.session.commit()
    chef = as_user("chef")
    body = chef.get("/parametrage/liens/?page=1000000000000000000").get_data(as_text=True)
    assert "l60.example.org" in body and "l01.example.org" not in body
    # issue 13: the DSFR pager marks the current page with aria-current
    assert re.search(r'<a class="fr-pagination__link"[^>]*aria-current="page">2</a>', body), \
        "pager not on page 2"


@pytest.mark.parametrize("endpoint", _model_views())
def test_r_sec_5_hostile_filter_values_of_every_list(app, as_user, snapshot, endpoint):
    view = next(v for v in admin_views(app) if v.endpoint == endpoint)
    session = as_user(who_for(app, endpoint + ".index_view"))
    base = base_url(app, view)
    keys = sorted((getattr(view, "_filter_args", None) or {}).keys())
    if not keys:
        pytest.skip(f"{endpoint} has no filter")
    snapshot.take()
    for key in keys:
        for value in FILTER_VALUES:
            response = session.get(f"{base}/", query_string={f"flt0_{key}": value})
            assert_refused(response, f"flt0_{key}={value[:30]!r}")
            if _numeric_or_date(view._filter_args[key][1]) and value in (*HUGE, *DATES):
                assert response.status_code == 200
                assert "Valeur de filtre invalide" in response.get_data(as_text=True), \
                    f"flt0_{key}={value}: no French message"
        assert_refused(session.get(f"{base}/", query_string={f"flt{HUGE[1]}_{key}": "1"}),
                       f"flt position {key}")
        if getattr(view, "can_export", False):
            assert_refused(session.get(f"{base}/export/csv/", query_string={
                f"flt0_{key}": HUGE[1], "page": HUGE[1]}), f"export flt0_{key}")
    snapshot.unchanged(endpoint)


@pytest.mark.parametrize("rule, endpoint, methods", _custom_rules())
def test_r_sec_5_hostile_query_arguments_of_every_custom_route(as_user, snapshot, rule,
                                                               endpoint, methods):
    session = as_user(who_for(APP, endpoint))
    if endpoint in ("auth.login",):
        session.client.post("/logout", data={"csrf_token": session.token})
    snapshot.take()
    names = ("id", "division", "groupe", "du", "au", "tri", "ordre", "portee", "nom_groupe",
             "page", "etablissement_id", "next", "url")
    for value in (*HUGE, "-1", MARKUP, *DATES, "x" * 3000):
        url = _fill(rule, _quote(value))
        query = {name: value for name in names}
        if "GET" in methods:
            assert_refused(session.get(url, query_string=query), f"GET {url} {value[:30]!r}")
            assert_refused(session.get(_fill(rule, "x"), query_string=query),
                           f"GET {rule} {value[:30]!r}")
    snapshot.unchanged(rule)


def test_r_sec_5_crawl_covers_the_routes():
    """The parametrised crawl found the app's routes (a broken collection would test nothing)."""
    assert len(_int_rules()) >= 8
    assert len(_model_views()) >= 16
    assert len(_custom_rules()) >= 20
