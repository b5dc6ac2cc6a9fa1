"""Flask-Admin's generic screens on the DSFR (issue 13 points 1, 3, 4, 5, 7), read as HTML:
every field of every create/edit form labelled, errors tied to their field, no inline script or
handler on any generic page, the filter form's query string giving the same rows as
Flask-Admin's own, row checkboxes and row actions named after the row."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask_admin.model import BaseModelView

from admints.models import Etablissement, LienUtile

from . import factories
from .db_snapshot import db_snapshot

CHEF = "chef.0999001a"


class _Controls(HTMLParser):
    """The form controls of a page, the ids of its elements and the `for` of its labels."""

    def __init__(self):
        super().__init__()
        self.controls, self.ids, self.label_for = [], {}, set()
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids[a["id"]] = (tag, a)
        if tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea"):
            if tag == "input" and a.get("type") in ("hidden", "submit", "button", "image"):
                return
            self.controls.append((tag, a, self._label_depth > 0))

    def handle_endtag(self, tag):
        if tag == "label" and self._label_depth:
            self._label_depth -= 1


def parse(html: str) -> _Controls:
    p = _Controls()
    p.feed(html)
    return p


def unlabelled(html: str) -> list[str]:
    """The controls of `html` without an accessible label (label for=, wrapping label,
    aria-label or aria-labelledby)."""
    p = parse(html)
    bad = []
    for tag, a, wrapped in p.controls:
        if wrapped or a.get("aria-label") or a.get("aria-labelledby"):
            continue
        if a.get("id") and a["id"] in p.label_for:
            continue
        bad.append(f"<{tag} name={a.get('name')} id={a.get('id')}>")
    return bad


INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>",
                           re.I)


def inline_code(html: str) -> list[str]:
    """Inline handlers, inline scripts and javascript: URLs of a page."""
    found = [m.group(0)[:80] for m in INLINE_HANDLER.finditer(html)]
    found += [m.group(0) for m in INLINE_SCRIPT.finditer(html)]
    found += re.findall(r"href=\"javascript:[^\"]*\"", html)
    return found


@pytest.fixture
def world(db, etab, other_etab):
    """An académie administrator, the head of `etab`, rows for every edit form."""
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.add(LienUtile(etablissement_id=etab.id, libelle="CDI du collège",
                             url="https://cdi.example.org/"))
    db.session.commit()
    return {"etab": etab, "voisin": other_etab}


def _model_views(app):
    admin = app.extensions["admin"][0]
    return [v for v in admin._views if isinstance(v, BaseModelView)]


def _generic_pages(client, app, login, auth):
    """(view, list URL, create URL or None, edit URL or None, details URL or None) of every
    Flask-Admin model view this user may open."""
    auth.login(login)
    pages = []
    for view in _model_views(app):
        base = "/" + view.url.strip("/") + "/"
        listing = client.get(base)
        if listing.status_code != 200:
            continue
        html = listing.get_data(as_text=True)
        edit = re.search(r'href="(' + re.escape(base) + r'edit/\?id=[^"]+)"', html)
        details = re.search(r'href="(' + re.escape(base) + r'details/\?id=[^"]+)"', html)
        pages.append((view, base, base + "new/" if view.can_create else None,
                      edit.group(1).replace("&amp;", "&") if edit else None,
                      details.group(1).replace("&amp;", "&") if details else None))
    return pages


@pytest.mark.parametrize("login", ["academie.demo", CHEF])
def test_issue13_every_generic_form_field_labelled(client, auth, app, world, login):
    """Issue 13 point 3 (RGAA 11.1): every input, select and textarea of every create and edit
    form of every Flask-Admin view has a label; required fields say so in words."""
    checked = 0
    for _view, _base, create, edit, _details in _generic_pages(client, app, login, auth):
        for url in (create, edit):
            if not url:
                continue
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            assert parse(html).controls, f"{url}: no field"
            assert unlabelled(html) == [], url
            if ' required ' in html or ' required>' in html:
                assert "(obligatoire)" in html, url
            checked += 1
    assert checked >= 3


def test_issue13_refused_form_ties_errors_to_fields_and_summary(client, auth, db, world):
    """Issue 13 point 3 (RGAA 11.10): after a refused POST each field in error has
    aria-invalid="true" and aria-describedby naming its fr-error-text; an error summary
    (role="alert", focus target) links to the fields; nothing is created."""
    auth.login("academie.demo")
    token = auth.csrf("/etablissements/new/")
    before = db_snapshot(db)
    response = client.post("/etablissements/new/", data={
        "uai": "0999555E", "nom": "", "type": "college", "annee_scolaire": "2026",
        "csrf_token": token})
    assert response.status_code == 200
    assert db_snapshot(db) == before
    html = response.get_data(as_text=True)
    p = parse(html)
    tag, nom = p.ids["nom"]
    assert nom.get("aria-invalid") == "true"
    error_id = nom["aria-describedby"].split()[-1]
    assert error_id in p.ids
    assert re.search(rf'<p class="fr-error-text" id="{error_id}">Le nom est obligatoire', html)
    summary = re.search(r'<div class="fr-alert fr-alert--error[^"]*" role="alert" tabindex="-1"'
                        r'[^>]*data-resume-erreurs>(.*?)</div>', html, re.S)
    assert summary and 'href="#nom"' in summary.group(1)
    assert "admints.js" in html  # focuses [data-resume-erreurs]
    # the fields without errors are not marked
    assert p.ids["uai"][1].get("aria-invalid") is None


@pytest.mark.parametrize("login", ["academie.demo", CHEF])
def test_issue13_generic_pages_have_no_inline_script(client, auth, app, world, login):
    """Issue 13 point 7 (strict CSP): no inline handler (on…=), inline script or javascript:
    URL on any generic list, create, edit or details page."""
    seen = 0
    for view, base, create, edit, details in _generic_pages(client, app, login, auth):
        # The account lists have their own template (templates/admints/comptes/, issue 13's
        # account screens): checked by their own tests.
        own_list = view.list_template.startswith("admints/comptes/")
        for url in (None if own_list else base, create, edit, details):
            if not url:
                continue
            html = client.get(url).get_data(as_text=True)
            body = html[html.find("<main"):html.find("</main>")]
            assert inline_code(body) == [], url
            # Flask-Admin's own inline-JSON filter builder and modelActions are gone
            assert "filter-groups-data" not in html and "modelActions" not in html, url
            seen += 1
    assert seen >= 5


def _uais(html: str) -> set[str]:
    return set(re.findall(r'<td class="col-uai">(\w+)</td>', html))


def test_issue13_filter_form_round_trip_same_rows(client, auth, db, world):
    """Issue 13 point 5: the filter form (f<r>_op, f<r>_val) redirects to Flask-Admin's own
    query string (flt<pos>_<arg>) and lists the same rows; the active filter is summarised
    and shown in the form; « Effacer les filtres » lists everything again."""
    factories.make_etablissement(uai="0999004D", nom="Lycée de Douai", ville="Douai",
                                 academie=world["etab"].academie, with_users=False)
    db.session.commit()
    auth.login("academie.demo")
    old = client.get("/etablissements/?flt0_9=Douai").get_data(as_text=True)
    page = client.get("/etablissements/").get_data(as_text=True)
    ville = re.search(r'<legend[^>]*id="(filtre-\d+)-legende">Ville</legend>(.*?)</fieldset>',
                      page, re.S).group(2)
    op = re.search(r'<select class="fr-select" id="f(\d+)-op" name="f\d+_op">', ville).group(1)
    assert f'<label class="fr-label" for="f{op}-op">Condition</label>' in ville
    assert re.search(r'<option value="9"[^>]*>vaut</option>', ville)
    response = client.get(f"/etablissements/?f{op}_op=9&f{op}_val=Douai&f0_val=")
    assert response.status_code == 302
    assert "flt0_9=Douai" in response.headers["Location"]
    assert "f0_val" not in response.headers["Location"]
    new = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _uais(new) == _uais(old) == {"0999004D"}
    assert "Filtres actifs (1)" in new and "Ville vaut « Douai »" in new
    assert re.search(r'name="f\d+_val" value="Douai"', new)
    clear = re.search(r'<a href="([^"]+)" class="fr-btn fr-btn--tertiary">Effacer les filtres',
                      new).group(1).replace("&amp;", "&")
    assert {"0999001A", "0999002B", "0999004D"} <= _uais(client.get(clear).get_data(as_text=True))


@pytest.mark.parametrize("query", ["f0_op=9999&f0_val=x", "f0_op=9&f0_val=" + "x" * 5000,
                                   "f999999_op=9&f999999_val=Lille", "f0_op=&f0_val=%00"])
def test_issue13_hostile_filter_form_no_500(client, auth, db, world, query):
    """R-SEC-5: junk from the filter form is dropped or refused in French, never a 500."""
    auth.login("academie.demo")
    before = db_snapshot(db)
    response = client.get("/etablissements/?" + query, follow_redirects=True)
    assert response.status_code in (200, 400)
    assert db_snapshot(db) == before


def test_issue13_rows_named_after_the_row(client, auth, db, world):
    """Issue 13 point 4: row checkboxes and row actions are named after the row
    (« Sélectionner chef.0999001a », « Modifier Collège Victor-Hugo (0999001A) »), the select-all
    box is labelled, the bulk actions are a labelled select with a submit button."""
    auth.login("academie.demo")
    users = client.get("/utilisateurs/").get_data(as_text=True)
    assert unlabelled(users) == []
    assert re.search(r'<input type="checkbox" name="rowid" class="action-checkbox" id="ligne-(\d+)"'
                     r' value="\1" form="action_form">\s*<label class="fr-label" for="ligne-\1">'
                     r'<span class="fr-sr-only">Sélectionner chef\.0999001a</span>', users)
    assert "Sélectionner toutes les lignes de la page" in users
    assert '<label class="fr-label" for="action-choisie">Action sur les lignes cochées</label>' \
        in users
    assert re.search(r'<form id="action_form" action="/utilisateurs/action/" method="POST"', users)
    assert 'role="status"' in users
    etabs = client.get("/etablissements/").get_data(as_text=True)
    assert "Modifier<span class=\"fr-sr-only\"> Collège Victor-Hugo (0999001A)</span>" in etabs
    assert re.search(r'<div class="fr-table[^"]*admints-table-scroll', etabs)
    assert re.search(r'<div class="fr-table__container" tabindex="0" role="region" '
                     r'aria-labelledby="liste-caption">', etabs)
    assert '<caption id="liste-caption">Établissements : ' in etabs


def test_issue13_sorted_header_has_aria_sort(client, auth, world):
    """Issue 13 point 1: the sorted column's header says so (aria-sort), its link says what a
    click does."""
    auth.login("academie.demo")
    html = client.get("/etablissements/?sort=1&desc=1").get_data(as_text=True)
    th = re.search(r'<th scope="col" class="column-header col-nom" aria-sort="descending">(.*?)'
                   r'</th>', html, re.S)
    assert th and "trier par ordre croissant" in th.group(1)
    assert html.count("aria-sort=") == 1


def test_issue13_bulk_action_without_javascript(client, auth, db, world):
    """Issue 13 point 7: the bulk action form posts the chosen action and the ticked rows
    (form="action_form") with no script: deactivating a user works."""
    from admints.models import StaffUser

    auth.login("academie.demo")
    user = db.session.scalar(db.select(StaffUser).filter_by(login="assistance.0999001a"))
    html = client.get("/utilisateurs/").get_data(as_text=True)
    token = re.search(r'<form id="action_form".*?name="csrf_token"[^>]*value="([^"]+)"', html,
                      re.S).group(1)
    assert '<option value="desactiver" data-confirmation=' in html
    response = client.post("/utilisateurs/action/", data={
        "csrf_token": token, "action": "desactiver", "rowid": [str(user.id)],
        "url": "/utilisateurs/"}, follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(StaffUser, user.id).actif is False


def test_issue13_create_edit_details_page_names(client, auth, db, world):
    """Issue 13 point 4: create, edit and details pages name themselves (the shell's
    `page_name` block makes the <title> unique, « Modifier … – Établissements – … – AdminTS »)
    and add no <h1> of their own: the shell's is the only one."""
    auth.login("academie.demo")
    etab = db.session.scalar(db.select(Etablissement).filter_by(uai="0999001A"))
    for name, url, expected in (
            ("create", "/etablissements/new/", "Créer"),
            ("edit", f"/etablissements/edit/?id={etab.id}", "Modifier Collège Victor-Hugo"),
            ("details", f"/etablissements/details/?id={etab.id}", "Détails Collège Victor-Hugo")):
        html = client.get(url).get_data(as_text=True)
        assert html.count("<h1") == 1, name
        assert re.search(r"<h1>\s*" + expected, html), name
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert title.startswith(expected) and "– Établissements –" in title, (name, title)
    details = client.get(f"/etablissements/details/?id={etab.id}").get_data(as_text=True)
    assert re.search(r'<th scope="row">UAI</th>\s*<td>0999001A</td>', details)
