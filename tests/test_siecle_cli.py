"""R-DAT-1 from the command line: `flask admints import-siecle --uai UAI FILE... [--json]`."""

from __future__ import annotations

import json

from sqlalchemy import select

from admints.models import Compte, Eleve, Etablissement

from . import test_siecle_import
from .test_siecle_import import (
    SAMPLES,
    base_files,
    newcomer_files,
    snapshot,
    without_competitor,
)

race = test_siecle_import.race  # the fixture of two imports at once


def write(tmp_path, files):
    paths = []
    for name, data in files:
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_r_dat_1_cli_creates_unknown_establishment_and_prints_french_summary(runner, db, tmp_path):
    paths = write(tmp_path, base_files(uai="0999555K"))
    result = runner.invoke(args=["admints", "import-siecle", "--uai", "0999555k", *paths])
    assert result.exit_code == 0, result.output
    assert "Import SIECLE de l'établissement 0999555K (établissement créé)" in result.output
    assert "Élèves : 3 créé(s), 0 mis à jour, 0 sorti(s)" in result.output
    assert "Comptes : 7 créé(s)" in result.output
    etab = db.session.scalar(select(Etablissement).where(Etablissement.uai == "0999555K"))
    assert etab is not None and etab.nom == "Établissement 0999555K"
    assert len(db.session.scalars(select(Eleve)).all()) == 3


def test_r_dat_1_cli_json_and_idempotent_reimport(runner, db, etab, tmp_path):
    paths = write(tmp_path, base_files())
    first = runner.invoke(args=["admints", "import-siecle", "--uai", "0999001A", "--json", *paths])
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert data["eleves"] == {"created": 3, "updated": 0, "left": 0}
    assert {"eleves", "responsables", "comptes", "mefs", "divisions", "groupes"} <= set(data)
    comptes = sorted(db.session.scalars(select(Compte.identifiant)))
    again = runner.invoke(args=["admints", "import-siecle", "--uai", "0999001A", "--json", *paths])
    data = json.loads(again.output)
    assert all(data[k] == {"created": 0, "updated": 0, "left": 0}
               for k in ("eleves", "responsables", "comptes", "mefs", "divisions", "groupes"))
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Compte.identifiant))) == comptes


def test_r_dat_1_cli_refusal_exit_code_1_database_unchanged(runner, db, etab, tmp_path):
    runner.invoke(args=["admints", "import-siecle", "--uai", "0999001A",
                        *write(tmp_path, base_files())])
    before = snapshot(db)
    wrong = str(SAMPLES / "eleves_avec_adresse_avec_double_structure.xml")
    result = runner.invoke(args=["admints", "import-siecle", "--uai", "0999001A",
                                 *write(tmp_path, base_files()[:1]), wrong])
    assert result.exit_code == 1
    assert "0660864F, pas de l'établissement 0999001A" in result.output
    db.session.expire_all()
    assert snapshot(db) == before


def test_r_dat_1_cli_refusal_json(runner, db, etab, tmp_path):
    bomb = tmp_path / "bombe.xml"
    bomb.write_bytes(b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>')
    result = runner.invoke(args=["admints", "import-siecle", "--uai", "0999001A", "--json",
                                 str(bomb)])
    assert result.exit_code == 1
    assert "entités XML" in result.output


def test_r_dat_1_cli_during_another_import_refused_in_french(runner, db, race, tmp_path):
    """Two imports at once: the second command exits 1 with the French message, no traceback,
    and nothing of it is written."""
    before = snapshot(db)
    result = runner.invoke(args=["admints", "import-siecle", "--uai", "0999001A",
                                 *write(tmp_path, newcomer_files())])
    assert race == ["theo.nouveau"]
    assert result.exit_code == 1
    assert "Un autre import est en cours ou vient de modifier les comptes ; relancez " \
           "l'import." in result.output
    assert "Traceback" not in result.output and "IntegrityError" not in result.output
    db.session.expire_all()
    assert without_competitor(snapshot(db)) == before
