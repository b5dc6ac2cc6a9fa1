"""The production server (issue 14 point 2, R-SEC-4, R-SEC-2): `gunicorn.conf.py` with two
worker processes and a real redis-server (REDIS_URL). A staff session holds on both workers and
across a gunicorn restart and is gone from Redis at logout; the login rate limit is counted
across workers and survives a restart. Real processes only (`services` marker)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from . import factories
from .conftest import PASSWORD
from .serve_helpers import ROOT, Client, Gunicorn, free_port
from .services_helpers import RedisServer

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


def test_issue14_make_serve_migrates_an_empty_database_then_serves(tmp_path):
    """`make serve` on a database that does not exist yet: the migrations run first, then
    gunicorn answers with the login page (French) on the address of GUNICORN_BIND."""
    port, db_file = free_port(), tmp_path / "neuve.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_file}", "SECRET_KEY": "s",
           "DATA_KEYS": "bGV0bWVpbnRoaXNpc2F0ZXN0a2V5Zm9yYWRtaW50cyE=",
           "OUTPUT_DIR": str(tmp_path / "out"), "GUNICORN_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"}
    proc = subprocess.Popen(["make", "-s", "serve"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, page = time.monotonic() + 120, None
        while page is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                page = Client(port).get("/login")
            except OSError:
                time.sleep(0.3)
        assert page is not None and page.status == 200 and "Identifiant" in page.text
        with sqlite3.connect(db_file) as conn:
            head = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        assert head and head[0]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)


def test_issue14_static_files_compressed_and_cached(served):
    """Through gunicorn (admints.serving): the versioned static URLs the login page names are
    cached a year (`immutable`), gzip when the browser accepts it, with the security headers."""
    import re

    client = Client(served.port)
    page = client.get("/login", {"Accept-Encoding": "identity"})
    urls = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]+)"', page.text)
    assert any("admints.css" in u for u in urls), urls
    for path in urls[:3]:
        plain = client.get(path, {"Accept-Encoding": "identity"})
        assert plain.status == 200 and "immutable" in plain.headers["Cache-Control"]
        assert plain.headers["X-Content-Type-Options"] == "nosniff"
        zipped = client.get(path, {"Accept-Encoding": "gzip"})
        assert zipped.status == 200 and zipped.headers.get("Content-Encoding") == "gzip"
    assert client.get("/static/../admints/config.py").status == 404

