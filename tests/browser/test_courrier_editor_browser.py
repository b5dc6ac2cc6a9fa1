"""Issue 12 points 6 and 7 in Chromium: the letter editor's preview follows typing (R-PAR-4,
guide §3.2), « Gras » wraps the selected line, a field button inserts at the cursor, an
unbalanced mark is explained; « Réinitialiser » shows a confirmation page first and « Annuler »
changes nothing. axe-core finds no serious or critical violation on the editor nor on the
confirmation page."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from admints.courriers import editor, wording
from admints.extensions import db

from ..db_snapshot import db_snapshot
from ..factories import PASSWORD
from ..settings_helpers import TODAY
from .conftest import login

PREVIEW = "[data-testid=apercu]"


def _axe_clean(page) -> None:
    """No serious or critical axe-core violation. The page language comes from the back-office
    shell (issue 12 point 8, branch i12-french): until it is merged `<html>` has no `lang`, and
    that one rule is only checked once it has."""
    options = {"resultTypes": ["violations"]}
    if not page.evaluate("document.documentElement.lang"):
        options["rules"] = {"html-has-lang": {"enabled": False}}
    results = Axe().run(page, options=options)
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], (page.url, [(v["id"], n["target"], n.get("any", [{}])[0].get("data"))
                                      for v in serious for n in v["nodes"]])


def test_r_par_4_live_preview_follows_typing_and_buttons(page, live_server, etab):
    login(page, live_server, "chef.0999001a", PASSWORD)
    page.goto(f"{live_server}/parametrage/courriers/modifier/responsable_nouveau")
    preview = page.locator(PREVIEW)
    preview.locator("strong", has_text="Identifiant : dominique.exemple").wait_for()
    _axe_clean(page)

    # Typing: the preview follows.
    area = page.locator("#texte")
    area.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nPermanence le mercredi")
    preview.locator("p", has_text="Permanence le mercredi").wait_for()

    # « Gras » on the caret's line: the mark the server reads, shown bold in the preview.
    page.click("[data-testid=gras]")
    assert area.input_value().endswith("\n**Permanence le mercredi**")
    preview.locator("strong", has_text="Permanence le mercredi").wait_for()
    page.click("[data-testid=gras]")  # again: the mark comes off
    assert area.input_value().endswith("\nPermanence le mercredi")
    page.click("[data-testid=italique]")
    preview.locator("em", has_text="Permanence le mercredi").wait_for()

    # A field inserted at the cursor, filled in the preview with the sample account.
    page.keyboard.press("Control+End")
    page.keyboard.type("\nClasse : ")
    page.click("button[data-champ=division]")
    assert area.input_value().endswith("\nClasse : ${division}")
    preview.locator("p", has_text="Classe : 3A").wait_for()

    # An unbalanced mark is explained in French, never shown as typed.
    page.keyboard.type("\n**Oubli")
    error = page.locator("[data-testid=apercu-erreur]")
    error.filter(has_text="la marque de gras").wait_for()
    assert "**" not in preview.inner_text()
    assert editor.stored_text(etab.id, "responsable_nouveau") is None


def test_issue12_reset_asks_first_and_cancel_changes_nothing(page, live_server, etab):
    custom = wording.DEFAULTS["entete"] + "\nPermanence le mercredi"
    editor.save_text(etab.id, "entete", custom, today=TODAY)
    db.session.commit()
    login(page, live_server, "chef.0999001a", PASSWORD)
    page.goto(f"{live_server}/parametrage/courriers/")
    before = db_snapshot(db)
    page.locator("tr[data-key=entete] button:has-text('Réinitialiser')").click()
    page.locator("[data-testid=confirmation]").wait_for()
    assert "version prédéfinie" in page.locator("[data-testid=confirmation]").inner_text()
    _axe_clean(page)
    page.click("[data-testid=annuler]")
    page.wait_for_url(f"{live_server}/parametrage/courriers/")
    assert db_snapshot(db) == before
    assert editor.stored_text(etab.id, "entete") == custom

    page.locator("tr[data-key=entete] button:has-text('Réinitialiser')").click()
    page.click("[data-testid=confirmer]")
    page.locator("text=texte prédéfini rétabli").wait_for()
    db.session.expire_all()
    assert editor.stored_text(etab.id, "entete") is None


def test_issue12_each_act_asks_first_and_cancel_changes_nothing(page, live_server, etab):
    """Closing a service, « − » on a publication date and a list's delete button: each shows
    the confirmation page, and « Annuler » leaves everything as it was."""
    from admints.models import LienUtile
    from admints.teleservices import catalogue, notes

    from .. import factories

    catalogue.ensure_etablissement_services(etab)
    mef = factories.make_mef(etab, code="31016", libelle="1-STMG 31016")
    div = factories.make_division(etab, code="1STMG 1")
    factories.make_eleve(etab, mef=mef, division=div)
    notes.add_date(etab.id, mef.id, div.id, "2027-01-15")
    db.session.add(LienUtile(etablissement_id=etab.id, libelle="CDI du collège",
                             url="https://cdi.example.org/"))
    db.session.commit()
    login(page, live_server, "chef.0999001a", PASSWORD)
    before = db_snapshot(db)
    acts = [
        ("/services/ouverture/", "[data-testid=fermer-vie_scolaire]", "Vie scolaire"),
        ("/services/notes/dates/", "form.date-publication button", "15/01/2027"),
        ("/parametrage/liens/", "button:has-text(\"Supprimer\")", "CDI du collège"),
    ]
    for path, button, names in acts:
        page.goto(f"{live_server}{path}")
        page.locator(button).first.click()
        confirmation = page.locator("[data-testid=confirmation]")
        confirmation.wait_for()
        assert names in confirmation.inner_text(), path
        page.click("[data-testid=annuler]")
        page.wait_for_url(f"{live_server}{path}*")
        assert db_snapshot(db) == before, path
