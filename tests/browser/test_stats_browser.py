"""R-STA-3 in Chromium: the access chart is drawn by the plotly.js the app serves, under the
app's Content-Security-Policy, and hovering a bar shows its count in the tooltip."""

from ..factories import PASSWORD
from ..test_stats import known  # noqa: F401 - fixture
from .conftest import login


def hover(page, bar) -> None:
    """Move the mouse over the middle of a bar: Plotly's drag layer covers the bars, so the
    pointer events go to it (as for a real user), not to the bar's path."""
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_r_sta_3_access_chart_tooltip_shows_count(page, live_server, known):  # noqa: F811
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    requested: list[str] = []
    page.on("request", lambda req: requested.append(req.url))

    login(page, live_server, "chef.0999001a", PASSWORD)
    page.goto(f"{live_server}/statistiques/acces/?du=2026-09-01&au=2026-11-28")
    page.wait_for_selector("#chart-mois[data-ready='1']")
    bars = page.locator("#chart-mois .bars .point path")
    assert bars.count() == 3
    hover(page, bars.nth(0))
    tooltip = page.locator("#chart-mois .hovertext")
    tooltip.wait_for()
    assert "septembre 2026 : 2 accès" in tooltip.text_content()

    hover(page, page.locator("#chart-categorie .bars .point path").nth(0))
    page.locator("#chart-categorie .hovertext").wait_for()
    assert "Notes : 3 accès" in page.locator("#chart-categorie .hovertext").text_content()

    # Printing: the tables stay, the buttons, the period form and the chart toolbar go.
    page.emulate_media(media="print")
    assert page.locator("#stats-mois").is_visible()
    assert not page.locator("[data-testid=csv-mois]").is_visible()
    assert not page.locator("#stats-periode").is_visible()
    assert not page.locator("#chart-mois .modebar").is_visible()
    page.emulate_media(media="screen")
    assert page.locator("[data-testid=csv-mois]").is_visible()

    # Everything came from the app itself (no CDN), and the CSP blocked nothing.
    assert all(url.startswith(live_server) for url in requested), requested
    assert not [p for p in problems if "Content Security Policy" in p or "Plotly" in p], problems
