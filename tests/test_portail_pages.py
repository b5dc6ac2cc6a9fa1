"""What families see on the portal (R-POR-2): the home page from the settings in force today
(R-PAR-1: welcome message and ENT at once, useful links and contact the next day), the open
services only (R-SRV-2), the ENT link per letter type (R-PAR-3), the contact page (R-PAR-5),
the Notes page per R-SRV-4, a guardian's children (R-SEC-1) and the visits (R-STA-3)."""

from __future__ import annotations

import datetime as dt

import pytest

from admints.models import AccesTeleservice, LienUtile, Teleservice
from admints.parametrage import portal_links, versions, welcome
from admints.portail import identity, pages, visits
from admints.teleservices import notes, opening

from .portail_family import evaluation, household, signed_in
from .portail_helpers import NOW, TODAY, body
from .simulation_helpers import ELEVES, Staff

TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _school_year(set_clock):
    set_clock(NOW)


@pytest.fixture
def family(db, etab, other_etab):
    return household(etab, other_etab)


def _at(set_clock, day: dt.date, client, login: str):
    """The product's clock on `day`, and a new login (the old session timed out meanwhile)."""
    set_clock(NOW + dt.timedelta(days=(day - TODAY).days))
    signed_in(client, login)


def test_r_por_2_r_par_1_home_shows_the_settings_in_force_today_not_tomorrows(
        db, client, etab, family, set_clock):
    welcome.save(etab.id, "<p>Portes <b>ouvertes</b> samedi</p>", today=TODAY)
    db.session.add(LienUtile(
        etablissement_id=etab.id, libelle="Menus de la cantine", url="https://cantine.example.fr/",
        position=1))
    portal_links.publish_liens(etab.id, today=TODAY)
    db.session.commit()
    signed_in(client, "lea.martin")
    html = body(client.get("/scolarite/"))
    assert "Portes <b>ouvertes</b> samedi" in html  # R-PAR-2: at once
    assert "Menus de la cantine" not in html  # R-PAR-6 through R-PAR-1: from tomorrow
    assert "L'établissement ne propose pas de lien utile" in html
    _at(set_clock, TOMORROW, client, "lea.martin")
    html = body(client.get("/scolarite/"))
    assert 'href="https://cantine.example.fr/"' in html and "Menus de la cantine" in html


def test_r_par_2_welcome_message_reaches_the_page_sanitised_only(db, client, etab, family):
    versions.set_value(etab.id, welcome.KEY, welcome.check(
        '<p>Bonjour <a href="https://ent.example.fr">ENT</a></p>'), TODAY)
    db.session.commit()
    signed_in(client, "lea.martin")
    html = body(client.get("/scolarite/"))
    assert 'href="https://ent.example.fr"' in html and "<script" not in html.split("<main")[1] \
        .split("</main>")[0]


def test_r_srv_2_only_open_services_are_links_and_a_closed_one_is_404(db, client, etab, family):
    vie = db.session.scalar(db.select(Teleservice).where(Teleservice.code == "vie_scolaire"))
    opening.set_open(etab, vie.id, False, today=TODAY)
    db.session.commit()
    signed_in(client, "lea.martin")
    html = body(client.get("/scolarite/"))
    shown = {s.code for s in pages.open_services(etab)}
    assert "vie_scolaire" not in shown and {"notes", "bourses"} <= shown
    assert "Vie scolaire" not in html and 'href="/scolarite/notes"' in html
    assert "Paiement en ligne" not in html  # closed by default (R-SRV-2)
    assert 'href="/scolarite/services/bourses"' in html
    response = client.get("/scolarite/services/vie_scolaire")
    assert response.status_code == 404 and "n'est pas ouvert" in body(response)
    assert db.session.scalar(db.select(db.func.count(AccesTeleservice.id))) == 0


def test_r_srv_2_no_service_before_the_activation(db, etab, family):
    etab.active_le = None
    assert pages.open_services(etab) == []


@pytest.mark.parametrize("kind, shown", [("teleservices", False), ("mixte", True),
                                         ("ent", True)])
def test_r_par_3_ent_link_per_letter_type_at_once(db, client, etab, family, kind, shown):
    portal_links.save_ent(etab, kind, url=None if kind == "teleservices" else
                          "https://ent.college.example.fr/", today=TODAY)
    db.session.commit()
    signed_in(client, "marie.martin")
    html = body(client.get("/scolarite/"))
    assert ('href="https://ent.college.example.fr/"' in html) is shown
    assert ("Espace numérique de travail" in html) is shown


def test_r_par_3_a_hand_made_ent_value_never_gives_a_dangerous_link():
    assert pages.ent_link({"type": "mixte", "url": "javascript:alert(1)"}) is None
    assert pages.ent_link({"type": "mixte", "url": "https://e.fr/", "nom": "ENT 59"}) == \
        pages.EntLink("ENT 59", "https://e.fr/")


def test_r_par_5_contact_page_active_from_tomorrow_then_inactive(db, client, etab, family,
                                                                 set_clock):
    signed_in(client, "lea.martin")
    html = body(client.get("/scolarite/contact"))
    assert "5 bis boulevard Louis XIV" in html and "03 20 00 00 00" in html
    assert "ne propose pas de contact par messagerie" in html  # never set: no email
    portal_links.save_contact(etab, "ce.0999001a@ac-demo.fr", True, today=TODAY)
    db.session.commit()
    assert "mailto:" not in body(client.get("/scolarite/contact"))  # next day (R-PAR-1)
    _at(set_clock, TOMORROW, client, "lea.martin")
    html = body(client.get("/scolarite/contact"))
    assert 'href="mailto:ce.0999001a@ac-demo.fr"' in html
    portal_links.save_contact(etab, "ce.0999001a@ac-demo.fr", False, today=TOMORROW)
    db.session.commit()
    _at(set_clock, TOMORROW + dt.timedelta(days=1), client, "lea.martin")
    html = body(client.get("/scolarite/contact"))
    assert "mailto:" not in html and "ne propose pas de contact par messagerie" in html


def test_r_srv_4_notes_au_fil_de_l_eau_from_the_day_after_entry(db, client, family):
    evaluation(family.lea, "Mathématiques", TODAY - dt.timedelta(days=1))
    evaluation(family.lea, "Français", TODAY)  # entered today: tomorrow
    evaluation(family.tom, "Anglais LV1", TODAY - dt.timedelta(days=3))  # another division
    signed_in(client, "lea.martin")
    response = client.get("/scolarite/notes")
    html = body(response)
    assert response.status_code == 200
    assert "Mathématiques" in html and "Français" not in html and "Anglais" not in html
    assert "sur 20" in html and f"{TODAY - dt.timedelta(days=2):%d/%m/%Y}" in html


def test_r_srv_4_notes_a_echeance_teacher_date_before_the_due_date(db, client, etab, family):
    notes.set_mode(etab.id, notes.ECHEANCE, today=TODAY - dt.timedelta(days=10))
    lea = family.lea
    notes.add_date(etab.id, lea.mef_id, lea.division_id, TODAY - dt.timedelta(days=2))
    notes.add_date(etab.id, lea.mef_id, lea.division_id, TODAY + dt.timedelta(days=5))
    evaluation(lea, "Mathématiques", TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=8))
    evaluation(lea, "Histoire-géographie", TODAY - dt.timedelta(days=3),
               TODAY - dt.timedelta(days=1))  # teacher date after the due date that passed
    evaluation(lea, "Physique-chimie", TODAY - dt.timedelta(days=9))  # no teacher date
    signed_in(client, "lea.martin")
    html = body(client.get("/scolarite/notes"))
    assert "Mathématiques" in html and "Physique-chimie" in html
    assert "Histoire-géographie" not in html


def test_r_srv_4_notes_page_404_with_a_clear_message_when_the_service_is_closed(
        db, client, etab, family):
    service = db.session.scalar(db.select(Teleservice).where(Teleservice.code == "notes"))
    opening.set_open(etab, service.id, False, today=TODAY)
    db.session.commit()
    signed_in(client, "lea.martin")
    assert 'href="/scolarite/notes"' not in body(client.get("/scolarite/"))
    response = client.get("/scolarite/notes")
    assert response.status_code == 404
    assert "Le service « Notes » n'est pas ouvert par l'établissement." in body(response)


def test_r_por_2_guardian_switches_between_children_and_a_foreign_child_is_404(
        db, client, family):
    evaluation(family.lea, "Mathématiques", TODAY - dt.timedelta(days=2))
    evaluation(family.tom, "Anglais LV1", TODAY - dt.timedelta(days=2))
    signed_in(client, "marie.martin")
    home = body(client.get("/scolarite/"))
    assert "Vos enfants" in home and "Léa MARTIN" in home and "Tom MARTIN" in home
    first = body(client.get("/scolarite/notes"))  # the first child by name
    assert "Évaluations de Léa MARTIN" in first and "Mathématiques" in first
    assert f'href="/scolarite/notes?eleve={family.tom.id}"' in first
    html = body(client.get(f"/scolarite/notes?eleve={family.tom.id}"))
    assert "Évaluations de Tom MARTIN" in html and "Anglais LV1" in html
    assert "Mathématiques" not in html
    response = client.get(f"/scolarite/notes?eleve={family.foreign.id}")
    assert response.status_code == 404 and "n'est pas rattaché à votre compte" in body(response)
    # A pupil sees only himself, even his brother of the same guardian.
    client.post("/scolarite/deconnexion", data={"csrf_token": _token(client)})
    signed_in(client, "lea.martin")
    assert client.get(f"/scolarite/notes?eleve={family.tom.id}").status_code == 404
    assert client.get(f"/scolarite/services/bourses?eleve={family.tom.id}").status_code == 404


def _token(client) -> str:
    from .portail_helpers import Family
    return Family(client).csrf("/scolarite/")


def test_r_sta_3_each_service_page_records_one_visit_with_the_pupils_mef(db, client, etab,
                                                                        family):
    signed_in(client, "marie.martin")
    client.get("/scolarite/")
    client.get("/scolarite/contact")  # not a service: no visit
    client.get(f"/scolarite/notes?eleve={family.tom.id}")
    client.get("/scolarite/services/bourses")
    rows = db.session.scalars(db.select(AccesTeleservice).order_by(AccesTeleservice.id)).all()
    assert [(r.teleservice.code, r.mef_id, r.compte_id, r.etablissement_id) for r in rows] == [
        ("notes", family.tom.mef_id, family.lien.compte_id, etab.id),
        ("bourses", family.lea.mef_id, family.lien.compte_id, etab.id)]


def test_r_por_4_a_read_only_viewer_records_no_visit(db, etab, family):
    compte = family.lea.compte
    viewer = identity.viewer_for(compte, simulated_by="assistance.0999001a")
    service = db.session.scalar(db.select(Teleservice).where(Teleservice.code == "notes"))
    assert viewer.read_only
    assert visits.record_visit(viewer, service, family.lea) is False
    assert visits.record_visit(identity.viewer_for(compte), service, family.lea) is True
    assert db.session.scalar(db.select(db.func.count(AccesTeleservice.id))) == 1


def test_r_por_2_pages_need_a_family_session(client, family):
    for path in ("/scolarite/", "/scolarite/contact", "/scolarite/notes",
                 "/scolarite/services/bourses"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/scolarite/connexion"), path


def test_r_por_4_a_simulation_session_sees_notes_and_counts_no_visit(db, client, auth, family):
    """The helpdesk's simulation (R-POR-4) of Léa's account: the Notes page and another service
    page are shown as the family sees them, and no visit is counted."""
    evaluation(family.lea, "Mathématiques", TODAY - dt.timedelta(days=2))
    staff = Staff(client, auth, "assistance.0999001a")
    assert staff.simulate(ELEVES, family.lea.id).status_code == 302
    response = client.get("/scolarite/notes")
    assert response.status_code == 200 and "Mathématiques" in body(response)
    assert "Accès en consultation seule" in body(response)
    assert client.get("/scolarite/services/bourses").status_code == 200
    assert db.session.scalar(db.select(db.func.count(AccesTeleservice.id))) == 0


def test_r_par_2_a_raw_stored_message_is_sanitised_on_the_way_out(db, etab, family):
    versions.set_value(etab.id, welcome.KEY, '<p onclick="x()">Salut<script>alert(1)</script>'
                       '<a href="javascript:alert(2)">lien</a></p>', TODAY)
    html = pages.home(etab, TODAY).message_html
    assert "Salut" in html and "script" not in html and "onclick" not in html
    assert "javascript" not in html
