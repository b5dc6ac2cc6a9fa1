"""The back-office shell on the DSFR (issue 13, R-A11Y-1) and the strict CSP, read server-side:
landmarks, skip links whose target exists, one <h1>, a unique <title> per screen, the
establishment in the header's brand, breadcrumbs, flash messages as DSFR alerts in a live
region; `script-src 'self'` without 'unsafe-inline', and no inline script nor inline handler in
the pages the shell, login and error layouts render. The browser crawl
(tests/browser/test_a11y_crawl.py) checks the same in Chromium with axe-core."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from admints.security_headers import CSP

from . import factories

INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.inline_scripts = 0
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.inline_scripts += 1

    def all(self, tag, **attrs):
        return [v for t, v in self.tags if t == tag
                and all(v.get(k.rstrip("_")) == want for k, want in attrs.items())]

    def ids(self):
        return [v["id"] for _t, v in self.tags if v.get("id")]


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def _check_structure(html: str) -> Tags:
    tags = Tags(html)
    assert '<html lang="fr">' in html
    assert len(tags.all("h1")) == 1
    for landmark in ("header", "main", "footer", "nav"):
        assert tags.all(landmark), landmark
    assert tags.all("main")[0].get("id") == "contenu"
    skip = [a["href"] for a in tags.all("a") if a.get("href", "").startswith("#")]
    assert "#contenu" in skip
    for href in skip:
        assert href[1:] in tags.ids(), href
    assert tags.inline_scripts == 0
    assert not INLINE_HANDLER.search(html) and "javascript:" not in html
    assert 'name="viewport"' in html
    assert "bootstrap" not in html.lower()
    return tags


def test_r_a11y_1_csp_allows_no_inline_script(client):
    script_src = re.search(r"script-src ([^;]*)", CSP).group(1).split()
    assert script_src == ["'self'"]
    response = client.get("/login")
    assert response.headers["Content-Security-Policy"] == CSP
    assert "unsafe-inline" not in re.search(r"script-src[^;]*", CSP).group(0)


def test_r_a11y_1_login_page_on_the_dsfr_with_labelled_fields(client, auth, etab):
    html = client.get("/login").get_data(as_text=True)
    tags = _check_structure(html)
    assert _title(html) == "Connexion – AdminTS"
    for field in ("login", "password"):
        assert [lab for lab in tags.all("label") if lab.get("for") == field], field
    response = client.post("/login", data={"login": "", "password": "",
                                           "csrf_token": auth.csrf("/login")})
    html = response.get_data(as_text=True)
    tags = Tags(html)
    field = next(v for t, v in tags.tags if t == "input" and v.get("name") == "login")
    assert field.get("aria-invalid") == "true"
    described = field["aria-describedby"]
    assert described in tags.ids()
    errors = re.search(rf'<div id="{described}">(.*?)</div>', html, re.S).group(1)
    assert "Saisissez votre identifiant." in errors and "fr-error-text" in errors


def test_r_a11y_1_error_page_on_the_dsfr(client, auth, etab):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    _check_structure(html)
    assert _title(html) == "Page introuvable – AdminTS"
    assert "fr-alert" in html and "Retour à l'accueil" in html


def test_r_a11y_1_shell_landmarks_breadcrumbs_and_unique_titles(client, auth, etab):
    auth.login("chef.0999001a")
    titles = {}
    for url in ("/", "/responsables/", "/eleves/", "/aide/", "/aide/quoi-de-neuf",
                "/parametrage/liens/", "/parametrage/liens/new/", "/journal/"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        tags = Tags(html)
        assert '<html lang="fr">' in html and tags.all("main", id="contenu"), url
        assert len(tags.all("h1")) == 1, url
        assert tags.all("header") and tags.all("footer"), url
        assert tags.all("nav", id="navigation"), url
        assert 'href="#contenu"' in html and 'href="#navigation"' in html, url
        etab_tag = re.search(r'data-testid="etablissement">\s*(.*?)\s*</p>', html, re.S)
        assert etab_tag and "Collège Victor-Hugo (0999001A)" in etab_tag.group(1), url
        assert "Se déconnecter" in html and "chef.0999001a" in html, url
        assert 'rel="stylesheet" href="/static/dsfr/dsfr.min.css"' in html, url
        assert "bootstrap.min.css" not in html, url
        titles.setdefault(_title(html), []).append(url)
        if url != "/":
            assert 'class="fr-breadcrumb' in html and 'aria-current="page"' in html, url
    assert all(len(urls) == 1 for urls in titles.values()), titles
    assert "Notifier / gérer les comptes – Accès des responsables – AdminTS" in titles
    assert "Créer – Liens utiles – Paramétrage – AdminTS" in titles


def test_r_a11y_1_menu_marks_the_current_page(client, auth, etab):
    auth.login("chef.0999001a")
    html = client.get("/responsables/").get_data(as_text=True)
    nav = re.search(r'<nav class="fr-nav".*?</nav>', html, re.S).group(0)
    current = re.findall(r'<a class="fr-nav__link" href="([^"]+)" aria-current="page"', nav)
    assert current == ["/responsables/"]
    button = re.search(r'<button class="fr-nav__btn"[^>]*aria-current="true"[^>]*>(.*?)</button>',
                       nav).group(1)
    assert button == "Accès des responsables"


def test_r_a11y_1_flash_messages_are_dsfr_alerts_in_a_live_region(client, auth, etab):
    auth.login("chef.0999001a")
    with client.session_transaction() as session:
        session.setdefault("_flashes", []).append(("error", "Rien n'a été modifié."))
    html = client.get("/").get_data(as_text=True)
    region = re.search(r'<div class="admints-messages" role="status" aria-live="polite"'
                       r'[^>]*>(.*?)</div>\s*</div>', html, re.S)
    assert region, "no live region"
    assert 'class="fr-alert fr-alert--error' in region.group(1)
    assert "Rien n&#39;a été modifié." in region.group(1)


def test_r_a11y_1_academie_switch_is_labelled(client, auth, etab, other_etab, db):
    academie = factories.make_academie()
    factories.make_user("rectorat.shell", "academie", academie=academie)
    db.session.commit()
    auth.login("rectorat.shell")
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert '<label class="fr-label" for="etab-switch">Établissement</label>' in html
    assert '<select id="etab-switch" name="etablissement_id" class="fr-select">' in html
