"""Password hashing (argon2id) and encryption at rest of re-printable temporary passwords.

Temporary passwords must be printed again on demand (class lists, renotification), so they are
encrypted with MultiFernet (keys from config `DATA_KEYS`, newest first, rotatable), never hashed;
chosen passwords are hashed with argon2id and never leave this module. A Fernet token carries
the time it was made (the product's clock, `admints.clock`): `decrypt_secret(..., max_age=)`
refuses an older one (the portal's self-help temporary passwords expire so).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context

from . import clock
from .config import Config

_hashers: dict[tuple[int, int, int], PasswordHasher] = {}


def hasher() -> PasswordHasher:
    """argon2id with the app's ARGON2_* settings (Config's outside an app). Verification
    reads the parameters stored in each hash: a change of settings keeps old passwords
    valid."""
    source = current_app.config if has_app_context() else Config.__dict__
    key = (int(source["ARGON2_TIME_COST"]), int(source["ARGON2_MEMORY_KIB"]),
           int(source["ARGON2_PARALLELISM"]))
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1],
                                       parallelism=key[2])
    return _hashers[key]


def hash_password(password: str) -> str:
    return hasher().hash(password)


_dummy_hashes: dict[PasswordHasher, str] = {}


def verify_nothing(password: str | None) -> None:
    """One verification's work with nothing to find (unknown login, locked account): the
    answer takes as long as a real one. The dummy hash has the current settings, so its cost
    is a real hash's."""
    current = hasher()
    if current not in _dummy_hashes:
        _dummy_hashes[current] = current.hash("mot-de-passe-factice-pour-le-temps")
    verify_password(_dummy_hashes[current], password or "")


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _fernet() -> MultiFernet:
    cache = current_app.extensions.setdefault("admints_fernet", {})
    keys = current_app.config["DATA_KEYS"]
    if keys not in cache:
        cache[keys] = MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])
    return cache[keys]


def _now() -> int:
    return int(clock.now().timestamp())


def encrypt_secret(plain: str) -> bytes:
    return _fernet().encrypt_at_time(plain.encode(), _now())


def decrypt_secret(token: bytes | None, *, max_age: int | None = None) -> str | None:
    """The plain secret, or None (no token, wrong key, or older than `max_age` seconds)."""
    if not token:
        return None
    try:
        if max_age is None:
            return _fernet().decrypt(bytes(token)).decode()
        return _fernet().decrypt_at_time(bytes(token), max_age, _now()).decode()
    except InvalidToken:
        return None


def rotate_secret(token: bytes) -> bytes:
    """Re-encrypt with the newest key (after a key was prepended to DATA_KEYS)."""
    return _fernet().rotate(bytes(token))
