"""Issue 12 point 10 (guide §1.2, §1.4 NB; R-A11Y-1): « Aide » on every screen opens that
screen's help, written in French from the guide and served by the app; « Quoi de neuf »;
« Imprimer » on lists and statistics, whose printed page names the establishment, its UAI and
the date."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from admints import help_pages

from . import factories

SCREENS = [("/", "accueil"), ("/services/ouverture/", "services"),
           ("/parametrage/liens/", "liens"), ("/responsables/", "responsables"),
           ("/eleves/listes/", "listes"), ("/statistiques/acces/", "statistiques"),
           ("/journal/", "journal")]


def test_r_a11y_1_every_screen_has_its_help_topic(app):
    endpoints = {v.endpoint for v in app.extensions["admin"][0]._views}
    assert endpoints <= set(help_pages.ENDPOINTS), endpoints - set(help_pages.ENDPOINTS)
    assert set(help_pages.ENDPOINTS.values()) <= set(help_pages.TOPICS)


@pytest.mark.parametrize("url, topic", SCREENS)
def test_r_a11y_1_aide_link_opens_the_help_of_the_screen(client, auth, etab, url, topic):
    auth.login("chef.0999001a")
    html = client.get(url).get_data(as_text=True)
    link = re.search(r'<a [^>]*href="([^"]+)" data-testid="aide">Aide</a>', html)
    assert link and link.group(1) == f"/aide/{topic}", url
    page = client.get(link.group(1))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Aide : {help_pages.TOPICS[topic].title}" in text.replace("&#39;", "'")
    assert "guide de l'utilisateur" in text.replace("&#39;", "'")


def test_r_a11y_1_quoi_de_neuf_and_unknown_topic(client, auth, etab):
    auth.login("assistance.0999001a")
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="quoi-de-neuf"' in html
    news = client.get("/aide/quoi-de-neuf").get_data(as_text=True)
    assert "Quoi de neuf" in news and "Français partout" in news
    assert client.get("/aide/nexiste-pas").status_code == 404
    assert client.get("/aide/").status_code == 200


def test_r_a11y_1_help_needs_a_signed_in_user(client, etab):
    response = client.get("/aide/accueil")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url, printable", [
    ("/responsables/", True), ("/journal/", True), ("/statistiques/eleves/", True),
    ("/parametrage/message/", False)])
def test_r_a11y_1_imprimer_on_lists_and_statistics_with_a_dated_header(
        client, auth, etab, set_clock, url, printable):
    set_clock(dt.datetime(2026, 12, 2, 14, 35, tzinfo=dt.UTC))
    auth.login("chef.0999001a")
    html = client.get(url).get_data(as_text=True)
    assert ('data-testid="imprimer"' in html) is printable, url
    header = re.search(r'data-testid="entete-impression">\s*(.*?)\s*</p>', html, re.S)
    assert header, url
    assert header.group(1) == ("Collège Victor-Hugo — UAI 0999001A — imprimé le "
                               "02/12/2026 15:35")


def test_r_a11y_1_academie_screens_have_help_too(client, auth, db, etab):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    auth.login("academie.demo")
    html = client.get("/etablissements/").get_data(as_text=True)
    assert 'href="/aide/academie" data-testid="aide"' in html
    assert 'data-testid="imprimer"' in html
