"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when DATABASE_URL is
set), the app, a client, the CLI runner, factories and a login helper."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from sqlalchemy import text

from admints import create_app
from admints.config import TestConfig
from admints.extensions import db as _db
from admints.extensions import limiter

from . import app_speed, factories
from .services_helpers import broker, redis_server, workers  # noqa: F401  (`services` tests)

app_speed.share_url_builders()
PASSWORD = factories.PASSWORD
PG_URL = os.environ.get("DATABASE_URL", "")


def _pg_worker_url(worker: str) -> str:
    """One database per xdist worker, created once."""
    import psycopg

    base = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"admints_test_{worker}"
    with psycopg.connect(base, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return re.sub(r"/[^/]*$", f"/{name}", base)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    if PG_URL:
        return _pg_worker_url(worker_id)
    return None


@pytest.fixture(scope="session")
def _pg_schema(database_url):
    """On PostgreSQL the schema is created once per worker and emptied after each test."""
    if not database_url:
        yield
        return
    app = create_app({**_config(), "SQLALCHEMY_DATABASE_URI": _sa_url(database_url)})
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _db.engine.dispose()
    yield


def _sa_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _config() -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


@pytest.fixture(scope="session")
def _sqlite_schema(tmp_path_factory, database_url):
    """The SQLite schema, created once per test process and copied by each test (app_speed)."""
    if database_url:
        return None
    folder = tmp_path_factory.mktemp("schema")
    path = folder / "schema.sqlite"
    app = create_app({**_config(), "OUTPUT_DIR": str(folder / "output"), "DATABASE_URL": "",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        _db.create_all()
        _db.session.remove()
        _db.engine.dispose()
    return path


@pytest.fixture
def app(tmp_path, database_url, _pg_schema, _sqlite_schema):
    config = _config()
    config["OUTPUT_DIR"] = str(tmp_path / "output")
    config["DATABASE_URL"] = ""
    if database_url:
        config["SQLALCHEMY_DATABASE_URI"] = _sa_url(database_url)
    else:
        shutil.copyfile(_sqlite_schema, tmp_path / "test.sqlite")
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'test.sqlite'}"
    app = create_app(config)
    limiter.reset()
    with app.app_context():
        yield app
        _db.session.remove()
        if database_url:
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def etab(db):
    """An activated collège of académie 'demo' with its head."""
    e = factories.make_etablissement(uai="0999001A", nom="Collège Victor-Hugo")
    db.session.commit()
    return e


@pytest.fixture
def other_etab(db):
    e = factories.make_etablissement(uai="0999002B", nom="Collège Jean-Moulin")
    db.session.commit()
    return e


class Auth:
    def __init__(self, client):
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', html
        )
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, login: str, password: str = PASSWORD):
        token = self.csrf("/login")
        return self.client.post(
            "/login", data={"login": login, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = self.csrf("/")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def smtp(app):
    """A real aiosmtpd server on 127.0.0.1 (tests/smtp_server.py), wired into the app's
    config; `smtp.handler.refuse` / `.die_after` drive the fault tests."""
    from .smtp_server import SmtpServer

    server = SmtpServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_TIMEOUT=5)
    app.extensions["mail"].suppress = False
    yield server
    server.stop()


@pytest.fixture
def set_clock():
    """Set the product's one clock (admints.clock) for this test: `set_clock(aware datetime)`;
    it is given back to the system afterwards."""
    from admints import clock

    yield clock.set_now
    clock.set_now(None)
