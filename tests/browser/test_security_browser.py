"""In a real Chromium: the académie administrator creates an establishment (UAI checked), the
head creates a délégué (DELEG-CE) who then sees only its menus, and repeated wrong passwords
end on the French 429 page (docs/REGLES.md §1, R-SEC-1/2)."""

from __future__ import annotations

from playwright.sync_api import expect

from admints.models import Etablissement, StaffUser

from .. import factories
from ..conftest import PASSWORD
from .conftest import login


def _logout(page):
    page.click("text=Se déconnecter")
    page.wait_for_url("**/login")


def test_r_sec_academie_creates_establishment_in_browser(db, etab, live_server, page):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    login(page, live_server, "academie.demo", PASSWORD)
    page.goto(f"{live_server}/etablissements/new/")
    page.fill("input[name=uai]", "12345")
    page.fill("input[name=nom]", "Collège Pasteur")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    # The form posts back to the same URL: wait for the answer's text, not for a URL change
    # (content() read while the page navigates is empty).
    expect(page.locator("main")).to_contain_text("UAI invalide")
    page.fill("input[name=uai]", "0999321k")
    page.fill("input[name=nom]", "Collège Pasteur")
    page.fill("textarea[name=emails_texte]", "ce.0999321k@ac-demo.fr")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url("**/etablissements/**")
    assert "0999321K" in page.content()
    db.session.expire_all()
    new = db.session.scalar(db.select(Etablissement).where(Etablissement.uai == "0999321K"))
    assert new is not None and new.academie_id == etab.academie_id


def test_r_sec_chef_creates_delegue_who_sees_only_its_menus(db, etab, live_server, page):
    login(page, live_server, "chef.0999001a", PASSWORD)
    page.goto(f"{live_server}/utilisateurs-etablissement/new/")
    page.fill("input[name=login]", "delegue.ent")
    page.select_option("select[name=role]", "delegue")
    # A DSFR checkbox is ticked through its label, as a user does (the label covers the box).
    page.locator("#droits label", has_text="Accès des élèves").click()
    assert page.is_checked("input[name=droits][value=eleves]")
    page.fill("input[name=password]", "secret-du-delegue")
    page.fill("input[name=confirmation]", "secret-du-delegue")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url("**/utilisateurs-etablissement/**")
    assert "delegue.ent" in page.content() and "$argon2" not in page.content()
    db.session.expire_all()
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "delegue.ent"))
    assert user.droits == ["eleves"] and user.password_hash.startswith("$argon2id$")
    _logout(page)
    login(page, live_server, "delegue.ent", "secret-du-delegue")
    menu = page.text_content("#navigation")
    assert "Accès des élèves" in menu
    for absent in ("Journal", "Paramétrage", "Statistiques", "Académie"):
        assert absent not in menu
    response = page.goto(f"{live_server}/journal/")
    assert response.status == 403


def test_r_sec_2_wrong_passwords_end_on_429_in_browser(etab, live_server, page):
    for _ in range(5):
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", "chef.0999001a")
        page.fill("input[name=password]", "pas-le-bon")
        page.click("button[type=submit]")
        expect(page.locator("main")).to_contain_text("Identifiant ou mot de passe incorrect.")
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", "chef.0999001a")
    page.fill("input[name=password]", "pas-le-bon")
    page.click("button[type=submit]")
    expect(page.locator("main")).to_contain_text("Trop de tentatives de connexion")
