"""Browser smoke: a head logs in with the system Chromium and sees the establishment."""

from ..factories import PASSWORD
from .conftest import login


def test_r_sec_2_head_logs_in_in_chromium(page, live_server, etab):
    login(page, live_server, "chef.0999001a", PASSWORD)
    assert "Collège Victor-Hugo" in page.inner_text("[data-testid=etablissement]")
    assert "Année scolaire 2026/2027" in page.inner_text("[data-testid=etablissement]")
