"""Fixtures of the hostile-input suite (R-SEC-5: no input, however hostile, gives an HTTP 500).

The app answers as in production: `PROPAGATE_EXCEPTIONS` is off, so an unhandled exception
becomes the app's own 500 page instead of a test traceback — and `assert_refused` fails on any
500. `FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION` stays on (TestConfig): an exception Flask-Admin would
otherwise turn into a flash message reaches the 500 handler, so the crawl sees it too.

`world` is one establishment with a row of every table a screen reads (pupil, guardian,
division, MEF, group, publication date, link, job, TIPI régie, ENT), its head and the
académie administrator working on it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from admints.models import (
    DatePublication,
    EntAcademique,
    Job,
    LienUtile,
    TipiRegie,
)
from admints.teleservices.catalogue import ensure_etablissement_services
from tests import factories
from tests.db_snapshot import db_snapshot


@pytest.fixture
def prod_errors(app):
    """Errors handled as in production (the app's error pages, no propagation)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.fixture
def world(db, etab, prod_errors):
    mef = factories.make_mef(etab)
    div = factories.make_division(etab, "6A")
    grp = factories.make_groupe(etab)
    eleve = factories.make_eleve(etab, mef=mef, division=div, identifiant="jeanne.dupont",
                                 email="jeanne@example.org")
    eleve.groupes.append(grp)
    resp = factories.make_responsable(etab)
    lien = factories.link(eleve, resp, 1, identifiant="marie.dupont",
                          email="marie.dupont@example.org")
    ensure_etablissement_services(etab)
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    date = DatePublication(etablissement_id=etab.id, mef_id=mef.id, division_id=div.id,
                           date=dt.date(2026, 12, 15))
    job = Job(etablissement_id=etab.id, kind="notification_eleve", status="done", total=1,
              done=1, params={"kind": "eleve"}, created_by="chef.0999001a")
    factories.db.session.add_all([
        date, job,
        LienUtile(etablissement_id=etab.id, libelle="Lien", url="https://lien.example.org/"),
        TipiRegie(academie_id=etab.academie_id, numero_client="123456",
                  libelle_regie="Régie du collège"),
        EntAcademique(academie_id=etab.academie_id, nom="ENT démo",
                      url="https://ent.example.org/"),
    ])
    factories.db.session.commit()
    return {"etab": etab, "eleve": eleve, "lien": lien, "division": div, "mef": mef,
            "groupe": grp, "date": date, "job": job}


class Session:
    """A logged-in client with its CSRF token."""

    def __init__(self, client, auth, login: str):
        response = auth.login(login)
        assert response.status_code == 302, f"login {login} failed"
        self.client = client
        self.token = auth.csrf("/")

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def as_user(world, client, auth):
    """`as_user("chef")` / `as_user("academie")`: one login per test."""
    sessions: dict[str, Session] = {}

    def get(who: str) -> Session:
        if not sessions:
            login = "chef.0999001a" if who == "chef" else "academie.demo"
            sessions[who] = Session(client, auth, login)
            if who == "academie":
                sessions[who].post("/etablissement", data={"etablissement_id": world["etab"].id})
        assert who in sessions, "one user per test"
        return sessions[who]

    return get


@pytest.fixture
def snapshot(db):
    """`snapshot()` before, `snapshot.unchanged()` after: no row of any table changed."""

    class _Snap:
        before = None

        def take(self):
            self.before = db_snapshot(db)

        def unchanged(self, where=""):
            db.session.rollback()
            assert db_snapshot(db) == self.before, f"a row changed: {where}"

    return _Snap()


