"""Hostile URLs on the portal's pages (R-POR-2, R-SEC-1, R-SEC-5): huge, negative, markup or
foreign child ids and service codes give a French 404 (never a 500), and nothing changes — in
particular no visit is recorded (R-STA-3) for a refused page."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.db_snapshot import db_snapshot
from tests.portail_family import household, signed_in
from tests.portail_helpers import NOW

from .support import IDS, MARKUP, assert_refused

SERVICE_CODES = ("inconnu", MARKUP, "x" * 5000, "notes", "../notes", "%00", "paiement",
                 "vie_scolaire%3Cb%3E")


@pytest.fixture(autouse=True)
def _school_year(set_clock):
    set_clock(NOW)


@pytest.fixture
def family(db, etab, other_etab, prod_errors):
    return household(etab, other_etab)


def test_r_sec_5_r_por_2_hostile_child_ids_are_404_and_change_nothing(db, client, family):
    signed_in(client, "marie.martin")
    before = db_snapshot(db)
    for raw in (*[i for i in IDS if i != ""], str(family.foreign.id), MARKUP, "1;DROP TABLE x",
                "[]", "1&eleve=2"):
        for page in ("/scolarite/notes", "/scolarite/services/bourses"):
            response = client.get(f"{page}?eleve={quote(raw)}")
            assert_refused(response, f"{page}?eleve={raw!r}", allow_ok=False)
            assert response.status_code in (400, 404), (page, raw, response.status_code)
    assert db_snapshot(db) == before


def test_r_sec_5_r_por_2_hostile_service_codes_are_404_and_change_nothing(db, client, family):
    signed_in(client, "lea.martin")
    before = db_snapshot(db)
    for code in SERVICE_CODES:
        response = client.get(f"/scolarite/services/{quote(code, safe='%')}")
        assert_refused(response, f"service {code[:30]!r}", allow_ok=False)
        assert response.status_code in (400, 404), (code[:30], response.status_code)
    assert db_snapshot(db) == before


def test_r_sec_1_the_establishment_never_comes_from_the_request(db, client, family, other_etab):
    """Parameters naming another establishment are ignored: the page is the viewer's own."""
    signed_in(client, "lea.martin")
    html = client.get(f"/scolarite/contact?etablissement_id={other_etab.id}&uai=0999002B") \
        .get_data(as_text=True)
    assert "Collège Victor-Hugo" in html and "Jean-Moulin" not in html
    response = client.get(f"/scolarite/notes?etablissement_id={other_etab.id}")
    assert response.status_code == 200 and "Évaluations de Léa MARTIN" in \
        response.get_data(as_text=True)
