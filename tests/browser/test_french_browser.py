"""Issue 12 points 8 and 10 in Chromium (R-A11Y-1, R-STA-3): Plotly's toolbar in French with
only its useful buttons and no cloud/« Share » button; the establishment's name visible on a
390 px wide phone, menu folded behind a French-labelled button; filters in French, native
controls."""

from __future__ import annotations

from ..factories import PASSWORD
from ..test_stats import known  # noqa: F401 - fixture
from .conftest import login


def test_r_sta_3_chart_toolbar_french_without_cloud(page, live_server, known):  # noqa: F811
    login(page, live_server, "chef.0999001a", PASSWORD)
    page.goto(f"{live_server}/statistiques/acces/?du=2026-09-01&au=2026-11-28")
    page.wait_for_selector("#chart-mois[data-ready='1']")
    titles = page.eval_on_selector_all(
        "#chart-mois .modebar-btn", "els => els.map(e => e.getAttribute('data-title'))")
    assert titles == ["Télécharger le graphique (PNG)", "Réinitialiser les axes"], titles
    html = page.inner_html("#chart-mois")
    for english in ("Share", "Chart Studio", "Produced with Plotly", "plotly-logo", "Edit in"):
        assert english not in html, english


def test_r_a11y_1_establishment_visible_on_a_phone(page, live_server, known):  # noqa: F811
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, live_server, "chef.0999001a", PASSWORD)
    assert page.locator("[data-testid=etablissement]").is_visible()
    assert "Collège Victor-Hugo" in page.inner_text("[data-testid=etablissement]")
    toggler = page.locator("#bouton-menu")
    assert toggler.is_visible()
    assert toggler.inner_text().strip() == "Menu"
    assert page.evaluate("document.documentElement.lang") == "fr"
    box = page.locator("[data-testid=etablissement]").bounding_box()
    assert box["x"] + box["width"] <= 390


def test_r_a11y_1_filters_native_controls_in_french(page, live_server, known):  # noqa: F811
    """Issue 13: the Journal's filters are a server-rendered form of native, labelled controls —
    no select2/jQuery widget with English texts of its own is loaded any more."""
    login(page, live_server, "chef.0999001a", PASSWORD)
    page.goto(f"{live_server}/journal/")
    assert page.evaluate("typeof window.jQuery") == "undefined"
    names = page.eval_on_selector_all(
        "main select, main input:not([type=hidden])",
        "els => els.map(e => (e.labels && e.labels[0] ? e.labels[0].innerText : '').trim())")
    assert names and all(names), names
    text = page.inner_text("main")
    for english in ("Add Filter", "Apply", "Search", "Enter comma separated values"):
        assert english not in text, english
