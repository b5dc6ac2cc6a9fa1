"""R-SEC-2 on every screen: no password hash, no encrypted token, and never the temporary
password of an account in state *Utilisé*, on any page of any registered view (walked like
the isolation test, so later screens are covered too)."""

from __future__ import annotations

import re

import pytest
from flask import url_for

from admints.models import Compte, EtatCompte, StaffUser
from admints.secrets_store import encrypt_secret, hash_password
from admints.views.base import ScopedModelView

from . import factories
from .test_isolation import VIEWS, _login

USED_TEMP = "TempUtilise-8471"
FRESH_TEMP = "TempNeuf-5520"


@pytest.fixture
def secrets_world(db, etab, other_etab):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    mef = factories.make_mef(etab)
    div = factories.make_division(etab)
    used = factories.make_eleve(etab, nom="UTILISE", prenom="Paul", mef=mef, division=div,
                                etat=EtatCompte.UTILISE, identifiant="paul.utilise")
    fresh = factories.make_eleve(etab, nom="NEUF", prenom="Lina", mef=mef, division=div,
                                 identifiant="lina.neuf")
    resp = factories.make_responsable(etab, nom="UTILISE", prenom="Anne")
    lien = factories.link(used, resp, 1, etat=EtatCompte.UTILISE, identifiant="anne.utilise")
    the_hash = hash_password("mot-de-passe-famille")
    for compte, temp in ((used.compte, USED_TEMP), (lien.compte, USED_TEMP),
                         (fresh.compte, FRESH_TEMP)):
        compte.mot_de_passe_hash = the_hash
        compte.mot_de_passe_provisoire_chiffre = encrypt_secret(temp)
    db.session.commit()
    return {"etab": etab, "ids": [str(i) for i in db.session.scalars(db.select(Compte.id))]}


def _clean(response, where):
    body = response.get_data().decode("utf-8", "replace")
    assert response.status_code < 500, where
    assert "$argon2" not in body, f"password hash shown at {where}"
    assert "gAAAAA" not in body, f"encrypted token shown at {where}"
    assert USED_TEMP not in body, f"temporary password of a used account shown at {where}"


@pytest.mark.parametrize("endpoint, who", VIEWS)
def test_r_sec_2_no_secret_on_any_screen(app, db, client, auth, secrets_world, endpoint, who):
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    _login(auth, client, db, {"etab": secrets_world["etab"]}, who)
    with app.test_request_context():
        base = url_for(f"{endpoint}.{view._default_view}").rstrip("/")
    _clean(client.get(f"{base}/"), f"{base}/")
    own_ids = []
    if isinstance(view, ScopedModelView):
        with app.test_request_context():
            from flask_login import login_user

            login_user(db.session.scalar(db.select(StaffUser).where(
                StaffUser.login == ("chef.0999001a" if who == "chef" else "academie.demo"))))
            try:
                own_ids = [str(view.get_pk_value(r)) for r in view.get_query().limit(20)]
            except Exception:  # a view whose scope needs the session's choice
                own_ids = []
        for oid in own_ids:
            for sub in ("details/", "edit/"):
                _clean(client.get(f"{base}/{sub}", query_string={"id": oid}), f"{sub}{oid}")
        if getattr(view, "can_export", False):
            _clean(client.get(f"{base}/export/csv/"), "export")
    for rule, _name, methods in view._urls:
        if "GET" not in (methods or ("GET",)) or rule in ("/", "/new/", "/edit/", "/details/"):
            continue
        if "<" in rule:
            for oid in dict.fromkeys(own_ids + secrets_world["ids"]):
                url = re.sub(r"<(?:int:)?(id|compte_id)>", oid, rule)
                if "<" not in url:
                    _clean(client.get(base + url), url)
        else:
            _clean(client.get(base + rule), rule)
