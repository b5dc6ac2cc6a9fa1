"""Writing free emails to accounts (R-ACC-7, R-ACC-8): the message limits, checked once, and
the email to one account of « Gérer le compte ».

`check_message` is the one reading of the subject/body rules; the mass action
(`actions.write_to_responsables`), `write_to_account` and the templates' `maxlength` use it.
Functions flush, never commit, and audit.
"""

from __future__ import annotations

import datetime as dt

from . import audit, mailing
from .account_rows import etablissement
from .emails import invalid_reason
from .errors import DomainError
from .extensions import db
from .models import Compte, KindCompte

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


def write_to_account(etablissement_id: int, kind: str, compte_id: int, *, subject: str | None,
                     body: str | None, today: dt.date, by: str | None = None) -> dict:
    """« Écrire » of « Gérer le compte » (guide §4.2/§5.2). A guardian account is written to
    like one row of the mass action (R-ACC-7: its address, audited `responsable.ecrire`, a
    refusal by the server in the recap); a pupil at the address of its account, when valid —
    a refusal is a DomainError, a success audited `eleve.ecrire`. Another establishment's or
    kind's account: DomainError « Compte introuvable. ». Returns the recap of
    `write_to_responsables`: {"sent", "failed", "without_address"}."""
    subject, body = check_message(subject, body)
    compte = db.session.scalar(db.select(Compte).where(
        Compte.id == compte_id, Compte.etablissement_id == etablissement_id,
        Compte.kind == kind))
    if compte is None:
        raise DomainError("Compte introuvable.")
    if kind == KindCompte.RESPONSABLE:
        from .actions import write_to_responsables

        return write_to_responsables(etablissement_id, [compte.id], subject=subject,
                                     body=body, today=today, by=by)
    reason = invalid_reason(compte.email)
    if reason:
        raise DomainError(reason)
    message = mailing.free_message(etablissement(etablissement_id), compte.email,
                                   subject=subject, text=body)
    result = mailing.send_batch([message])[0]
    if not result.ok:
        raise DomainError(f"Le courriel n'a pas été envoyé : {result.error}")
    audit.record("eleve.ecrire", etablissement_id=etablissement_id, login=by, target=subject,
                 rows=[compte.id])
    return {"sent": 1, "failed": [], "without_address": []}
