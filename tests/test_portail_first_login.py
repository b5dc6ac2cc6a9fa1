"""First login on the families' portal through HTTP (R-POR-1, R-ACC-1, R-ACC-10): a pupil notified
on paper (password read back from the PDF), a guardian notified by email (real aiosmtpd server,
link read from the message received), wrong birth dates locking the first connection, expired,
tampered and used links, the temporary password refused once the account is activated."""

from __future__ import annotations

import datetime as dt

import pytest

from admints import secrets_store
from admints.comptes import portal
from admints.models import AuditEntry, EtatCompte

from . import factories
from .portail_helpers import (
    NEW_PASSWORD,
    NOW,
    Family,
    account,
    body,
    guardian,
    link_in,
    location,
    notify_guardian_by_email,
    notify_pupil_on_paper,
    pupil,
)


@pytest.fixture(autouse=True)
def _school_year(set_clock):
    set_clock(NOW)


@pytest.fixture
def family(client):
    return Family(client)


def _actions(db, *names):
    return [a for (a,) in db.session.execute(db.select(AuditEntry.action).where(
        AuditEntry.action.in_(names)).order_by(AuditEntry.id))]


def test_r_por_1_pupil_notified_on_paper_first_login_becomes_utilise(db, etab, family,
                                                                      tmp_path):
    eleve = pupil(etab)
    db.session.commit()
    temp = notify_pupil_on_paper(etab, eleve, tmp_path)
    assert account(eleve.compte_id).etat == EtatCompte.NOTIFIE

    response = family.login("lea.martin", temp)
    assert location(response) == "/scolarite/premiere-connexion"
    page = body(family.client.get("/scolarite/premiere-connexion"))
    assert "JJ/MM/AAAA" in page and "Au moins 12 caractères" in page  # the rule is stated
    assert 'name="date_naissance"' in page and 'name="courriel"' not in page
    assert 'autocomplete="new-password"' in page

    response = family.first_login("05/09/2013")
    assert location(response) == "/scolarite/"
    home = family.home()
    assert home.status_code == 200 and "Léa MARTIN" in body(home)
    compte = account(eleve.compte_id)
    assert compte.etat == EtatCompte.UTILISE
    assert compte.mot_de_passe_provisoire_chiffre is None  # erased (R-SEC-2)
    assert compte.mot_de_passe_hash.startswith("$argon2id$")
    assert compte.derniere_connexion == NOW.astimezone(dt.UTC).replace(tzinfo=None)


def test_r_por_1_login_form_fields_and_autocomplete(family, db, etab):
    page = body(family.client.get("/scolarite/connexion"))
    assert 'name="login"' in page and 'autocomplete="username"' in page
    assert 'name="password"' in page and 'autocomplete="current-password"' in page
    assert 'name="csrf_token"' in page and page.count("<h1") == 1


def test_r_por_1_guardian_by_email_first_login_then_link_from_the_message(
        app, db, etab, family, smtp, tmp_path):
    lien = guardian(etab)
    db.session.commit()
    temp = notify_guardian_by_email(etab, lien, smtp, tmp_path)

    assert location(family.login("marie.martin", temp)) == "/scolarite/premiere-connexion"
    page = body(family.client.get("/scolarite/premiere-connexion"))
    assert 'name="courriel"' in page and "votre enfant" in page
    # The address is mandatory for a guardian.
    missing = family.first_login("05/09/2013")
    assert missing.status_code == 200 and "obligatoire" in body(missing)
    assert account(lien.compte_id).etat == EtatCompte.NOTIFIE

    response = family.first_login("05/09/2013", courriel="marie.perso@example.org")
    assert location(response) == "/scolarite/attente"
    compte = account(lien.compte_id)
    assert compte.etat == EtatCompte.EN_COURS_ACTIVATION and not compte.email_valide
    mail = smtp.to("marie.perso@example.org")[-1]
    assert "marie.martin" in mail.text()
    link = link_in(mail)
    assert mail.text().count(app.config["PORTAL_URL"].rstrip("/") + "/activation/") == 1
    # Not in yet: the home page still sends to the login page.
    assert location(family.home()) == "/scolarite/connexion"

    response = family.client.get(link)  # same browser: straight in
    assert location(response) == "/scolarite/"
    assert "Léa MARTIN" in body(family.home())
    compte = account(lien.compte_id)
    assert compte.etat == EtatCompte.UTILISE and compte.email_valide
    assert compte.mot_de_passe_provisoire_chiffre is None
    assert _actions(db, "compte.premiere_connexion", "compte.validation_courriel") == [
        "compte.premiere_connexion", "compte.validation_courriel"]

    # The same link again: used; a normal login opens the home page.
    again = Family(app.test_client())
    used = again.client.get(link)
    assert used.status_code == 200 and "déjà servi" in body(used)
    assert location(again.login("marie.martin", NEW_PASSWORD)) == "/scolarite/"


def test_r_por_1_link_opened_in_another_browser_then_normal_login(app, db, etab, family, smtp,
                                                                  tmp_path):
    lien = guardian(etab)
    db.session.commit()
    temp = notify_guardian_by_email(etab, lien, smtp, tmp_path)
    family.login("marie.martin", temp)
    family.first_login("05/09/2013", courriel="marie.perso@example.org")
    phone = Family(app.test_client())
    page = phone.client.get(link_in(smtp.messages[-1]))
    assert page.status_code == 200 and "votre compte est activé" in body(page)
    assert location(phone.home()) == "/scolarite/connexion"  # the link does not log in
    assert location(phone.login("marie.martin", NEW_PASSWORD)) == "/scolarite/"
    # The first browser, still waiting, is let in too.
    assert location(family.client.get("/scolarite/attente")) == "/scolarite/"


def test_r_por_1_waiting_guardian_logs_in_with_chosen_password_and_gets_a_new_link(
        app, db, etab, family, smtp, tmp_path):
    lien = guardian(etab)
    db.session.commit()
    temp = notify_guardian_by_email(etab, lien, smtp, tmp_path)
    family.login("marie.martin", temp)
    family.first_login("05/09/2013", courriel="marie.perso@example.org")
    other = Family(app.test_client())
    assert location(other.login("marie.martin", NEW_PASSWORD)) == "/scolarite/attente"
    before = len(smtp.messages)
    response = other.post("/scolarite/attente", {})
    assert location(response) == "/scolarite/attente"
    assert len(smtp.messages) == before + 1
    assert _actions(db, "portail.nouveau_lien") == ["portail.nouveau_lien"]
    assert location(other.client.get(link_in(smtp.messages[-1]))) == "/scolarite/"


def test_r_por_1_refused_activation_email_changes_nothing(db, etab, family, smtp, tmp_path):
    """The account changes only if its email went out."""
    from .db_snapshot import db_snapshot

    lien = guardian(etab)
    db.session.commit()
    temp = notify_guardian_by_email(etab, lien, smtp, tmp_path)
    family.login("marie.martin", temp)
    smtp.handler.refuse = {"refuse@example.org"}
    before = db_snapshot(db)
    response = family.first_login("05/09/2013", courriel="refuse@example.org")
    assert response.status_code == 200
    assert "n'a pas pu être envoyé" in body(response)
    assert db_snapshot(db) == before
    assert account(lien.compte_id).etat == EtatCompte.NOTIFIE


def test_r_por_1_three_wrong_birth_dates_lock_for_15_minutes_audited(db, etab, family,
                                                                      set_clock, tmp_path):
    eleve = pupil(etab)
    db.session.commit()
    temp = notify_pupil_on_paper(etab, eleve, tmp_path)
    family.login("lea.martin", temp)
    for day in ("01/01/2013", "02/01/2013"):
        page = body(family.first_login(day))
        assert "La date de naissance ne correspond pas." in page
    third = body(family.first_login("03/01/2013"))
    assert "bloquée" in third
    # Even the right date is refused while locked, and nothing changes.
    locked = body(family.first_login("05/09/2013"))
    assert "bloquée jusqu'à 10:15" in locked
    assert account(eleve.compte_id).etat == EtatCompte.NOTIFIE
    assert _actions(db, "portail.naissance_erreur", "portail.verrouillage") == [
        "portail.naissance_erreur"] * 3 + ["portail.verrouillage"]
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "portail.verrouillage"))
    assert entry.etablissement_id == etab.id and entry.target == "lea.martin"

    # 15 minutes later (config PORTAIL_VERROU_MINUTES), the right date goes through.
    set_clock(NOW + dt.timedelta(minutes=15, seconds=1))
    family.login("lea.martin", temp)
    assert location(family.first_login("05/09/2013")) == "/scolarite/"
    assert account(eleve.compte_id).etat == EtatCompte.UTILISE


def test_r_por_1_lock_duration_is_configurable(app, db, etab, family, set_clock, tmp_path):
    app.config.update(PORTAIL_VERROU_MINUTES=60, PORTAIL_NAISSANCE_ESSAIS=2)
    eleve = pupil(etab)
    db.session.commit()
    temp = notify_pupil_on_paper(etab, eleve, tmp_path)
    family.login("lea.martin", temp)
    family.first_login("01/01/2013")
    assert "bloquée jusqu'à 11:00" in body(family.first_login("02/01/2013"))
    set_clock(NOW + dt.timedelta(minutes=30))
    family.login("lea.martin", temp)
    assert "bloquée" in body(family.first_login("05/09/2013"))


def test_r_por_1_expired_link_offers_a_new_one_to_the_accounts_address(
        app, db, etab, family, smtp, set_clock, tmp_path):
    lien = guardian(etab)
    db.session.commit()
    temp = notify_guardian_by_email(etab, lien, smtp, tmp_path)
    family.login("marie.martin", temp)
    family.first_login("05/09/2013", courriel="marie.perso@example.org")
    link = link_in(smtp.messages[-1])
    set_clock(NOW + dt.timedelta(days=31))  # config PORTAIL_ACTIVATION_MAX_AGE: 30 days
    browser = Family(app.test_client())
    page = browser.client.get(link)
    html = body(page)
    assert page.status_code == 410 and "expiré" in html and "nouveau lien" in html
    assert account(lien.compte_id).etat == EtatCompte.EN_COURS_ACTIVATION
    token = link.rsplit("/", 1)[1]
    response = browser.post("/scolarite/activation/nouveau-lien", {"token": token},
                            token_from="/scolarite/connexion")
    assert location(response) == "/scolarite/connexion"
    fresh = smtp.messages[-1]
    assert fresh.rcpt_tos == ["marie.perso@example.org"]  # the account's own address
    assert location(browser.client.get(link_in(fresh))) is not None
    assert account(lien.compte_id).etat == EtatCompte.UTILISE


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature
    lambda t: "x" + t,  # payload
    lambda t: "pas-un-jeton",
    lambda t: "A" * 2000,
])
def test_r_por_1_tampered_link_says_so_and_changes_nothing(db, etab, family, smtp, tmp_path,
                                                           tamper):
    from .db_snapshot import db_snapshot

    lien = guardian(etab)
    db.session.commit()
    temp = notify_guardian_by_email(etab, lien, smtp, tmp_path)
    family.login("marie.martin", temp)
    family.first_login("05/09/2013", courriel="marie.perso@example.org")
    token = link_in(smtp.messages[-1]).rsplit("/", 1)[1]
    before = db_snapshot(db)
    page = family.client.get("/scolarite/activation/" + tamper(token))
    assert page.status_code == 400
    assert "n'est pas valide" in body(page)
    assert db_snapshot(db) == before
    # Asking a new link with a forged token sends nothing.
    sent = len(smtp.messages)
    response = family.post("/scolarite/activation/nouveau-lien", {"token": tamper(token)},
                           token_from="/scolarite/connexion")
    assert location(response) == "/scolarite/connexion" and len(smtp.messages) == sent


def test_r_por_1_link_of_an_earlier_first_connection_no_longer_works(db, etab, smtp, app,
                                                                     tmp_path):
    """A new first connection (another address) makes the older link worthless."""
    lien = guardian(etab)
    db.session.commit()
    temp = notify_guardian_by_email(etab, lien, smtp, tmp_path)
    first = Family(app.test_client())
    first.login("marie.martin", temp)
    first.first_login("05/09/2013", courriel="typo@exmaple.org")
    old_link = link_in(smtp.messages[-1])
    second = Family(app.test_client())
    second.login("marie.martin", temp)  # the temporary password still works while waiting
    second.first_login("05/09/2013", courriel="marie.perso@example.org")
    assert second.client.get(old_link).status_code == 400
    assert location(second.client.get(link_in(smtp.messages[-1]))) == "/scolarite/"


def test_r_por_1_temporary_password_refused_after_activation(db, etab, family, tmp_path,
                                                            app):
    eleve = pupil(etab)
    db.session.commit()
    temp = notify_pupil_on_paper(etab, eleve, tmp_path)
    family.login("lea.martin", temp)
    family.first_login("05/09/2013")
    other = Family(app.test_client())
    response = other.login("lea.martin", temp)
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in body(response)
    assert location(other.login("lea.martin", NEW_PASSWORD)) == "/scolarite/"


def test_r_acc_10_temporary_password_valid_three_months_after_notification(
        app, db, etab, set_clock, tmp_path):
    eleve = pupil(etab)
    db.session.commit()
    temp = notify_pupil_on_paper(etab, eleve, tmp_path)  # notified on 28/11/2026
    set_clock(NOW.replace(year=2027, month=2, day=28))
    assert location(Family(app.test_client()).login("lea.martin", temp)).endswith(
        "/premiere-connexion")
    set_clock(NOW.replace(year=2027, month=3, day=1))
    late = Family(app.test_client()).login("lea.martin", temp)
    assert late.status_code == 200 and "incorrect" in body(late)


def test_r_acc_1_closed_and_unnotified_accounts_cannot_log_in_one_message(app, db, etab):
    closed = factories.make_eleve(etab, etat=EtatCompte.NOTIFIE, identifiant="ferme.compte",
                                  date_notification=dt.datetime(2026, 11, 20))
    closed.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("K7QMS5XP")
    closed.compte.ferme_le = dt.datetime(2026, 11, 21)
    fresh = factories.make_eleve(etab, identifiant="non.notifie")
    fresh.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("K7QMS5XP")
    db.session.commit()
    bodies = set()
    for login, password in (("ferme.compte", "K7QMS5XP"), ("non.notifie", "K7QMS5XP"),
                            ("inconnu.personne", "K7QMS5XP"), ("non.notifie", "MAUVAIS2")):
        response = Family(app.test_client()).login(login, password)
        assert response.status_code == 200
        html = body(response)
        assert "Identifiant ou mot de passe incorrect." in html
        bodies.add(html.replace(login, "").split('name="csrf_token"')[0])
    assert len(bodies) == 1
    failures = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "portail.connexion_echec")).all()
    assert len(failures) == 4
    assert {f.etablissement_id for f in failures} == {etab.id, None}


def test_r_por_1_login_of_a_used_account_updates_last_login(app, db, etab, set_clock):
    eleve = factories.make_eleve(etab, etat=EtatCompte.UTILISE, identifiant="zoe.martin",
                                 mot_de_passe_hash=secrets_store.hash_password(NEW_PASSWORD),
                                 derniere_connexion=dt.datetime(2026, 10, 1))
    db.session.commit()
    later = NOW + dt.timedelta(days=2)
    set_clock(later)
    assert location(Family(app.test_client()).login("zoe.martin", NEW_PASSWORD)) == \
        "/scolarite/"
    assert account(eleve.compte_id).derniere_connexion == \
        later.astimezone(dt.UTC).replace(tzinfo=None)
    assert _actions(db, "portail.connexion") == ["portail.connexion"]


def test_r_por_1_step_pages_need_their_step(client, db, etab):
    for path in ("/scolarite/premiere-connexion", "/scolarite/attente",
                 "/scolarite/nouveau-mot-de-passe", "/scolarite/"):
        assert location(client.get(path)) == "/scolarite/connexion", path


def test_r_por_1_renotification_ends_a_first_connection_in_progress(app, db, etab, family,
                                                                   tmp_path):
    """The step is bound to the temporary password that opened it."""
    eleve = pupil(etab)
    db.session.commit()
    temp = notify_pupil_on_paper(etab, eleve, tmp_path)
    family.login("lea.martin", temp)
    compte = account(eleve.compte_id)
    compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("N3WPASS9")
    db.session.commit()
    assert location(family.client.get("/scolarite/premiere-connexion")) == \
        "/scolarite/connexion"
    assert portal.fingerprint(None) == ""


def test_r_acc_8_activation_email_resent_by_the_back_office_works_on_the_portal(
        app, db, etab, smtp, tmp_path):
    """« Renvoyer le courriel d'activation » (R-ACC-8) links to PORTAL_URL + activation/<token>:
    this app's /scolarite/ by default, so the link opens the portal and activates."""
    from admints.comptes import writing

    lien = guardian(etab)
    db.session.commit()
    temp = notify_guardian_by_email(etab, lien, smtp, tmp_path)
    family = Family(app.test_client())
    family.login("marie.martin", temp)
    family.first_login("05/09/2013", courriel="typo@exmaple.org")
    writing.resend_activation(etab.id, lien.compte_id, "marie.perso@example.org",
                              today=dt.date(2026, 11, 28))
    db.session.commit()
    mail = smtp.to("marie.perso@example.org")[-1]
    assert "http://127.0.0.1:5000/scolarite/activation/" in mail.text()
    page = Family(app.test_client()).client.get(link_in(mail))
    assert page.status_code == 200 and account(lien.compte_id).etat == EtatCompte.UTILISE


def test_r_por_1_portal_url_defaults_to_this_app_and_follows_server_name():
    from admints.config import Config, derive

    assert Config.PORTAL_URL == "http://127.0.0.1:5000/scolarite/"
    config = {"PORTAL_URL": Config.PORTAL_URL, "SERVER_NAME": "ts.ac-demo.fr",
              "PREFERRED_URL_SCHEME": "https"}
    derive(config)
    assert config["PORTAL_URL"] == "https://ts.ac-demo.fr/scolarite/"
    chosen = {"PORTAL_URL": "https://teleservices.ac-demo.fr/ts/", "SERVER_NAME": "x.fr"}
    derive(chosen)
    assert chosen["PORTAL_URL"] == "https://teleservices.ac-demo.fr/ts/"  # set by env: kept
