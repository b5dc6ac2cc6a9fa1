"""What a staff password must be (R-SEC-2, OWASP ASVS 5.0 V6): at least 12 characters, at most
256 (long passphrases welcome), no composition rule, and not common or easy to guess.

« Common » is judged by zxcvbn (Dropbox's estimator, maintained Python port): it knows the 30,000
most common passwords and English words, names, keyboard patterns, sequences, repeats and dates.
It has no French dictionary, so the French words that lead the leaked-password lists and the
context of the account (login, name, establishment, product) are given to it as extra words: a
password made of them is judged as easy as « password123 ». A password must reach score 3 (about
10^8 guesses: out of reach of an online attack and costly offline against argon2id), and must
not contain the account's login, name or establishment whole (punctuation and case aside).
"""

from __future__ import annotations

import re
import unicodedata

from zxcvbn import zxcvbn

from ..errors import DomainError

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 hashes anything; this bounds the work per login attempt
MIN_SCORE = 3
_ESTIMATED_CHARS = 72  # zxcvbn's own bound; a longer password is judged on its start

# Frequent in French leaked-password lists, and the product's own words.
FRENCH_WORDS = (
    "motdepasse", "mot", "de", "passe", "azerty", "azertyuiop", "qsdfghjklm", "wxcvbn",
    "soleil", "bonjour", "coucou", "doudou", "chouchou", "loulou", "nounours", "marseille",
    "paris", "lyon", "lille", "france", "amour", "jetaime", "bebe", "chocolat", "princesse",
    "vacances", "football", "olivier", "nicolas", "camille", "julien", "thomas", "celine",
    "secret", "admin", "administrateur", "admints", "teleservices", "scolarite", "services",
    "college", "lycee", "academie", "etablissement", "education", "nationale", "eleve",
    "responsable", "rentree", "ecole", "principal", "proviseur", "bienvenue",
)

TOO_SHORT = f"Le mot de passe doit comporter au moins {MIN_LENGTH} caractères."
TOO_LONG = f"Le mot de passe doit comporter au plus {MAX_LENGTH} caractères."
TOO_COMMON = ("Ce mot de passe est trop courant ou trop facile à deviner (mot usuel, suite de "
              "touches ou de chiffres, identifiant…). Choisissez-en un autre : par exemple "
              "plusieurs mots sans rapport entre eux.")


def check_password(password: str | None, context: tuple[str | None, ...] = ()) -> None:
    """Raise a French `DomainError` unless `password` may be chosen; `context` are words of the
    account (login, name, establishment) that the password must not be built from."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise DomainError(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        raise DomainError(TOO_LONG)
    plain = _plain(password)
    if any(len(value) >= 4 and value in plain for value in map(_plain, context)):
        raise DomainError(TOO_COMMON)  # the login, name or establishment inside the password
    words = list(FRENCH_WORDS) + _context_words(context)
    result = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=words)
    if result["score"] < MIN_SCORE:
        raise DomainError(TOO_COMMON)


def _plain(value) -> str:
    """Lower case, no accents, letters and digits only:
    « Collège Victor-Hugo » → collegevictorhugo."""
    text = unicodedata.normalize("NFKD", str(value or "").lower())
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c))


def _context_words(context) -> list[str]:
    """Each value whole and in its words, lower case without accents (« Collège Victor-Hugo » →
    collège victor-hugo, college, victor, hugo)."""
    words: list[str] = []
    for value in context:
        text = str(value or "").strip().lower()
        if not text:
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", text)
                        if not unicodedata.combining(c))
        words += [text, plain] + [w for w in re.split(r"[^a-z0-9]+", plain) if len(w) >= 3]
    return words
