"""Hostile input on every form of the portal (R-POR-1, R-POR-3, R-SEC-2): huge strings, markup,
impossible dates, empty fields, NUL characters — a French message or a 400, never a 500, and
nothing changed in the database (journal and sessions aside); brute force stopped with a French
429 per IP address and per identifier (audited)."""

from __future__ import annotations

import pytest

from admints import secrets_store
from admints.models import AuditEntry, EtatCompte

from . import factories
from .db_snapshot import db_snapshot
from .portail_helpers import NEW_PASSWORD, NOW, Family, body

HUGE = "é" * 200_000
MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
TEMP = "K7QMS5XP"


@pytest.fixture(autouse=True)
def _school_year(set_clock):
    set_clock(NOW)


@pytest.fixture
def accounts(db, etab):
    pupil = factories.make_eleve(etab, "MARTIN", "Léa", etat=EtatCompte.NOTIFIE,
                                 identifiant="lea.martin", date_notification=NOW.replace(
                                     tzinfo=None))
    pupil.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret(TEMP)
    lien = factories.link(pupil, factories.make_responsable(etab, "MARTIN", "Marie"), 1,
                          etat=EtatCompte.NOTIFIE, identifiant="marie.martin",
                          date_notification=NOW.replace(tzinfo=None))
    lien.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret(TEMP)
    factories.make_eleve(etab, "NOEL", "Paul", etat=EtatCompte.UTILISE, identifiant="paul.noel",
                         mot_de_passe_hash=secrets_store.hash_password(NEW_PASSWORD))
    db.session.commit()


def _check(response, *, expect_french=True) -> str:
    assert response.status_code < 500, response.status_code
    page = body(response)
    assert "<script>alert" not in response.get_data(as_text=True)
    if expect_french and response.status_code != 302:
        assert '<html lang="fr">' in page
    return page


@pytest.mark.parametrize("login,password", [
    ("", ""), (HUGE, "x"), ("lea.martin", HUGE), (MARKUP, MARKUP), ("lea.martin\u202e", TEMP),
    ("LEA.MARTIN ", "k7qms5xp"), ("' OR 1=1 --", "' OR 1=1 --"),
])
def test_r_sec_2_hostile_login_form(app, db, accounts, login, password):
    before = db_snapshot(db)
    response = Family(app.test_client()).login(login, password)
    page = _check(response)
    assert response.status_code == 200
    assert "Saisissez" in page or "Identifiant ou mot de passe incorrect." in page
    assert db_snapshot(db) == before


@pytest.mark.parametrize("field,value,message", [
    ("date_naissance", "31/02/2027", "Cette date n'existe pas"),
    ("date_naissance", "2013-09-05", "JJ/MM/AAAA"),
    ("date_naissance", "", "Saisissez la date de naissance."),
    ("date_naissance", MARKUP, "JJ/MM/AAAA"),
    ("date_naissance", HUGE, "JJ/MM/AAAA"),
    ("date_naissance", "05/09/0001", "pas plausible"),
    ("date_naissance", "99/99/9999", "n'existe pas"),
    ("nouveau_mot_de_passe", HUGE, "au plus 256 caractères"),
    ("nouveau_mot_de_passe", "", "Saisissez le mot de passe."),
    ("nouveau_mot_de_passe", "azerty", "au moins 12 caractères"),
    ("nouveau_mot_de_passe", "motdepasse123", "trop courant"),
    ("nouveau_mot_de_passe", "lea.martin-lea.martin", "trop courant"),
    ("confirmation", "Autre-Chose-Tout-Neuve-77", "ne sont pas identiques"),
])
def test_r_por_1_hostile_first_connection_form_pupil(app, db, accounts, field, value,
                                                     message):
    family = Family(app.test_client())
    family.login("lea.martin", TEMP)
    before = db_snapshot(db)
    # The pupil's real birth date (factories' default) unless the date is the hostile field.
    data = {"date_naissance": "01/03/2014", "nouveau_mot_de_passe": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD, field: value}
    if field == "nouveau_mot_de_passe":
        data["confirmation"] = value
    response = family.post("/scolarite/premiere-connexion", data)
    page = _check(response)
    assert response.status_code == 200 and message in page, page[-3000:]
    assert db_snapshot(db) == before


@pytest.mark.parametrize("courriel,message", [
    ("", "obligatoire pour un responsable"), (MARKUP, "Adresse de messagerie invalide"),
    (HUGE, "trop longue"), ("marie@", "Adresse de messagerie invalide"),
])
def test_r_por_1_hostile_first_connection_form_guardian(app, db, accounts, smtp, courriel,
                                                        message):
    family = Family(app.test_client())
    family.login("marie.martin", TEMP)
    before = db_snapshot(db)
    response = family.post("/scolarite/premiere-connexion",
                           {"date_naissance": "01/03/2014", "nouveau_mot_de_passe": NEW_PASSWORD,
                            "confirmation": NEW_PASSWORD, "courriel": courriel})
    page = _check(response)
    assert response.status_code == 200 and message in page
    assert db_snapshot(db) == before and smtp.messages == []


@pytest.mark.parametrize("courriel,demande", [
    (HUGE, "identifiant"), (MARKUP, "mot_de_passe"), ("", ""), ("x@example.org", HUGE),
    ("a@b.fr" * 100, "identifiant"),
])
def test_r_por_3_hostile_selfhelp_form(app, db, accounts, smtp, courriel, demande):
    before = db_snapshot(db)
    response = Family(app.test_client()).post("/scolarite/oubli/",
                                              {"courriel": courriel, "demande": demande})
    page = _check(response)
    assert response.status_code == 200
    assert "adresse de messagerie" in page.lower() or "Indiquez" in page
    assert db_snapshot(db) == before and smtp.messages == []


@pytest.mark.parametrize("path,data", [
    ("/scolarite/connexion", {"login": "lea\x00martin", "password": TEMP}),
    ("/scolarite/oubli/", {"courriel": "a\x00@example.org", "demande": "identifiant"}),
    ("/scolarite/activation/nouveau-lien", {"token": "\x00"}),
])
def test_r_sec_2_nul_characters_refused(app, db, accounts, path, data):
    before = db_snapshot(db)
    family = Family(app.test_client())
    response = family.post(path, data, token_from="/scolarite/connexion")
    assert response.status_code == 400 and "caractère" in body(response)
    assert db_snapshot(db) == before


@pytest.mark.parametrize("token", [MARKUP, "x" * 5000, "..", "%00", "a.b.c"])
def test_r_por_1_hostile_activation_links(app, db, accounts, token):
    before = db_snapshot(db)
    response = Family(app.test_client()).client.get(f"/scolarite/activation/{token}")
    _check(response)
    assert response.status_code in (400, 404)
    assert db_snapshot(db) == before
    forged = Family(app.test_client()).post("/scolarite/activation/nouveau-lien",
                                            {"token": token}, token_from="/scolarite/connexion")
    assert forged.status_code == 302 and db_snapshot(db) == before


def test_r_por_3_hostile_new_password_form(app, db, accounts):
    """Without the self-help step the page is closed; with it, bad input is refused."""
    family = Family(app.test_client())
    response = family.client.post("/scolarite/nouveau-mot-de-passe",
                                  data={"nouveau_mot_de_passe": HUGE})
    assert response.status_code == 400  # no CSRF token: refused before anything


def test_r_sec_2_brute_force_stopped_per_ip_with_a_french_429(app, db, accounts):
    family = Family(app.test_client())
    codes = [family.login("paul.noel", f"Essai-{i}").status_code for i in range(5)]
    assert codes == [200] * 5  # TestConfig: 5 failed logins per minute and address
    blocked = family.login("paul.noel", NEW_PASSWORD)
    assert blocked.status_code == 429
    page = body(blocked)
    assert "Trop de tentatives de connexion" in page and '<html lang="fr">' in page
    assert "Scolarité services" in page
    # Another address is not blocked.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert Family(other).login("paul.noel", NEW_PASSWORD).status_code == 302


def test_r_sec_2_brute_force_on_one_identifier_from_many_addresses_audited(app, db, accounts):
    for i in range(12):  # TestConfig: 12 failed logins per hour and identifier
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{i + 1}"
        assert Family(client).login("paul.noel", f"Essai-{i}").status_code == 200
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    blocked = Family(client).login("paul.noel", NEW_PASSWORD)
    assert blocked.status_code == 429 and "pour cet identifiant" in body(blocked)
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "portail.blocage"))
    assert entry.target == "paul.noel" and entry.etablissement_id is not None
