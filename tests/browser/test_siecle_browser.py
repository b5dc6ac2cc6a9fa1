"""R-DAT-1 in a real browser: the head uploads the SIECLE files from the « Données SIECLE » menu,
sees the summary, then finds the pupils in the read-only list. Above SIECLE_JOB_MIN_BYTES
(issue 14) the upload leads to the import job's page, which shows the recap, or the plan of
R-DAT-3 to confirm, and passes axe-core under the CSP like every other page."""

from __future__ import annotations

import os
import re

from tests.browser.conftest import login
from tests.browser.test_a11y_crawl import Crawl
from tests.factories import PASSWORD
from tests.test_import_departures import N, files, school  # noqa: F401 - fixture
from tests.test_siecle_import import base_files

JOB_PAGE = re.compile(r"/donnees/import/tache/\d+/$")


def _upload(page, live_server, tmp_path, payload) -> None:
    paths = []
    for name, data in payload:
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    page.goto(f"{live_server}/donnees/import/")
    page.set_input_files("#fichiers", paths)
    page.click("button:has-text('Importer')")


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


def test_r_dat_1_issue14_large_upload_job_page_in_browser_passes_axe(app, live_server, page,
                                                                    etab, tmp_path):
    app.config["SIECLE_JOB_MIN_BYTES"] = 1000
    run = Crawl(page, live_server, "chef")
    login(page, live_server, "chef.0999001a", PASSWORD)
    _upload(page, live_server, tmp_path, base_files())
    page.wait_for_url(JOB_PAGE)
    page.locator("#import-resume").wait_for(timeout=20000)
    assert page.locator("tr[data-kind=eleves] td").first.inner_text() == "3"
    run.check("tâche d'import (terminée)")
    assert not run.failures(), run.failures()


def test_r_dat_3_issue14_plan_on_job_page_confirmed_in_browser(app, live_server, page,
                                                               school, tmp_path):  # noqa: F811
    app.config["SIECLE_JOB_MIN_BYTES"] = 1000
    run = Crawl(page, live_server, "chef")
    login(page, live_server, "chef.0999001a", PASSWORD)
    _upload(page, live_server, tmp_path, files(present=range(4, N + 1)))
    page.wait_for_url(JOB_PAGE)
    plan = page.locator("#import-plan")
    plan.wait_for(timeout=20000)
    assert "Élèves sortis : 3 sur 10" in plan.inner_text()
    run.check("tâche d'import (plan à confirmer)")
    first = page.url
    page.click("button:has-text('Confirmer l')")
    page.wait_for_url(lambda url: JOB_PAGE.search(url) is not None and url != first)
    page.locator("#import-resume").wait_for(timeout=20000)
    assert page.locator("tr[data-kind=eleves] td").nth(2).inner_text() == "3"
    assert not run.failures(), run.failures()
