"""Staff login, roles and menus, rate limiting, session renewal, CSRF, password storage
(docs/REGLES.md §1, R-SEC-2; issue 2 points 6 and 8)."""

from __future__ import annotations

import logging

import pytest
from flask import url_for
from flask_admin.base import BaseView
from flask_login import login_user

from admints import permissions
from admints.academie import users
from admints.models import AuditEntry, Etablissement, Role, StaffUser
from admints.views.base import AreaAccessMixin

from . import factories
from .conftest import PASSWORD

ALL_AREAS = (permissions.SERVICES, permissions.PARAMETRAGE, permissions.RESPONSABLES,
             permissions.ELEVES, permissions.STATISTIQUES, permissions.PAIEMENT,
             permissions.DONNEES, permissions.JOURNAL, permissions.ACADEMIE_ADMIN,
             permissions.UTILISATEURS)

DELEGUE_DROITS = ["eleves", "statistiques"]

EXPECTED = {
    "academie": set(ALL_AREAS),
    "chef": set(ALL_AREAS) - {permissions.ACADEMIE_ADMIN},
    "delegue": set(DELEGUE_DROITS),
    "comptable": {permissions.PAIEMENT},
    "assistance": {permissions.RESPONSABLES, permissions.ELEVES},
}


@pytest.fixture
def staff(db, etab):
    """One user per role on the establishment (the académie administrator of its académie)."""
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    factories.make_user("delegue.0999001a", "delegue", etablissement=etab, droits=DELEGUE_DROITS)
    factories.make_user("comptable.0999001a", "comptable", etablissement=etab)
    db.session.commit()
    return {
        "academie": "academie.demo", "chef": "chef.0999001a", "delegue": "delegue.0999001a",
        "comptable": "comptable.0999001a", "assistance": "assistance.0999001a",
    }


def _url(app, endpoint, **values):
    with app.test_request_context():
        return url_for(endpoint, **values)


def _area_views(app):
    admin = app.extensions["admin"][0]
    return [v for v in admin._views if isinstance(v, AreaAccessMixin)]


# ------------------------------------------------------------------ login / logout

def test_r_sec_2_login_then_logout(client, auth, etab):
    response = auth.login("chef.0999001a")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert "Collège Victor-Hugo" in client.get("/").get_data(as_text=True)
    response = auth.logout()
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    follow = client.get("/")
    assert follow.status_code == 302 and "/login" in follow.headers["Location"]


def test_wrong_password_french_message_and_not_logged_in(client, auth, etab):
    response = auth.login("chef.0999001a", "mauvais-mot-de-passe")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_login_same_message(client, auth, etab):
    response = auth.login("personne.inconnue", PASSWORD)
    assert "Identifiant ou mot de passe incorrect." in response.get_data(as_text=True)


def test_empty_fields_french_messages(client, auth, etab):
    token = auth.csrf()
    page = client.post("/login", data={"csrf_token": token}).get_data(as_text=True)
    assert "Saisissez votre identifiant." in page and "Saisissez votre mot de passe." in page


def test_deactivated_user_cannot_log_in_and_loses_session(client, auth, db, etab):
    assert auth.login("assistance.0999001a").status_code == 302
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "assistance.0999001a"))
    user.actif = False
    db.session.commit()
    assert client.get("/").status_code == 302  # session no longer accepted
    response = auth.login("assistance.0999001a")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.get_data(as_text=True)


@pytest.mark.parametrize("next_url, expected", [
    ("/journal/", "/journal/"),
    ("//evil.example/", "/"),
    ("/\\evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("javascript:alert(1)", "/"),
])
def test_login_next_only_local(client, auth, etab, next_url, expected):
    token = auth.csrf()
    response = client.post("/login", query_string={"next": next_url},
                           data={"login": "chef.0999001a", "password": PASSWORD,
                                 "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


# ------------------------------------------------------------------ roles and menus

@pytest.mark.parametrize("role", list(EXPECTED))
def test_permissions_allowed_table(db, staff, role):
    """docs/REGLES.md §1: what each role may open."""
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == staff[role]))
    assert {a for a in ALL_AREAS if permissions.allowed(user, a)} == EXPECTED[role]
    user.actif = False
    assert not any(permissions.allowed(user, a) for a in ALL_AREAS)
    assert not permissions.allowed(None, permissions.ELEVES)


def test_delegue_rights_are_only_the_granted_menus(db, etab):
    user = factories.make_user("d2", "delegue", etablissement=etab,
                               droits=["parametrage", "journal", "academie_admin"])
    # Rights outside DROITS_DELEGUE are ignored even if stored.
    assert {a for a in ALL_AREAS if permissions.allowed(user, a)} == {permissions.PARAMETRAGE}


def _expected_access(app, db, login, view) -> bool:
    """What the view answers for this user; for views that keep AreaAccessMixin's rule it
    must be exactly the permissions table of docs/REGLES.md §1."""
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == login))
    with app.test_request_context():
        login_user(user)
        answer = view.is_accessible()
    if type(view).is_accessible is AreaAccessMixin.is_accessible:
        assert answer == (view.area in EXPECTED[user.role]), (login, view.endpoint)
    return answer


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_exactly_its_menus_and_gets_403_elsewhere(app, db, client, auth, staff,
                                                                 role):
    """Every area view: in the menu and open (not 403) iff allowed; else absent and 403.
    A délégué without a right gets 403 on that area's URLs."""
    views = _area_views(app)
    expected = {v.endpoint: _expected_access(app, db, staff[role], v) for v in views}
    assert auth.login(staff[role]).status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    menu = home.get_data(as_text=True)
    assert any(v.endpoint == "journal" for v in views)
    for view in views:
        url = _url(app, f"{view.endpoint}.{view._default_view}")
        response = client.get(url)
        if expected[view.endpoint]:
            assert response.status_code != 403, (role, url)
            assert response.status_code < 500
            if type(view).is_visible is AreaAccessMixin.is_visible:
                assert f'href="{url}"' in menu, (role, url)
        else:
            assert response.status_code == 403, (role, url, response.status_code)
            assert "Vous n&#39;avez pas accès à cette page." in response.get_data(as_text=True)
            assert f'href="{url}"' not in menu, (role, url)


def test_every_registered_view_declares_its_area(app):
    """A view outside AreaAccessMixin would be open to any logged-in user."""
    admin = app.extensions["admin"][0]
    for view in admin._views[1:]:
        assert isinstance(view, AreaAccessMixin), view
        assert isinstance(view, BaseView)
        assert view.area, view


def test_anonymous_sent_to_login_from_any_view(app, client, etab):
    for view in _area_views(app):
        response = client.get(_url(app, f"{view.endpoint}.{view._default_view}"))
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# ------------------------------------------------------------------ rate limiting

def _try(client, auth, login, password="faux-mot-de-passe", ip="10.0.0.1"):
    token = auth.csrf()
    return client.post("/login", data={"login": login, "password": password,
                                       "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ip})


def test_r_sec_2_stranger_cannot_lock_the_head_out(app, client, auth, db, etab):
    """R-SEC-2: a stranger typing the head's login is stopped by the per-IP limit; the head,
    from its own address, still logs in (the per-login limit is far higher)."""
    for _ in range(5):
        assert _try(client, auth, "chef.0999001a", ip="10.0.1.66").status_code == 200
    response = _try(client, auth, "chef.0999001a", ip="10.0.1.66")
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.get_data(as_text=True)
    # A few more strangers elsewhere, still under the per-login limit (12 per hour in tests).
    for i in range(5):
        assert _try(client, auth, "chef.0999001a", ip=f"10.0.1.{i}").status_code == 200
    assert _try(client, auth, "chef.0999001a", PASSWORD, ip="10.0.1.200").status_code == 302
    assert not db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "connexion.blocage"))


def test_r_sec_2_per_login_limit_only_after_many_attempts_and_audited(app, client, auth, db,
                                                                       etab):
    """R-SEC-2: many failures on one login from many addresses (a distributed attack) lock
    that login only, with a French message, and the journal of its establishment says so once."""
    limit = int(app.config["LOGIN_ACCOUNT_RATE_LIMIT"].split()[0])
    assert limit > int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for i in range(limit):
        assert _try(client, auth, "chef.0999001a", ip=f"10.0.3.{i}").status_code == 200
    for i in range(3):
        response = _try(client, auth, "chef.0999001a", ip=f"10.0.4.{i}")
        assert response.status_code == 429
        assert "pour cet identifiant" in response.get_data(as_text=True)
    # Even the right password waits; another login is not affected.
    assert _try(client, auth, "chef.0999001a", PASSWORD, ip="10.0.4.50").status_code == 429
    assert _try(client, auth, "assistance.0999001a", PASSWORD, ip="10.0.4.51").status_code == 302
    entries = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "connexion.blocage")).all()
    assert len(entries) == 1
    assert entries[0].target == "chef.0999001a" and entries[0].etablissement_id == etab.id


def test_r_sec_2_failed_logins_limited_per_ip(client, auth, etab):
    for i in range(5):
        assert _try(client, auth, f"inconnu{i}", ip="10.0.2.1").status_code == 200
    response = _try(client, auth, "autre.inconnu", ip="10.0.2.1")
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.get_data(as_text=True)
    assert _try(client, auth, "chef.0999001a", PASSWORD, ip="10.0.2.2").status_code == 302


def test_r_sec_2_successful_logins_do_not_count(client, auth, etab):
    for _ in range(4):
        assert _try(client, auth, "chef.0999001a").status_code == 200
    for _ in range(3):
        assert _try(client, auth, "chef.0999001a", PASSWORD).status_code == 302
        auth.logout()
    assert _try(client, auth, "chef.0999001a").status_code == 200  # 5th failure: still allowed
    assert _try(client, auth, "chef.0999001a").status_code == 429  # per IP


def test_get_login_page_is_not_limited(client, etab):
    for _ in range(12):
        assert client.get("/login").status_code == 200


# ------------------------------------------------------------------ session and cookies

def test_r_sec_2_session_renewed_at_login(client, auth, etab):
    client.get("/login")
    with client.session_transaction() as sess:
        sess["fixation"] = "donnée de la session anonyme"
        old_token = sess.get("csrf_token")
    assert old_token
    response = auth.login("chef.0999001a")
    assert response.status_code == 302
    with client.session_transaction() as sess:
        assert "fixation" not in sess
        assert sess.get("csrf_token") != old_token
        assert sess.get("_user_id")


def test_logout_clears_the_session(client, auth, db, etab, other_etab):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    auth.login("academie.demo")
    token = auth.csrf("/")
    client.post("/etablissement", data={"etablissement_id": other_etab.id, "csrf_token": token})
    with client.session_transaction() as sess:
        assert sess.get("etablissement_id") == other_etab.id
    auth.logout()
    with client.session_transaction() as sess:
        assert "etablissement_id" not in sess and "_user_id" not in sess


# ------------------------------------------------------------------ CSRF

def test_r_sec_2_login_post_without_csrf_refused(client, db, etab):
    response = client.post("/login", data={"login": "chef.0999001a", "password": PASSWORD})
    assert response.status_code == 400
    assert "jeton CSRF" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == 0


def test_r_sec_2_logout_and_switch_without_csrf_refused(client, auth, db, etab, other_etab):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    auth.login("academie.demo")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in
    assert client.post("/etablissement",
                       data={"etablissement_id": other_etab.id}).status_code == 400
    with client.session_transaction() as sess:
        assert "etablissement_id" not in sess


def test_r_sec_2_flask_admin_create_and_action_without_csrf_refused(client, auth, db, etab):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    factories.make_user("delegue.x", "delegue", etablissement=etab, droits=["eleves"])
    db.session.commit()
    auth.login("academie.demo")
    etabs = db.session.scalar(db.select(db.func.count(Etablissement.id)))
    response = client.post("/etablissements/new/", data={"uai": "0999555K", "nom": "Sans jeton",
                                                          "type": "college",
                                                          "annee_scolaire": "2026"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Etablissement.id))) == etabs
    delegue = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "delegue.x"))
    response = client.post("/utilisateurs/action/",
                           data={"action": "desactiver", "rowid": str(delegue.id)})
    assert response.status_code == 400
    db.session.refresh(delegue)
    assert delegue.actif
    # The same requests with the page's token go through (positive control).
    token = auth.csrf("/etablissements/new/")
    response = client.post("/etablissements/new/", data={"uai": "0999555K", "nom": "Avec jeton",
                                                          "type": "college",
                                                          "annee_scolaire": "2026",
                                                          "csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Etablissement).where(Etablissement.uai == "0999555K"))
    token = auth.csrf("/utilisateurs/")
    client.post("/utilisateurs/action/", data={"action": "desactiver", "rowid": str(delegue.id),
                                               "csrf_token": token})
    db.session.refresh(delegue)
    assert not delegue.actif


def test_r_sec_2_delete_urls_without_csrf_refused(app, client, auth, db, etab):
    """Every view that can delete refuses a token-less delete (400)."""
    auth.login("chef.0999001a")
    admin = app.extensions["admin"][0]
    deleting = [v for v in admin._views if getattr(v, "can_delete", False)]
    for view in deleting:
        response = client.post(_url(app, f"{view.endpoint}.delete_view"), data={"id": "1"})
        assert response.status_code in (400, 403), view.endpoint
    response = client.post("/journal/delete/", data={"id": "1"})
    assert response.status_code == 400


# ------------------------------------------------------------------ password storage

def test_r_sec_2_passwords_argon2id_never_in_clear(app, db, etab, caplog, client, auth):
    secret = "Secret-Tres-Particulier-42"
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "werkzeug", "flask_limiter"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        user = users.create_user("delegue.secret", Role.DELEGUE, secret, etablissement=etab,
                                 droits=["eleves"])
        db.session.commit()
        assert user.password_hash.startswith("$argon2id$")
        assert auth.login("delegue.secret", secret).status_code == 302
        auth.logout()
        auth.login("delegue.secret", secret + "-faux")
        users.set_password(user, secret + "-nouveau")
        db.session.commit()
        assert user.password_hash.startswith("$argon2id$")
        assert users.authenticate("delegue.secret", secret + "-nouveau") is not None
        assert users.authenticate("delegue.secret", secret) is None
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert secret not in caplog.text
    # Nothing in any column of any table holds the password in clear.
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            assert secret not in repr(tuple(row)), table.name


def test_set_password_refuses_short_and_audits_without_value(db, etab):
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "chef.0999001a"))
    old = user.password_hash
    from admints.errors import DomainError

    with pytest.raises(DomainError, match="au moins 12 caractères"):
        users.set_password(user, "court-11car")
    assert user.password_hash == old
    users.set_password(user, "assez-long-pour-passer")
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "utilisateur.mot_de_passe"))
    assert entry.target == "chef.0999001a"
    assert "assez-long" not in f"{entry.before}{entry.after}"
