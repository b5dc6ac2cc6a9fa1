"""R-SEC-2 / OWASP ASVS 5.0 V11.4: staff and family passwords are hashed with argon2id at or
above the OWASP Password Storage Cheat Sheet minimum (m=19 MiB, t=2, p=1; bench/security.py
prints the logins/s these settings allow). The tests run cheaper settings (TestConfig, for
speed): what deployments run is Config's, checked here, and nothing but TESTING may go below
the minimum."""

from __future__ import annotations

import re

import pytest

from admints import create_app
from admints.config import Config, TestConfig
from admints.secrets_store import hash_password, verify_password

from .conftest import _config

HASH = re.compile(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+")
DEPLOYED = {k: getattr(Config, k) for k in dir(Config) if k.startswith("ARGON2_")}


def test_r_sec_2_argon2id_at_or_above_owasp_minimum(tmp_path):
    app = create_app({**_config(), **DEPLOYED, "TESTING": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.sqlite'}",
                      "OUTPUT_DIR": str(tmp_path / "out")})
    with app.app_context():
        stored = hash_password("Orage-Tilleul-Boussole-17")
        assert verify_password(stored, "Orage-Tilleul-Boussole-17")
        assert not verify_password(stored, "Orage-Tilleul-Boussole-18")
    match = HASH.fullmatch(stored)
    assert match, stored
    memory_kib, time_cost, parallelism = map(int, match.groups())
    assert memory_kib >= 19 * 1024 and time_cost >= 2 and parallelism >= 1
    assert (memory_kib, time_cost, parallelism) == (
        Config.ARGON2_MEMORY_KIB, Config.ARGON2_TIME_COST, Config.ARGON2_PARALLELISM)


@pytest.mark.parametrize("weak", [{"ARGON2_MEMORY_KIB": 1024},
                                  {"ARGON2_MEMORY_KIB": 30 * 1024, "ARGON2_TIME_COST": 1},
                                  {"ARGON2_MEMORY_KIB": 12 * 1024, "ARGON2_TIME_COST": 1},
                                  {"ARGON2_PARALLELISM": 0}])
def test_r_sec_2_weaker_settings_refused_outside_the_tests(tmp_path, weak):
    config = {**_config(), **DEPLOYED, **weak, "TESTING": False,
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.sqlite'}",
              "OUTPUT_DIR": str(tmp_path / "out")}
    with pytest.raises(RuntimeError, match="sous le minimum OWASP"):
        create_app(config)


def test_r_sec_2_hash_of_the_tests_settings_still_verifies_under_deployed_ones(app, tmp_path):
    """A password hashed with other settings stays valid: argon2 reads them from the hash."""
    cheap = hash_password("Orage-Tilleul-Boussole-17")
    assert f"m={TestConfig.ARGON2_MEMORY_KIB}," in cheap
    deployed = create_app({**_config(), **DEPLOYED, "TESTING": False,
                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'b.sqlite'}",
                           "OUTPUT_DIR": str(tmp_path / "out")})
    with deployed.app_context():
        assert verify_password(cheap, "Orage-Tilleul-Boussole-17")
