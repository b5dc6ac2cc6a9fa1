"""Flask-Admin's generic screens in Chromium (issue 13 points 1, 2, 3, 5, 7): a row deleted
through the server's confirmation page, a filter applied and a bulk action run with the keyboard,
axe-core clean (no critical, serious or moderate violation) on a list, a refused create form
and a details page, focus on the error summary, no CSP violation, no sideways scroll at 390 px."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from admints.extensions import db
from admints.models import Etablissement, LienUtile, StaffUser

from .. import factories
from .conftest import login

PASSWORD = factories.PASSWORD
BLOCKING = ("critical", "serious", "moderate")


@pytest.fixture
def world(app, etab, other_etab):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    factories.make_etablissement(uai="0999004D", nom="Lycée de Douai", ville="Douai",
                                 academie=etab.academie, with_users=False)
    db.session.add(LienUtile(etablissement_id=etab.id, libelle="CDI du collège",
                             url="https://cdi.example.org/"))
    db.session.commit()
    return etab


def _watch(page):
    """Console errors (CSP violations among them) and failed requests of the page."""
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    return problems


def _axe(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} – {len(v['nodes'])} nœud(s)"
            for v in results.response["violations"] if v["impact"] in BLOCKING]


def _press_on(page, locator, key="Enter"):
    locator.focus()
    page.keyboard.press(key)


def test_issue13_row_delete_through_confirmation_with_keyboard(page, live_server, world):
    """Issue 13 points 1, 7: « Supprimer CDI du collège » (a POST form, no onclick) leads to
    the confirmation page; « Confirmer » deletes; no CSP violation on the way."""
    problems = _watch(page)
    login(page, live_server, "chef.0999001a", PASSWORD)
    page.goto(f"{live_server}/parametrage/liens/")
    _press_on(page, page.get_by_role("button", name="Supprimer CDI du collège"))
    page.wait_for_selector("[data-testid=confirmation]")
    assert "CDI du collège" in page.inner_text("[data-testid=confirmation]")
    _press_on(page, page.locator("[data-testid=confirmer]"))
    # The list again (not the confirmation page, whose address is also under /liens/).
    page.wait_for_url(re.compile(r".*/parametrage/liens/(\?.*)?$"))
    assert page.get_by_role("button", name="Supprimer CDI du collège").count() == 0
    assert db.session.scalar(db.select(db.func.count(LienUtile.id))) == 0
    assert problems == []


def test_issue13_filter_and_bulk_action_with_keyboard(page, live_server, world):
    """Issue 13 points 2, 5: the filter form is filled and sent with the keyboard (a select,
    a text field, Enter); the active filter is summarised; a row ticked with Space is counted
    in a live region and « Désactiver » is applied from the keyboard."""
    problems = _watch(page)
    login(page, live_server, "academie.demo", PASSWORD)
    page.goto(f"{live_server}/etablissements/")
    ville = page.get_by_role("group", name="Ville")
    condition = ville.get_by_label("Condition")
    condition.focus()
    condition.select_option(label="vaut")  # what arrow keys do in a native select
    page.keyboard.press("Tab")
    page.keyboard.type("Douai")
    page.keyboard.press("Enter")
    page.wait_for_url("**flt0_9=Douai**")
    assert "Ville vaut « Douai »" in page.inner_text(".admints-active-filters")
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1 and "0999004D" in rows.first.inner_text()

    page.goto(f"{live_server}/utilisateurs/")
    box = page.get_by_role("checkbox", name="Sélectionner assistance.0999001a")
    _press_on(page, box, "Space")
    assert box.is_checked()
    status = page.locator("#selection-count")
    assert status.get_attribute("role") == "status"
    assert status.inner_text().startswith("1 ligne sélectionnée sur ")
    select = page.get_by_label("Action sur les lignes cochées")
    select.focus()
    select.select_option("desactiver")
    page.once("dialog", lambda d: d.accept())  # Flask-Admin's question for this action
    _press_on(page, page.get_by_role("button", name="Appliquer à la sélection"))
    page.wait_for_selector("text=1 utilisateur(s) désactivé(s).")
    db.session.expire_all()
    user = db.session.scalar(db.select(StaffUser).filter_by(login="assistance.0999001a"))
    assert user.actif is False
    assert problems == []


def test_issue13_axe_list_refused_form_details(page, phone, live_server, world):
    """Issue 13 points 2, 3, 6: axe-core finds no critical, serious or moderate violation on a
    filtered list, on a refused create form (focus on its error summary) and on a details page;
    the list does not scroll sideways at 390 px (its table scrolls in its own region)."""
    problems = _watch(page)
    login(page, live_server, "academie.demo", PASSWORD)
    page.goto(f"{live_server}/etablissements/?flt0_7=Lille", wait_until="networkidle")
    report = {"liste": _axe(page)}
    page.goto(f"{live_server}/etablissements/new/")
    page.fill("#uai", "0999777Z")
    page.locator("#nom").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#resume-erreurs")
    expect(page.locator("#resume-erreurs")).to_be_focused()
    assert page.locator("#nom").get_attribute("aria-invalid") == "true"
    report["création refusée"] = _axe(page)
    etab_id = db.session.scalar(db.select(Etablissement.id).filter_by(uai="0999001A"))
    page.goto(f"{live_server}/etablissements/details/?id={etab_id}", wait_until="networkidle")
    report["détails"] = _axe(page)
    print("axe (critical/serious/moderate):", {k: len(v) for k, v in report.items()})
    assert report == {"liste": [], "création refusée": [], "détails": []}
    assert problems == []

    login(phone, live_server, "academie.demo", PASSWORD)
    phone.goto(f"{live_server}/etablissements/", wait_until="networkidle")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    region = phone.locator(".admints-table-scroll .fr-table__container")
    assert region.get_attribute("role") == "region"
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")
