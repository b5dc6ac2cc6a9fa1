"""R-SEC-5 / R-SRV-5: the académie's TIPI référentiel CSV import, through the screen and the
`admints tipi-import` command, with hostile files — a 200,000-character field, binary data,
empty, UTF-16, wrong columns, markup labels, too big, undecodable. Each file is refused with
a French message naming the problem, and no row changes. The import checks labels with the
form's own rule (`paiement.check_libelle_regie`)."""

from __future__ import annotations

from io import BytesIO

import pytest

from admints.teleservices import paiement

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
CASES = [
    pytest.param(b"123456;" + b"A" * 200_000 + b"\n", "illisible", id="field-200000-chars"),
    pytest.param(b"1" * 200_000 + b";Regie\n", "illisible", id="numero-200000-chars"),
    pytest.param(b"123456;" + b"A" * 120_000 + b"\n", "limité à 200", id="label-120000-chars"),
    pytest.param(PNG, "binaire", id="binary-png"),
    pytest.param(bytes(range(1, 32)) * 10, "binaire", id="binary-control-chars"),
    pytest.param(b"", "vide", id="empty"),
    pytest.param(b"  \r\n\n", "vide", id="blank"),
    pytest.param("123456;Régie\n".encode("utf-16"), "UTF-16", id="utf-16"),
    pytest.param(b"123456;R\x81gie\n", "encodage", id="undecodable"),
    pytest.param(b"123456\n", "deux colonnes", id="one-column"),
    pytest.param(b"123456;Regie;en trop\n", "deux colonnes", id="three-columns"),
    pytest.param(b"numero;libelle\n", "aucune", id="header-only"),
    pytest.param(b"123456;<script>alert(1)</script>\n", "balise", id="markup-label"),
    pytest.param(b"123456;x onmouseover=alert(1)\n", "script", id="handler-label"),
    pytest.param(b"-1;Regie\n", "mal form", id="negative-numero"),
    pytest.param(b"123456789012345678901;Regie\n", "mal form", id="numero-21-digits"),
    pytest.param(b"123456;\"Regie\n654321;B\n", "illisible", id="unclosed-quote"),
    pytest.param(b"123456;A\n123456;B\n", "en double", id="duplicate"),
    pytest.param(b"123456;A\n" * 120_000, "Mo", id="over-1-MB"),
]


@pytest.mark.parametrize("data, expected", CASES)
def test_r_sec_5_hostile_tipi_csv_refused_on_screen(world, as_user, snapshot, data, expected):
    session = as_user("academie")
    snapshot.take()
    response = session.post("/academie/tipi/import",
                            data={"fichier": (BytesIO(data), "tipi.csv")},
                            content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/academie/tipi/")
    page = session.get(response.headers["Location"]).get_data(as_text=True)
    assert expected in page, page[page.find("alert"):][:400]
    assert "régie(s) créée(s)" not in page
    snapshot.unchanged(expected)


@pytest.mark.parametrize("data, expected", CASES)
def test_r_sec_5_hostile_tipi_csv_refused_by_the_cli(world, runner, snapshot, tmp_path, data,
                                                     expected):
    path = tmp_path / "tipi.csv"
    path.write_bytes(data)
    snapshot.take()
    result = runner.invoke(args=["admints", "tipi-import", "--academie", "demo", str(path)])
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    snapshot.unchanged(expected)


def test_r_sec_5_tipi_import_without_a_file(world, as_user, snapshot):
    session = as_user("academie")
    snapshot.take()
    for data in ({"fichier": "123456;Regie"}, {}):
        response = session.post("/academie/tipi/import", data=data)
        assert response.status_code == 302
        assert "Choisissez un fichier CSV" in session.get("/academie/tipi/").get_data(
            as_text=True)
    snapshot.unchanged("no file")


def test_r_srv_5_form_and_import_share_the_label_rule(world, as_user, snapshot):
    """The same label is refused, with the same words, by the form and by the import."""
    session = as_user("academie")
    snapshot.take()
    label = "<b>Régie</b>"
    with pytest.raises(Exception) as refused:
        paiement.check_libelle_regie(label)
    message = refused.value.message
    form = session.post("/academie/tipi/new/", data={"numero_client": "777777",
                                                     "libelle_regie": label})
    assert form.status_code == 200
    assert message.replace("'", "&#39;") in form.get_data(as_text=True)
    response = session.post("/academie/tipi/import", data={
        "fichier": (BytesIO(f"777777;{label}\n".encode()), "tipi.csv")},
        content_type="multipart/form-data")
    page = session.get(response.headers["Location"]).get_data(as_text=True)
    assert message.rstrip(".").replace("'", "&#39;") in page
    snapshot.unchanged("label rule")


def test_r_srv_5_valid_tipi_csv_still_imported(world, as_user, db):
    session = as_user("academie")
    data = "numero;regie\n777777;Régie de l'Arbre\n 888 888 ;Régie B\n".encode("cp1252")
    response = session.post("/academie/tipi/import",
                            data={"fichier": (BytesIO(data), "tipi.csv")},
                            content_type="multipart/form-data")
    page = session.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 régie(s) créée(s)" in page
    assert paiement.find_regie(world["etab"].academie_id, "888888").libelle_regie == "Régie B"
