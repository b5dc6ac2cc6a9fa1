"""Fragments of the master page rendered once per process (admints/fragments.py): the cached
menu must still be each user's own menu (docs/REGLES.md §1, R-SEC-1), follow the services that are
open (R-SRV-4) and mark the current view, exactly as Flask-Admin renders it uncached."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from admints import catalogue, fragments, services
from admints.extensions import db
from admints.models import Teleservice

from . import factories
from .settings_helpers import relogin

TODAY = dt.date(2026, 11, 28)


def _nav(resp) -> str:
    assert resp.status_code == 200
    return re.search(r"<nav.*?</nav>", resp.get_data(as_text=True), re.S).group(0)


def _menu(resp) -> str:
    return re.search(r'<ul class="nav navbar-nav mr-auto">.*?</ul>\s*<ul class="nav navbar-nav navbar-right">',
                     _nav(resp), re.S).group(0)


@pytest.fixture
def ready(etab):
    catalogue.ensure_etablissement_services(etab)
    db.session.commit()
    return etab


def _set_notes(etab, ouvert: bool) -> None:
    notes = db.session.scalar(db.select(Teleservice).where(Teleservice.code == "notes"))
    services.set_open(etab, notes.id, ouvert, today=TODAY)
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
        link = re.search(r'<li class="active dropdown">\s*(<a.*?</a>)', menu, re.S).group(1)
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
    assert sorted(rendered) == ["head_css", "menu", "tail_js"]
    token = re.compile(r'name="csrf_token" value="[^"]*"')
    assert token.sub("", cached) == token.sub("", fresh) == token.sub("", page)
    assert fragments.MAX_ENTRIES > len(app.extensions["admints_fragments"])
