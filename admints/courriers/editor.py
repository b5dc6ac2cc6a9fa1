"""Letter template editor (R-PAR-4): checking, saving, resetting and previewing the header and
the four letter bodies of an establishment.

Texts are `${placeholder}` substitution from `templating.PLACEHOLDERS`, never code (see
`admints.courriers.templating`). A text that lost a required field (identifier, temporary password
of a new-account body) or uses a field outside the allow-list is refused with a French message
naming it. Stored overrides live in `courrier.<key>` (applied at once, see
`versions.IMMEDIATE_PREFIXES`); « Réinitialiser » stores `None`, which brings back the predefined
text. The CNIL mention and the footer are not texts of this module: they cannot be edited.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..errors import DomainError
from ..models import Etablissement
from ..parametrage import versions
from . import letters, markup, templating, wording

MAX_CHARS = 6000


def setting_key(key: str) -> str:
    return f"courrier.{key}"


def check_key(key: object) -> str:
    if key not in wording.KEYS:
        raise DomainError("Courrier inconnu.")
    return str(key)


def stored_text(etablissement_id: int, key: str) -> str | None:
    value = versions.get_latest(etablissement_id, setting_key(check_key(key)))
    return value if isinstance(value, str) and value.strip() else None


def current_text(etablissement_id: int, key: str) -> str:
    return stored_text(etablissement_id, key) or wording.DEFAULTS[check_key(key)]


def check_text(key: str, text: object) -> str:
    """The text to store, or `DomainError` naming what is wrong."""
    key = check_key(key)
    value = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not value.strip():
        raise DomainError("Le texte est vide : utilisez « Réinitialiser » pour revenir au texte "
                          "prédéfini.")
    if len(value) > MAX_CHARS:
        raise DomainError(f"Le texte est limité à {MAX_CHARS} caractères ({len(value)} saisis).")
    missing = templating.missing_required(value, wording.REQUIRED.get(key, ()))
    if missing:
        names = ", ".join(f"« {templating.PLACEHOLDERS[m]} » (${{{m}}})" for m in missing)
        raise DomainError(f"Texte refusé : le courrier doit contenir le champ {names}.")
    marks = markup.check(value)
    if marks:
        raise DomainError("Texte refusé : " + " ; ".join(marks[:3])
                          + (" ; …" if len(marks) > 3 else "")
                          + ". Sélectionnez la ligne et utilisez les boutons « Gras » ou "
                          "« Italique ».")
    unknown = templating.unknown_placeholders(value)
    if unknown:
        raise DomainError("Texte refusé : champ inconnu " + ", ".join(unknown)
                          + ". Utilisez « Insérer un champ » pour choisir un champ autorisé.")
    return value


def save_text(etablissement_id: int, key: str, text: object, *, today: dt.date,
              by: str | None = None) -> dt.date:
    value = check_text(key, text)
    if value == wording.DEFAULTS[key]:
        value = None  # same as the predefined text: keep following it
    return versions.set_value(etablissement_id, setting_key(key), value, today, by=by)


def reset_text(etablissement_id: int, key: str, *, today: dt.date,
               by: str | None = None) -> dt.date:
    """« Réinitialiser »: back to the predefined text."""
    return versions.set_value(etablissement_id, setting_key(check_key(key)), None, today, by=by)


def sample_letter(key: str) -> letters.Letter:
    """A sample account for the preview (the header is shown on a new responsable letter)."""
    kind = "eleve" if key.startswith("eleve") else "responsable"
    continuite = key.endswith("continuite")
    if kind == "eleve":
        return letters.Letter(kind="eleve", continuite=continuite, nom="EXEMPLE",
                              prenom="Camille", adresse=[], eleve_nom="EXEMPLE",
                              eleve_prenom="Camille", division="3A",
                              identifiant="camille.exemple",
                              mot_de_passe=None if continuite else "3QMS5X2P")
    return letters.Letter(kind="responsable", continuite=continuite, civilite="MME",
                          nom="EXEMPLE", prenom="Dominique",
                          adresse=["12 rue des Lilas", "59000 LILLE"], eleve_nom="EXEMPLE",
                          eleve_prenom="Camille", division="3A",
                          identifiant="dominique.exemple",
                          mot_de_passe=None if continuite else "3QMS5X2P")


def preview_lines(etab: Etablissement, key: str, text: object, *,
                  today: dt.date) -> list[tuple[str, str] | None]:
    """The editor's live preview: the lines of `text` as the PDF prints them for the sample
    account, `(style, text)` with `markup` styles, None for a vertical space. Same rules as
    the PDF (fields from `letters.letter_fields`, marks from `markup`, a line whose fields all
    came out empty left out); `check_text` first, so a refused text says why instead."""
    key = check_key(key)
    value = check_text(key, text)
    sample_key = "responsable_nouveau" if key == "entete" else key
    static = letters.static_fields(etab, today, letters.letter_type(etab.id, today))
    fields = letters.letter_fields(static, sample_letter(sample_key))
    lines: list[tuple[str, str] | None] = []
    for raw in value.split("\n"):
        line, style = markup.parse_line(raw.rstrip())
        if not line.strip():
            lines.append(None)
            continue
        filled = templating.fill_line(line, fields)
        if filled is not None:
            lines.append((style, filled))
    return lines


def header_pdf(etab: Etablissement, path: Path, *, today: dt.date) -> int:
    """« Visualiser en-tête » (guide §3.2): the header in force, alone on a page."""
    return letters.write_header(etab, path, today=today)


def preview(etab: Etablissement, key: str, text: object, path: Path, *, today: dt.date) -> int:
    """Write the real PDF of a sample letter with `text` in place of the stored one."""
    key = check_key(key)
    value = check_text(key, text)
    sample_key = "responsable_nouveau" if key == "entete" else key
    return letters.write_letters(etab, [sample_letter(sample_key)], path, today=today,
                                 texts={key: value}, specimen=True)
