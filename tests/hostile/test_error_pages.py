"""R-SEC-5: the app's error pages — French, styled, one per status (400, 403, 404, 405, 413,
429, 500), JSON for the JSON endpoints — and a 500 that shows nothing of the internals, in
production configuration (no exception propagation, Flask-Admin not raising). Pages and files
that show temporary passwords are sent `Cache-Control: no-store`."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from flask_admin.contrib.sqla import ModelView

from admints.extensions import db as _db
from admints.models import LienUtile

from .support import ENGLISH, assert_refused

SECRET = "SECRET-ZZ /srv/admints/models.py line 42 SELECT password_hash"


def _french_page(response, status: int, title: str) -> str:
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert 'lang="fr"' in body and title in body, body[:600]
    assert f'data-status="{status}"' in body
    for text in ENGLISH:
        assert text not in body
    return body


@pytest.fixture
def boom_app(app, prod_errors):
    """Test-only routes raising an exception whose text must never be shown."""

    def boom():
        raise RuntimeError(SECRET)

    app.add_url_rule("/_test/boom", "test_boom", boom)
    app.add_url_rule("/_test/boom.json", "test_boom_json", boom)
    return app


def test_r_sec_5_500_page_is_french_and_shows_no_internals(boom_app, client):
    response = client.get("/_test/boom")
    body = _french_page(response, 500, "Erreur interne")
    assert "SECRET" not in body and "RuntimeError" not in body and "Traceback" not in body
    assert "/srv/" not in body and "password_hash" not in body
    assert "Référence de l&#39;erreur" in body or "Référence de l'erreur" in body


def test_r_sec_5_500_of_a_json_endpoint_is_json_without_internals(boom_app, client):
    response = client.get("/_test/boom.json")
    assert response.status_code == 500
    payload = response.get_json()
    assert payload["erreur"].startswith("Une erreur inattendue")
    assert "SECRET" not in response.get_data(as_text=True)


def test_r_sec_5_500_page_renders_with_the_database_gone(world, as_user, db):
    """Even when the error comes from the database (the page cannot ask it who is logged
    in), the answer is the French 500 page, not Werkzeug's."""
    session = as_user("chef")
    db.session.remove()
    db.drop_all()
    response = session.get("/eleves/")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert 'lang="fr"' in body and "Erreur interne" in body
    assert "no such table" not in body and "Traceback" not in body
    db.create_all()


def test_r_sec_5_404_405_403_pages_are_french(world, client, as_user):
    _french_page(client.get("/n-existe-pas"), 404, "Page introuvable")
    _french_page(client.get("/logout"), 405, "Méthode non autorisée")
    assert "POST" in client.get("/logout").headers["Allow"]
    session = as_user("chef")
    _french_page(session.get("/eleves/compte/99999999999999999999/"), 404, "Page introuvable")
    _french_page(session.get("/academie/tipi/"), 403, "Accès refusé")


def test_r_sec_5_400_pages_are_french(world, as_user, snapshot):
    session = as_user("chef")
    snapshot.take()
    body = _french_page(session.client.post("/parametrage/message/", data={"message": "x"}),
                        400, "Requête invalide")
    assert "jeton CSRF" in body
    body = _french_page(session.get("/eleves/", query_string={"search": "a\x00b"}), 400,
                        "Requête invalide")
    assert "caractère nul" in body
    _french_page(session.post("/parametrage/message/", data={"message": "a\x00b"}), 400,
                 "Requête invalide")
    snapshot.unchanged("400")


def test_r_sec_5_413_page_is_french(world, as_user, app, snapshot):
    session = as_user("chef")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    snapshot.take()
    response = session.post("/donnees/import/", data={
        "fichiers": (BytesIO(b"x" * (2 * 1024 * 1024)), "eleves.zip")},
        content_type="multipart/form-data")
    body = _french_page(response, 413, "Envoi trop volumineux")
    assert "1 Mo" in body
    snapshot.unchanged("413")


def test_r_sec_5_429_page_is_french(world, client, auth):
    for _ in range(8):
        response = auth.login("chef.0999001a", "mauvais-mot-de-passe")
    _french_page(response, 429, "Trop de tentatives")


@pytest.mark.parametrize("url", ["/taches/999999/etat.json",
                                 "/taches/99999999999999999999/etat.json",
                                 "/taches/abc/etat.json"])
def test_r_sec_5_json_endpoint_errors_are_json(world, as_user, url):
    response = as_user("chef").get(url)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json() == {"erreur": "Page ou élément introuvable.", "statut": 404}


class _FailingLinks(ModelView):
    """A test-only Flask-Admin screen whose save fails with an internal error."""

    can_create = True
    form_columns = ("libelle", "url")

    def is_accessible(self):
        return True

    def on_model_change(self, form, model, is_created):
        raise RuntimeError(SECRET)


def test_r_sec_5_flask_admin_save_errors_do_not_leak_in_production(app, world, as_user,
                                                                    snapshot):
    from admints.views.bounded_lists import BoundedListMixin

    view = type("FailingLinks", (BoundedListMixin, _FailingLinks), {})
    app.extensions["admin"][0].add_view(view(LienUtile, _db, endpoint="test_liens",
                                             url="/_test/liens"))
    app.config["FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION"] = False
    session = as_user("chef")
    snapshot.take()
    response = session.post("/_test/liens/new/", data={"libelle": "Lien",
                                                      "url": "https://x.example.org/"})
    assert_refused(response, "failing save")
    page = session.get(response.headers["Location"]) if response.status_code == 302 \
        else response
    body = page.get_data(as_text=True)
    assert "L&#39;opération n&#39;a pas pu être effectuée" in body
    assert "SECRET" not in body and "Failed to create record" not in body
    snapshot.unchanged("failing save")


def _job_pdf(app, world) -> Path:
    job = world["job"]
    out = Path(app.config["OUTPUT_DIR"]) / "jobs" / str(job.etablissement_id) / "lettres.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"%PDF-1.4\n%%EOF\n")
    job.file_path = str(out)
    _db.session.commit()
    return out


@pytest.mark.parametrize("url", ["/eleves/listes/?division={div}",
                                 "/eleves/listes/csv?division={div}",
                                 "/eleves/listes/pdf?division={div}", "/taches/{job}/pdf"])
def test_r_sec_5_password_pages_and_files_are_not_stored(app, world, as_user, url):
    """Class lists (HTML, CSV, PDF) and notification letters show temporary passwords."""
    _job_pdf(app, world)
    session = as_user("chef")
    response = session.get(url.format(div=world["division"].id, job=world["job"].id))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_r_sec_5_error_pages_exist_for_every_status(app):
    root = Path(app.template_folder) / "errors"
    for code in (400, 403, 404, 405, 413, 429, 500):
        text = (root / f"{code}.html").read_text(encoding="utf-8")
        assert '{% extends "errors/layout.html" %}' in text
