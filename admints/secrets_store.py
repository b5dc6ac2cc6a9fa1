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
from flask import current_app

from . import clock

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
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
