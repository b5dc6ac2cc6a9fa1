"""Both account lists read a page in two steps (the page's keys, then the shown columns of those
rows: `ComptesListView.get_list`, issue 14). Whatever the sort column and direction, the pages
put end to end are the whole list once, in the order of one big page, with ties (homonyms,
same state, same division) broken the same way on every page (R-ACC-5 lists, R-ACC-8 sorts)."""

from __future__ import annotations

import re

import pytest

from admints.extensions import db
from admints.models import EtatCompte

from . import factories as f

ETATS = (EtatCompte.NON_NOTIFIE, EtatCompte.NOTIFIE, EtatCompte.UTILISE)
ROW = re.compile(r'<tr[^>]* data-row-id="(\d+)"')


@pytest.fixture
def homonyms(etab):
    """64 pupils (two homonyms per name, two divisions, three states), each with a guardian
    légal 1 (the guardians share names too); 16 pupils without a division."""
    mef = f.make_mef(etab)
    divisions = [f.make_division(etab, "6A"), f.make_division(etab, "6B"), None]
    for i in range(64):
        e = f.make_eleve(etab, nom=f"HOMO{i // 2:02d}", prenom="Lou", mef=mef,
                         division=divisions[i % 3 if i >= 48 else i % 2],
                         etat=ETATS[i % 3], identifiant=f"eleve.homo.{i}")
        r = f.make_responsable(etab, nom=f"PARENT{i // 4:02d}", prenom="Sam",
                               email=f"p{i}@example.org")
        f.link(e, r, 1, etat=ETATS[(i + 1) % 3], identifiant=f"resp.homo.{i}")
    db.session.commit()
    return 64


def _rows(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return ROW.findall(response.get_data(as_text=True))


@pytest.mark.parametrize("base", ["/eleves/", "/responsables/"])
def test_r_acc_5_pages_end_to_end_are_the_whole_list_once_for_every_sort(client, auth, homonyms,
                                                                         base):
    auth.login("chef.0999001a")
    html = client.get(base).get_data(as_text=True)
    sorts = sorted(set(re.findall(r"[?&]sort=(\d+)", html)), key=int)
    assert len(sorts) >= 4  # name, division/other columns, the account's columns
    for sort in [None, *sorts]:
        for desc in ("0", "1"):
            query = "" if sort is None else f"sort={sort}&desc={desc}&"
            whole = _rows(client, f"{base}?{query}page_size=500")
            assert len(whole) == homonyms and len(set(whole)) == homonyms
            pages = _rows(client, f"{base}?{query}page=0") + _rows(client, f"{base}?{query}page=1")
            assert pages == whole, (sort, desc)


@pytest.mark.parametrize("kwargs", [
    {},
    {"page": None, "sort": None, "desc": None, "search": None, "page_size": None},
    {"page": 3, "sort": "compte.etat", "desc": 1, "page_size": 100},
    {"flt0_division": ["12", "13"], "flt1_nom": "l'É & co=%25 <b>", "page": None},
    {"flt0_nom": "a b+c/d?e#f", "sort": 0, "flt1_etat": ("notifie", "utilise")},
])
def test_r_acc_5_list_links_are_the_urls_flask_builds(app, kwargs):
    """R-ACC-5: the list's links (sort, pager, page size, filters) are built from the list's
    URL once per request (`ListPageMixin.get_url`); each is exactly what `url_for` builds —
    `None` dropped, lists repeated, markup and reserved characters escaped alike."""
    from flask import url_for

    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "eleves")
    with app.test_request_context("/eleves/"):
        app.preprocess_request()  # the request's blueprint is the list's, as on the page
        assert view.get_url(".index_view", **kwargs) == url_for(".index_view", **kwargs)
        assert view.get_url(".index_view", **kwargs) == url_for("eleves.index_view", **kwargs)


def test_r_sec_1_kept_page_statements_never_cross_establishments(client, auth, homonyms,
                                                                   other_etab):
    """R-SEC-1: a list view keeps the statements of the pages asked recently
    (`ComptesListView._built`); the same page asked by another establishment reads its own rows."""
    mef = f.make_mef(other_etab)
    for i in range(3):
        e = f.make_eleve(other_etab, nom=f"AUTRE{i}", prenom="Lou", mef=mef,
                         identifiant=f"eleve.autre.{i}")
        f.link(e, f.make_responsable(other_etab, nom=f"PAUTRE{i}"), 1,
               identifiant=f"resp.autre.{i}")
    db.session.commit()
    seen = {}
    for login in ("chef.0999001a", "chef.0999002b", "chef.0999001a"):
        auth.login(login)
        seen[login] = [(_rows(client, base), _rows(client, f"{base}?page=1"))
                       for base in ("/eleves/", "/responsables/")]
        auth.logout()
    mine, theirs = seen["chef.0999001a"], seen["chef.0999002b"]
    assert [len(first) for first, _second in theirs] == [3, 3]
    assert [len(first) + len(second) for first, second in mine] == [homonyms, homonyms]
    for (first, second), (other_first, other_second) in zip(mine, theirs, strict=True):
        assert not set(first + second) & set(other_first + other_second)


def test_r_acc_5_kept_page_statements_are_bounded_whatever_the_urls(client, auth, homonyms, app):
    """R-ACC-5: hostile page numbers and sorts (hundreds of distinct URLs) are answered, and the
    statements a list view keeps stay within `BUILT_MAX`."""
    from admints.views.comptes import BUILT_MAX

    auth.login("chef.0999001a")
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "eleves")
    for n in range(BUILT_MAX + 40):
        sort = ("", "&sort=1", "&sort=99999999999999999999", "&sort=<b>")[n % 4]
        response = client.get(f"/eleves/?page={n * 7919}{sort}&desc={n % 2}")
        assert response.status_code == 200
    assert 0 < len(view.__dict__["_built_queries"]) <= BUILT_MAX
    assert len(_rows(client, "/eleves/?page=0")) == 50


CAPTION = re.compile(r'<caption id="comptes-caption"[^>]*>[^:]*: (\d+) compte\(s\)'
                     r'(?:, page (\d+) sur (\d+))?')


@pytest.mark.parametrize("base", ["/eleves/", "/responsables/"])
def test_r_acc_5_count_and_page_shown_whatever_the_page_asked(client, auth, homonyms, base):
    """R-ACC-5: the count rides on the page's statement (`ComptesListView.get_list`); a page
    beyond the last — just beyond, beyond `GUESSED_PAGE_MAX`, or beyond any integer — shows
    the last page with the true count, and an empty selection says 0 on its first page."""
    from admints.views.comptes import GUESSED_PAGE_MAX

    auth.login("chef.0999001a")
    first, last = _rows(client, f"{base}?page=0"), _rows(client, f"{base}?page=1")
    assert len(first) == 50 and len(last) == homonyms - 50
    for page, rows in ((0, first), (1, last), (-3, first), (2, last), (GUESSED_PAGE_MAX, last),
                       (GUESSED_PAGE_MAX + 1, last), (10**30, last)):
        html = client.get(f"{base}?page={page}").get_data(as_text=True)
        assert CAPTION.search(html).groups() == (str(homonyms), str(2 if rows is last else 1),
                                                 "2"), page
        assert ROW.findall(html) == rows, page
    for page in (0, 5, GUESSED_PAGE_MAX + 1):
        html = client.get(f"{base}?flt0_nom=ZZZ&page={page}").get_data(as_text=True)
        assert CAPTION.search(html).group(1) == "0" and ROW.findall(html) == [], page
    for size in ("500", "1000000000", "-5", "0", "abc", "9" * 40):  # only the offered sizes
        response = client.get(f"{base}?page={GUESSED_PAGE_MAX}&page_size={size}")
        assert response.status_code == 200, size
        assert CAPTION.search(response.get_data(as_text=True)).group(1) == str(homonyms), size
