"""Writing free emails to accounts (R-ACC-7, R-ACC-8): the message limits, checked once.

`check_message` is the one reading of the subject/body rules; the mass action
(`actions.write_to_responsables`), « Gérer le compte » and the templates' `maxlength` use it.
"""

from __future__ import annotations

from .errors import DomainError

SUBJECT_MAX = 200
BODY_MAX = 20_000


def check_message(subject: str | None, body: str | None) -> tuple[str, str]:
    """Stripped (subject, body), or DomainError with the first broken rule in French."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        raise DomainError("L'objet du message est obligatoire.")
    if not body:
        raise DomainError("Le texte du message est obligatoire.")
    if "\n" in subject or "\r" in subject or len(subject) > SUBJECT_MAX:
        raise DomainError(f"L'objet doit tenir sur une ligne de {SUBJECT_MAX} caractères "
                          "au plus.")
    if len(body) > BODY_MAX:
        raise DomainError("Le texte ne doit pas dépasser 20 000 caractères.")
    return subject, body
