"""The families' portal base layout and form macros (R-POR-2, RGAA), rendered through a
throw-away page (tests/portail_layout_page.py): French, one h1, skip link to <main>, labelled
fields with their errors tied by aria-describedby/aria-invalid, flash messages as DSFR alerts in
a live region, the DSFR served from the app's static folder, no inline script."""

from __future__ import annotations

from html.parser import HTMLParser

from flask import render_template_string

from . import portail_layout_page


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.inline_script = False
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_script = True

    def all(self, tag, **attrs):
        return [a for t, a in self.tags
                if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def _page(app):
    portail_layout_page.register(app)
    response = app.test_client().get(portail_layout_page.URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    tags = _Tags()
    tags.feed(html)
    return response, html, tags


def test_r_por_2_layout_is_french_with_one_h1_a_skip_link_and_the_dsfr_landmarks(app):
    _, html, tags = _page(app)
    assert tags.all("html") == [{"lang": "fr"}]
    assert tags.all("meta", name="viewport")[0]["content"].startswith("width=device-width")
    assert len(tags.all("h1")) == 1 and "<h1>Première connexion</h1>" in html
    assert "<title>Essai du gabarit – Scolarité services</title>" in html
    skip = tags.all("a", href="#contenu")
    assert skip and "Aller au contenu" in html.split('href="#contenu">')[1][:20]
    assert tags.all("main", id="contenu")
    assert tags.all("header", role="banner") and tags.all("footer", role="contentinfo")
    assert '<p class="fr-header__service-title">Scolarité services</p>' in html
    assert tags.all("p", **{"data-testid": "etablissement"})
    assert "Collège Victor-Hugo" in html
    assert "Licence Ouverte Etalab 2.0" in html


def test_r_por_2_layout_loads_the_dsfr_from_the_app_only_and_has_no_inline_script(app):
    response, _, tags = _page(app)
    scripts = tags.all("script")
    assert [s.get("type") for s in scripts] == ["module", None]
    # (static_delivery may add ?v=<content hash>: the file is what counts here)
    assert [s["src"].split("?")[0] for s in scripts] == ["/static/dsfr/dsfr.module.min.js",
                                           "/static/dsfr/dsfr.nomodule.min.js"]
    assert "nomodule" in scripts[1]
    assert not tags.inline_script
    assert not [a for t, a in tags.tags if any(k.startswith("on") for k in a)]  # no handlers
    hrefs = [a["href"].split("?")[0] for a in tags.all("link")]
    assert "/static/dsfr/dsfr.min.css" in hrefs
    assert all(h.startswith("/static/dsfr/") for h in hrefs)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    client = app.test_client()
    for url in hrefs + [s["src"] for s in scripts]:
        assert client.get(url).status_code == 200, url


def test_r_por_2_flash_messages_are_dsfr_alerts_in_a_live_region(app):
    _, html, tags = _page(app)
    region = tags.all("div", role="status")
    assert region == [{"class": "portail-messages", "role": "status", "aria-live": "polite"}]
    messages = html.split('role="status" aria-live="polite">')[1].split("</div>\n    \n")[0]
    for kind, text in [("success", "Votre compte est activé."),
                       ("error", "Identifiant ou mot de passe incorrect."),
                       ("warning", "Votre session va expirer."),
                       ("info", "Les notes sont publiées.")]:
        alert = f'<div class="fr-alert fr-alert--{kind} fr-alert--sm fr-mb-3w"><p>{text}</p></div>'
        assert alert in messages


def test_r_por_2_form_macros_tie_labels_hints_and_errors_to_their_inputs(app):
    _, html, tags = _page(app)
    ids = {a.get("id") for _, a in tags.tags}
    inputs = [a for a in tags.all("input") if a.get("type") != "checkbox"]
    assert [i["name"] for i in inputs] == ["date_naissance", "courriel", "identifiant",
                                           "nouveau_mot_de_passe"]
    for field in inputs:
        assert tags.all("label", **{"for": field["id"]}), field["id"]
        assert field["aria-describedby"] in ids
    in_error = {i["name"] for i in inputs if i.get("aria-invalid") == "true"}
    assert in_error == {"date_naissance", "courriel", "nouveau_mot_de_passe"}
    assert '<p class="fr-message fr-message--error" id="date_naissance-erreur-1">' in html
    hint = '<span class="fr-hint-text">Format attendu : JJ/MM/AAAA</span>'
    assert f"Date de naissance{hint}</label>" in html
    by_name = {i["name"]: i for i in inputs}
    assert by_name["courriel"]["type"] == "email"
    assert by_name["courriel"]["autocomplete"] == "email"
    assert by_name["identifiant"]["value"] == "jdupont12"
    assert by_name["date_naissance"]["inputmode"] == "numeric"
    assert "value" not in by_name["nouveau_mot_de_passe"]  # a password is never sent back
    assert by_name["nouveau_mot_de_passe"]["autocomplete"] == "new-password"
    assert tags.all("label", **{"for": "nouveau_mot_de_passe-afficher"})
    assert 'class="fr-input-group fr-input-group--error" id="courriel-groupe"' in html


def test_r_por_2_layout_without_tools_or_navigation_has_no_menu_and_escapes_values(app):
    with app.test_request_context("/"):
        html = render_template_string(
            '{% extends "portail/base.html" %}{% block h1 %}Connexion{% endblock %}',
            etablissement_nom="<script>x</script>")
    assert "fr-btn--menu" not in html and "fr-header__menu" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert "<title>Connexion – Scolarité services</title>" in html
    with app.test_request_context("/"):
        bare = render_template_string(
            '{% extends "portail/base.html" %}{% block h1 %}Connexion{% endblock %}')
    assert "fr-header__service-tagline" not in bare
