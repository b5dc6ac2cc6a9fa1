"""The portal's own session (R-SEC-4, R-SEC-2): a separate server-side cookie scoped to
/scolarite; a staff session never opens the portal and a family session never opens the
back-office, even with the cookie values swapped; logout and account changes end it; every
form needs its CSRF token."""

from __future__ import annotations

import pytest

from admints import create_app, secrets_store
from admints.comptes import lifecycle
from admints.extensions import db as _db
from admints.models import AuditEntry, EtatCompte, ServerSession
from admints.sessions import PORTAL_COOKIE

from . import factories
from .conftest import Auth, _config
from .portail_helpers import NEW_PASSWORD, TODAY, Family, account, body, location


@pytest.fixture
def used(db, etab):
    eleve = factories.make_eleve(etab, etat=EtatCompte.UTILISE, identifiant="zoe.martin",
                                 prenom="Zoë", nom="MARTIN",
                                 mot_de_passe_hash=secrets_store.hash_password(NEW_PASSWORD))
    db.session.commit()
    return eleve


def _set_cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def test_r_sec_4_portal_cookie_is_its_own_http_only_lax_path_scolarite(client, used):
    family = Family(client)
    response = family.login("zoe.martin", NEW_PASSWORD)
    cookies = _set_cookies(response)
    assert len(cookies) == 1 and cookies[0].startswith(f"{PORTAL_COOKIE}=")
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in
                  cookies[0].split(";")[1:]}
    assert attributes["path"] == "Path=/scolarite"
    assert "httponly" in attributes and attributes["samesite"] == "SameSite=Lax"
    assert "secure" not in attributes  # plain HTTP in tests; HTTPS below
    assert client.get_cookie("session") is None  # no staff cookie was ever set
    sid = client.get_cookie(PORTAL_COOKIE, path="/scolarite").value
    assert _db.session.scalar(_db.select(ServerSession).where(
        ServerSession.session_id == f"admints:portail:{sid}"))


def test_r_sec_4_portal_cookie_secure_over_https(tmp_path, etab):
    config = {**_config(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'https.sqlite'}",
              "PREFERRED_URL_SCHEME": "https", "DATABASE_URL": ""}
    app = create_app(config)
    with app.app_context():
        _db.create_all()
        response = app.test_client().get("/scolarite/connexion")
        cookie = [c for c in _set_cookies(response) if c.startswith(PORTAL_COOKIE)][0]
        assert "Secure" in cookie and "Path=/scolarite" in cookie
        _db.engine.dispose()


def test_r_sec_4_staff_session_never_opens_the_portal(client, auth, used):
    assert auth.login("chef.0999001a").status_code == 302
    assert client.get("/").status_code == 200  # the back-office is open
    assert location(client.get("/scolarite/")) == "/scolarite/connexion"
    # Even the staff cookie's value presented as the portal's cookie opens nothing.
    staff_sid = client.get_cookie("session").value
    client.set_cookie(PORTAL_COOKIE, staff_sid, path="/scolarite")
    assert location(client.get("/scolarite/")) == "/scolarite/connexion"


def test_r_sec_4_family_session_never_opens_the_back_office(app, client, used):
    family = Family(client)
    assert location(family.login("zoe.martin", NEW_PASSWORD)) == "/scolarite/"
    assert family.home().status_code == 200
    for path in ("/", "/eleves/", "/journal/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in location(response), path
    # The portal's session id presented as the staff cookie opens nothing either.
    portal_sid = client.get_cookie(PORTAL_COOKIE, path="/scolarite").value
    other = app.test_client()
    other.set_cookie("session", portal_sid)
    assert "/login" in location(other.get("/"))


def test_r_sec_4_both_sessions_side_by_side_in_one_browser(client, auth, used):
    """A member of staff who is also a parent: each side keeps its own session."""
    auth.login("chef.0999001a")
    family = Family(client)
    assert location(family.login("zoe.martin", NEW_PASSWORD)) == "/scolarite/"
    assert client.get("/").status_code == 200 and family.home().status_code == 200
    family.post("/scolarite/deconnexion", {}, token_from="/scolarite/")
    assert location(family.home()) == "/scolarite/connexion"
    assert client.get("/").status_code == 200  # the staff session is untouched


def test_r_sec_4_logout_ends_the_portal_session_server_side(app, client, used, db):
    family = Family(client)
    family.login("zoe.martin", NEW_PASSWORD)
    old = client.get_cookie(PORTAL_COOKIE, path="/scolarite").value
    response = family.post("/scolarite/deconnexion", {}, token_from="/scolarite/")
    assert location(response) == "/scolarite/connexion"
    assert not db.session.scalar(db.select(ServerSession).where(
        ServerSession.session_id == f"admints:portail:{old}"))
    assert db.session.scalar(db.select(AuditEntry.target).where(
        AuditEntry.action == "portail.deconnexion")) == "zoe.martin"
    replay = app.test_client()
    replay.set_cookie(PORTAL_COOKIE, old, path="/scolarite")
    assert location(replay.get("/scolarite/")) == "/scolarite/connexion"


def test_r_sec_4_session_id_renewed_at_login(client, used):
    client.get("/scolarite/connexion")
    anonymous = client.get_cookie(PORTAL_COOKIE, path="/scolarite").value
    Family(client).login("zoe.martin", NEW_PASSWORD)
    assert client.get_cookie(PORTAL_COOKIE, path="/scolarite").value != anonymous


def test_r_sec_4_reset_by_the_establishment_ends_family_sessions(app, db, used):
    """Renotify-and-reset (R-ACC-8) erases the chosen password: open sessions end."""
    family = Family(app.test_client())
    family.login("zoe.martin", NEW_PASSWORD)
    compte = account(used.compte_id)
    lifecycle.reset_password(compte, today=TODAY)
    db.session.commit()
    assert location(family.home()) == "/scolarite/connexion"


def test_r_sec_4_password_changed_elsewhere_ends_the_session(app, db, used):
    family = Family(app.test_client())
    family.login("zoe.martin", NEW_PASSWORD)
    compte = account(used.compte_id)
    compte.mot_de_passe_hash = secrets_store.hash_password("Autre-Phrase-Tout-Neuve-9")
    db.session.commit()
    assert location(family.home()) == "/scolarite/connexion"


@pytest.mark.parametrize("path", ["/scolarite/connexion", "/scolarite/premiere-connexion",
                                  "/scolarite/oubli/", "/scolarite/deconnexion",
                                  "/scolarite/attente", "/scolarite/nouveau-mot-de-passe",
                                  "/scolarite/activation/nouveau-lien"])
def test_r_sec_2_every_portal_form_needs_its_csrf_token(client, used, path):
    from .db_snapshot import db_snapshot

    before = db_snapshot(_db)
    response = client.post(path, data={"login": "zoe.martin", "password": NEW_PASSWORD,
                                       "courriel": "x@example.org", "demande": "identifiant"})
    assert response.status_code == 400
    page = body(response)
    assert "jeton CSRF" in page and '<html lang="fr">' in page and "Scolarité services" in page
    assert db_snapshot(_db) == before


def test_r_sec_4_portal_error_pages_use_the_portal_layout(client, db):
    page = client.get("/scolarite/nulle-part")
    assert page.status_code == 404
    html = body(page)
    assert "Page introuvable" in html and "fr-header" in html and html.count("<h1") == 1


def test_r_sec_4_staff_login_page_is_not_touched_by_the_portal_cookie(client, used):
    Family(client).login("zoe.martin", NEW_PASSWORD)
    assert Auth(client).login("chef.0999001a").status_code == 302
    assert client.get("/").status_code == 200
    assert Family(client).home().status_code == 200
