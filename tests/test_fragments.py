"""Fragments of the master page rendered once per process (admints/fragments.py): the cached
menu must still be each user's own menu (docs/REGLES.md §1, R-SEC-1), follow the services that are
open (R-SRV-4) and mark the current view, exactly as Flask-Admin renders it uncached."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from admints import fragments
from admints.extensions import db
from admints.models import Teleservice
from admints.teleservices import catalogue, opening

from . import factories
from .settings_helpers import relogin

TODAY = dt.date(2026, 11, 28)


def _nav(resp) -> str:
    assert resp.status_code == 200
    return _nav_html(resp.get_data(as_text=True))


def _menu(resp) -> str:
    return re.search(r'<ul class="fr-nav__list">.*</ul>', _nav(resp), re.S).group(0)


@pytest.fixture
def ready(etab):
    catalogue.ensure_etablissement_services(etab)
    db.session.commit()
    return etab


def _set_notes(etab, ouvert: bool) -> None:
    notes = db.session.scalar(db.select(Teleservice).where(Teleservice.code == "notes"))
    opening.set_open(etab, notes.id, ouvert, today=TODAY)
    db.session.commit()


def test_r_sec_1_cached_menu_is_each_roles_own(app, client, auth, db, etab):
    factories.make_user("assistance.frag", "assistance", etablissement=etab)
    db.session.commit()
    auth.login("chef.0999001a")
    chef_menu = _menu(client.get("/responsables/"))
    assert "Statistiques" in chef_menu and "Paramétrage" in chef_menu
    relogin(client, auth, "assistance.frag")
    helpdesk_menu = _menu(client.get("/responsables/"))
    assert "Statistiques" not in helpdesk_menu and "Paramétrage" not in helpdesk_menu
    assert "Accès des responsables" in helpdesk_menu
    relogin(client, auth, "chef.0999001a")
    assert _menu(client.get("/responsables/")) == chef_menu


def test_r_srv_4_cached_menu_follows_the_notes_service(client, auth, ready):
    auth.login("chef.0999001a")
    _set_notes(ready, False)
    assert 'href="/services/notes/"' not in _menu(client.get("/services/ouverture/"))
    _set_notes(ready, True)
    assert 'href="/services/notes/"' in _menu(client.get("/services/ouverture/"))
    _set_notes(ready, False)
    assert 'href="/services/notes/"' not in _menu(client.get("/services/ouverture/"))


def test_r_sec_1_cached_menu_marks_the_current_view(client, auth, etab):
    auth.login("chef.0999001a")
    on_responsables = _menu(client.get("/responsables/"))
    on_eleves = _menu(client.get("/eleves/"))
    assert on_responsables != on_eleves

    def active_category(menu: str) -> str:
        link = re.search(r'(<button[^>]*aria-current="true".*?</button>)', menu, re.S).group(1)
        return re.sub(r"<!--.*?-->|<[^>]+>", "", link, flags=re.S).strip()

    assert active_category(on_responsables) == "Accès des responsables"
    assert active_category(on_eleves) == "Accès des élèves"


def test_r_sec_1_cached_fragments_equal_flask_admins_own_rendering(app, client, auth, etab,
                                                                  monkeypatch):
    auth.login("chef.0999001a")
    page = client.get("/responsables/").get_data(as_text=True)
    assert app.extensions["admints_fragments"], "nothing was cached"
    cached = client.get("/responsables/").get_data(as_text=True)

    rendered = []

    def uncached(*key, caller):
        rendered.append(key[0])
        return caller()

    monkeypatch.setitem(app.jinja_env.globals, "cached_fragment", uncached)
    app.jinja_env.cache.clear()  # templates read their globals when compiled
    fresh = client.get("/responsables/").get_data(as_text=True)
    assert sorted(rendered) == ["menu"]
    token = re.compile(r'name="csrf_token" value="[^"]*"')
    assert token.sub("", cached) == token.sub("", fresh) == token.sub("", page)
    assert fragments.MAX_ENTRIES > len(app.extensions["admints_fragments"])


def test_r_sec_1_no_token_login_or_establishment_in_a_cached_block(app, client, auth, etab,
                                                                   other_etab):
    """Guard: a cached block is served to every user, so none may hold what belongs to one
    user or one establishment. Three users (two heads, an académie administrator who has the
    establishment switch) open every page of their menu; the CSRF tokens, logins,
    establishment names and UAIs those pages show are in no cached fragment."""
    academie = factories.make_academie()
    factories.make_user("rectorat.frag", "academie", academie=academie)
    db.session.commit()
    private: set[str] = set()
    shown = ""
    users = ["chef.0999001a", "chef.0999002b", "rectorat.frag"]
    for n, login in enumerate(users):
        if n:
            relogin(client, auth, login)
        else:
            auth.login(login)
        private.add(login)
        home = client.get("/", follow_redirects=True).get_data(as_text=True)
        links = set(re.findall(r'href="(/[^"#?]*)"', _nav_html(home)))
        assert links, login
        for link in sorted(links):
            resp = client.get(link)
            if resp.status_code != 200 or resp.mimetype != "text/html":
                continue
            page = resp.get_data(as_text=True)
            shown += page
            private.update(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', page))
    for e in (etab, other_etab):
        private.update({e.nom, e.uai, e.uai.lower(), html.escape(e.nom)})
    cache = app.extensions["admints_fragments"]
    assert {key[1] for key in cache} >= {"menu"}
    for value in private:
        assert value in shown, f"{value!r} never shown: the guard would not bite"
        for key, fragment in cache.items():
            assert value not in fragment, (value, key[1:3])


def _nav_html(page: str) -> str:
    match = re.search(r'<nav class="fr-nav".*?</nav>', page, re.S)
    assert match, "no navigation bar"
    return match.group(0)
