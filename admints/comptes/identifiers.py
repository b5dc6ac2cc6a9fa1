"""Account identifiers and temporary passwords (R-ACC-2).

Identifier: normalised `prenom.nom` — lower case, accents removed, spaces and apostrophes
dropped, hyphens kept — made unique with an order number (`jean.dupont2`). Temporary password:
8 characters from upper-case letters and digits without look-alikes, drawn with `secrets`.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable

# Letters with no decomposition that NFKD cannot strip to ASCII.
_SPECIAL = str.maketrans({
    "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "ß": "ss", "ł": "l",
    "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i",
    "ħ": "h", "Ħ": "h", "ŧ": "t", "Ŧ": "t",
    # Hyphen look-alikes (typed or pasted from a word processor) are still hyphens; NFKD would
    # turn U+2011 into U+2010, which the ASCII step then silently drops (« Jean‑Pierre » must
    # not become « jeanpierre »). The soft hyphen is invisible: dropped.
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-", "\ufe63": "-",
    "\uff0d": "-", "\u00ad": "",
})
_DROP = re.compile(r"[^a-z0-9-]")
_HYPHENS = re.compile(r"-{2,}")

PASSWORD_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0 O 1 I L
PASSWORD_LENGTH = 8
MAX_PART = 30


def normalise_part(text: str) -> str:
    """One name part: lower-case ASCII letters, digits and inner hyphens only."""
    text = (text or "").translate(_SPECIAL)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _DROP.sub("", text.lower())
    text = _HYPHENS.sub("-", text).strip("-")
    return text[:MAX_PART].rstrip("-")


def base_identifier(prenom: str, nom: str) -> str:
    first = normalise_part(prenom) or "x"
    last = normalise_part(nom) or "x"
    return f"{first}.{last}"


class IdentifierAllocator:
    """Hands out unique identifiers against a set of identifiers already taken.

    Load the taken set once for a batch and allocate many: the import of a whole establishment
    must not query per account — nor read the identifiers of the whole académie (issue 14):
    `taken` needs only the identifiers that can collide with the batch's bases (`collides`),
    which `identifier_lookup.taken_among` reads through the index.
    """

    def __init__(self, taken: Iterable[str] = ()):
        self.taken: set[str] = set(taken)
        self._next: dict[str, int] = {}
        self.loaded_bases: set[str] = set()  # bases whose colliding identifiers are in `taken`

    def allocate(self, prenom: str, nom: str) -> str:
        base = base_identifier(prenom, nom)
        if base not in self.taken:
            self.taken.add(base)
            return base
        n = self._next.get(base, 2)
        while f"{base}{n}" in self.taken:
            n += 1
        self._next[base] = n + 1
        ident = f"{base}{n}"
        self.taken.add(ident)
        return ident


_ORDER_NUMBER = re.compile(r"[0-9]*")


def collides(base: str, ident: str) -> bool:
    """`ident` is `base` or `base` followed by an order number: the only identifiers an
    allocation of `base` can meet (R-ACC-2)."""
    return ident.startswith(base) and bool(_ORDER_NUMBER.fullmatch(ident[len(base):]))


def generate_temporary_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


_VALID = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def is_valid_identifier(ident: str) -> bool:
    """`prenom.nom[N]` in lower-case ASCII (no Unicode digit sneaks in through `\\d`)."""
    return bool(_VALID.fullmatch(ident)) and len(ident) <= 80
