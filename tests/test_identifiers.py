"""R-ACC-2: identifiers `prenom.nom[N]` and temporary passwords; R-SEC-2: temporary passwords
encrypted at rest (MultiFernet, rotatable) and never logged."""

from __future__ import annotations

import logging
import re
import string

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admints import secrets_store
from admints.comptes import identifiers
from admints.comptes.identifiers import (
    PASSWORD_ALPHABET,
    IdentifierAllocator,
    base_identifier,
    generate_temporary_password,
    is_valid_identifier,
    normalise_part,
)

ASCII_LOWER = re.compile(r"[a-z0-9.-]+")

# Names as SIECLE may spell them: any Unicode letter, marks, spaces, apostrophes, hyphens.
name_text = st.text(
    alphabet=st.one_of(
        st.characters(categories=("Lu", "Ll", "Lt", "Lo", "Mn", "Nd")),
        st.sampled_from(list(" '’-‐‑–.ÆæŒœØßÐþıÅÇÉÈÊËÏÎÔÖÙÛÜŸÑ")),
    ),
    max_size=60,
)


def _check(ident: str) -> None:
    assert is_valid_identifier(ident), ident
    assert ident.isascii() and ident == ident.lower()
    assert ASCII_LOWER.fullmatch(ident), ident
    assert " " not in ident and "'" not in ident
    assert ident.count(".") == 1
    assert len(ident) <= 80


@pytest.mark.parametrize(
    ("prenom", "nom", "expected"),
    [
        ("Zoé-Anaïs", "D'Alembert-Nuñez", "zoe-anais.dalembert-nunez"),
        ("Ægir", "Œhlenschläger", "aegir.oehlenschlager"),
        ("Thị", "NGUYỄN", "thi.nguyen"),
        ("Jean Pierre", "N'Diaye", "jeanpierre.ndiaye"),
        ("Jean\u2011Pierre", "Le\u00adGall", "jean-pierre.legall"),  # non-breaking & soft hyphen
        ("Anne-", "--De  La-Tour--", "anne.dela-tour"),
        ("Łukasz", "Straße", "lukasz.strasse"),
        ("", "'", "x.x"),
        ("李", "王", "x.x"),
    ],
)
def test_r_acc_2_examples(prenom, nom, expected):
    ident = base_identifier(prenom, nom)
    assert ident == expected
    _check(ident)


@given(prenom=name_text, nom=name_text)
@settings(max_examples=400)
def test_r_acc_2_any_name_gives_a_valid_lower_ascii_identifier(prenom, nom):
    _check(base_identifier(prenom, nom))


@given(text=name_text)
def test_r_acc_2_normalisation_is_idempotent_and_drops_spaces_apostrophes(text):
    part = normalise_part(text)
    assert normalise_part(part) == part
    assert not any(c in part for c in " '’.")
    assert not part.startswith("-") and not part.endswith("-") and "--" not in part


@given(words=st.lists(st.text(alphabet=string.ascii_letters + "éèàïöç", min_size=1, max_size=6),
                      min_size=2, max_size=4))
def test_r_acc_2_hyphens_are_kept(words):
    # At most 4 × 6 + 3 = 27 characters: under MAX_PART, so nothing is truncated.
    part = normalise_part("-".join(words))
    assert part.count("-") == len(words) - 1
    assert part.split("-") == [normalise_part(w) for w in words]


@given(people=st.lists(st.tuples(name_text, name_text), max_size=80),
       taken=st.lists(st.sampled_from(["x.x", "x.x2", "jean.dupont", "jean.dupont3"]),
                      max_size=4))
@settings(max_examples=150)
def test_r_acc_2_allocator_always_unique_and_valid(people, taken):
    alloc = IdentifierAllocator(taken)
    got = [alloc.allocate(p, n) for p, n in people]
    assert len(set(got)) == len(got)
    assert not set(got) & set(taken)
    for ident in got:
        _check(ident)


def test_r_acc_2_twins_with_the_same_name_get_distinct_identifiers():
    alloc = IdentifierAllocator()
    first = alloc.allocate("Léa", "Martin")
    second = alloc.allocate("Léa", "Martin")
    assert (first, second) == ("lea.martin", "lea.martin2")


def test_r_acc_2_500_homonyms_numbered_in_order():
    alloc = IdentifierAllocator()
    got = [alloc.allocate("Jean", "Dupont") for _ in range(500)]
    assert len(set(got)) == 500
    assert got[0] == "jean.dupont"
    assert got[1:] == [f"jean.dupont{n}" for n in range(2, 501)]
    for ident in got:
        _check(ident)


def test_r_acc_2_allocator_skips_identifiers_already_taken_in_database():
    alloc = IdentifierAllocator(["jean.dupont", "jean.dupont2", "jean.dupont4"])
    assert [alloc.allocate("Jean", "Dupont") for _ in range(3)] == [
        "jean.dupont3", "jean.dupont5", "jean.dupont6"]
    # A person whose name already ends with a digit cannot collide with a numbered homonym.
    assert alloc.allocate("jean", "dupont6") == "jean.dupont62"


def test_r_acc_2_temporary_password_format():
    assert set(PASSWORD_ALPHABET) == set(string.ascii_uppercase + string.digits) - set("0O1IL")
    pwds = [generate_temporary_password() for _ in range(2000)]
    for pwd in pwds:
        assert len(pwd) == 8
        assert set(pwd) <= set(PASSWORD_ALPHABET)
    assert len(set(pwds)) == len(pwds)  # 31^8 ≈ 8.5e11: a repeat means a broken generator
    assert set("".join(pwds)) == set(PASSWORD_ALPHABET)  # every symbol is used


def test_r_acc_2_temporary_password_drawn_with_secrets(monkeypatch):
    calls = []

    def fake_choice(seq):
        calls.append(seq)
        return seq[0]

    monkeypatch.setattr(identifiers.secrets, "choice", fake_choice)
    assert generate_temporary_password() == PASSWORD_ALPHABET[0] * 8
    assert len(calls) == 8
    assert "import random" not in open(identifiers.__file__, encoding="utf-8").read()


@given(plain=st.one_of(st.text(min_size=1, max_size=40),
                       st.text(alphabet=PASSWORD_ALPHABET, min_size=8, max_size=8)))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
def test_r_sec_2_encryption_round_trip(app, plain):
    token = secrets_store.encrypt_secret(plain)
    assert isinstance(token, bytes)
    if len(plain) >= 8:  # a short string may occur in base64 by chance; a password may not
        assert plain.encode() not in token
    assert secrets_store.decrypt_secret(token) == plain


def test_r_sec_2_encryption_is_randomised_and_tamper_evident(app):
    pwd = generate_temporary_password()
    a, b = secrets_store.encrypt_secret(pwd), secrets_store.encrypt_secret(pwd)
    assert a != b
    assert secrets_store.decrypt_secret(a[:-2] + b"AA") is None
    assert secrets_store.decrypt_secret(None) is None
    assert secrets_store.decrypt_secret(b"") is None


def test_r_sec_2_key_rotation(app):
    old_key = app.config["DATA_KEYS"]
    pwd = generate_temporary_password()
    old_token = secrets_store.encrypt_secret(pwd)

    new_key = Fernet.generate_key().decode()
    app.config["DATA_KEYS"] = f"{new_key},{old_key}"  # newest first
    assert secrets_store.decrypt_secret(old_token) == pwd  # the old key still decrypts
    rotated = secrets_store.rotate_secret(old_token)
    assert rotated != old_token
    assert Fernet(new_key.encode()).decrypt(rotated).decode() == pwd  # re-encrypted with the new
    new_token = secrets_store.encrypt_secret(pwd)
    assert Fernet(new_key.encode()).decrypt(new_token).decode() == pwd

    app.config["DATA_KEYS"] = new_key  # old key retired: rotated tokens survive, old ones don't
    assert secrets_store.decrypt_secret(rotated) == pwd
    assert secrets_store.decrypt_secret(old_token) is None

    app.config["DATA_KEYS"] = Fernet.generate_key().decode()  # a wrong key decrypts nothing
    assert secrets_store.decrypt_secret(rotated) is None


def test_r_sec_2_temporary_password_never_logged(app, caplog):
    caplog.set_level(logging.DEBUG)
    pwds = [generate_temporary_password() for _ in range(20)]
    for pwd in pwds:
        token = secrets_store.encrypt_secret(pwd)
        assert secrets_store.decrypt_secret(secrets_store.rotate_secret(token)) == pwd
    secrets_store.decrypt_secret(b"not-a-token")
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for pwd in pwds:
        assert pwd not in text


def test_r_sec_2_chosen_password_hashed_with_argon2id():
    h = secrets_store.hash_password("Un-mot-de-passe-choisi")
    assert h.startswith("$argon2id$")
    assert "Un-mot-de-passe-choisi" not in h
    assert secrets_store.verify_password(h, "Un-mot-de-passe-choisi")
    assert not secrets_store.verify_password(h, "autre")
    assert not secrets_store.verify_password(None, "x")
    assert not secrets_store.verify_password("pas-un-hash", "x")
