"""A guardian activates an account end to end on a phone (R-POR-1, 390 × 844, system Chromium):
login with the temporary password of the email received (real aiosmtpd), first-connection
form, activation link read from the second email, home page. On every portal page visited
axe-core finds no serious or critical violation and nothing scrolls sideways."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe

from admints import clock

from ..portail_helpers import BIRTH, NEW_PASSWORD, TEMP, guardian


def _check_page(page, visited: list[str]) -> None:
    """axe-core: no serious/critical violation; no sideways scrolling at 390 px."""
    page.wait_for_function("document.documentElement.getAttribute('data-fr-js') === 'true'")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == 390, (page.url, widths)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], (page.url, results.generate_report())
    assert page.locator("h1").count() == 1
    visited.append(page.url)


def test_r_por_1_guardian_activates_on_a_phone_axe_clean(app, db, etab, smtp, live_server,
                                                         phone, tmp_path):
    from admints.comptes import notification

    app.config["PORTAL_URL"] = f"{live_server}/scolarite/"
    lien = guardian(etab)
    db.session.commit()
    notification.notify(etab.id, "responsable", [lien.compte_id], mode="courriel",
                        today=clock.today(), out_path=tmp_path / "r.pdf")
    db.session.commit()
    letter = smtp.messages[-1].text()
    temp = TEMP.search(letter.split("Mot de passe provisoire", 1)[1]).group(0)
    visited: list[str] = []

    failed = []
    phone.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))

    phone.goto(f"{live_server}/scolarite/", wait_until="networkidle")
    phone.wait_for_url("**/scolarite/connexion")
    _check_page(phone, visited)
    phone.fill("input[name=login]", "marie.martin")
    phone.fill("input[name=password]", temp)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/scolarite/premiere-connexion")
    _check_page(phone, visited)

    # A mistake first: the errors are shown in French and the page stays accessible.
    phone.fill("input[name=date_naissance]", "31/02/2013")
    phone.fill("input[name=nouveau_mot_de_passe]", NEW_PASSWORD)
    phone.fill("input[name=confirmation]", NEW_PASSWORD)
    phone.fill("input[name=courriel]", "marie.perso@example.org")
    phone.click("main button[type=submit]")
    phone.get_by_text("Cette date n'existe pas").wait_for()
    assert phone.get_attribute("input[name=date_naissance]", "aria-invalid") == "true"
    _check_page(phone, visited)

    phone.fill("input[name=date_naissance]", BIRTH.strftime("%d/%m/%Y"))
    phone.fill("input[name=nouveau_mot_de_passe]", NEW_PASSWORD)
    phone.fill("input[name=confirmation]", NEW_PASSWORD)
    phone.click("main button[type=submit]")
    phone.wait_for_url("**/scolarite/attente")
    assert "marie.perso@example.org" in phone.inner_text("main")
    _check_page(phone, visited)

    mail = smtp.to("marie.perso@example.org")[-1]
    link = re.search(r"https?://\S+/scolarite/activation/\S+", mail.text()).group(0)
    assert link.startswith(live_server)
    phone.goto(link, wait_until="networkidle")
    phone.wait_for_url(f"{live_server}/scolarite/")
    assert "Léa MARTIN" in phone.inner_text("main")
    assert "votre compte est activé" in phone.inner_text("[role=status]")
    _check_page(phone, visited)

    # The other pages a family meets: self-help, and an invalid link.
    phone.goto(f"{live_server}/scolarite/oubli/", wait_until="networkidle")
    _check_page(phone, visited)
    phone.goto(f"{live_server}/scolarite/activation/lien-abime", wait_until="networkidle")
    _check_page(phone, visited)
    assert [u for u in failed if "lien-abime" not in u] == []
    assert len(visited) == 7
