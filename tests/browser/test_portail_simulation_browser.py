"""A head simulates a guardian's access on a phone (R-POR-4, 390 px, system Chromium): log in to
the back-office, open « Gérer le compte », « Simuler l'accès de la famille », see the portal with
the banner « Accès en consultation seule » (axe-core: no serious or critical violation, nothing
scrolls sideways, the family's forms disabled), then « Terminer la simulation » back to « Gérer
le compte »."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from ..factories import PASSWORD
from ..simulation_helpers import used_guardian, used_pupil
from .conftest import login


def _check_portal_page(page) -> None:
    page.wait_for_function("document.documentElement.getAttribute('data-fr-js') === 'true'")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == 390, (page.url, widths)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], (page.url, results.generate_report())
    assert page.locator("h1").count() == 1


def test_r_por_4_head_simulates_a_guardian_on_a_phone(db, etab, live_server, phone):
    eleve = used_pupil(etab)
    lien = used_guardian(etab, eleve)
    failed: list[str] = []
    phone.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    login(phone, live_server, "chef.0999001a", PASSWORD)
    gerer = f"{live_server}/responsables/compte/{lien.id}/"
    phone.goto(gerer)
    assert "marie.martin" in phone.inner_text("[data-testid=identifiant]")

    phone.click("[data-testid=simuler]")
    phone.wait_for_url(f"{live_server}/scolarite/")
    banner = phone.locator("[data-testid=bandeau-simulation]")
    assert "Accès en consultation seule" in banner.inner_text()
    assert "marie.martin" in phone.inner_text("main")
    _check_portal_page(phone)

    phone.goto(f"{live_server}/scolarite/oubli/")
    assert phone.locator("main button[type=submit]").is_disabled()
    assert banner.is_visible()
    _check_portal_page(phone)

    banner.get_by_role("button", name="Terminer la simulation").click()
    phone.wait_for_url(gerer)
    assert "marie.martin" in phone.inner_text("[data-testid=identifiant]")
    phone.goto(f"{live_server}/scolarite/")
    phone.wait_for_url(f"{live_server}/scolarite/connexion")
    assert failed == []
