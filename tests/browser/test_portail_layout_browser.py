"""The families' portal base layout on a phone (390 px wide) in the system Chromium (R-POR-2,
RGAA): axe-core finds no serious or critical violation, nothing scrolls sideways, the DSFR
stylesheet, fonts and script load from the app (no failed request, no CSP violation), the skip
link reaches <main>, and the header menu opens."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from .. import portail_layout_page


@pytest.fixture
def layout_url(app):
    portail_layout_page.register(app)  # before live_server serves a request
    return portail_layout_page.URL


def test_r_por_2_layout_on_a_phone_passes_axe_and_does_not_scroll_sideways(phone, layout_url,
                                                                          live_server):
    failed, console_errors = [], []
    phone.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    phone.on("requestfailed", lambda r: failed.append(f"échec {r.url}"))
    phone.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    phone.goto(live_server + layout_url, wait_until="networkidle")

    # The DSFR is really applied: its script ran, its font and stylesheet are in use.
    phone.wait_for_function("document.documentElement.getAttribute('data-fr-js') === 'true'")
    assert phone.evaluate("document.fonts.check('1rem Marianne')")
    assert "Marianne" in phone.evaluate("getComputedStyle(document.body).fontFamily")
    assert failed == [] and console_errors == []

    # No sideways scrolling at 390 px.
    widths = phone.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == 390

    results = Axe().run(phone)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()


def test_r_por_2_skip_link_and_phone_menu_work_with_the_keyboard(phone, layout_url, live_server):
    phone.goto(live_server + layout_url, wait_until="networkidle")
    phone.wait_for_function("document.documentElement.getAttribute('data-fr-js') === 'true'")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent") == "Aller au contenu"
    phone.keyboard.press("Enter")
    phone.wait_for_url("**#contenu")
    assert phone.evaluate("document.activeElement.id") == "contenu"

    # On a phone the header's buttons live in the « Menu » dialog that the DSFR script opens.
    menu = phone.locator("#menu-portail")
    assert not menu.is_visible()
    phone.click("#bouton-menu")
    menu.get_by_role("link", name="Se déconnecter").wait_for(state="visible")
    assert menu.get_by_role("link", name="Notes").is_visible()
    results = Axe().run(phone)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()
    phone.click("#menu-portail .fr-btn--close")
    menu.get_by_role("link", name="Notes").wait_for(state="hidden")
