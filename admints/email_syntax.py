"""Email address checks shared by the account lists (R-ACC-4 « invalid format flagged »),
the notification and « Écrire à plusieurs responsables ».

A pragmatic syntax check, not RFC 5322: one `@`, a non-empty local part without spaces, a
domain of dot-separated labels ending in a letter TLD. SIECLE addresses are typed by hand, so
what this refuses (`jean@`, `marie.dupont@gmail`, `a b@x.fr`) is what a school sees as typos.
"""

from __future__ import annotations

import re

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")


def is_valid_email(address: str | None) -> bool:
    """True for a plausible address; False for None, empty, or a typo-looking value."""
    if not address:
        return False
    address = address.strip()
    return len(address) <= 254 and _EMAIL.fullmatch(address) is not None


def email_status(address: str | None) -> str:
    """« absent », « invalide » or « valide » — what the list's pictogram shows."""
    if not (address or "").strip():
        return "absent"
    return "valide" if is_valid_email(address) else "invalide"


def invalid_reason(address: str | None) -> str | None:
    """French reason why this address cannot be used, or None when it can."""
    status = email_status(address)
    if status == "absent":
        return "Aucune adresse de messagerie connue."
    if status == "invalide":
        return f"Adresse de messagerie invalide : {address.strip()}."
    return None
