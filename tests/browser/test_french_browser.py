"""Issue 12 points 8 and 10 in Chromium (R-A11Y-1, R-STA-3): Plotly's toolbar in French with
only its useful buttons and no cloud/« Share » button; the establishment's name visible on a
390 px wide phone, menu folded behind a French-labelled button."""

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


def test_r_a11y_1_select2_messages_in_french(page, live_server, known):  # noqa: F811
    login(page, live_server, "chef.0999001a", PASSWORD)
    page.goto(f"{live_server}/journal/")
    assert page.evaluate("jQuery.fn.select2.defaults.formatNoMatches()") == "Aucun résultat"
    assert page.evaluate("jQuery.fn.select2.defaults.formatSearching()") == "Recherche en cours…"


def test_r_a11y_1_tag_inputs_say_no_match_in_french(page, live_server, known):  # noqa: F811
    """Flask-Admin's « dans la liste » filters build a select2 tag input with an English « no
    matches » text of their own (form.js): it is French once our script is loaded."""
    login(page, live_server, "chef.0999001a", PASSWORD)
    page.goto(f"{live_server}/journal/")
    text = page.evaluate("""() => {
        const $el = jQuery('<input type="hidden">').appendTo('body');
        $el.select2({tags: [], tokenSeparators: [','],
                     formatNoMatches: () => 'Enter comma separated values'});
        return $el.data('select2').opts.formatNoMatches('');
    }""")
    assert text == "Saisissez des valeurs séparées par des virgules"
    assert page.evaluate("jQuery.fn.select2.defaults.formatNoMatches()") == "Aucun résultat"
