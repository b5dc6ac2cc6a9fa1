"""Fiche établissement (issue 12 point 2, guide §3.2.1 « l'entête est identique pour tous »).

Owns the establishment's own details printed in the header of every letter and given to families
in emails: name, address, postal code, city, phone, contact email (the first of the
establishment's addresses), the head's name and title. It validates them (French messages),
saves them with an audit entry, fills the empty ones from a SIECLE export, and says which
mandatory header field is missing: `require_letter_header` is called by every operation that
prints a letter (notification, password reset, class lists, by screen, action, job or CLI) before
it changes anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from .. import audit
from ..email_syntax import is_valid_email
from ..errors import DomainError
from ..extensions import db
from ..models import Etablissement

# Field -> (label, maximum length). `courriel` is stored as the first of `Etablissement.emails`.
FIELDS = {
    "nom": ("Nom de l'établissement", 200),
    "adresse": ("Adresse", 300),
    "code_postal": ("Code postal", 10),
    "ville": ("Ville", 120),
    "telephone": ("Téléphone", 20),
    "courriel": ("Courriel", 254),
    "chef_nom": ("Nom du chef d'établissement", 200),
    "chef_titre": ("Titre du chef d'établissement", 120),
}
# Printed in every letter's header or signature: a letter is never printed without them.
MANDATORY = ("nom", "adresse", "code_postal", "ville", "telephone", "courriel", "chef_nom")
DEFAULT_TITRE = "Le chef d'établissement"

_POSTAL = re.compile(r"[0-9]{5}")
# French numbers: 10 digits starting with 0 (groups separated by spaces, dots or dashes), or
# +33 / 0033 followed by the 9 digits without the leading 0.
_PHONE_SEPARATORS = re.compile(r"[ .\-\u00a0\u202f]")
_PHONE = re.compile(r"(?:0|\+33|0033)([1-9][0-9]{8})")


def courriel(etab: Etablissement) -> str:
    """The contact address of the Fiche (Reply-To of emails, « Courriel » of letters)."""
    emails = etab.emails or []
    return emails[0] if emails else ""


def values(etab: Etablissement) -> dict[str, str]:
    """The Fiche as shown on the screen and printed by the CLI."""
    out = {key: (getattr(etab, key, None) or "") for key in FIELDS if key != "courriel"}
    out["courriel"] = courriel(etab)
    return {key: out[key] for key in FIELDS}


def _plain(key: str, raw: object) -> str:
    label, limit = FIELDS[key]
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise DomainError(f"{label} : valeur invalide.", field=key)
    text = raw.strip()
    # Control, format (bidi overrides) and separator characters other than the space would
    # break a letter's line or an email header.
    if any(unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029" for ch in text):
        raise DomainError(f"{label} : caractère non autorisé (retour à la ligne, tabulation ou "
                          "caractère de contrôle).", field=key)
    text = " ".join(text.split())
    if len(text) > limit:
        raise DomainError(f"{label} : {limit} caractères au plus ({len(text)} saisis).",
                          field=key)
    return text


def format_phone(raw: str) -> str | None:
    """« 0320000000 », « 03.20.00.00.00 », « +33 3 20 00 00 00 » -> « 03 20 00 00 00 »."""
    match = _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", raw))
    if match is None:
        return None
    digits = "0" + match.group(1)
    return " ".join(digits[i:i + 2] for i in range(0, 10, 2))


def clean(key: str, raw: object) -> str:
    """One field checked and normalised; empty string when left blank."""
    if key not in FIELDS:
        raise DomainError(f"Champ inconnu de la fiche établissement : « {str(key)[:40]} ».")
    label = FIELDS[key][0]
    text = _plain(key, raw)
    if not text:
        if key == "nom":
            raise DomainError("Le nom de l'établissement est obligatoire.", field=key)
        return ""
    if key == "code_postal" and not _POSTAL.fullmatch(text):
        raise DomainError(f"Code postal invalide : « {text} » (5 chiffres, ex. 59000).",
                          field=key)
    if key == "telephone":
        phone = format_phone(text)
        if phone is None:
            raise DomainError(f"Téléphone invalide : « {text} » (10 chiffres commençant par 0, "
                              "ex. 03 20 00 00 00, ou +33 suivi de 9 chiffres).", field=key)
        return phone
    if key == "courriel" and not is_valid_email(text):
        raise DomainError(f"{label} invalide : « {text} » (ex. ce.0590001a@ac-lille.fr).",
                          field=key)
    return text


def check(fields: Mapping[str, object]) -> dict[str, str]:
    """Every given field checked (the first error is raised); the others are left out."""
    return {key: clean(key, raw) for key, raw in fields.items()}


def _apply(etab: Etablissement, cleaned: Mapping[str, str]) -> None:
    for key, value in cleaned.items():
        if key == "courriel":
            emails = list(etab.emails or [])
            # Emptying the contact address drops it; the other addresses stay.
            etab.emails = [value, *(e for e in emails if e.lower() != value.lower())] \
                if value else emails[1:]
        else:
            setattr(etab, key, value or (etab.nom if key == "nom" else None))


def update_fiche(etab: Etablissement, fields: Mapping[str, object], *,
                 by: str | None = None) -> Etablissement:
    """Save the given fields of the Fiche (the screen gives all, the CLI those typed): all are
    checked before any is written; an audit entry says what changed. Flushes, never commits."""
    cleaned = check(fields)
    before = values(etab)
    _apply(etab, cleaned)
    after = values(etab)
    changed = [k for k in FIELDS if before[k] != after[k]]
    if changed:
        audit.record("etablissement.fiche", etablissement_id=etab.id, target=etab.uai,
                     before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed}, login=by)
    db.session.flush()
    return etab


def prefill(etab: Etablissement, found: Mapping[str, object]) -> list[str]:
    """Fill the EMPTY fields of the Fiche from a SIECLE export (`found`: field -> raw value);
    a value that does not pass the checks is ignored (the head types it). Returns the fields
    filled. Never overwrites what the establishment typed."""
    current, filled = values(etab), {}
    for key, raw in found.items():
        if key not in FIELDS or key == "nom" or current.get(key):
            continue
        try:
            value = clean(key, raw)
        except DomainError:
            continue
        if value:
            filled[key] = value
    if filled:
        _apply(etab, filled)
        audit.record("etablissement.fiche_siecle", etablissement_id=etab.id, target=etab.uai,
                     after=filled)
    return list(filled)


def missing_header_fields(etab: Etablissement) -> list[str]:
    """Labels of the mandatory letter-header fields that are empty (académie first)."""
    current = values(etab)
    missing = [] if etab.academie_id is not None else ["Académie de rattachement"]
    return missing + [FIELDS[key][0] for key in MANDATORY if not current[key].strip()]


def require_letter_header(etab: Etablissement) -> None:
    """Refuse (before anything changes) to print a letter whose header would have a hole."""
    missing = missing_header_fields(etab)
    if not missing:
        return
    where = ("un administrateur académique doit rattacher l'établissement à son académie"
             if missing == ["Académie de rattachement"]
             else "complétez la « Fiche établissement » (menu Paramétrage)")
    raise DomainError(
        "Aucun courrier ne peut être imprimé tant que l'en-tête est incomplet : "
        f"{where}. À renseigner : {', '.join(missing)}.")


def signature_title(etab: Etablissement) -> str:
    return etab.chef_titre or DEFAULT_TITRE
