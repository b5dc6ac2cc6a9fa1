"""Gestion des services: activation (R-SRV-1), opening/closing (R-SRV-2/3), académie decisions,
access by role, CSRF (R-SEC-2) and audit (R-SEC-3)."""

from __future__ import annotations

import datetime as dt

import pytest

from admints.errors import DomainError
from admints.extensions import db
from admints.models import AuditEntry, Teleservice, TeleserviceEtablissement
from admints.teleservices import catalogue, opening

from . import factories
from .settings_helpers import csrf, post, relogin, text

TODAY = dt.date(2026, 11, 28)


def _state(etab, code):
    return {s.service.code: s for s in opening.service_states(etab)}[code]


def _service(code):
    return db.session.scalar(db.select(Teleservice).where(Teleservice.code == code))


def _row(etab, code):
    return db.session.scalar(db.select(TeleserviceEtablissement).where(
        TeleserviceEtablissement.etablissement_id == etab.id,
        TeleserviceEtablissement.teleservice_id == _service(code).id))


def _audits(action):
    return db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.fixture
def fresh(db):
    """A collège that has not activated its services yet."""
    etab = factories.make_etablissement(uai="0999003C", nom="Collège Neuf")
    etab.active_le = None
    db.session.commit()
    return etab


@pytest.fixture
def ready(etab):
    catalogue.ensure_etablissement_services(etab)
    db.session.commit()
    return etab


def test_r_srv_1_home_shows_only_activation_until_activated(client, auth, fresh):
    auth.login("chef.0999003c")
    html = text(client.get("/"))
    assert "Activation des téléservices" in html
    assert "Activer les téléservices" in html
    token = csrf(auth, "/")
    resp = client.post("/activer", data={"csrf_token": token})
    assert resp.status_code == 302
    db.session.expire_all()
    assert opening.is_activated(db.session.get(type(fresh), fresh.id))
    home = text(client.get("/"))
    assert "Activation des téléservices" not in home
    # Guide §2.1 NB: the home page shows the services' state, read-only (no toggle).
    assert 'id="accueil-services"' in home and "Vie scolaire" in home
    assert "teleservice_id" not in home
    assert len(_audits("services.activation")) == 1
    # Once only: a second activation is refused, nothing recorded twice.
    resp = client.post("/activer", data={"csrf_token": token}, follow_redirects=True)
    assert "déjà activés" in text(resp)
    assert len(_audits("services.activation")) == 1


def test_r_srv_1_activation_opens_default_services(fresh):
    opening.activate(fresh, today=TODAY)
    assert _state(fresh, "vie_scolaire").ouvert
    assert not _state(fresh, "paiement").ouvert  # closed by default (guide §8.1)
    with pytest.raises(DomainError, match="déjà activés"):
        opening.activate(fresh, today=TODAY)


def test_r_srv_1_activation_without_csrf_refused(client, auth, fresh):
    auth.login("chef.0999003c")
    resp = client.post("/activer", data={})
    assert resp.status_code == 400
    assert "jeton CSRF" in text(resp)
    db.session.expire_all()
    assert db.session.get(type(fresh), fresh.id).active_le is None


def test_r_srv_1_delegue_cannot_activate(client, auth, fresh):
    factories.make_user("deleg.neuf", "delegue", etablissement=fresh, droits=["services"])
    db.session.commit()
    auth.login("deleg.neuf")
    html = text(client.get("/"))
    assert "Seul le chef d'établissement peut activer" in html
    assert client.post("/activer", data={"csrf_token": csrf(auth, "/")}).status_code == 403
    db.session.expire_all()
    assert db.session.get(type(fresh), fresh.id).active_le is None


def test_r_srv_2_toggle_service_by_screen(client, auth, ready):
    auth.login("chef.0999001a")
    html = text(client.get("/services/ouverture/"))
    assert "Vie scolaire" in html and "Paiement en ligne des factures" in html
    sid = _service("vie_scolaire").id
    token = csrf(auth, "/services/ouverture/")
    resp = client.post("/services/ouverture/", data={"csrf_token": token, "teleservice_id": sid,
                                                      "ouvert": "0", "confirme": "1"},
                       follow_redirects=True)
    assert "est fermé" in text(resp)
    db.session.expire_all()
    assert _row(ready, "vie_scolaire").ouvert is False
    entry = _audits("services.fermeture")[-1]
    assert (entry.before, entry.after) == ("ouvert", "fermé")
    client.post("/services/ouverture/", data={"csrf_token": token, "teleservice_id": sid,
                                               "ouvert": "1"})
    db.session.expire_all()
    assert _row(ready, "vie_scolaire").ouvert is True


def test_r_srv_2_mandatory_lsl_for_lycee_disabled_and_crafted_post_refused(client, auth, db):
    lycee = factories.make_etablissement(uai="0999004D", nom="Lycée Test", type="lycee")
    catalogue.ensure_etablissement_services(lycee)
    db.session.commit()
    state = _state(lycee, "lsl")
    assert state.obligatoire and state.ouvert and not state.modifiable
    auth.login("chef.0999004d")
    html = text(client.get("/services/ouverture/"))
    row = html[html.index('data-service="lsl"'):]
    row = row[:row.index("</tr>")]
    # Issue 12 pt 11: no pale disabled buttons; the state and « Toujours ouvert », no button.
    assert "(Obligatoire)" in row and "Toujours ouvert" in row and "<button" not in row
    token = csrf(auth, "/services/ouverture/")
    resp = client.post("/services/ouverture/", data={
        "csrf_token": token, "teleservice_id": _service("lsl").id, "ouvert": "0"},
        follow_redirects=True)
    assert "est obligatoire : il reste toujours ouvert" in text(resp)
    db.session.expire_all()
    assert _row(lycee, "lsl").ouvert is True
    assert not _audits("services.fermeture")


def test_r_srv_2_lsl_not_mandatory_for_college(ready):
    assert not _state(ready, "lsl").obligatoire


def test_r_srv_3_notes_needs_module_even_by_crafted_post(client, auth, ready):
    ready.module_notes_initialise = False
    opening.set_open(ready, _service("notes").id, False, today=TODAY)
    db.session.commit()
    auth.login("chef.0999001a")
    html = text(client.get("/services/ouverture/"))
    assert "il vous faut préalablement initialiser le module Notes" in html
    resp = client.post("/services/ouverture/", data={
        "csrf_token": csrf(auth, "/services/ouverture/"),
        "teleservice_id": _service("notes").id, "ouvert": "1"}, follow_redirects=True)
    assert "ne peut pas être ouvert" in text(resp)
    db.session.expire_all()
    assert _row(ready, "notes").ouvert is False


def test_r_srv_2_unknown_or_other_academie_service_refused(ready, db):
    other = factories.make_academie("autre", "Autre")
    foreign = Teleservice(code="aca_autre_x", libelle="Service d'ailleurs", categorie="X",
                          academie_id=other.id)
    db.session.add(foreign)
    db.session.flush()
    for bad in ("abc", "999999", foreign.id):
        with pytest.raises(DomainError, match="Téléservice inconnu"):
            opening.set_open(ready, bad, True, today=TODAY)


def test_r_srv_2_toggle_without_csrf_refused(client, auth, ready):
    auth.login("chef.0999001a")
    resp = client.post("/services/ouverture/", data={
        "teleservice_id": _service("vie_scolaire").id, "ouvert": "0"})
    assert resp.status_code == 400
    db.session.expire_all()
    assert _row(ready, "vie_scolaire").ouvert is True


def test_r_srv_2_delegue_needs_services_right(client, auth, ready):
    factories.make_user("deleg.sans", "delegue", etablissement=ready, droits=["parametrage"])
    factories.make_user("deleg.avec", "delegue", etablissement=ready, droits=["services"])
    db.session.commit()
    auth.login("deleg.sans")
    sid = _service("vie_scolaire").id
    assert client.get("/services/ouverture/").status_code == 403
    resp = client.post("/services/ouverture/", data={
        "csrf_token": csrf(auth, "/"), "teleservice_id": sid, "ouvert": "0"})
    assert resp.status_code == 403
    db.session.expire_all()
    assert _row(ready, "vie_scolaire").ouvert is True
    relogin(client, auth, "deleg.avec")
    assert client.get("/services/ouverture/").status_code == 200


def test_r_srv_2_other_roles_refused(client, auth, ready):
    factories.make_user("compta.a", "comptable", etablissement=ready)
    db.session.commit()
    for login in ("assistance.0999001a", "compta.a"):
        relogin(client, auth, login)
        assert client.get("/services/ouverture/").status_code == 403


def test_r_srv_2_academie_mandatory_and_academic_services(ready, db):
    academie = ready.academie
    service = Teleservice(code=opening.academic_code(academie, "Service académique 1"),
                          libelle="Service académique 1", categorie="Académie",
                          academie_id=academie.id, ouvert_par_defaut=False, position=50)
    db.session.add(service)
    db.session.flush()
    opening.open_academic_service_rows(service)
    assert _state(ready, service.code).academique
    assert not _state(ready, service.code).ouvert
    opening.set_open(ready, _service("vie_scolaire").id, False, today=TODAY)
    opening.set_academie_mandatory(academie, ["vie_scolaire", service.code], today=TODAY)
    db.session.flush()
    assert _state(ready, "vie_scolaire").obligatoire and _row(ready, "vie_scolaire").ouvert
    assert _state(ready, service.code).obligatoire and _state(ready, service.code).ouvert
    with pytest.raises(DomainError, match="obligatoire"):
        opening.set_open(ready, _service("vie_scolaire").id, False, today=TODAY)
    with pytest.raises(DomainError, match="inconnu"):
        opening.set_academie_mandatory(academie, ["pas_un_service"], today=TODAY)
    assert _audits("academie.services_obligatoires")


def test_r_srv_2_academie_screens_services_mandatory_and_ent_list(client, auth, ready, db):
    """The académie administrator manages the academic services, which services are mandatory
    in the académie, and the ENT list; a head cannot."""
    from admints.models import EntAcademique

    factories.make_user("academie.demo", "academie", academie=ready.academie)
    db.session.commit()
    auth.login("chef.0999001a")
    assert client.get("/academie/services/").status_code == 403
    assert client.get("/academie/obligatoires/").status_code == 403
    relogin(client, auth, "academie.demo")
    resp = post(client, auth, "/academie/services/new/",
                {"libelle": "Service académique 1", "categorie": "Académie", "position": "50"},
                page="/academie/services/new/")
    assert resp.status_code == 302
    service = db.session.scalar(db.select(Teleservice).where(
        Teleservice.libelle == "Service académique 1"))
    assert service.academie_id == ready.academie_id and service.code.startswith("aca_demo_")
    assert _row(ready, service.code) is not None
    resp = post(client, auth, "/academie/services/new/",
                {"libelle": "<script>x</script>", "categorie": "A"},
                page="/academie/services/new/")
    assert "ni balise HTML ni script" in text(resp)
    resp = post(client, auth, "/academie/obligatoires/", {"codes": ["bourses", service.code]},
                follow_redirects=True)
    assert "Services obligatoires de l'académie enregistrés" in text(resp)
    db.session.expire_all()
    assert _state(ready, "bourses").obligatoire and _state(ready, service.code).ouvert
    resp = post(client, auth, "/academie/obligatoires/", {"codes": ["inexistant"]},
                follow_redirects=True)
    assert "Téléservice inconnu dans l'académie" in text(resp)
    db.session.expire_all()
    assert _state(ready, "bourses").obligatoire
    resp = post(client, auth, "/academie/ent/new/", {"nom": "ENT", "url": "javascript:x"},
                page="/academie/ent/new/")
    assert "doit commencer par http:// ou https://" in text(resp)
    resp = post(client, auth, "/academie/ent/new/", {"nom": "ENT HDF", "url": "https://enthdf.fr"},
                page="/academie/ent/new/")
    assert resp.status_code == 302
    assert db.session.scalar(db.select(EntAcademique.academie_id)) == ready.academie_id


def test_r_srv_1_activation_cli(runner, fresh):
    result = runner.invoke(args=["admints", "activer", "--uai", "0999003c", "--json"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert opening.is_activated(db.session.get(type(fresh), fresh.id))
    result = runner.invoke(args=["admints", "activer", "--uai", "0999003C"])
    assert result.exit_code == 1 and "déjà activés" in result.output
    result = runner.invoke(args=["admints", "activer", "--uai", "0000000X"])
    assert result.exit_code == 1 and "Établissement inconnu" in result.output


def _is_open_agrees(etab, *, offered=True):
    states = opening.service_states(etab)
    assert bool(states) == offered
    for state in states:
        assert opening.is_open(etab, state.service.code) == state.ouvert, state.service.code
    return {s.service.code: s.ouvert for s in states}


def test_r_srv_2_is_open_reads_one_service_as_service_states_does(fresh, db):
    """The menu's narrow `is_open` (one query) says what `service_states` says, whatever the
    rows: none yet, defaults, closed by the school, mandatory by the académie; an unknown or
    hostile code is closed."""
    _is_open_agrees(fresh, offered=False)  # nothing offered before the catalogue rows
    catalogue.ensure_etablissement_services(fresh)
    db.session.flush()
    before = _is_open_agrees(fresh)
    opening.activate(fresh, today=TODAY)
    opening.set_open(fresh, _service("vie_scolaire").id, False, today=TODAY)
    db.session.flush()
    after = _is_open_agrees(fresh)
    assert before["vie_scolaire"] and not after["vie_scolaire"]
    opening.set_academie_mandatory(fresh.academie, ["vie_scolaire"], today=TODAY)
    db.session.flush()
    assert _is_open_agrees(fresh)["vie_scolaire"]
    for code in ("pas_un_service", "", "notes' OR 1=1 --", "x" * 5000):
        assert opening.is_open(fresh, code) is False
