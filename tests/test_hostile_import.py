"""R-DAT-1 / R-DAT-3, hostile input: every file below is refused with its French message, through
the upload screen (HTTP 400) and through `flask admints import-siecle` (exit code 1), and the
database is exactly as before (every row: `db_snapshot`). The establishment was imported once
first, so that a wrongly accepted empty export would visibly delete its pupils and accounts.
"""

from __future__ import annotations

import functools
import html
import io
import random
import struct
import zipfile

import pytest

from tests.db_snapshot import db_snapshot

from . import siecle_xml as X
from .test_siecle_import import U, base_files, run

URL = "/donnees/import/"
HEAD = (f'<?xml version="1.0" encoding="ISO-8859-15"?>\n<BEE_ELEVES VERSION="3.0"><PARAMETRES>'
        f"<UAJ>{U}</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE></PARAMETRES>").encode()


def _zip(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _eleves_doc(body: bytes) -> bytes:
    return HEAD + b"<DONNEES><ELEVES>" + body + b"</ELEVES></DONNEES></BEE_ELEVES>"


@functools.cache
def zip_bomb() -> bytes:
    """~60 KB inflating to 60 MB of `<a/>` (15 million elements) in a BEE_ELEVES export."""
    buf = io.BytesIO()
    block = b"<a/>" * (256 * 1024)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("ElevesSansAdresses.xml", "w", force_zip64=True) as member:
            member.write(HEAD + b"<DONNEES><ELEVES>")
            for _ in range(57):
                member.write(block)
            member.write(b"</ELEVES></DONNEES></BEE_ELEVES>")
    return buf.getvalue()


def _corrupted_deflate() -> bytes:
    data = bytearray(_zip({"ElevesSansAdresses.xml": base_files()[1][1]}))
    start = 30 + len("ElevesSansAdresses.xml")  # the local header, then the deflate stream
    for i in range(start + 10, start + 400):
        data[i] ^= 0x5A
    return bytes(data)


def _flag_encrypted(data: bytes) -> bytes:
    """Bit 0 of the general purpose flags (« encrypted ») set in every header."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = out.find(signature)
        while pos != -1:
            flags = struct.unpack_from("<H", out, pos + offset)[0]
            struct.pack_into("<H", out, pos + offset, flags | 0x1)
            pos = out.find(signature, pos + 4)
    return bytes(out)


def _set_method(data: bytes, method: int) -> bytes:
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        pos = out.find(signature)
        struct.pack_into("<H", out, pos + offset, method)
    return bytes(out)


def _lying_size(data: bytes) -> bytes:
    """The headers announce 100 bytes for a member that inflates to more (CRC then fails)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = out.find(signature)
        struct.pack_into("<I", out, pos + offset, 100)
    return bytes(out)


BOMB_ENTITIES = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                 b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                 b"<BEE_ELEVES><PARAMETRES><UAJ>" + U.encode() + b"</UAJ></PARAMETRES>"
                 b"<DONNEES>&lol1;</DONNEES></BEE_ELEVES>")
XXE = (b'<?xml version="1.0"?><!DOCTYPE BEE_ELEVES [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b"<BEE_ELEVES><PARAMETRES><UAJ>&x;</UAJ></PARAMETRES></BEE_ELEVES>")
ELEVES = base_files()[1][1]

CASES = {
    # name: (lazy (file name, content), French message expected)
    "eleves_vide": (lambda: ("ElevesSansAdresses.xml", X.eleves_xml(U, [])),
                    "ne contient aucun élève"),
    "eleves_sans_donnees": (lambda: ("ElevesSansAdresses.xml", HEAD + b"</BEE_ELEVES>"),
                            "n'a pas de section DONNEES"),
    "responsables_sans_donnees": (
        lambda: ("ResponsablesAvecAdresses.xml",
                 HEAD.replace(b"BEE_ELEVES", b"BEE_RESPONSABLES") + b"</BEE_RESPONSABLES>"),
        "n'a pas de section DONNEES"),
    "responsables_vide": (lambda: ("ResponsablesAvecAdresses.xml", X.responsables_xml(U, [], [])),
                          "ne contient aucun responsable"),
    "responsables_sans_liens": (
        lambda: ("ResponsablesAvecAdresses.xml",
                 X.responsables_xml(U, [X.personne(10, "DUPONT", "Marie")], [])),
        "ne contient aucun lien responsable–élève"),
    "nomenclature_vide": (lambda: ("Nomenclature.xml", X.nomenclature_xml(U, [])),
                          "ne contient aucun MEF"),
    "zip_bombe_elements_minuscules": (lambda: ("export.zip", zip_bomb()),
                                      "n'a pas la forme d'un export SIECLE"),
    "xml_elements_minuscules": (lambda: ("ElevesSansAdresses.xml",
                                         _eleves_doc(b"<a/>" * 300_000)),
                                "n'a pas la forme d'un export SIECLE"),
    "zip_deflate_corrompu": (lambda: ("export.zip", _corrupted_deflate()),
                             "est illisible ou corrompue"),
    "zip_membre_chiffre": (lambda: ("export.zip", _flag_encrypted(_zip({"Eleves.xml": ELEVES}))),
                           "est chiffré (protégé par un mot de passe)"),
    "zip_compression_inconnue": (
        lambda: ("export.zip", _set_method(_zip({"Eleves.xml": ELEVES}), 99)),
        "méthode de compression non prise en charge"),
    "zip_taille_mensongere": (lambda: ("export.zip", _lying_size(_zip({"Eleves.xml": ELEVES}))),
                              "est illisible ou corrompue"),
    "zip_tronque": (lambda: ("export.zip", _zip({"Eleves.xml": ELEVES})[:300]),
                    "est illisible ou corrompue"),
    "zip_sans_xml": (lambda: ("export.zip", _zip({"lisezmoi.txt": b"rien"})),
                     "ne contient aucun fichier XML"),
    "zip_deux_fichiers_eleves": (lambda: ("export.zip", _zip({"a.xml": ELEVES, "b.xml": ELEVES})),
                                 "Deux fichiers de élèves"),
    "zip_trop_de_membres": (
        lambda: ("export.zip", _zip({f"f{i}.xml": b"<a/>" for i in range(21)})),
        "contient plus de 20 fichiers XML"),
    "xml_tronque": (lambda: ("ElevesSansAdresses.xml", ELEVES[:len(ELEVES) // 2]),
                    "n'est pas un XML valide"),
    "mauvaise_racine": (lambda: ("ElevesSansAdresses.xml", b"<BEE_NOTES><DONNEES/></BEE_NOTES>"),
                        "n'est pas un export SIECLE reconnu"),
    "binaire": (lambda: ("ElevesSansAdresses.xml", b"\x00\x01" + random.Random(9).randbytes(4096)),
                "n'est pas un XML valide"),
    "encodage_inconnu": (
        lambda: ("ElevesSansAdresses.xml",
                 b'<?xml version="1.0" encoding="X-INCONNU"?><BEE_ELEVES/>'),
        "déclare un encodage illisible"),
    "attribut_geant": (lambda: ("ElevesSansAdresses.xml",
                                _eleves_doc(b'<ELEVE ELEVE_ID="' + b"9" * 3_000_000 + b'"/>')),
                       "n'a pas la forme d'un export SIECLE"),
    "identifiant_trop_long": (lambda: ("ElevesSansAdresses.xml",
                                       _eleves_doc(b'<ELEVE ELEVE_ID="' + b"9" * 30 + b'"/>')),
                              "ELEVE_ID de plus de 20 caractères"),
    "texte_geant": (lambda: ("ElevesSansAdresses.xml", _eleves_doc(
        b'<ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>' + b"X" * 5_000_000
        + b"</NOM_DE_FAMILLE></ELEVE>")), "n'a pas la forme d'un export SIECLE"),
    "commentaire_geant": (lambda: ("ElevesSansAdresses.xml",
                                   b"<!--" + b"x" * 5_000_000 + b"-->" + ELEVES),
                          "n'a pas la forme d'un export SIECLE"),
    "entites_en_cascade": (lambda: ("ElevesSansAdresses.xml", BOMB_ENTITIES), "entités XML"),
    "entite_externe": (lambda: ("ElevesSansAdresses.xml", XXE), "entités XML"),
    "eleve_sans_identifiant": (lambda: ("ElevesSansAdresses.xml",
                                        _eleves_doc(b"<ELEVE><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE>"
                                                    b"</ELEVE>")),
                               "un élève sans ELEVE_ID"),
}


@pytest.fixture
def imported(db, etab):
    """The establishment with its pupils, guardians and accounts, committed."""
    run(base_files())
    db.session.commit()
    return etab


def _via_screen(client, auth, name: str, content: bytes) -> tuple[int, str]:
    response = client.post(URL, content_type="multipart/form-data", data={
        "csrf_token": auth.csrf(URL), "fichiers": [(io.BytesIO(content), name)]})
    return response.status_code, html.unescape(response.get_data(as_text=True))


def _via_cli(runner, tmp_path, name: str, content: bytes) -> tuple[int, str]:
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(args=["admints", "import-siecle", "--uai", U, str(path)])
    return result.exit_code, result.output


@pytest.mark.parametrize("channel", ["ecran", "cli"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_r_dat_1_r_dat_3_hostile_file_refused_in_french_nothing_changed(
        client, auth, runner, db, imported, tmp_path, case, channel):
    make, message = CASES[case]
    name, content = make()
    if channel == "ecran":
        auth.login("chef.0999001a")  # before the snapshot: a login writes its date
    before = db_snapshot(db)
    if channel == "ecran":
        status, output = _via_screen(client, auth, name, content)
        assert status == 400, output[:500]
    else:
        status, output = _via_cli(runner, tmp_path, name, content)
        assert status == 1, output
    assert message in output, output[-800:]
    for leak in ("Traceback", "zlib", "BadZipFile", "RuntimeError", "ParseError", "Exception"):
        assert leak not in output
    assert db_snapshot(db) == before


def test_r_dat_1_zip_bomb_is_small_and_refused_quickly_in_bounded_work(db, imported):
    """The issue's bomb: a ~60 KB zip of 60 MB of tiny elements. Refused long before its
    15 million elements are built (measured by bench/import_bomb.py: RSS and time)."""
    import time

    data = zip_bomb()
    assert len(data) < 100_000
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.infolist()[0].file_size > 59_000_000
    start = time.process_time()
    with pytest.raises(Exception) as refused:
        run([("export.zip", data)])
    db.session.rollback()
    assert "n'a pas la forme d'un export SIECLE" in refused.value.message
    assert time.process_time() - start < 5
