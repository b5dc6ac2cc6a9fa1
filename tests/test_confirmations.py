"""Issue 12 point 6: every irreversible act is confirmed on the server (a second POST).

For each act: the first POST shows a confirmation page in the guide's words and changes nothing
(db_snapshot); a hand-made confirming POST without its CSRF token is refused (400) and changes
nothing; only the confirming POST with its token acts. « Annuler » is a link back (a GET).
"""

from __future__ import annotations

import html
import re
import uuid
from pathlib import Path

import pytest
from flask import g

from admints import confirmations
from admints.courriers import editor, wording
from admints.extensions import db
from admints.models import (
    Compte,
    DatePublication,
    EtatCompte,
    Job,
    LienUtile,
    Teleservice,
    TeleserviceEtablissement,
)
from admints.teleservices import catalogue, notes

from . import factories
from .comptes_helpers import school
from .db_snapshot import db_snapshot
from .settings_helpers import TODAY


def _token(client, path: str) -> str:
    g.pop("csrf_token", None)
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, path
    return match.group(1)


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def check_confirmed_act(client, url: str, data: dict, page: str, *, says: tuple[str, ...]):
    """First POST: confirmation page saying `says`, nothing changed; a confirming POST without
    a token: 400, nothing changed. Returns the confirming response (with a token)."""
    before = db_snapshot(db)
    first = client.post(url, data={"csrf_token": _token(client, page), **data})
    assert first.status_code == 200, first.status_code
    body = _text(first)
    assert 'data-testid="confirmation"' in body and "Confirmer" in body and "Annuler" in body
    for words in says:
        assert words in body, words
    # The page posts the same fields back with confirme=1 and a fresh token.
    assert 'name="confirme" value="1"' in body and 'name="csrf_token"' in body
    assert db_snapshot(db) == before
    forged = client.post(url, data={**data, "confirme": "1"})
    assert forged.status_code == 400
    assert db_snapshot(db) == before
    token = re.search(r'name="csrf_token" value="([^"]+)"', first.get_data(as_text=True))
    return client.post(url, data={**data, "confirme": "1", "csrf_token": token.group(1)})


def test_issue12_r_acc_8_reset_of_used_account_confirmed_with_guide_wording(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0)
    lien = s["liens"][0]
    compte = db.session.get(Compte, lien.compte_id)
    compte.etat, compte.mot_de_passe_hash = EtatCompte.UTILISE, "x"
    db.session.commit()
    auth.login("chef.0999001a")
    page = f"/responsables/compte/{lien.id}/"
    resp = check_confirmed_act(
        client, f"{page}renotifier_reinit/", {"mode": "courriel-et-papier"}, page,
        says=("Renotifier et réinitialiser le mot de passe", "« Utilisé »",
              "un courriel est envoyé lorsque l'adresse de messagerie est valide, un courrier "
              "papier est produit sinon"))
    assert resp.status_code == 302 and "/taches/" in resp.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Compte, lien.compte_id).etat == EtatCompte.NOTIFIE


def test_issue12_r_acc_5_eleve_reset_warns_as_guide_5_1_point_6(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    eleve = s["eleves"][0]
    eleve.compte.etat, eleve.compte.mot_de_passe_hash = EtatCompte.UTILISE, "x"
    db.session.commit()
    auth.login("chef.0999001a")
    page = f"/eleves/compte/{eleve.id}/"
    resp = check_confirmed_act(client, f"{page}renotifier_reinit/", {"mode": "papier"}, page,
                               says=(confirmations.ELEVE_RESET_WARNING,
                                     "à utiliser avec précaution"))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Compte, eleve.compte_id).etat == EtatCompte.NOTIFIE


def test_issue12_r_acc_5_mass_confirmation_explains_modes_and_reset(client, auth, etab):
    """The mass notification's confirmation (the pattern reused) says what each mode does and
    carries the guide's warning next to the élève reset option."""
    school(etab, n_6a=1, n_6b=0)
    auth.login("chef.0999001a")
    token = _token(client, "/eleves/")
    body = _text(client.post("/eleves/action/", data={
        "csrf_token": token, "action": "notifier", "select_all": "1", "url": "/eleves/"}))
    assert confirmations.ELEVE_RESET_WARNING in body
    assert confirmations.MODE_EFFECTS["papier"] in body
    token = _token(client, "/responsables/")
    body = _text(client.post("/responsables/action/", data={
        "csrf_token": token, "action": "notifier", "select_all": "1", "url": "/responsables/"}))
    assert confirmations.MODE_EFFECTS["courriel-et-papier"] in body


def test_issue12_r_acc_8_reset_of_notified_account_is_not_asked(client, auth, etab):
    """A *Notifié* account has no chosen password to lose: the reset acts at once."""
    s = school(etab, n_6a=1, n_6b=0)
    auth.login("chef.0999001a")
    page = f"/responsables/compte/{s['liens'][0].id}/"
    resp = client.post(f"{page}renotifier_reinit/",
                       data={"csrf_token": _token(client, page), "mode": "papier"})
    assert resp.status_code == 302 and "/taches/" in resp.headers["Location"]


def test_issue12_r_srv_2_closing_a_service_confirmed(client, auth, etab):
    catalogue.ensure_etablissement_services(etab)
    db.session.commit()
    auth.login("chef.0999001a")
    sid = db.session.scalar(db.select(Teleservice.id).where(Teleservice.code == "vie_scolaire"))
    page = "/services/ouverture/"
    resp = check_confirmed_act(client, page, {"teleservice_id": str(sid), "ouvert": "0"}, page,
                               says=("Fermer le téléservice « Vie scolaire »",
                                     "Son paramétrage est conservé"))
    assert resp.status_code == 302
    db.session.expire_all()
    row = db.session.scalar(db.select(TeleserviceEtablissement).where(
        TeleserviceEtablissement.etablissement_id == etab.id,
        TeleserviceEtablissement.teleservice_id == sid))
    assert row.ouvert is False
    # Opening is not irreversible: no confirmation.
    resp = client.post(page, data={"csrf_token": _token(client, page),
                                   "teleservice_id": str(sid), "ouvert": "1"})
    assert resp.status_code == 302


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999", "<b>x</b>", ""])
def test_issue12_r_srv_2_hostile_service_id_no_confirmation_no_change(client, auth, etab, value):
    catalogue.ensure_etablissement_services(etab)
    db.session.commit()
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    resp = client.post("/services/ouverture/", data={
        "csrf_token": _token(client, "/services/ouverture/"), "teleservice_id": value,
        "ouvert": "0"}, follow_redirects=True)
    assert resp.status_code == 200 and "Téléservice inconnu" in _text(resp)
    assert db_snapshot(db) == before


def test_issue12_r_srv_4_removing_a_publication_date_confirmed(client, auth, etab):
    catalogue.ensure_etablissement_services(etab)
    mef = factories.make_mef(etab, code="31016", libelle="1-STMG 31016")
    div = factories.make_division(etab, code="1STMG 1")
    factories.make_eleve(etab, mef=mef, division=div)
    notes.add_date(etab.id, mef.id, div.id, "2027-01-15")
    db.session.commit()
    row_id = db.session.scalar(db.select(DatePublication.id))
    auth.login("chef.0999001a")
    resp = check_confirmed_act(
        client, "/services/notes/dates/supprimer",
        {"date_id": str(row_id), "url": "/services/notes/dates/"}, "/services/notes/dates/",
        says=("La date de publication du 15/01/2027 sera supprimée pour 1-STMG 31016 / 1STMG 1",))
    assert resp.status_code == 302
    assert db.session.get(DatePublication, row_id) is None


def test_issue12_r_par_4_letter_reset_confirmed(client, auth, etab):
    editor.save_text(etab.id, "entete", wording.DEFAULTS["entete"] + "\nPermanence le mercredi",
                     today=TODAY)
    db.session.commit()
    auth.login("chef.0999001a")
    resp = check_confirmed_act(
        client, "/parametrage/courriers/reinitialiser/entete", {}, "/parametrage/courriers/",
        says=("Réinitialiser « En-tête (tous les courriers) »", "version prédéfinie",
              "seront perdues"))
    assert resp.status_code == 302
    assert editor.stored_text(etab.id, "entete") is None


def test_issue12_r_acc_6_deleting_the_pdf_confirmed(app, client, auth, etab):
    out = Path(app.config["OUTPUT_DIR"]) / "jobs" / str(etab.id)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"notification_eleve_{uuid.uuid4().hex}.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    job = Job(kind="notification_eleve", etablissement_id=etab.id, status="done", total=1,
              done=1, created_by="chef.0999001a", file_path=str(path),
              params={"kind": "eleve", "compte_ids": [1], "mode": "papier"},
              result={"notified": 1})
    db.session.add(job)
    db.session.commit()
    auth.login("chef.0999001a")
    page = f"/taches/{job.id}/"
    resp = check_confirmed_act(client, f"{page}supprimer/", {}, page,
                               says=("Supprimer le document du serveur",
                                     "ne pourra plus être téléchargé"))
    assert resp.status_code == 302
    assert not path.exists()


def _lien(etab, libelle="CDI du collège") -> LienUtile:
    lien = LienUtile(etablissement_id=etab.id, libelle=libelle, url="https://cdi.example.org/")
    db.session.add(lien)
    db.session.commit()
    return lien


def test_issue12_r_par_6_flask_admin_row_delete_confirmed_without_javascript(client, auth, etab):
    lien = _lien(etab)
    auth.login("chef.0999001a")
    listing = client.get("/parametrage/liens/").get_data(as_text=True)
    assert 'action="/parametrage/liens/delete/"' in listing
    assert "safeConfirm" not in listing
    row_form = re.search(
        r'<form class="admints-row-action"[^>]*/parametrage/liens/delete/.*?</form>',
        listing, re.S).group(0)
    # Issue 13: the button is named after the row (« Supprimer CDI du collège »).
    assert "onclick" not in row_form
    assert '>Supprimer<span class="fr-sr-only"> CDI du collège</span></button>' in row_form
    resp = check_confirmed_act(client, "/parametrage/liens/delete/",
                               {"id": str(lien.id), "url": "/parametrage/liens/"},
                               "/parametrage/liens/",
                               says=("« CDI du collège » sera supprimé définitivement",))
    assert resp.status_code == 302
    assert db.session.get(LienUtile, lien.id) is None


def test_issue12_r_par_6_bulk_delete_confirmed_and_counts_own_rows(client, auth, etab,
                                                                   other_etab):
    own, foreign = _lien(etab, "A"), _lien(other_etab, "B")
    auth.login("chef.0999001a")
    listing = client.get("/parametrage/liens/").get_data(as_text=True)
    assert "Are you sure" not in listing and "Êtes-vous sûr" not in listing
    resp = check_confirmed_act(
        client, "/parametrage/liens/action/",
        {"action": "delete", "rowid": [str(own.id), str(foreign.id)],
         "url": "/parametrage/liens/"}, "/parametrage/liens/",
        says=("1 élément(s) sélectionné(s) seront supprimés définitivement",))
    assert resp.status_code == 302
    assert db.session.get(LienUtile, own.id) is None
    assert db.session.get(LienUtile, foreign.id) is not None


def test_issue12_cancel_is_a_link_back_that_changes_nothing(client, auth, etab):
    lien = _lien(etab)
    auth.login("chef.0999001a")
    page = client.post("/parametrage/liens/delete/", data={
        "csrf_token": _token(client, "/parametrage/liens/"), "id": str(lien.id),
        "url": "/parametrage/liens/"}).get_data(as_text=True)
    cancel = re.search(r'<a href="([^"]+)"[^>]*data-testid="annuler"', page).group(1)
    assert cancel == "/parametrage/liens/"
    before = db_snapshot(db)
    assert client.get(cancel).status_code == 200
    assert db_snapshot(db) == before


def test_issue12_confirmation_page_escapes_posted_values(client, auth, etab):
    """Hostile values are posted back as escaped hidden fields, never as markup."""
    lien = _lien(etab)
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    page = client.post("/parametrage/liens/delete/", data={
        "csrf_token": _token(client, "/parametrage/liens/"), "id": str(lien.id),
        "url": '"><script>alert(1)</script>'}).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert db_snapshot(db) == before


def test_issue12_wording_lives_in_the_domain_not_in_templates():
    root = Path(__file__).resolve().parent.parent / "templates" / "admints"
    generic = (root / "confirmation.html").read_text(encoding="utf-8")
    assert "confirmation.title" in generic and "supprim" not in generic.lower()
    mass = (root / "comptes" / "confirmer.html").read_text(encoding="utf-8")
    assert "avec précaution" not in mass and "reset_warning" in mass


def test_issue12_r_acc_5_mass_reset_confirmation_words_from_the_domain(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    body = _text(client.post("/eleves/action/", data={
        "csrf_token": _token(client, "/eleves/"), "action": "reinitialiser",
        "rowid": [str(s["eleves"][0].id)], "url": "/eleves/"}))
    assert confirmations.mass_reset(1) in body
    assert db_snapshot(db) == before
