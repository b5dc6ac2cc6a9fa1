"""Server-side sessions (R-SEC-4; issue 9 point 3): a session ends at logout, at a password
change and at deactivation — an old cookie replayed afterwards is sent to /login — and the
cookie is `Secure` with HSTS over HTTPS. The Redis store is tested against a real redis-server
when one is installed."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time

import pytest

from admints import create_app
from admints.extensions import db as _db
from admints.models import ServerSession, StaffUser

from . import factories
from .comptes_helpers import csrf_of
from .conftest import PASSWORD, Auth, _config

COOKIE = "session"


def _cookie(client) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def _replay(client, value: str):
    client.set_cookie(COOKIE, value)
    return client.get("/")


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _user(db, login) -> StaffUser:
    return db.session.scalar(db.select(StaffUser).where(StaffUser.login == login))


def test_r_sec_4_session_data_lives_on_the_server(client, auth, db, etab):
    """The cookie is an opaque random id; the session is a row of `server_session`."""
    auth.login("chef.0999001a")
    sid = _cookie(client)
    assert len(sid) >= 40 and "chef" not in sid and "." not in sid
    assert db.session.scalar(db.select(ServerSession).where(
        ServerSession.session_id.like(f"%{sid}")))


def test_r_sec_4_old_cookie_refused_after_logout(app, client, auth, db, etab):
    auth.login("chef.0999001a")
    old = _cookie(client)
    assert client.get("/").status_code == 200
    auth.logout()
    assert not db.session.scalar(db.select(ServerSession).where(
        ServerSession.session_id.like(f"%{old}")))
    assert _sent_to_login(_replay(client, old))


def test_r_sec_4_logout_ends_the_users_other_sessions(app, db, etab):
    """Logout ends every session of that user (another browser too)."""
    first, second = app.test_client(), app.test_client()
    Auth(first).login("chef.0999001a")
    Auth(second).login("chef.0999001a")
    assert second.get("/").status_code == 200
    Auth(first).logout()
    assert _sent_to_login(second.get("/"))
    # A new login opens a new session.
    assert Auth(second).login("chef.0999001a").status_code == 302
    assert second.get("/").status_code == 200


def test_r_sec_4_session_id_renewed_at_login(client, auth, db, etab):
    """No fixation: the anonymous session id is not the logged-in one, and is gone."""
    client.get("/login")
    with client.session_transaction() as sess:
        sess["marque"] = "anonyme"
    anonymous = _cookie(client)
    auth.login("chef.0999001a")
    assert _cookie(client) != anonymous
    assert not db.session.scalar(db.select(ServerSession).where(
        ServerSession.session_id.like(f"%{anonymous}")))
    assert _sent_to_login(_replay(client, anonymous))


def _edit_delegue(client, db, user, data):
    token = csrf_of(client, f"/utilisateurs-etablissement/edit/?id={user.id}")
    form = {"nom": "", "droits": ["eleves"], "actif": "y", "password": "", "confirmation": "",
            "csrf_token": token, **data}
    return client.post(f"/utilisateurs-etablissement/edit/?id={user.id}", data=form)


@pytest.mark.parametrize("change", ["password", "deactivation", "action"])
def test_r_sec_4_head_ends_a_users_sessions(app, db, etab, change):
    """A password change or a deactivation by the head ends the délégué's open session:
    its cookie, replayed, is sent to /login."""
    factories.make_user("delegue.ent", "delegue", etablissement=etab, droits=["eleves"])
    db.session.commit()
    delegue, head = app.test_client(), app.test_client()
    Auth(delegue).login("delegue.ent")
    cookie = _cookie(delegue)
    assert delegue.get("/eleves/").status_code == 200
    Auth(head).login("chef.0999001a")
    user = _user(db, "delegue.ent")
    if change == "password":
        new = "Nouvelle-Phrase-Secrete-2027"
        response = _edit_delegue(head, db, user, {"password": new, "confirmation": new})
    elif change == "deactivation":
        response = _edit_delegue(head, db, user, {"actif": ""})
    else:
        token = csrf_of(head, "/utilisateurs-etablissement/")
        response = head.post("/utilisateurs-etablissement/action/",
                             data={"action": "desactiver", "rowid": user.id, "csrf_token": token})
    assert response.status_code == 302
    assert _sent_to_login(_replay(delegue, cookie))
    assert _sent_to_login(delegue.get("/eleves/"))
    assert head.get("/").status_code == 200  # the head's own session goes on


def test_r_sec_4_academie_changes_its_own_password_and_stays_in(app, client, auth, db, etab):
    """Changing one's own password ends the other sessions but not the one that changed it."""
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    other = app.test_client()
    Auth(other).login("academie.demo")
    auth.login("academie.demo")
    me = _user(db, "academie.demo")
    new = "Nouvelle-Phrase-Secrete-2027"
    token = csrf_of(client, f"/utilisateurs/edit/?id={me.id}")
    response = client.post(f"/utilisateurs/edit/?id={me.id}", data={
        "nom": "", "actif": "y", "password": new, "confirmation": new, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert _sent_to_login(other.get("/"))


def test_r_sec_4_session_without_version_refused(client, auth, db, etab):
    """An id in the old format (no session version) opens nothing."""
    auth.login("chef.0999001a")
    user = _user(db, "chef.0999001a")
    for value in (str(user.id), f"{user.id}:", f"{user.id}:x", f"{user.id}:{10**30}", "x:0"):
        with client.session_transaction() as sess:
            sess["_user_id"] = value
        assert _sent_to_login(client.get("/")), value


# ------------------------------------------------------------------ HTTPS: Secure and HSTS

def _app(tmp_path, **overrides):
    config = {**_config(), "OUTPUT_DIR": str(tmp_path / "out"), "DATABASE_URL": "",
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'https.sqlite'}", **overrides}
    app = create_app(config)
    with app.app_context():
        _db.create_all()
        factories.make_etablissement()
        _db.session.commit()
    return app


def test_r_sec_4_secure_cookie_and_hsts_when_https(tmp_path):
    app = _app(tmp_path, PREFERRED_URL_SCHEME="https")
    client = app.test_client()
    with app.app_context():
        page = client.get("/login")
        assert "Secure" in page.headers["Set-Cookie"] and "HttpOnly" in page.headers["Set-Cookie"]
        assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        # Over HTTPS the browser sends the cookie back and the login goes through.
        page = client.get("/login", base_url="https://localhost")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
        response = client.post("/login", base_url="https://localhost", data={
            "login": "chef.0999001a", "password": PASSWORD, "csrf_token": token.group(1)},
            headers={"Referer": "https://localhost/login"})  # Flask-WTF's HTTPS check
        assert response.status_code == 302
        assert "Secure" in response.headers["Set-Cookie"]


def test_r_sec_4_plain_http_by_default_and_forwarded_proto_ignored(client, auth, etab):
    """Without ProxyFix, an X-Forwarded-Proto header is not trusted."""
    token = auth.csrf("/login")
    response = client.post("/login", data={"login": "chef.0999001a", "password": PASSWORD,
                                           "csrf_token": token},
                           headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_r_sec_4_behind_a_proxy_that_says_https(tmp_path):
    app = _app(tmp_path, PROXY_FIX_COUNT=1)
    with app.app_context():
        response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https",
                                                            "X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 200
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers


# ------------------------------------------------------------------ Redis store

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server n'est pas installé (apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    from redis import Redis

    client = Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except Exception:  # not listening yet
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("redis-server ne répond pas")
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(10)


def test_r_sec_4_redis_store_for_sessions_and_rate_limits(tmp_path, redis_url):
    from redis import Redis

    app = _app(tmp_path, REDIS_URL=redis_url)
    assert app.config["RATELIMIT_STORAGE_URI"] == redis_url
    assert type(app.session_interface.staff).__name__ == "RedisSessions"
    assert type(app.session_interface.portal).__name__ == "PortalRedisSessions"
    client = app.test_client()
    auth = Auth(client)
    with app.app_context():
        assert auth.login("chef.0999001a").status_code == 302
        old = _cookie(client)
        store = Redis.from_url(redis_url)
        assert store.exists(f"admints:session:{old}")
        assert client.get("/").status_code == 200
        auth.logout()
        assert not store.exists(f"admints:session:{old}")
        assert _sent_to_login(_replay(client, old))
        # Failed logins are counted in Redis (shared by every process).
        assert auth.login("chef.0999001a", "Mauvaise-Phrase-Secrete").status_code == 200
        assert any(b"login" in key for key in store.keys("LIMITS*"))


def test_r_sec_4_uncommitted_view_writes_do_not_block_the_session_store(app, client, db, etab):
    """On SQLite a view that leaves writes uncommitted while changing the session must not make
    the session write wait for the request itself; those writes are dropped, as at teardown."""
    from flask import flash

    from admints.models import LienUtile

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite seulement : PostgreSQL verrouille par ligne, pas toute la base")

    @app.route("/_essai_ecriture_en_suspens")
    def pending():
        db.session.add(LienUtile(etablissement_id=etab.id, libelle="En suspens",
                                 url="https://suspens.example/"))
        db.session.flush()
        flash("Message", "info")
        return "ok"

    start = time.monotonic()
    response = client.get("/_essai_ecriture_en_suspens")
    assert response.status_code == 200 and time.monotonic() - start < 3
    assert db.session.scalar(db.select(db.func.count(LienUtile.id))) == 0
    assert db.session.scalar(db.select(db.func.count(ServerSession.id))) == 1
