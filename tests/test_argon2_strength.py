"""R-SEC-2 / OWASP ASVS 5.0 V11.4: staff and family passwords are hashed with argon2id at or
above the OWASP Password Storage Cheat Sheet minimum (m=19 MiB, t=2, p=1; bench/security.py
prints the logins/s these settings allow)."""

from __future__ import annotations

import re

from admints.secrets_store import hash_password, verify_password


def test_r_sec_2_argon2id_at_or_above_owasp_minimum():
    stored = hash_password("Orage-Tilleul-Boussole-17")
    match = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", stored)
    assert match, stored
    memory_kib, time_cost, parallelism = map(int, match.groups())
    assert memory_kib >= 19 * 1024 and time_cost >= 2 and parallelism >= 1
    assert verify_password(stored, "Orage-Tilleul-Boussole-17")
    assert not verify_password(stored, "Orage-Tilleul-Boussole-18")
