"""The portal under a simulation (R-POR-4, R-SEC-4): every page shows « Accès en consultation
seule » and « Terminer la simulation »; every POST of the portal and the activation link are
refused with 403 even when made by hand, and change nothing; no visit is counted; the
simulation ends with the staff member's session (logout, password change, deactivation, lost
right) and after PORTAIL_SIMULATION_MAX_AGE; the end button goes back to « Gérer le compte »."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from admints.academie.users import end_sessions
from admints.clock import PARIS
from admints.comptes.portal import activation_token
from admints.config import apply_environment
from admints.extensions import db as _db
from admints.models import AccesTeleservice, Compte, EtatCompte, StaffUser
from admints.sessions import PORTAL_COOKIE

from . import factories
from .db_snapshot import db_snapshot
from .portail_helpers import NEW_PASSWORD, body, location
from .simulation_helpers import (
    RESPONSABLES,
    Staff,
    audit_actions,
    gerer_url,
    used_guardian,
    used_pupil,
)

NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=PARIS)
BANNER = "Accès en consultation seule"


@pytest.fixture
def simulating(client, auth, db, etab):
    """The head simulates the guardian « marie.martin » (state *Utilisé*)."""
    eleve = used_pupil(etab)
    lien = used_guardian(etab, eleve)
    staff = Staff(client, auth, "chef.0999001a")
    assert location(staff.simulate(RESPONSABLES, lien.id)) == "/scolarite/"
    staff.lien = lien
    return staff


def _motifs() -> list[str]:
    return [re.search(r'"motif": "(\w+)"', e.after).group(1)
            for e in audit_actions("portail.simulation.fin")]


def _ended(client, motif: str, lien) -> None:
    """The next portal page says the simulation is over and leads back to the back-office;
    the portal session is gone; the end is journaled with its reason."""
    page = client.get("/scolarite/")
    assert page.status_code == 200 and "Simulation terminée" in body(page)
    assert f'href="{gerer_url(RESPONSABLES, lien.id)}"' in body(page)
    assert BANNER not in body(page)
    assert location(client.get("/scolarite/")) == "/scolarite/connexion"
    assert _motifs() == [motif]


def test_r_por_4_banner_on_every_page_and_no_family_logout(client, simulating):
    """R-POR-4: the banner with « Terminer la simulation » on the portal's pages; the family's
    « Se déconnecter » is not offered; form buttons are disabled."""
    for path in ("/scolarite/", "/scolarite/oubli/"):
        page = body(client.get(path))
        assert BANNER in page and "Terminer la simulation" in page, path
        assert 'data-testid="bandeau-simulation"' in page
        assert "Se déconnecter" not in page
    oubli = body(client.get("/scolarite/oubli/"))
    assert re.search(r'<button class="fr-btn" type="submit" disabled aria-disabled="true">'
                     r'Envoyer</button>', oubli)
    assert "marie.martin" in body(client.get("/scolarite/"))  # the family's own home page


def _post_endpoints(app) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("scolarite.") and "POST" in rule.methods and \
                rule.endpoint != "scolarite.fin_simulation":
            paths.append(rule.rule.replace("<token>", "x"))
    return sorted(paths)


def test_r_por_4_hand_made_posts_to_every_portal_endpoint_are_403(app, client, db, simulating):
    """R-POR-4/R-SEC-2: every POST endpoint of the portal (listed from the URL map, so a form
    added later is covered), posted by hand with a valid CSRF token and plausible data, is
    refused with a French 403 page; nothing changes (db_snapshot); the simulation goes on."""
    paths = _post_endpoints(app)
    assert {"/scolarite/connexion", "/scolarite/deconnexion", "/scolarite/oubli/",
            "/scolarite/premiere-connexion", "/scolarite/nouveau-mot-de-passe",
            "/scolarite/attente", "/scolarite/activation/nouveau-lien"} <= set(paths)
    data = {"login": "marie.martin", "password": NEW_PASSWORD, "courriel": "a@example.org",
            "demande": "mot_de_passe", "date_naissance": "05/09/2013",
            "nouveau_mot_de_passe": "Autre-Mot-De-Passe-99", "confirmation":
            "Autre-Mot-De-Passe-99", "token": "x"}
    token = simulating.portal_token()
    before = db_snapshot(db)
    for path in paths:
        response = client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, path
        assert BANNER in body(response) and "Aucune modification" in body(response), path
    assert db_snapshot(db) == before
    assert BANNER in body(client.get("/scolarite/"))  # still simulating


def test_r_por_4_activation_link_refused_under_simulation(app, client, db, etab, simulating):
    """R-POR-4: the activation link (a GET that changes state) is refused with 403; the account
    waiting for it stays *En cours d'activation*."""
    eleve = factories.make_eleve(etab, prenom="Paul")
    resp = factories.make_responsable(etab, "DURAND", "Ana", email="ana@example.org")
    lien = factories.link(eleve, resp, 1, etat=EtatCompte.EN_COURS_ACTIVATION,
                          identifiant="ana.durand", email="ana@example.org",
                          mot_de_passe_hash="x")
    db.session.commit()
    token = activation_token(lien.compte)
    before = db_snapshot(db)
    response = client.get(f"/scolarite/activation/{token}")
    assert response.status_code == 403 and BANNER in body(response)
    assert db_snapshot(db) == before
    _db.session.expire_all()
    assert _db.session.get(Compte, lien.compte_id).etat == EtatCompte.EN_COURS_ACTIVATION


def test_r_por_4_no_visit_counted(client, db, simulating):
    """R-POR-2/R-POR-4: browsing the portal under simulation adds no AccesTeleservice row."""
    count = db.session.scalar(db.select(db.func.count(AccesTeleservice.id)))
    before = db_snapshot(db)
    for path in ("/scolarite/", "/scolarite/", "/scolarite/oubli/", "/scolarite/connexion"):
        assert client.get(path).status_code in (200, 302)
    assert db.session.scalar(db.select(db.func.count(AccesTeleservice.id))) == count
    assert db_snapshot(db) == before


def test_r_por_4_end_button_returns_to_gerer_le_compte(client, db, simulating):
    """R-POR-4: « Terminer la simulation » ends it in one click, back on « Gérer le compte »
    with the staff session valid; the portal cookie no longer opens anything."""
    response = simulating.end()
    assert response.status_code == 302
    assert location(response) == gerer_url(RESPONSABLES, simulating.lien.id)
    assert client.get(location(response)).status_code == 200
    assert location(client.get("/scolarite/")) == "/scolarite/connexion"
    assert _motifs() == ["terminee"]


def test_r_por_4_end_without_csrf_is_refused(client, db, simulating):
    """R-SEC-2: the end button is a POST with its CSRF token; without it, 400, still on."""
    assert client.post("/scolarite/simulation/fin").status_code == 400
    assert BANNER in body(client.get("/scolarite/"))


def test_r_sec_4_staff_logout_ends_the_simulation(client, auth, db, simulating):
    """R-SEC-4: the staff member's logout ends the simulation on the next portal request."""
    assert location(auth.logout()) == "/login"
    _ended(client, "agent", simulating.lien)


def test_r_sec_4_staff_password_change_or_deactivation_ends_it(client, db, simulating):
    """R-SEC-4: whatever moves the staff member's session version (password change,
    deactivation: users.end_sessions) ends the simulation too."""
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "chef.0999001a"))
    user.actif = False
    end_sessions(user)
    db.session.commit()
    _ended(client, "agent", simulating.lien)


def test_r_por_4_lost_right_ends_it(client, auth, db, etab):
    """R-POR-4: a délégué whose menu is taken away stops simulating at the next request."""
    eleve = used_pupil(etab)
    lien = used_guardian(etab, eleve)
    user = factories.make_user("delegue.r", "delegue", etablissement=etab,
                               droits=["responsables"])
    db.session.commit()
    staff = Staff(client, auth, "delegue.r")
    staff.simulate(RESPONSABLES, lien.id)
    assert BANNER in body(client.get("/scolarite/"))
    user.droits = ["eleves"]
    db.session.commit()
    _ended(client, "droits", lien)


def test_r_por_4_simulation_expires(client, auth, db, etab, app, set_clock):
    """R-POR-4: the simulation ends by itself after PORTAIL_SIMULATION_MAX_AGE seconds."""
    set_clock(NOW)
    eleve = used_pupil(etab)
    lien = used_guardian(etab, eleve)
    staff = Staff(client, auth, "chef.0999001a")
    staff.simulate(RESPONSABLES, lien.id)
    max_age = app.config["PORTAIL_SIMULATION_MAX_AGE"]
    set_clock(NOW + dt.timedelta(seconds=max_age))
    assert BANNER in body(client.get("/scolarite/"))
    set_clock(NOW + dt.timedelta(seconds=max_age + 1))
    _ended(client, "expiree", lien)
    assert client.get("/").status_code == 200  # the staff session itself goes on


def test_r_por_4_max_age_is_configurable_by_environment(monkeypatch):
    """R-POR-4: PORTAIL_SIMULATION_MAX_AGE is overridden by the environment like every key."""
    monkeypatch.setenv("PORTAIL_SIMULATION_MAX_AGE", "90")
    config = {"PORTAIL_SIMULATION_MAX_AGE": 20 * 60}
    apply_environment(config)
    assert config["PORTAIL_SIMULATION_MAX_AGE"] == 90


def test_r_sec_4_tampered_or_unbound_simulation_session_opens_nothing(app, client, db, etab):
    """R-SEC-4: a portal session claiming a simulation without a valid binding (another staff
    user's id, an old session version, no start time) shows nothing of the family."""
    from admints import sessions
    from admints.portail import identity

    eleve = used_pupil(etab)
    compte = _db.session.get(Compte, eleve.compte_id)
    chef = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "chef.0999001a"))
    bindings = [{"u": chef.id, "l": chef.login, "v": 7, "t": 0, "r": "/"},
                {"u": 999999, "l": "x", "v": 0, "t": 0, "r": "//evil.example"},
                {"u": chef.id, "v": "0", "t": None}, "nimporte"]
    for binding in bindings:
        with app.test_request_context("/eleves/"):
            response = app.make_response("")
            data = identity.simulation_session(compte, {"u": chef.id})
            data["portail_viewer"]["sim"] = binding
            sessions.open_portal_session(app, data, response)
        sid = re.search(rf"{PORTAL_COOKIE}=([^;]+)", response.headers["Set-Cookie"]).group(1)
        client.set_cookie(PORTAL_COOKIE, sid, path="/scolarite")
        page = client.get("/scolarite/")
        assert "zoe.martin" not in body(page) and page.status_code == 200
        assert 'href="/"' in body(page) and "evil" not in body(page)
        assert location(client.get("/scolarite/")) == "/scolarite/connexion"


def test_r_sec_4_family_password_change_ends_the_simulation(client, db, simulating):
    """R-SEC-4: a new password of the family (or a reset by the establishment) ends every
    session of the account, the simulation too: journaled, back-office link shown."""
    from admints import secrets_store

    compte = _db.session.get(Compte, simulating.lien.compte_id)
    compte.mot_de_passe_hash = secrets_store.hash_password("Nouveau-Secret-De-La-Famille-7")
    db.session.commit()
    _ended(client, "compte", simulating.lien)
