"""Paiement en ligne des factures (R-SRV-5): TIPI number against the académie's référentiel
(CSV import), confirmation of the régie, minimum amount, contact email, next-day effect, roles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest

from admints import clock
from admints.errors import DomainError
from admints.extensions import db
from admints.models import AuditEntry, TipiRegie
from admints.parametrage import versions
from admints.teleservices import paiement

from . import factories
from .settings_helpers import TODAY, TOMORROW, post, relogin, text

URL = "/services/paiement/"


@pytest.fixture
def regie(etab):
    row = TipiRegie(academie_id=etab.academie_id, numero_client="123456",
                    libelle_regie="Régie du collège Victor-Hugo")
    db.session.add(row)
    factories.make_user("compta.victor", "comptable", etablissement=etab)
    db.session.commit()
    return row


def _value(etab, day=None):
    return versions.get(etab.id, paiement.KEY, day) if day else \
        versions.get_latest(etab.id, paiement.KEY)


def test_r_srv_5_save_takes_effect_next_day(etab, regie):
    effective = paiement.save(etab, " 123 456 ", "15,5", "intendance@ac-demo.fr", today=TODAY)
    assert effective == TOMORROW
    assert versions.get(etab.id, paiement.KEY, TODAY) is None
    value = versions.get(etab.id, paiement.KEY, TOMORROW)
    assert value == {"numero_tipi": "123456", "regie": "Régie du collège Victor-Hugo",
                     "montant_minimum": "15.50", "email": "intendance@ac-demo.fr"}
    entry = db.session.scalar(db.select(AuditEntry)
                              .where(AuditEntry.action == "parametre.paiement"))
    assert entry.before is None and "15.50" in entry.after


@pytest.mark.parametrize("raw, expected", [("15", "15.00"), ("0,01", "0.01"),
                                           ("1 200,50", "1200.50"), ("7.5 €", "7.50")])
def test_r_srv_5_amount_parsing(raw, expected):
    assert paiement.parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize("raw, message", [
    ("-5", "strictement positif"), ("0", "strictement positif"), ("abc", "n'est pas un nombre"),
    ("1.234", "deux décimales"), ("NaN", "n'est pas un nombre"), ("1e3", "n'est pas un nombre"),
    ("", "Saisissez le montant"), ("100000", "99 999,99"),
])
def test_r_srv_5_bad_amounts_refused(raw, message):
    with pytest.raises(DomainError, match=message):
        paiement.parse_amount(raw)


@pytest.mark.parametrize("numero, message", [("12AB56", "mal formé"), ("", "Saisissez"),
                                             ("654321", "introuvable"), ("12-34", "mal formé")])
def test_r_srv_5_unknown_or_malformed_tipi_refused(etab, regie, numero, message):
    with pytest.raises(DomainError, match=message):
        paiement.save(etab, numero, "15", "intendance@ac-demo.fr", today=TODAY)
    assert _value(etab) is None


def test_r_srv_5_tipi_of_another_academie_not_found(etab, regie, db):
    other = factories.make_academie("autre", "Autre")
    db.session.add(TipiRegie(academie_id=other.id, numero_client="777777",
                             libelle_regie="Ailleurs"))
    db.session.flush()
    with pytest.raises(DomainError, match="introuvable"):
        paiement.find_regie(etab.academie_id, "777777")


@pytest.mark.parametrize("email", ["intendance@", "pas une adresse", "a@b", ""])
def test_r_srv_5_invalid_contact_email_refused(etab, regie, email):
    with pytest.raises(DomainError, match="Adresse de messagerie|Saisissez l'adresse"):
        paiement.save(etab, "123456", "15", email, today=TODAY)
    assert _value(etab) is None


def test_r_srv_5_screen_confirmation_then_saved(client, auth, etab, regie):
    auth.login("compta.victor")
    assert client.get(URL).status_code == 200
    data = {"numero": "123456", "montant": "15,50", "email": "intendance@ac-demo.fr"}
    resp = post(client, auth, URL, data)
    html = text(resp)
    assert "Régie du collège Victor-Hugo" in html and "Confirmez-vous" in html
    assert _value(etab) is None  # nothing saved before the confirmation
    resp = post(client, auth, URL, {**data, "confirmer": "1"}, follow_redirects=True)
    tomorrow = clock.today() + dt.timedelta(days=1)
    assert f"à partir du {tomorrow:%d/%m/%Y}" in text(resp)
    assert _value(etab)["montant_minimum"] == "15.50"


@pytest.mark.parametrize("data, message", [
    ({"numero": "999999", "montant": "15", "email": "a@ac-demo.fr"}, "introuvable"),
    ({"numero": "12x", "montant": "15", "email": "a@ac-demo.fr"}, "mal formé"),
    ({"numero": "123456", "montant": "-3", "email": "a@ac-demo.fr"}, "strictement positif"),
    ({"numero": "123456", "montant": "quinze", "email": "a@ac-demo.fr"}, "pas un nombre"),
    ({"numero": "123456", "montant": "15", "email": "a@"}, "Adresse de messagerie invalide"),
])
def test_r_srv_5_screen_bad_input_even_confirmed(client, auth, etab, regie, data, message):
    auth.login("chef.0999001a")
    resp = post(client, auth, URL, {**data, "confirmer": "1"})
    assert resp.status_code == 400
    assert message in text(resp)
    assert _value(etab) is None


def test_r_srv_5_only_head_and_comptable(client, auth, etab, regie, db):
    factories.make_user("deleg.tout", "delegue", etablissement=etab,
                        droits=["services", "parametrage", "responsables", "eleves",
                                "statistiques"])
    db.session.commit()
    data = {"numero": "123456", "montant": "15", "email": "a@ac-demo.fr", "confirmer": "1"}
    for login in ("deleg.tout", "assistance.0999001a"):
        relogin(client, auth, login)
        assert client.get(URL).status_code == 403
        assert post(client, auth, URL, data, page="/login").status_code == 403
    assert _value(etab) is None
    relogin(client, auth, "compta.victor")
    # The comptable reaches the payment settings and nothing else.
    assert client.get("/services/ouverture/").status_code == 403
    assert client.get("/parametrage/message/").status_code == 403
    assert client.post(URL, data=data).status_code == 400  # no CSRF token
    assert _value(etab) is None


def test_r_srv_5_referentiel_csv_import(client, auth, etab, db):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    auth.login("academie.demo")
    assert client.get("/academie/tipi/").status_code == 200
    csv = "numero_client;libelle_regie\n123456;Régie Victor-Hugo\n 654 321 ;Régie Jean-Moulin\n"
    resp = post(client, auth, "/academie/tipi/import",
                {"fichier": (BytesIO(csv.encode("cp1252")), "tipi.csv")}, page="/academie/tipi/",
                content_type="multipart/form-data", follow_redirects=True)
    assert "2 régie(s) créée(s)" in text(resp)
    assert paiement.find_regie(etab.academie_id, "654321").libelle_regie == "Régie Jean-Moulin"
    bad = "123456;Nouvelle\nABC;Mauvaise\n"
    resp = post(client, auth, "/academie/tipi/import",
                {"fichier": (BytesIO(bad.encode()), "tipi.csv")}, page="/academie/tipi/",
                content_type="multipart/form-data", follow_redirects=True)
    html = text(resp)
    assert "Fichier refusé, rien n'a été modifié" in html and "ligne 2" in html
    assert paiement.find_regie(etab.academie_id, "123456").libelle_regie == "Régie Victor-Hugo"


def test_r_srv_5_referentiel_import_refused_to_head(client, auth, etab):
    auth.login("chef.0999001a")
    resp = post(client, auth, "/academie/tipi/import",
                {"fichier": (BytesIO(b"123456;X\n"), "tipi.csv")}, page="/",
                content_type="multipart/form-data")
    assert resp.status_code == 403
    assert db.session.scalar(db.select(TipiRegie.id)) is None


def test_r_srv_5_referentiel_import_cli(runner, etab, tmp_path):
    good = tmp_path / "tipi.csv"
    good.write_text("123456;Régie Victor-Hugo\n654321;Régie Jean-Moulin\n", encoding="utf-8")
    result = runner.invoke(args=["admints", "tipi-import", "--academie", "demo", str(good),
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert '"crees": 2' in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("123456;Autre\nxx;Mauvaise\n", encoding="utf-8")
    result = runner.invoke(args=["admints", "tipi-import", "--academie", "demo", str(bad)])
    assert result.exit_code == 1 and "ligne 2" in result.output
    assert paiement.find_regie(etab.academie_id, "123456").libelle_regie == "Régie Victor-Hugo"
    result = runner.invoke(args=["admints", "tipi-import", "--academie", "nulle", str(good)])
    assert result.exit_code == 1 and "Académie inconnue" in result.output


@pytest.mark.parametrize(("data", "field"), [
    ({"numero": "12a", "montant": "15", "email": "regie@ac-lille.fr"}, "numero"),
    ({"numero": "123456", "montant": "-3", "email": "regie@ac-lille.fr"}, "montant"),
    ({"numero": "123456", "montant": "15", "email": "pas-une-adresse"}, "email"),
])
def test_r_srv_5_refused_field_tied_to_its_input_issue_13(client, auth, etab, regie, data,
                                                          field):
    """Issue 13 point 3 (RGAA 11.10): the refused field only is `aria-invalid`, described by
    its French error, with a focused summary linking to it; nothing saved."""
    import re

    from .db_snapshot import db_snapshot

    auth.login("compta.victor")
    before = db_snapshot(db)
    resp = post(client, auth, URL, data)
    page = text(resp)
    assert resp.status_code == 400 and db_snapshot(db) == before
    assert page.count('aria-invalid="true"') == 1
    tag = re.search(rf'<input[^>]*id="{field}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in tag
    assert f"{field}-erreur" in re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
    assert re.search(rf'<p class="fr-error-text" id="{field}-erreur">[^<]+</p>', page)
    assert f'href="#{field}"' in re.search(r"data-resume-erreurs.*?</div>", page, re.S).group(0)
