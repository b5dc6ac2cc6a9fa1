"""R-DAT-1 screens of « Données SIECLE »: the upload (CSRF, size limit, French refusals, nothing
changed on refusal) and the read-only lists (search, filters, isolation, no editing)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import select

from admints.models import Division, Eleve

from . import factories, test_siecle_import
from . import siecle_xml as X
from .test_siecle_import import (
    U,
    base_files,
    newcomer_files,
    snapshot,
    without_competitor,
)

race = test_siecle_import.race  # the fixture of two imports at once

URL = "/donnees/import/"


def upload(client, auth, files, token=True):
    data = {"fichiers": [(io.BytesIO(content), name) for name, content in files]}
    if token:
        data["csrf_token"] = auth.csrf(URL)
    return client.post(URL, data=data, content_type="multipart/form-data")


@pytest.fixture
def chef(auth, etab):
    auth.login("chef.0999001a")
    return auth


def test_r_dat_1_upload_screen_imports_files(client, chef, db):
    page = client.get(URL)
    assert page.status_code == 200
    assert "Import SIECLE" in page.get_data(as_text=True)
    response = upload(client, chef, base_files())
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Import terminé" in html
    assert re.search(r'data-kind="eleves"><th scope="row">Élèves</th><td>3</td>', html)
    assert db.session.scalar(select(Eleve).where(Eleve.siecle_id == "2")).prenom == "Anaïs"


def test_r_dat_1_upload_zip(client, chef, db):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in base_files():
            archive.writestr(name, data)
    response = upload(client, chef, [("export-siecle.zip", buf.getvalue())])
    assert response.status_code == 200
    assert len(db.session.scalars(select(Eleve)).all()) == 3


@pytest.mark.parametrize("files, message", [
    ([("Eleves.xml", X.eleves_xml("0999002B", [X.eleve(1, "A", "B")]))],
     "est celui de l&#39;établissement 0999002B, pas de l&#39;établissement 0999001A"),
    ([("Eleves.xml", b"<BEE_ELEVES><oops>")], "n&#39;est pas un XML valide"),
    ([("Eleves.xml", b"")], "est vide"),
    ([("notes.xml", b"<BEE_NOTES/>")], "n&#39;est pas un export SIECLE reconnu"),
])
def test_r_dat_1_upload_refused_in_french_database_unchanged(client, chef, db, files, message):
    upload(client, chef, base_files())
    before = snapshot(db)
    response = upload(client, chef, base_files()[:1] + files)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert snapshot(db) == before


def test_r_dat_1_upload_during_another_import_refused_in_french(client, chef, db, race):
    """Two uploads at once pick the same new identifier: the second page says so in French
    (400, not a 500 with a traceback) and the database keeps nothing of it."""
    before = snapshot(db)
    response = upload(client, chef, newcomer_files())
    assert race == ["theo.nouveau"]
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Un autre import est en cours ou vient de modifier les comptes ; relancez" in page
    assert "IntegrityError" not in page and "UNIQUE" not in page
    db.session.expire_all()
    assert without_competitor(snapshot(db)) == before
    again = upload(client, chef, newcomer_files())  # « relancez l'import »
    assert again.status_code == 200
    assert db.session.scalar(select(Eleve.nom).where(Eleve.siecle_id == "4")) == "NOUVEAU"


def test_r_dat_1_upload_without_file(client, chef):
    response = client.post(URL, data={"csrf_token": chef.csrf(URL)},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choisissez au moins un fichier" in response.get_data(as_text=True)


def test_r_sec_2_upload_without_csrf_token_refused(client, chef, db):
    before = snapshot(db)
    response = upload(client, chef, base_files(), token=False)
    assert response.status_code == 400
    assert "jeton CSRF" in response.get_data(as_text=True)
    assert snapshot(db) == before


def test_r_dat_1_upload_above_max_content_length_refused_with_size_message(app, client, chef,
                                                                            db):
    """The limit is MAX_CONTENT_LENGTH (100 MB by default, room for the ~60 MB of XML of a
    20,000-pupil establishment); lowered here so that the test does not post 100 MB."""
    assert app.config["MAX_CONTENT_LENGTH"] == 100 * 1024 * 1024
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    before = snapshot(db)
    big = b"<!-- " + b"x" * (3 * 1024 * 1024) + b" -->"
    response = upload(client, chef, [("ElevesSansAdresses.xml", big)])
    assert response.status_code == 413
    assert "Fichier trop volumineux : la taille maximale est de 2 Mo" in response.get_data(
        as_text=True)
    assert snapshot(db) == before


def test_r_dat_1_lists_are_read_only_and_searchable(client, chef, db, etab, other_etab):
    upload(client, chef, base_files())
    factories.make_eleve(other_etab, nom="ETRANGER", prenom="Autre")
    db.session.commit()
    html = client.get("/donnees/eleves/").get_data(as_text=True)
    assert "MARTIN" in html and "ETRANGER" not in html
    assert "CHORALE" in html  # groups shown
    html = client.get("/donnees/eleves/?search=martin").get_data(as_text=True)
    assert "MARTIN" in html and "DUPONT" not in html
    div = db.session.scalar(select(Division).where(Division.etablissement_id == etab.id,
                                                   Division.code == "5B"))
    filtered = client.get(f"/donnees/eleves/?flt0_0={div.id}").get_data(as_text=True)
    assert "MARTIN" in filtered and "Zoé" not in filtered
    assert client.get("/donnees/eleves/?sort=4").status_code == 200
    html = client.get("/donnees/responsables/").get_data(as_text=True)
    assert "NUÑEZ" in html and "(légal 1)" in html
    html = client.get("/donnees/divisions/").get_data(as_text=True)
    assert "5B" in html and "6A" in html
    html = client.get("/donnees/mef/").get_data(as_text=True)
    assert "21110010012" in html and "6ème" in html
    for path in ("/donnees/eleves/new/", "/donnees/eleves/edit/?id=1",
                 "/donnees/mef/new/", "/donnees/divisions/edit/?id=1"):
        assert client.get(path).status_code in (302, 403, 404)
    token = chef.csrf(URL)
    client.post("/donnees/eleves/delete/", data={"id": "1", "csrf_token": token, "confirme": "1"})
    assert db.session.get(Eleve, 1) is not None


def test_r_sec_1_lists_hide_other_establishment_rows_by_id(client, auth, db, etab, other_etab):
    other = factories.make_eleve(other_etab, nom="ETRANGER", prenom="Autre",
                                 division=factories.make_division(other_etab, "3-ETRANGERE"))
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get(f"/donnees/eleves/?flt0_0={other.division_id}").get_data(as_text=True)
    assert "ETRANGER" not in html
    assert "3-ETRANGERE" not in client.get("/donnees/divisions/").get_data(as_text=True)


@pytest.mark.parametrize("login", ["assistance.0999001a"])
def test_r_dat_1_helpdesk_cannot_import(client, auth, etab, login):
    auth.login(login)
    assert client.get(URL).status_code == 403
    assert client.get("/donnees/eleves/").status_code == 403


def test_r_dat_1_academie_admin_imports_for_chosen_establishment(client, auth, db, etab):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    auth.login("academie.demo")
    response = upload(client, auth, base_files(uai=U))
    assert response.status_code == 200
    assert "Import terminé" in response.get_data(as_text=True)
