"""Configuration Notes (R-SRV-4): the visibility rule, the mode (next-day, R-PAR-1), échéance
dates per MEF × division (« + », « − », bulk action, filters) and the gate « Notes open »."""

from __future__ import annotations

import datetime as dt

import pytest

from admints import clock
from admints.errors import DomainError
from admints.extensions import db
from admints.models import AuditEntry, DatePublication, Evaluation, Teleservice
from admints.parametrage import versions
from admints.teleservices import catalogue, notes, opening

from . import factories
from .settings_helpers import TODAY, TOMORROW, post, text

D = dt.date


def _evaluation(etab, mef, div, saisie, publication):
    ev = Evaluation(etablissement_id=etab.id, mef_id=mef.id if mef else None,
                    division_id=div.id, matiere="MATH", libelle="interro2109",
                    date_controle=D(2012, 11, 12), date_saisie=saisie,
                    date_publication=publication, coefficient=1.0, bareme=10)
    db.session.add(ev)
    db.session.flush()
    return ev


@pytest.fixture
def classe(etab):
    """The guide's example: MEF 1-STMG 31016, division 1STMG 1, with pupils; Notes open."""
    catalogue.ensure_etablissement_services(etab)
    mef = factories.make_mef(etab, code="31016", libelle="1-STMG 31016")
    div = factories.make_division(etab, code="1STMG 1")
    div2 = factories.make_division(etab, code="1STMG 2")
    factories.make_eleve(etab, mef=mef, division=div)
    factories.make_eleve(etab, mef=mef, division=div2)
    db.session.commit()
    return etab, mef, div, div2


def test_r_srv_4_guide_example_teacher_date_after_echeance_not_visible(classe):
    etab, mef, div, _ = classe
    ev = _evaluation(etab, mef, div, saisie=D(2012, 11, 12), publication=D(2012, 12, 13))
    echeances = [D(2012, 12, 12)]
    for day in (D(2012, 12, 12), D(2012, 12, 13), D(2013, 6, 30)):
        assert not notes.is_visible(ev, day, notes.ECHEANCE, echeances)
    # With a later échéance the assessment shows from that date.
    assert not notes.is_visible(ev, D(2013, 3, 14), notes.ECHEANCE, [D(2012, 12, 12),
                                                                      D(2013, 3, 15)])
    assert notes.is_visible(ev, D(2013, 3, 15), notes.ECHEANCE, [D(2012, 12, 12),
                                                                 D(2013, 3, 15)])


def test_r_srv_4_echeance_reached_and_teacher_date_before(classe):
    etab, mef, div, div2 = classe
    ev = _evaluation(etab, mef, div, saisie=D(2012, 11, 12), publication=D(2012, 12, 10))
    assert not notes.is_visible(ev, D(2012, 12, 11), notes.ECHEANCE, [D(2012, 12, 12)])
    assert notes.is_visible(ev, D(2012, 12, 12), notes.ECHEANCE, [D(2012, 12, 12)])
    assert not notes.is_visible(ev, D(2012, 12, 20), notes.ECHEANCE, [])
    # The mapping form looks up the assessment's own MEF × division only.
    by_pair = {(mef.id, div2.id): [D(2012, 12, 12)]}
    assert not notes.is_visible(ev, D(2012, 12, 20), notes.ECHEANCE, by_pair)
    by_pair[(mef.id, div.id)] = [D(2012, 12, 12)]
    assert notes.is_visible(ev, D(2012, 12, 20), notes.ECHEANCE, by_pair)


def test_r_srv_4_fil_de_l_eau_visible_from_the_day_after_entry(classe):
    etab, mef, div, _ = classe
    ev = _evaluation(etab, mef, div, saisie=D(2012, 11, 12), publication=D(2012, 12, 13))
    assert not notes.is_visible(ev, D(2012, 11, 12), notes.FIL_DE_L_EAU, None)
    assert notes.is_visible(ev, D(2012, 11, 13), notes.FIL_DE_L_EAU, None)


def test_r_srv_4_mode_takes_effect_next_day_and_portal_list(classe):
    etab, mef, div, _ = classe
    ev = _evaluation(etab, mef, div, saisie=D(2026, 11, 20), publication=D(2026, 12, 15))
    assert notes.mode_on(etab.id, TODAY) == notes.FIL_DE_L_EAU
    assert notes.set_mode(etab.id, notes.ECHEANCE, today=TODAY) == TOMORROW
    assert notes.mode_on(etab.id, TODAY) == notes.FIL_DE_L_EAU
    assert notes.mode_on(etab.id, TOMORROW) == notes.ECHEANCE
    assert ev in notes.visible_evaluations(etab.id, TODAY)
    assert ev not in notes.visible_evaluations(etab.id, TOMORROW)
    with pytest.raises(DomainError, match="Mode de publication inconnu"):
        notes.set_mode(etab.id, "demain", today=TODAY)


def test_r_srv_4_dates_add_several_remove_and_refusals(classe, other_etab):
    etab, mef, div, div2 = classe
    notes.add_date(etab.id, mef.id, div.id, "2012-12-12")
    notes.add_date(etab.id, mef.id, div.id, "15/03/2013")
    assert notes.echeances_by_pair(etab.id)[(mef.id, div.id)] == [D(2012, 12, 12), D(2013, 3, 15)]
    with pytest.raises(DomainError, match="existe déjà"):
        notes.add_date(etab.id, mef.id, div.id, "12/12/2012")
    with pytest.raises(DomainError, match="Date de publication invalide"):
        notes.add_date(etab.id, mef.id, div.id, "31/02/2013")
    lonely = factories.make_division(etab, code="6-SANS-ELEVE")
    with pytest.raises(DomainError, match="Aucun élève"):
        notes.add_date(etab.id, mef.id, lonely.id, "2012-12-12")
    foreign_div = factories.make_division(other_etab, code="1STMG 1")
    with pytest.raises(DomainError, match="MEF ou division inconnu"):
        notes.add_date(etab.id, mef.id, foreign_div.id, "2012-12-12")
    row = db.session.scalar(db.select(DatePublication)
                            .where(DatePublication.date == D(2013, 3, 15)))
    with pytest.raises(DomainError, match="introuvable"):
        notes.remove_date(other_etab.id, row.id)
    notes.remove_date(etab.id, row.id)
    assert notes.echeances_by_pair(etab.id)[(mef.id, div.id)] == [D(2012, 12, 12)]
    actions = set(db.session.scalars(db.select(AuditEntry.action)))
    assert {"notes.date_publication.ajout", "notes.date_publication.suppression"} <= actions


def test_r_srv_4_screens_plus_minus_and_bulk_action(client, auth, classe):
    etab, mef, div, div2 = classe
    auth.login("chef.0999001a")
    html = text(client.get("/services/notes/dates/"))
    assert "1-STMG 31016" in html and "1STMG 1" in html and "1STMG 2" in html
    assert "6-SANS-ELEVE" not in html  # only pairs with pupils
    resp = post(client, auth, "/services/notes/dates/ajouter",
                {"mef_id": mef.id, "division_id": div.id, "date": "2012-12-12"},
                page="/services/notes/dates/", follow_redirects=True)
    assert "Date du 12/12/2012 ajoutée" in text(resp)
    # Bulk: one date on both pairs (the first already has it: left as is).
    resp = post(client, auth, "/services/notes/dates/action/",
                {"action": "definir_date", "rowid": [f"{mef.id},{div.id}", f"{mef.id},{div2.id}"],
                 "date_action": "2013-03-15"}, page="/services/notes/dates/",
                follow_redirects=True)
    assert "Date ajoutée à 2 ligne(s)" in text(resp)
    by_pair = notes.echeances_by_pair(etab.id)
    assert by_pair[(mef.id, div.id)] == [D(2012, 12, 12), D(2013, 3, 15)]
    assert by_pair[(mef.id, div2.id)] == [D(2013, 3, 15)]
    # Bad date in the bulk action: French message, nothing added.
    resp = post(client, auth, "/services/notes/dates/action/",
                {"action": "definir_date", "rowid": [f"{mef.id},{div2.id}"], "date_action": "x"},
                page="/services/notes/dates/", follow_redirects=True)
    assert "Date de publication invalide" in text(resp)
    assert notes.echeances_by_pair(etab.id)[(mef.id, div2.id)] == [D(2013, 3, 15)]
    # Filter by division.
    html = text(client.get(f"/services/notes/dates/?flt0_1={div2.id}"))
    # the rows of the table (the filter's select lists every division)
    rows = html[html.find("<tbody>"):]
    assert "1STMG 2" in rows and ">1STMG 1<" not in rows
    # « − »
    row = db.session.scalar(db.select(DatePublication).where(
        DatePublication.division_id == div2.id))
    resp = post(client, auth, "/services/notes/dates/supprimer",
                {"date_id": row.id, "confirme": "1"}, page="/services/notes/dates/",
                follow_redirects=True)
    assert "Date de publication supprimée" in text(resp)
    assert (mef.id, div2.id) not in notes.echeances_by_pair(etab.id)


def test_r_srv_4_configuration_only_while_notes_open_and_kept_when_closed(client, auth, classe):
    etab, mef, div, _ = classe
    notes.set_mode(etab.id, notes.ECHEANCE, today=TODAY)
    notes.add_date(etab.id, mef.id, div.id, "2012-12-12")
    db.session.commit()
    auth.login("chef.0999001a")
    assert client.get("/services/notes/").status_code == 200
    assert "Configuration Notes" in text(client.get("/services/ouverture/"))
    notes_id = db.session.scalar(db.select(Teleservice.id).where(Teleservice.code == "notes"))
    post(client, auth, "/services/ouverture/", {"teleservice_id": notes_id, "ouvert": "0",
                                                   "confirme": "1"})
    db.session.expire_all()
    assert not opening.is_open(etab, "notes")
    resp = client.get("/services/notes/", follow_redirects=True)
    assert "n'est accessible que si le téléservice Notes est ouvert" in text(resp)
    assert client.get("/services/notes/dates/").status_code == 302
    resp = post(client, auth, "/services/notes/", {"mode": notes.FIL_DE_L_EAU}, page="/")
    assert resp.status_code == 302
    # Closing kept the configuration; crafted POST while closed changed nothing.
    assert versions.get_latest(etab.id, notes.MODE_KEY) == notes.ECHEANCE
    assert notes.echeances_by_pair(etab.id)[(mef.id, div.id)] == [D(2012, 12, 12)]


def test_r_srv_4_mode_screen_shows_notice_and_value_in_force(client, auth, classe):
    auth.login("chef.0999001a")
    resp = post(client, auth, "/services/notes/", {"mode": notes.ECHEANCE}, follow_redirects=True)
    html = text(resp)
    tomorrow = clock.today() + dt.timedelta(days=1)
    assert f"visible par les familles à partir du {tomorrow:%d/%m/%Y}" in html
    assert "Publication au fil de l'eau" in html.split('id="mode-en-vigueur">')[1][:80]
    resp = post(client, auth, "/services/notes/", {"mode": "autre"}, follow_redirects=True)
    assert "Mode de publication inconnu" in text(resp)


def test_r_srv_4_delegue_without_services_right_refused(client, auth, classe):
    etab, mef, div, _ = classe
    factories.make_user("deleg.param", "delegue", etablissement=etab, droits=["parametrage"])
    db.session.commit()
    auth.login("deleg.param")
    assert client.get("/services/notes/").status_code == 403
    resp = post(client, auth, "/services/notes/dates/ajouter",
                {"mef_id": mef.id, "division_id": div.id, "date": "2012-12-12"}, page="/login")
    assert resp.status_code == 403
    assert notes.echeances_by_pair(etab.id) == {}
    resp = client.post("/services/notes/dates/ajouter",
                       data={"mef_id": mef.id, "division_id": div.id, "date": "2012-12-12"})
    assert resp.status_code in (400, 403)
