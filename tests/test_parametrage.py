"""Paramétrage: message d'accueil (R-PAR-2), ENT et courrier (R-PAR-3), lien de contact
(R-PAR-5), liens utiles (R-PAR-6), next-day effect and the settings in force (R-PAR-1), roles,
CSRF (R-SEC-2) and audit with before/after (R-SEC-3)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from admints import clock
from admints.errors import DomainError
from admints.extensions import db
from admints.models import AuditEntry, EntAcademique, LienUtile
from admints.parametrage import portal_links, versions, welcome

from . import factories
from .settings_helpers import TODAY, TOMORROW, post, relogin, text

REAL_TOMORROW = clock.today() + dt.timedelta(days=1)


def _audit(action):
    return db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)).all()


# --- Message d'accueil -------------------------------------------------------------------------

def test_r_par_2_counts_text_not_markup():
    html = '<b>Bonjour</b>, <a href="https://example.org">lien</a>&nbsp;!<br>Fin'
    assert welcome.text_length(html) == len("Bonjour, lien !") + 1 + len("Fin")
    assert welcome.text_length("é" * 2000) == 2000


def test_r_par_2_sanitised_and_immediate(etab):
    html = ('<p>Portes <b>ouvertes</b> <i>le</i> <u>15 mai</u> : '
            '<a href="https://college.example.org/po" title="PO">détails</a>, '
            '<a href="mailto:ce@ac-demo.fr">écrire</a><span style="color:red">!</span></p>')
    effective = welcome.save(etab.id, html, today=TODAY)
    assert effective == TODAY
    stored = versions.get(etab.id, "message_accueil", TODAY)
    assert "<b>ouvertes</b>" in stored and "<u>15 mai</u>" in stored
    assert 'href="mailto:ce@ac-demo.fr"' in stored and "<span" not in stored
    assert 'rel="noopener noreferrer nofollow"' in stored
    entry = _audit("parametre.message_accueil")[-1]
    assert entry.before is None and "ouvertes" in entry.after


@pytest.mark.parametrize("payload, message", [
    ("Bonjour <script>alert(1)</script>", "balise <script>"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ('<b onmouseover="alert(1)">x</b>', "onmouseover"),
    ('<a href="javascript:alert(1)">clic</a>', "javascript:alert(1)"),
    ('<a href="java\tscript:alert(1)">clic</a>', "seuls les liens http"),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">clic</a>', "data:text/html"),
    ("<iframe src='https://x.org'></iframe>", "balise <iframe>"),
    ('<a href="//evil.example/x">clic</a>', "seuls les liens http"),
    ('<a href="/relatif">clic</a>', "seuls les liens http"),
    ("a" * 2001, "limité à 2000 caractères (2001 saisis)"),
])
def test_r_par_2_bad_welcome_message_refused(etab, payload, message):
    welcome.save(etab.id, "Ancien message", today=TODAY)
    with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
        welcome.save(etab.id, payload, today=TODAY)
    assert versions.get_latest(etab.id, "message_accueil") == "Ancien message"


def test_r_par_2_exactly_2000_characters_accepted(etab):
    welcome.save(etab.id, "<b>" + "x" * 2000 + "</b>", today=TODAY)
    assert welcome.text_length(versions.get_latest(etab.id, "message_accueil")) == 2000


def test_r_par_2_screen_saves_and_refuses(client, auth, etab):
    auth.login("chef.0999001a")
    page = text(client.get("/parametrage/message/"))
    assert "0/2000 caractères" in page and "parametrage.js" in page
    resp = post(client, auth, "/parametrage/message/",
                {"message": "Bonjour <b>à tous</b>"}, follow_redirects=True)
    html = text(resp)
    assert f"visible par les familles à partir du {clock.today():%d/%m/%Y}" in html
    assert "Bonjour <b>à tous</b>" in html  # value in force today, and in the editor
    assert "14/2000 caractères" in html
    resp = post(client, auth, "/parametrage/message/",
                {"message": "<script>alert('x')</script>"})
    assert resp.status_code == 400
    assert "la balise <script> est interdite" in text(resp)
    assert "<script>alert" not in resp.get_data(as_text=True)
    assert versions.get_latest(etab.id, "message_accueil") == "Bonjour <b>à tous</b>"
    resp = client.post("/parametrage/message/", data={"message": "Sans jeton"})
    assert resp.status_code == 400
    assert versions.get_latest(etab.id, "message_accueil") == "Bonjour <b>à tous</b>"


# --- ENT et courrier de notification -----------------------------------------------------------

def test_r_par_3_types_list_and_typed_url(etab, other_etab, db):
    ent = EntAcademique(academie_id=etab.academie_id, nom="ENT Hauts-de-France",
                        url="https://enthdf.fr")
    db.session.add(ent)
    db.session.flush()
    assert portal_links.save_ent(etab, "mixte", ent.id, today=TODAY) == TODAY
    assert versions.get(etab.id, "ent", TODAY) == {"type": "mixte", "url": "https://enthdf.fr",
                                                   "nom": "ENT Hauts-de-France"}
    portal_links.save_ent(etab, "ent", None, "https://ent.college-vh.fr/", today=TODAY)
    assert versions.get(etab.id, "ent", TODAY)["url"] == "https://ent.college-vh.fr/"
    portal_links.save_ent(etab, "teleservices", today=TODAY)
    assert versions.get(etab.id, "ent", TODAY) == {"type": "teleservices", "url": None,
                                                   "nom": None}


@pytest.mark.parametrize("url, message", [
    ("javascript:alert(1)", "http:// ou https://"), ("ftp://ent.fr", "http:// ou https://"),
    ("data:text/html,x", "http:// ou https://"), ("https://", "nom de domaine"),
    ("https://ent fr", "caractères interdits"), ("", "Choisissez l'ENT"),
])
def test_r_par_3_bad_ent_url_refused(etab, url, message):
    portal_links.save_ent(etab, "mixte", None, "https://ent.ok.fr", today=TODAY)
    with pytest.raises(DomainError, match=message):
        portal_links.save_ent(etab, "ent", None, url, today=TODAY)
    assert versions.get_latest(etab.id, "ent")["url"] == "https://ent.ok.fr"


def test_r_par_3_other_academie_ent_and_unknown_type_refused(etab, db):
    other = factories.make_academie("autre", "Autre")
    ent = EntAcademique(academie_id=other.id, nom="Ailleurs", url="https://ailleurs.fr")
    db.session.add(ent)
    db.session.flush()
    with pytest.raises(DomainError, match="ENT inconnu"):
        portal_links.save_ent(etab, "mixte", ent.id, today=TODAY)
    with pytest.raises(DomainError, match="Type de courrier inconnu"):
        portal_links.save_ent(etab, "tout", today=TODAY)
    assert versions.get_latest(etab.id, "ent") is None


def test_r_par_3_ent_list_and_address_not_both_in_the_domain(etab, db):
    """R-PAR-3: the operation itself refuses a list entry and a typed address together."""
    ent = EntAcademique(academie_id=etab.academie_id, nom="ENT HDF", url="https://enthdf.fr")
    db.session.add(ent)
    db.session.flush()
    for type_ in ("mixte", "ent", "teleservices"):
        with pytest.raises(DomainError, match="pas les deux"):
            portal_links.save_ent(etab, type_, ent.id, "https://autre.fr", today=TODAY)
    assert versions.get_latest(etab.id, "ent") is None


def test_r_par_3_screen(client, auth, etab):
    auth.login("chef.0999001a")
    html = text(client.get("/parametrage/ent/"))
    assert "Aperçu du lien" in html and "Mixte ENT/Téléservices" in html
    resp = post(client, auth, "/parametrage/ent/", {"type": "ent", "url": "javascript:alert(1)"})
    assert resp.status_code == 400 and "doit commencer par http:// ou https://" in text(resp)
    assert versions.get_latest(etab.id, "ent") is None
    resp = post(client, auth, "/parametrage/ent/",
                {"type": "ent", "url": "https://ent.college.fr"}, follow_redirects=True)
    assert f"à partir du {clock.today():%d/%m/%Y}" in text(resp)
    assert versions.get(etab.id, "ent", clock.today())["url"] == "https://ent.college.fr"


# --- Lien de contact -----------------------------------------------------------------------------

def test_r_par_5_contact_next_day_and_bad_address(etab):
    address = etab.emails[0]
    assert portal_links.save_contact(etab, address, True, today=TODAY) == TOMORROW
    assert versions.get(etab.id, "contact", TODAY) is None
    assert versions.get(etab.id, "contact", TOMORROW) == {"email": address, "actif": True}
    for bad in ("pirate@example.org", "", "<script>@x.fr"):
        with pytest.raises(DomainError, match="Adresse de contact invalide"):
            portal_links.save_contact(etab, bad, True, today=TODAY)
    assert versions.get_latest(etab.id, "contact") == {"email": address, "actif": True}


def test_r_par_5_no_address_disabled_with_explanation(client, auth, db):
    etab = factories.make_etablissement(uai="0999005E", nom="Collège Sans Mail", emails=[])
    db.session.commit()
    with pytest.raises(DomainError, match="aucune adresse de messagerie"):
        portal_links.save_contact(etab, "x@ac-demo.fr", True, today=TODAY)
    auth.login("chef.0999005e")
    html = text(client.get("/parametrage/contact/"))
    assert "aucune adresse de messagerie" in html
    assert re.search(r"<fieldset class=\"fr-fieldset\" disabled", html)
    resp = post(client, auth, "/parametrage/contact/", {"email": "x@ac-demo.fr", "actif": "1"})
    assert resp.status_code == 400
    assert versions.get_latest(etab.id, "contact") is None


def test_r_par_5_screen(client, auth, etab):
    auth.login("chef.0999001a")
    resp = post(client, auth, "/parametrage/contact/", {"email": etab.emails[0], "actif": "1"},
                follow_redirects=True)
    html = text(resp)
    assert f"visible par les familles à partir du {REAL_TOMORROW:%d/%m/%Y}" in html
    assert "Non paramétré" in html  # families still see the previous value today
    assert "sera visible à partir du" in html


# --- Liens utiles --------------------------------------------------------------------------------

def _liens(etab):
    return db.session.scalars(db.select(LienUtile).where(LienUtile.etablissement_id == etab.id)
                              .order_by(LienUtile.position, LienUtile.id)).all()


def test_r_par_6_create_edit_delete_in_creation_order(client, auth, etab):
    auth.login("chef.0999001a")
    assert client.get("/parametrage/liens/").status_code == 200
    for label, url in (("Le site de l'établissement", "http://sitedeletablissement.fr"),
                       ("Le site de l'académie", "https://sitedelacademie.fr")):
        resp = post(client, auth, "/parametrage/liens/new/", {"libelle": label, "url": url},
                    page="/parametrage/liens/new/")
        assert resp.status_code == 302
    assert [r.libelle for r in _liens(etab)] == ["Le site de l'établissement",
                                                 "Le site de l'académie"]
    # Families see them from tomorrow, in creation order.
    assert versions.get(etab.id, "liens_utiles", TODAY + dt.timedelta(days=0)) in (None, [])
    snapshot = versions.get(etab.id, "liens_utiles", REAL_TOMORROW)
    assert [x["libelle"] for x in snapshot] == ["Le site de l'établissement",
                                                "Le site de l'académie"]
    first, second = _liens(etab)
    # Reorder, edit, delete.
    post(client, auth, "/parametrage/liens/deplacer", {"id": second.id, "sens": "-1"},
         page="/parametrage/liens/")
    db.session.expire_all()
    assert [r.id for r in _liens(etab)] == [second.id, first.id]
    resp = post(client, auth, f"/parametrage/liens/edit/?id={first.id}",
                {"libelle": "Site du collège", "url": "https://college.fr"},
                page=f"/parametrage/liens/edit/?id={first.id}")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(LienUtile, first.id).url == "https://college.fr"
    resp = post(client, auth, "/parametrage/liens/delete/", {"id": second.id, "confirme": "1"},
                page="/parametrage/liens/")
    assert resp.status_code == 302
    db.session.expire_all()
    assert [r.libelle for r in _liens(etab)] == ["Site du collège"]
    assert versions.get_latest(etab.id, "liens_utiles") == [
        {"libelle": "Site du collège", "url": "https://college.fr"}]
    assert _audit("parametre.liens_utiles")


@pytest.mark.parametrize("data, message", [
    ({"libelle": "", "url": "https://ok.fr"}, "Le libellé est obligatoire"),
    ({"libelle": "Site", "url": ""}, "L'adresse (url) est obligatoire"),
    ({"libelle": "Site", "url": "javascript:alert(1)"}, "doit commencer par http:// ou https://"),
    ({"libelle": "Site", "url": "data:text/html,abc"}, "doit commencer par http://"),
    ({"libelle": "<script>alert(1)</script>", "url": "https://ok.fr"}, "ni balise HTML ni script"),
    ({"libelle": '<img src=x onerror="alert(1)">', "url": "https://ok.fr"}, "ni balise HTML"),
    ({"libelle": "x onerror=alert(1)", "url": "https://ok.fr"}, "ni balise HTML ni script"),
    ({"libelle": "Site", "url": 'https://ok.fr/" onerror="x'}, "caractères interdits"),
])
def test_r_par_6_bad_links_refused(client, auth, etab, data, message):
    auth.login("chef.0999001a")
    resp = post(client, auth, "/parametrage/liens/new/", data, page="/parametrage/liens/new/")
    assert resp.status_code == 200  # the form again, with the message
    assert message in text(resp)
    assert _liens(etab) == []
    assert versions.get_latest(etab.id, "liens_utiles") is None


def test_r_par_6_other_establishment_link_untouchable(client, auth, etab, other_etab, db):
    lien = LienUtile(etablissement_id=other_etab.id, libelle="Autre", url="https://autre.fr",
                     position=1)
    db.session.add(lien)
    db.session.commit()
    auth.login("chef.0999001a")
    assert client.get(f"/parametrage/liens/edit/?id={lien.id}").status_code in (302, 404)
    post(client, auth, "/parametrage/liens/delete/", {"id": lien.id, "confirme": "1"},
         page="/parametrage/liens/")
    post(client, auth, "/parametrage/liens/deplacer", {"id": lien.id, "sens": "1"},
         page="/parametrage/liens/")
    db.session.expire_all()
    assert db.session.get(LienUtile, lien.id).libelle == "Autre"


# --- R-PAR-1 and roles ---------------------------------------------------------------------------

def test_r_par_1_in_force_on_day_d(etab):
    welcome.save(etab.id, "Bienvenue", today=TODAY)
    portal_links.save_contact(etab, etab.emails[0], True, today=TODAY)
    today_values = versions.in_force(etab.id, TODAY)
    assert today_values["message_accueil"] == "Bienvenue" and "contact" not in today_values
    assert versions.in_force(etab.id, TOMORROW)["contact"]["actif"] is True
    portal_links.save_contact(etab, etab.emails[0], False, today=TOMORROW)
    assert versions.in_force(etab.id, TOMORROW)["contact"]["actif"] is True
    assert versions.in_force(etab.id, TOMORROW + dt.timedelta(days=1))["contact"]["actif"] is False
    assert versions.notice("contact", TODAY).endswith("à partir du 29/11/2026.")
    assert versions.notice("message_accueil", TODAY).endswith("à partir du 28/11/2026.")


def test_r_par_delegue_needs_parametrage_right(client, auth, etab, db):
    factories.make_user("deleg.srv", "delegue", etablissement=etab, droits=["services"])
    factories.make_user("deleg.par", "delegue", etablissement=etab, droits=["parametrage"])
    db.session.commit()
    auth.login("deleg.srv")
    for url in ("/parametrage/message/", "/parametrage/ent/", "/parametrage/contact/",
                "/parametrage/liens/", "/parametrage/courriers/"):
        assert client.get(url).status_code == 403
    assert post(client, auth, "/parametrage/message/", {"message": "Pirate"},
                page="/login").status_code == 403
    assert post(client, auth, "/parametrage/liens/new/",
                {"libelle": "Pirate", "url": "https://pirate.fr"}, page="/login").status_code == 403
    assert versions.get_latest(etab.id, "message_accueil") is None and _liens(etab) == []
    relogin(client, auth, "deleg.par")
    assert client.get("/parametrage/message/").status_code == 200
    resp = post(client, auth, "/parametrage/message/", {"message": "Par le délégué"})
    assert resp.status_code == 302
    assert versions.get_latest(etab.id, "message_accueil") == "Par le délégué"
