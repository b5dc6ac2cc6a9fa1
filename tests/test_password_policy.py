"""Staff passwords (R-SEC-2, OWASP ASVS 5.0 V6; issue 9 point 3): at least 12 characters, long
ones accepted, no composition rule, common or guessable ones refused with a French message —
in the domain, on the head's screen, on the command line and for the demo's passwords."""

from __future__ import annotations

import random
import string

import pytest

from admints.academie import password_policy, users
from admints.demo import loader
from admints.errors import DomainError
from admints.models import StaffUser

from . import factories
from .comptes_helpers import csrf_of
from .db_snapshot import db_snapshot

COMMON = [
    "password1234", "azertyuiop123", "motdepasse2026", "123456789012", "qwertyuiopasdf",
    "aaaaaaaaaaaaaaaa", "abcdefghijklmnop", "iloveyou1234", "1qaz2wsx3edc", "soleilsoleil",
    "Motdepasse123!",
]


@pytest.mark.parametrize("password", COMMON)
def test_r_sec_2_common_passwords_refused_in_french(password):
    with pytest.raises(DomainError) as error:
        password_policy.check_password(password)
    assert "trop courant ou trop facile à deviner" in error.value.message


@pytest.mark.parametrize("password, message", [
    ("", "au moins 12 caractères"),
    ("Kx9-pLm2-Qr7", None),  # exactly 12: accepted
    ("Kx9-pLm2-Qr", "au moins 12 caractères"),  # 11
    ("x" * 257, "au plus 256 caractères"),
])
def test_r_sec_2_length_bounds(password, message):
    if message is None:
        password_policy.check_password(password)
        return
    with pytest.raises(DomainError, match=message):
        password_policy.check_password(password)


@pytest.mark.parametrize("password", [
    "cheval agrafe pile correcte",  # lower case only: no composition rule
    "orage tilleul boussole vendredi",
    "".join(random.Random(64).choices(string.ascii_letters + string.digits, k=64)),
    "".join(random.Random(256).choices(string.ascii_letters + string.digits, k=256)),  # max
    "Ünïcodé-çà-et-là-Ωmega-17",
])
def test_r_sec_2_passphrases_and_long_passwords_accepted(password):
    password_policy.check_password(password)


def test_r_sec_2_passwords_built_from_the_account_refused(db, etab):
    """Words of the account (login, establishment) count as dictionary words (ASVS V6)."""
    with pytest.raises(DomainError, match="trop courant"):
        password_policy.check_password("chef.0999001a2026", context=("chef.0999001a",))
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "chef.0999001a"))
    before = user.password_hash
    with pytest.raises(DomainError, match="trop courant"):
        users.set_password(user, "Chef0999001a!!")
    with pytest.raises(DomainError, match="trop courant"):
        users.set_password(user, "College-Victor-Hugo-Bleu")  # its establishment
    assert user.password_hash == before and user.session_version == 0


def test_r_sec_2_head_sets_a_common_password_french_error_nothing_changed(client, auth, db,
                                                                          etab):
    factories.make_user("delegue.ent", "delegue", etablissement=etab, droits=["eleves"])
    db.session.commit()
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "delegue.ent"))
    auth.login("chef.0999001a")
    url = f"/utilisateurs-etablissement/edit/?id={user.id}"
    token = csrf_of(client, url)
    before = db_snapshot(db)
    response = client.post(url, data={"nom": "", "droits": ["eleves"], "actif": "y",
                                      "password": "azertyuiop123",
                                      "confirmation": "azertyuiop123", "csrf_token": token})
    assert response.status_code == 200
    assert "trop courant ou trop facile à deviner" in response.get_data(as_text=True)
    assert db_snapshot(db) == before


def test_r_sec_2_cli_refuses_a_common_password(runner, db, etab):
    before = db_snapshot(db)
    result = runner.invoke(args=["admints", "create-user", "--login", "x.y", "--role", "chef",
                                 "--uai", "0999001A", "--password-stdin"],
                           input="motdepasse2026\n")
    assert result.exit_code == 1
    assert "trop courant" in result.output and "motdepasse2026" not in result.output
    db.session.rollback()
    assert db_snapshot(db) == before


def test_r_sec_2_demo_generated_passwords_meet_the_policy():
    for _ in range(50):
        password_policy.check_password(loader.generate_password())


def test_r_sec_2_test_password_meets_the_policy():
    password_policy.check_password(factories.PASSWORD, context=("chef.0999001a",))
