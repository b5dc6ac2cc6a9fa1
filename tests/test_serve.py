"""The production server (issue 14 point 2, R-SEC-4, R-SEC-2): `gunicorn.conf.py` with two
worker processes and a real redis-server (REDIS_URL). A staff session holds on both workers and
across a gunicorn restart and is gone from Redis at logout; the login rate limit is counted
across workers and survives a restart. Real processes only (`services` marker)."""

from __future__ import annotations

import pytest

from . import factories
from .conftest import PASSWORD
from .serve_helpers import Client, Gunicorn, RedisServer

pytestmark = pytest.mark.services
LOGIN = "chef.0999001a"
WRONG = "Mauvaise-Phrase-Secrete-42"
# Failed logins per address and minute: enough for both workers to take some of them.
LIMIT = 30


@pytest.fixture
def redis_server():
    if not RedisServer.available():
        pytest.skip("redis-server n'est pas installé (apt-get install redis-server)")
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def served(app, db, tmp_path, redis_server):
    """An establishment and its head in the test database, then gunicorn (2 workers ×
    2 threads) on that database with sessions and limits in Redis."""
    factories.make_etablissement(uai="0999001A", nom="Collège Victor-Hugo")
    db.session.commit()
    env = {"DATABASE_URL": str(db.engine.url.render_as_string(hide_password=False)),
           "REDIS_URL": redis_server.url, "SECRET_KEY": "serve-test-secret",
           "DATA_KEYS": app.config["DATA_KEYS"], "OUTPUT_DIR": str(tmp_path / "out"),
           "LOGIN_RATE_LIMIT": f"{LIMIT} per minute", "JOB_RECOVER_ON_START": "0",
           "MAIL_SUPPRESS_SEND": "1"}
    server = Gunicorn(env, tmp_path / "access.log").start()
    yield server
    server.stop()


def _on_both_workers(server: Gunicorn, client: Client, tag: str, path: str = "/") -> list[int]:
    """GET `path` until both workers have served one (at most 80 requests); the statuses."""
    statuses = []
    for i in range(80):
        statuses.append(client.get(f"{path}?{tag}={i}").status)
        if i >= 3 and len(server.served_by(f"{tag}=")) >= 2:
            break
    assert len(server.served_by(f"{tag}=")) == 2, "les requêtes n'ont pas touché 2 workers"
    return statuses


def test_r_sec_4_session_in_redis_holds_across_workers_and_restart(served, redis_server):
    client = Client(served.port)
    assert client.login(LOGIN, PASSWORD).status == 302
    sid = client.cookies["session"]
    assert redis_server.client.exists(f"admints:session:{sid}")
    # Every page, whichever worker serves it, knows the staff member.
    assert set(_on_both_workers(served, client, "avant")) == {200}
    assert LOGIN in client.get("/").text
    served.restart()
    assert set(_on_both_workers(served, client, "apres")) == {200}
    assert client.cookies["session"] == sid
    response = client.logout()
    assert response.status == 302 and "/login" in response.headers["Location"]
    assert not redis_server.client.exists(f"admints:session:{sid}")
    # The old cookie, replayed on any worker, opens nothing.
    replay = Client(served.port)
    replay.cookies["session"] = sid
    for i in range(6):
        response = replay.get(f"/?rejeu={i}")
        assert response.status == 302 and "/login" in response.headers["Location"]


def test_r_sec_2_login_limit_counted_across_workers_and_restarts(served, redis_server):
    """LOGIN_RATE_LIMIT = 30 per minute per address: failures on both workers add up, the
    31st attempt is refused (429, French message) and still is after a gunicorn restart."""
    client = Client(served.port)
    for i in range(LIMIT):
        response = client.login(LOGIN, WRONG, marker=f"echec={i}")
        assert response.status == 200 and "incorrect" in response.text
    assert len(served.served_by("echec=")) == 2, "les échecs n'ont pas touché 2 workers"
    refused = client.login(LOGIN, PASSWORD, marker="refus=1")
    assert refused.status == 429 and "Trop de tentatives" in refused.text
    assert any(b"login" in key for key in redis_server.client.keys("LIMITS*"))
    served.restart()
    for i in range(4):  # whichever worker answers
        refused = Client(served.port).login(LOGIN, PASSWORD, marker=f"apres={i}")
        assert refused.status == 429 and "Trop de tentatives" in refused.text
