"""Sandboxed `${placeholder}` substitution for staff-edited texts (R-PAR-4).

Owns the allow-list of fields a letter text may use (`PLACEHOLDERS`, with the French label the
editor's « Insérer un champ » list shows) and the substitution itself. It is built on
`string.Template` with a pattern restricted to the braced form `${name}`: nothing else in a text
is syntax, so `{{ ''.__class__ }}`, `{% for %}`, `{0.__init__}`, `$$` or `${__import__}` come out
exactly as typed. Only allow-listed names are substituted; values are data (converted to `str`,
control characters flattened to spaces) and are never scanned again, so a value containing
`${mot_de_passe}` prints as such. Unlike Jinja or `str.format`, no attribute or item of any object
is ever reachable from a text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping

# Allow-list: the only fields a text can read, with their label for the editor.
PLACEHOLDERS: dict[str, str] = {
    "identifiant": "Identifiant du compte",
    "mot_de_passe": "Mot de passe provisoire",
    "url": "Adresse internet des services en ligne",
    "mention_ent": "Mention de l'ENT (courrier mixte)",
    "civilite": "Civilité du destinataire",
    "nom": "Nom du destinataire",
    "prenom": "Prénom du destinataire",
    "eleve_nom": "Nom de l'élève",
    "eleve_prenom": "Prénom de l'élève",
    "division": "Division de l'élève",
    "academie": "Académie",
    "etablissement": "Nom de l'établissement",
    "adresse_etablissement": "Adresse de l'établissement",
    "code_postal": "Code postal de l'établissement",
    "ville": "Ville de l'établissement",
    "telephone": "Téléphone de l'établissement",
    "fax": "Fax de l'établissement",
    "courriel": "Courriel de l'établissement",
    "date": "Date du courrier",
    "chef": "Nom du chef d'établissement",
    "chef_titre": "Titre du chef d'établissement",
}

# Control characters (newlines, tabs, NUL…) inside a value would break a printed line or the
# PDF text operator; a value is one line of data.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class _BracedOnly(string.Template):
    """`${name}` only: no `$name`, no `$$` escape, a lone `$` is plain text."""

    pattern = r"""
    \$(?:
      (?P<escaped>(?!))                    |  # no escape sequence: "$$" stays as typed
      (?P<named>(?!))                      |  # the bare form $name is not a field
      \{(?P<braced>[a-z][a-z0-9_]{0,39})\} |  # ${name}
      (?P<invalid>(?!))                       # anything else is plain text, never an error
    )
    """
    flags = 0  # case-sensitive: ${NOM} is not ${nom} and stays as typed


def clean_value(value: object) -> str:
    """A value as printed: `None` is empty, control characters become spaces."""
    if value is None:
        return ""
    return _CONTROL.sub(" ", str(value))


def render(text: str, fields: Mapping[str, object]) -> str:
    """Substitute the allow-listed `${name}` of `text` from `fields`.

    Names outside the allow-list, or allowed but absent from `fields`, stay as typed.
    """
    mapping = {k: clean_value(v) for k, v in fields.items() if k in PLACEHOLDERS}
    return _BracedOnly(text).safe_substitute(mapping)


def placeholders_in(text: str) -> list[str]:
    """The allow-listed field names used in `text`, in order of first use."""
    seen: dict[str, None] = {}
    for mo in _BracedOnly.pattern.finditer(text):
        name = mo.group("braced")
        if name in PLACEHOLDERS:
            seen.setdefault(name)
    return list(seen)


def unknown_placeholders(text: str) -> list[str]:
    """`${name}` forms of `text` that are not fields (printed as typed): for the editor."""
    seen: dict[str, None] = {}
    for mo in re.finditer(r"\$\{([^{}\s]{0,60})\}", text):
        if mo.group(1) not in PLACEHOLDERS:
            seen.setdefault(mo.group(0))
    return list(seen)


def missing_required(text: str, required: Iterable[str]) -> list[str]:
    """The names of `required` whose `${name}` does not appear in `text` (R-PAR-4)."""
    used = set(placeholders_in(text))
    return [name for name in required if name not in used]


def split(text: str) -> list[str | tuple[str]]:
    """`text` as literal strings and `(name,)` field references, same rules as `render`.

    Lets the letter writer compile a text once and fill it per letter with a join.
    """
    parts: list[str | tuple[str]] = []
    pos = 0
    for mo in _BracedOnly.pattern.finditer(text):
        name = mo.group("braced")
        if name not in PLACEHOLDERS:
            continue
        if mo.start() > pos:
            parts.append(text[pos:mo.start()])
        parts.append((name,))
        pos = mo.end()
    if pos < len(text):
        parts.append(text[pos:])
    return parts


def join(parts: list[str | tuple[str]], fields: Mapping[str, str]) -> str:
    """`split` parts filled from `fields` (a field absent from `fields` is empty)."""
    return "".join(p if isinstance(p, str) else fields.get(p[0], "") for p in parts)


def fill_line(line: str, fields: Mapping[str, str]) -> str | None:
    """One line of a letter filled in, or None when it has fields and they all came out empty
    (« Fax : ${fax} » without fax is left out): the rule of the PDF, for the live preview."""
    parts = split(line)
    names = [p[0] for p in parts if isinstance(p, tuple)]
    if names and not any(fields.get(n) for n in names):
        return None
    return join(parts, fields)
