"""R-DAT-1 in a real browser: the head uploads the SIECLE files from the « Données SIECLE » menu,
sees the summary, then finds the pupils in the read-only list."""

from __future__ import annotations

import os

from tests.browser.conftest import login
from tests.factories import PASSWORD
from tests.test_siecle_import import base_files


def test_r_dat_1_upload_and_list_in_browser(live_server, page, etab, tmp_path):
    paths = []
    for name, data in base_files():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    login(page, live_server, "chef.0999001a", PASSWORD)
    page.click("text=Données SIECLE")
    page.click("a:has-text('Import SIECLE')")
    page.set_input_files("#fichiers", paths)
    page.click("button:has-text('Importer')")
    summary = page.locator("#import-resume")
    assert "Import terminé" in summary.inner_text()
    assert page.locator("tr[data-kind=eleves] td").first.inner_text() == "3"
    if os.environ.get("ADMINTS_SHOTS"):
        page.screenshot(path=f"{os.environ['ADMINTS_SHOTS']}/import.png", full_page=True)
    page.goto(f"{live_server}/donnees/eleves/")
    table = page.locator("table.model-list").inner_text()
    assert "D'ALEMBERT-NUÑEZ" in table and "Anaïs" in table and "CHORALE" in table
    if os.environ.get("ADMINTS_SHOTS"):
        page.screenshot(path=f"{os.environ['ADMINTS_SHOTS']}/eleves.png", full_page=True)
