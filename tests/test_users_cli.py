"""`admints create-user` (issue 2 point 6, R-SEC-2): argon2id hash, French errors, exit 1 and
nothing created on bad input."""

from __future__ import annotations

import json

import pytest

from admints.models import AuditEntry, StaffUser

GOOD = "un-mot-de-passe-solide"


def _invoke(runner, *args, password=GOOD):
    return runner.invoke(args=["admints", "create-user", *args, "--password-stdin"],
                         input=f"{password}\n")


def _counts(db):
    return (db.session.scalar(db.select(db.func.count(StaffUser.id))),
            db.session.scalar(db.select(db.func.count(AuditEntry.id))))


def test_r_sec_2_create_user_hashes_with_argon2id(runner, db, etab):
    result = _invoke(runner, "--login", "Delegue.Ent", "--role", "delegue", "--uai", "0999001a",
                     "--droit", "eleves", "--droit", "statistiques")
    assert result.exit_code == 0, result.output
    assert "delegue.ent" in result.output
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "delegue.ent"))
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD not in user.password_hash
    assert user.etablissement_id == etab.id and user.droits == ["eleves", "statistiques"]
    entry = db.session.scalar(db.select(AuditEntry)
                              .where(AuditEntry.action == "utilisateur.creation"))
    assert entry.target == "delegue.ent" and entry.login == "cli"
    assert GOOD not in (entry.after or "")


def test_create_academie_user_with_code_and_json(runner, db, etab):
    result = _invoke(runner, "--login", "academie.demo2", "--role", "academie",
                     "--academie", "demo", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"login": "academie.demo2", "role": "academie", "uai": None}
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "academie.demo2"))
    assert user.academie_id == etab.academie_id and user.etablissement_id is None


def test_create_academie_user_from_uai_belongs_to_the_academie(runner, db, etab):
    result = _invoke(runner, "--login", "academie.x", "--role", "academie", "--uai", "0999001A")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "academie.x"))
    assert user.academie_id == etab.academie_id and user.etablissement_id is None


@pytest.mark.parametrize("args, password, message", [
    (("--login", "x.y", "--role", "directeur", "--uai", "0999001A"), GOOD, "Rôle inconnu"),
    (("--login", "x.y", "--role", "chef", "--uai", "0999999Z"), GOOD, "Établissement inconnu"),
    (("--login", "x.y", "--role", "chef", "--uai", "0999001A"), "court", "au moins 12 caractères"),
    (("--login", "x.y", "--role", "chef", "--uai", "0999001A"), "", "au moins 12 caractères"),
    (("--login", "chef.0999001a", "--role", "chef", "--uai", "0999001A"), GOOD, "existe déjà"),
    (("--login", "CHEF.0999001A", "--role", "chef", "--uai", "0999001A"), GOOD, "existe déjà"),
    (("--login", "x.y", "--role", "chef"), GOOD, "rattaché à un établissement"),
    (("--login", "x.y", "--role", "academie", "--academie", "nulle"), GOOD, "Académie inconnue"),
    (("--login", "x.y", "--role", "academie"), GOOD, "rattaché à une académie"),
    (("--login", "x.y", "--role", "delegue", "--uai", "0999001A", "--droit", "journal"), GOOD,
     "Droits inconnus"),
    (("--login", "x y<script>", "--role", "chef", "--uai", "0999001A"), GOOD,
     "Identifiant invalide"),
    (("--login", "   ", "--role", "chef", "--uai", "0999001A"), GOOD, "obligatoire"),
])
def test_create_user_bad_input_french_error_exit_1_nothing_created(runner, db, etab, args,
                                                                   password, message):
    before = _counts(db)
    result = _invoke(runner, *args, password=password)
    assert result.exit_code == 1, result.output
    assert message in result.output
    db.session.rollback()
    assert _counts(db) == before
    if password:
        assert password not in result.output


def test_create_user_json_error(runner, db, etab):
    result = _invoke(runner, "--login", "x.y", "--role", "chef", "--uai", "0000000A", "--json")
    assert result.exit_code == 1
    assert "Établissement inconnu" in result.output


def test_created_user_can_log_in(runner, db, etab, auth):
    assert _invoke(runner, "--login", "assistance.2", "--role", "assistance",
                   "--uai", "0999001A").exit_code == 0
    response = auth.login("assistance.2", GOOD)
    assert response.status_code == 302
