"""Self-help « identifiant ou mot de passe oublié » (R-POR-3) through HTTP with a real aiosmtpd
server: the same answer whatever the address, the identifier or a temporary password sent to a
validated address only, the password stored before its email leaves and put back when the email
is refused, the chosen password working until a new one is chosen, rate limits, audit."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from admints import secrets_store
from admints.models import AuditEntry, EtatCompte

from . import factories
from .db_snapshot import db_snapshot
from .portail_helpers import NEW_PASSWORD, NOW, TEMP, Family, account, body, location

ADDRESS = "marie.martin@example.org"
NEXT_PASSWORD = "Ruisseau-Cerf-Volant-Ambre-8"


@pytest.fixture(autouse=True)
def _school_year(set_clock):
    set_clock(NOW)


@pytest.fixture
def used(db, etab):
    """A guardian account *Utilisé* with a validated address, and one whose address is not."""
    eleve = factories.make_eleve(etab, "MARTIN", "Léa", identifiant="lea.martin")
    resp = factories.make_responsable(etab, "MARTIN", "Marie", email="siecle@example.org")
    lien = factories.link(eleve, resp, 1, etat=EtatCompte.UTILISE, identifiant="marie.martin",
                          email=ADDRESS, email_valide=True,
                          mot_de_passe_hash=secrets_store.hash_password(NEW_PASSWORD))
    pending = factories.make_eleve(etab, "NOEL", "Paul", identifiant="paul.noel")
    factories.link(pending, factories.make_responsable(etab, "NOEL", "Anne"), 1,
                   etat=EtatCompte.EN_COURS_ACTIVATION, identifiant="anne.noel",
                   email="anne.noel@example.org", email_valide=False)
    db.session.commit()
    return lien


def _answer(response) -> str:
    """The page after the redirect, without its CSRF token."""
    return re.sub(r'value="[^"]{20,}"', 'value="…"', response.get_data(as_text=True))


def test_r_por_3_same_answer_for_known_and_unknown_addresses(app, db, used, smtp):
    known, unknown, pending = (Family(app.test_client()) for _ in range(3))
    pages = []
    for family, address in ((known, ADDRESS), (unknown, "personne@example.org"),
                            (pending, "anne.noel@example.org")):
        response = family.forgot(address, "identifiant")
        assert location(response) == "/scolarite/oubli/"
        pages.append(_answer(family.client.get("/scolarite/oubli/")))
    assert pages[0] == pages[1] == pages[2]  # byte for byte, CSRF token aside
    assert "un courriel vient d&#39;y être envoyé" in pages[0]
    assert [m.rcpt_tos for m in smtp.messages] == [[ADDRESS]]  # only the validated one
    actions = [(a.action, a.target) for a in db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action.like("portail.oubli%"))
        .order_by(AuditEntry.id))]
    assert actions == [("portail.oubli_identifiant", "marie.martin"),
                       ("portail.oubli", "personne@example.org"),
                       ("portail.oubli", "anne.noel@example.org")]


def test_r_por_3_forgotten_identifier_is_sent_and_nothing_changes(app, db, used, smtp):
    before = db_snapshot(db)
    Family(app.test_client()).forgot("Marie.Martin@Example.org", "identifiant")
    assert db_snapshot(db) == before
    text = smtp.messages[-1].text()
    assert "marie.martin" in text and "Collège Victor-Hugo" in text and "Léa MARTIN" in text
    assert not TEMP.search(text.split("identifiant Scolarité services", 1)[1])


def test_r_por_3_forgotten_password_temporary_then_new_password(app, db, used, smtp,
                                                                set_clock):
    family = Family(app.test_client())
    family.forgot(ADDRESS)
    compte = account(used.compte_id)
    mail = smtp.messages[-1]
    temp = TEMP.search(mail.text().split("Mot de passe provisoire", 1)[1]).group(0)
    # Stored (encrypted) before the email left: the very password the family received.
    assert secrets_store.decrypt_secret(compte.mot_de_passe_provisoire_chiffre) == temp
    assert compte.etat == EtatCompte.UTILISE  # the state never changes
    # The chosen password still works (a stranger typing the address locks nobody out).
    assert location(Family(app.test_client()).login("marie.martin", NEW_PASSWORD)) == \
        "/scolarite/"

    set_clock(NOW + dt.timedelta(hours=2))
    other = Family(app.test_client())  # a session opened with the old password
    other.login("marie.martin", NEW_PASSWORD)
    assert location(family.login("marie.martin", temp)) == "/scolarite/nouveau-mot-de-passe"
    page = body(family.client.get("/scolarite/nouveau-mot-de-passe"))
    assert "Au moins 12 caractères" in page
    weak = family.post("/scolarite/nouveau-mot-de-passe",
                       {"nouveau_mot_de_passe": "soleil", "confirmation": "soleil"})
    assert weak.status_code == 200 and "12 caractères" in body(weak)
    response = family.post("/scolarite/nouveau-mot-de-passe",
                           {"nouveau_mot_de_passe": NEXT_PASSWORD,
                            "confirmation": NEXT_PASSWORD})
    assert location(response) == "/scolarite/"
    compte = account(used.compte_id)
    assert compte.mot_de_passe_provisoire_chiffre is None and compte.etat == EtatCompte.UTILISE
    assert secrets_store.verify_password(compte.mot_de_passe_hash, NEXT_PASSWORD)
    assert location(other.home()) == "/scolarite/connexion"  # R-SEC-4: other sessions end
    assert "incorrect" in body(Family(app.test_client()).login("marie.martin", temp))
    assert "incorrect" in body(Family(app.test_client()).login("marie.martin", NEW_PASSWORD))
    assert db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "portail.mot_de_passe")).target == "marie.martin"


def test_r_por_3_temporary_password_expires(app, db, used, smtp, set_clock):
    Family(app.test_client()).forgot(ADDRESS)
    temp = TEMP.search(smtp.messages[-1].text().split("Mot de passe provisoire", 1)[1]).group(0)
    assert "3 jours" in smtp.messages[-1].text()
    set_clock(NOW + dt.timedelta(days=3, minutes=1))  # config PORTAIL_OUBLI_MAX_AGE
    assert "incorrect" in body(Family(app.test_client()).login("marie.martin", temp))


def test_r_por_3_refused_email_puts_the_previous_value_back(app, db, used, smtp):
    """No family receives a password that was not stored; an account whose email did not
    leave keeps what it had — and the answer on screen is the same."""
    smtp.handler.refuse = {ADDRESS}
    before = db_snapshot(db)
    family = Family(app.test_client())
    response = family.forgot(ADDRESS)
    assert location(response) == "/scolarite/oubli/"
    assert db_snapshot(db) == before
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "portail.oubli_mot_de_passe"))
    assert "echec" in entry.after


def test_r_por_3_form_messages_in_french_and_nothing_changes(app, db, used, smtp):
    family = Family(app.test_client())
    before = db_snapshot(db)
    for data, message in (({"courriel": "", "demande": "identifiant"},
                           "Saisissez votre adresse de messagerie."),
                          ({"courriel": "marie@", "demande": "identifiant"},
                           "Adresse de messagerie invalide"),
                          ({"courriel": ADDRESS}, "Indiquez ce que vous avez oublié"),
                          ({"courriel": ADDRESS, "demande": "<script>x</script>"},
                           "Indiquez ce que vous avez oublié")):
        response = family.post("/scolarite/oubli/", data)
        assert response.status_code == 200 and message in body(response), data
        assert "<script>x" not in response.get_data(as_text=True)
    assert db_snapshot(db) == before and smtp.messages == []


def test_r_por_3_rate_limited_per_address_and_per_ip(app, db, used, smtp):
    from admints.extensions import limiter

    app.config.update(PORTAIL_OUBLI_ADDRESS_RATE_LIMIT="2 per hour",
                      PORTAIL_OUBLI_RATE_LIMIT="50 per hour")
    family = Family(app.test_client())
    assert [family.forgot(ADDRESS, "identifiant").status_code for _ in range(3)] == \
        [302, 302, 429]
    assert len(smtp.messages) == 2
    assert family.forgot("autre@example.org", "identifiant").status_code == 302

    limiter.reset()
    app.config.update(PORTAIL_OUBLI_ADDRESS_RATE_LIMIT="50 per hour",
                      PORTAIL_OUBLI_RATE_LIMIT="3 per hour")
    codes = [family.forgot(f"x{i}@example.org", "identifiant").status_code for i in range(4)]
    assert codes == [302, 302, 302, 429]
    too_many = family.forgot("encore@example.org", "identifiant")
    assert too_many.status_code == 429 and "Trop de demandes" in body(too_many)
    assert '<html lang="fr">' in too_many.get_data(as_text=True)


def test_r_por_3_the_answer_leaves_before_any_lookup_or_email(app, db, used, smtp):
    """No enumeration by timing (R-POR-3): the answer is complete before the address is looked up
    and before any SMTP exchange; the work runs once the server closes the response."""
    family = Family(app.test_client())
    token = family.csrf("/scolarite/oubli/")
    before = db_snapshot(db)
    response = family.client.post("/scolarite/oubli/", data={
        "courriel": ADDRESS, "demande": "mot_de_passe", "csrf_token": token})
    assert location(response) == "/scolarite/oubli/"
    assert smtp.messages == [] and db_snapshot(db) == before  # answered, nothing done yet
    response.close()
    assert [m.rcpt_tos for m in smtp.messages] == [[ADDRESS]]
    temp = TEMP.search(smtp.messages[0].text().split("Mot de passe provisoire", 1)[1]).group(0)
    stored = account(used.compte_id).mot_de_passe_provisoire_chiffre
    assert secrets_store.decrypt_secret(stored) == temp  # the password sent is the one stored
