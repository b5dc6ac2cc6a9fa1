"""Starting a simulation of a family's access from « Gérer le compte » (R-POR-4, R-ACC-8): who
may (head, délégués holding the menu, helpdesk; not the académie nor the comptable), only in
state *Utilisé*, only in one's own establishment (R-SEC-1), audited (R-SEC-3); the portal
session it opens is read-only and bound to the staff member."""

from __future__ import annotations

import pytest

from admints.extensions import db as _db
from admints.models import Compte, EtatCompte, StaffUser
from admints.sessions import PORTAL_COOKIE

from . import factories
from .db_snapshot import db_snapshot
from .portail_helpers import body, location
from .simulation_helpers import (
    ELEVES,
    RESPONSABLES,
    Staff,
    audit_actions,
    gerer_url,
    used_guardian,
    used_pupil,
)

BUTTON = "Simuler l'accès de la famille"


@pytest.fixture
def family(db, etab):
    eleve = used_pupil(etab)
    lien = used_guardian(etab, eleve)
    return eleve, lien


def _rows(family):
    eleve, lien = family
    return {ELEVES: eleve.id, RESPONSABLES: lien.id}


@pytest.mark.parametrize("login,droits,allowed", [
    ("chef.0999001a", None, {ELEVES, RESPONSABLES}),
    ("assistance.0999001a", None, {ELEVES, RESPONSABLES}),
    ("delegue.eleves", ["eleves"], {ELEVES}),
    ("delegue.resp", ["responsables", "statistiques"], {RESPONSABLES}),
])
def test_r_por_4_permission_matrix_allowed(client, auth, db, etab, family, login, droits,
                                           allowed):
    """R-POR-4: the head, the helpdesk, and a délégué for the menus it holds only."""
    if droits is not None:
        factories.make_user(login, "delegue", etablissement=etab, droits=droits)
        db.session.commit()
    staff = Staff(client, auth, login)
    for base, row_id in _rows(family).items():
        if base not in allowed:  # the délégué without that menu does not even see the page
            assert staff.gerer(base, row_id).status_code == 403
            before, journal = db_snapshot(db), len(audit_actions())
            assert staff.simulate(base, row_id).status_code == 403
            assert db_snapshot(db) == before and len(audit_actions()) == journal
            continue
        assert BUTTON in body(staff.gerer(base, row_id))
        response = staff.simulate(base, row_id)
        assert response.status_code == 302 and location(response) == "/scolarite/"
        home = client.get("/scolarite/")
        assert home.status_code == 200 and "Accès en consultation seule" in body(home)
        assert client.post("/scolarite/simulation/fin", data={
            "csrf_token": staff.portal_token()}).status_code == 302
    assert len(audit_actions("portail.simulation.debut")) == len(allowed)


@pytest.mark.parametrize("role", ["academie", "comptable"])
def test_r_por_4_permission_matrix_refused(client, auth, db, etab, family, role):
    """R-POR-4: neither the académie administrator nor the comptable may simulate: no button,
    a hand-made POST gets 403 with a French page, nothing changes, no portal session."""
    if role == "academie":
        factories.make_user("admin.demo", "academie", academie=etab.academie)
    else:
        factories.make_user("comptable.x", "comptable", etablissement=etab)
    db.session.commit()
    staff = Staff(client, auth, "admin.demo" if role == "academie" else "comptable.x")
    eleve, _ = family
    page = staff.gerer(ELEVES, eleve.id)
    if role == "academie":
        assert page.status_code == 200 and BUTTON not in body(page)
    else:
        assert page.status_code == 403
    before = db_snapshot(db)
    response = staff.simulate(ELEVES, eleve.id)
    assert response.status_code == 403
    if role == "academie":
        assert "Vous n'avez pas le droit de simuler" in body(response)
    assert db_snapshot(db) == before and audit_actions() == []
    assert client.get_cookie(PORTAL_COOKIE, path="/scolarite") is None


def test_r_sec_1_other_establishment_account_is_404(client, auth, db, etab, other_etab):
    """R-SEC-1: the id of another establishment's account gives 404, changes nothing."""
    theirs = used_pupil(other_etab, identifiant="autre.eleve")
    used_pupil(etab)
    staff = Staff(client, auth, "chef.0999001a")
    assert staff.gerer(ELEVES, theirs.id).status_code == 404
    before = db_snapshot(db)
    assert staff.simulate(ELEVES, theirs.id).status_code == 404
    assert db_snapshot(db) == before and audit_actions() == []
    assert client.get_cookie(PORTAL_COOKIE, path="/scolarite") is None


@pytest.mark.parametrize("etat", [EtatCompte.NON_NOTIFIE, EtatCompte.NOTIFIE,
                                  EtatCompte.EN_COURS_ACTIVATION])
def test_r_por_4_non_used_account_refused_in_french(client, auth, db, etab, etat):
    """R-ACC-8/R-POR-4: only an account in state *Utilisé*: no button but the reason, and a
    hand-made POST is refused in French, nothing changed, no portal session."""
    eleve = factories.make_eleve(etab, etat=etat)
    db.session.commit()
    staff = Staff(client, auth, "chef.0999001a")
    page = body(staff.gerer(ELEVES, eleve.id))
    assert BUTTON not in page and "n'est possible que pour un compte à l'état" in page
    before = db_snapshot(db)
    response = staff.simulate(ELEVES, eleve.id)
    assert location(response) == gerer_url(ELEVES, eleve.id)
    assert "n'est possible que pour un compte à l'état « Utilisé »" in body(
        client.get(location(response)))
    assert db_snapshot(db) == before and audit_actions() == []
    assert client.get_cookie(PORTAL_COOKIE, path="/scolarite") is None


def test_r_sec_3_start_and_end_are_audited(client, auth, db, etab, family):
    """R-SEC-3: who, which account, when — at the start and at the end."""
    eleve, lien = family
    staff = Staff(client, auth, "chef.0999001a")
    staff.simulate(RESPONSABLES, lien.id)
    client.get("/scolarite/")
    assert location(staff.end()) == gerer_url(RESPONSABLES, lien.id)
    debut, fin = audit_actions()
    chef = _db.session.scalar(_db.select(StaffUser).where(StaffUser.login == "chef.0999001a"))
    for entry in (debut, fin):
        assert entry.login == "chef.0999001a" and entry.user_id is not None
        assert entry.etablissement_id == etab.id and entry.rows == [lien.compte_id]
        assert entry.target == "marie.martin" and entry.at is not None
    assert debut.action == "portail.simulation.debut" and '"motif": "terminee"' in fin.after
    assert chef.id == debut.user_id == fin.user_id
    journal = body(client.get("/journal/"))
    assert "Début d'une simulation de l'accès à Scolarité services" in journal
    assert "Fin d'une simulation de l'accès à Scolarité services" in journal


def test_r_sec_2_start_needs_its_csrf_token(client, auth, db, etab, family):
    """R-SEC-2: the start is a POST with its CSRF token; without it, 400 and nothing opened."""
    eleve, _ = family
    staff = Staff(client, auth, "chef.0999001a")
    assert staff.gerer(ELEVES, eleve.id).status_code == 200
    before = db_snapshot(db)
    assert client.post(f"{gerer_url(ELEVES, eleve.id)}simuler/").status_code == 400
    assert db_snapshot(db) == before and audit_actions() == []
    assert client.get_cookie(PORTAL_COOKIE, path="/scolarite") is None


def test_r_por_4_staff_session_stays_and_family_untouched(app, client, auth, db, etab, family):
    """R-POR-4: the staff back-office session stays valid during and after the simulation; the
    account (password hash, state, last login) is not changed, and the family's own session on
    its own browser goes on."""
    from .portail_helpers import NEW_PASSWORD, Family

    eleve, _ = family
    family_browser = Family(app.test_client())
    assert location(family_browser.login("zoe.martin", NEW_PASSWORD)) == "/scolarite/"
    _db.session.expire_all()
    compte_before = _db.session.get(Compte, eleve.compte_id)
    state = (compte_before.mot_de_passe_hash, compte_before.etat,
             compte_before.derniere_connexion, compte_before.email)
    staff = Staff(client, auth, "chef.0999001a")
    staff.simulate(ELEVES, eleve.id)
    assert client.get("/").status_code == 200  # the back-office is still open
    assert "zoe.martin" in body(client.get("/scolarite/"))
    staff.end()
    assert staff.gerer(ELEVES, eleve.id).status_code == 200
    assert family_browser.home().status_code == 200
    _db.session.expire_all()
    compte = _db.session.get(Compte, eleve.compte_id)
    assert (compte.mot_de_passe_hash, compte.etat, compte.derniere_connexion,
            compte.email) == state


@pytest.mark.parametrize("path", [
    "/eleves/compte/abc/simuler/", "/eleves/compte/-1/simuler/", "/eleves/compte/0/simuler/",
    "/eleves/compte/99999999999999999999999/simuler/", "/eleves/compte/1e3/simuler/",
    "/eleves/compte/%00/simuler/", "/eleves/compte/1/simuler%00/", "/eleves/compte/1/SIMULER/",
    "/responsables/compte/999999/simuler/", "/eleves/compte/2147483648/simuler/",
])
def test_r_sec_1_hostile_ids_in_start_url_are_404(client, auth, db, etab, family, path):
    """R-SEC-1/R-SEC-5: hostile ids in the start URL give 404 (never 500), change nothing."""
    staff = Staff(client, auth, "chef.0999001a")
    token = staff.token()
    before = db_snapshot(db)
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code in (400, 404), (path, response.status_code)
    assert db_snapshot(db) == before and audit_actions() == []
