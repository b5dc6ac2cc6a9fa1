"""Password hashing (argon2id) and encryption at rest of re-printable temporary passwords.

Temporary passwords must be printed again on demand (class lists, renotification), so they are
encrypted with MultiFernet (keys from config `DATA_KEYS`, newest first, rotatable), never hashed;
chosen passwords are hashed with argon2id and never leave this module.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

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


def encrypt_secret(plain: str) -> bytes:
    return _fernet().encrypt(plain.encode())


def decrypt_secret(token: bytes | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet().decrypt(bytes(token)).decode()
    except InvalidToken:
        return None


def rotate_secret(token: bytes) -> bytes:
    """Re-encrypt with the newest key (after a key was prepended to DATA_KEYS)."""
    return _fernet().rotate(bytes(token))
