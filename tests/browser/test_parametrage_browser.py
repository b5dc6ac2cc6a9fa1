"""Gestion des services and Message d'accueil in Chromium (issue 4): toggle a service, then edit
the welcome message with the toolbar, checking the live « N/2000 caractères » counter and the
preview, and that a refused link never reaches the page."""

from __future__ import annotations

from admints.extensions import db
from admints.models import Teleservice, TeleserviceEtablissement
from admints.parametrage import versions
from admints.teleservices import catalogue

from ..factories import PASSWORD
from .conftest import login


def _ouvert(etab, code) -> bool:
    db.session.expire_all()
    return db.session.scalar(
        db.select(TeleserviceEtablissement.ouvert).join(Teleservice).where(
            TeleserviceEtablissement.etablissement_id == etab.id, Teleservice.code == code))


def test_r_srv_2_r_par_2_toggle_service_and_edit_welcome_message(page, live_server, etab):
    catalogue.ensure_etablissement_services(etab)
    db.session.commit()
    login(page, live_server, "chef.0999001a", PASSWORD)

    # R-SRV-2: close then reopen « Vie scolaire » from the menu.
    page.click("#navigation button.fr-nav__btn:has-text('Gestion des services')")
    page.click("a:has-text('Ouverture / fermeture') >> visible=true")
    row = page.locator("tr[data-service=vie_scolaire]")
    assert row.locator(".etat-service").inner_text() == "Ouvert"
    row.locator("[data-testid=fermer-vie_scolaire]").click()
    # Issue 12: closing is confirmed on a page of its own first.
    page.wait_for_selector("[data-testid=confirmation]")
    page.click("[data-testid=confirmer]")
    page.wait_for_selector("text=Le téléservice « Vie scolaire » est fermé.")
    assert page.locator("tr[data-service=vie_scolaire] .etat-service").inner_text() == "Fermé"
    assert _ouvert(etab, "vie_scolaire") is False
    page.locator("[data-testid=ouvrir-vie_scolaire]").click()
    page.wait_for_selector("text=Le téléservice « Vie scolaire » est ouvert.")
    assert _ouvert(etab, "vie_scolaire") is True
    # A mandatory-free collège: LSL is optional; Paiement is closed by default.
    assert page.locator("tr[data-service=paiement] .etat-service").inner_text() == "Fermé"

    # R-PAR-2: the rich-text editor, live counter and preview.
    page.goto(f"{live_server}/parametrage/message/")
    counter = page.locator("#message-counter")
    assert counter.inner_text() == "0/2000 caractères"
    editor = page.locator("#message-editor")
    editor.click()
    page.keyboard.type("Portes ouvertes le 15 mai")
    assert counter.inner_text() == "25/2000 caractères"
    assert page.locator("#message-preview").inner_text() == "Portes ouvertes le 15 mai"
    # Bold on the selected words.
    page.keyboard.press("Control+a")
    page.click("button[data-cmd=bold]")
    assert page.locator("#message-preview b, #message-preview strong").count() == 1
    # A javascript: link is refused by the editor itself.
    page.keyboard.press("End")
    page.keyboard.type(" infos")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    page.fill("#link-url", "javascript:alert(1)")
    page.click("button[data-cmd=link]")
    assert "Seuls les liens" in page.locator("#link-error").inner_text()
    assert page.locator("#message-preview a").count() == 0
    page.fill("#link-url", "https://college.example.org/po")
    page.click("button[data-cmd=link]")
    assert page.locator("#message-preview a").get_attribute("href") == \
        "https://college.example.org/po"
    assert counter.inner_text() == "31/2000 caractères"  # markup does not count
    # Over the limit the counter turns red.
    editor.press("End")
    page.keyboard.insert_text("x" * 1975)
    assert counter.inner_text() == "2006/2000 caractères"
    assert "text-danger" in (counter.get_attribute("class") or "")
    for _ in range(6):
        page.keyboard.press("Backspace")
    assert counter.inner_text() == "2000/2000 caractères"
    page.click("#message-form button[type=submit]")
    page.wait_for_selector("text=Message d'accueil enregistré.")
    saved = versions.get_latest(etab.id, "message_accueil")
    assert 'href="https://college.example.org/po"' in saved
    assert "<b>" in saved or "<strong>" in saved
    assert page.locator("#message-counter").inner_text() == "2000/2000 caractères"
    assert page.locator("#valeur-en-vigueur a").get_attribute("href") == \
        "https://college.example.org/po"


def test_r_par_3_ent_preview_link_follows_the_choice(page, live_server, etab):
    from admints.models import EntAcademique

    db.session.add(EntAcademique(academie_id=etab.academie_id, nom="ENT HDF",
                                 url="https://enthdf.fr/"))
    db.session.commit()
    login(page, live_server, "chef.0999001a", PASSWORD)
    page.goto(f"{live_server}/parametrage/ent/")
    assert not page.locator("#ent-choix").is_visible()  # « Téléservices »: no ENT to choose
    page.check("#type-ent")
    assert page.locator("#ent-choix").is_visible()
    page.select_option("#ent_id", label="ENT HDF (https://enthdf.fr/)")
    assert page.locator("#ent-apercu").get_attribute("href") == "https://enthdf.fr/"
    page.select_option("#ent_id", value="")
    page.fill("#ent-url", "javascript:alert(1)")
    assert page.locator("#ent-apercu").get_attribute("href") == "#"
    page.fill("#ent-url", "https://ent.college.fr")
    assert page.locator("#ent-apercu").get_attribute("href") == "https://ent.college.fr"
    page.click("button:has-text('Valider')")
    page.wait_for_selector("text=ENT et courrier de notification enregistrés.")
    assert versions.get_latest(etab.id, "ent") == {"type": "ent", "url": "https://ent.college.fr",
                                                   "nom": None}
