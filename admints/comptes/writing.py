"""Writing free emails to accounts (R-ACC-7, R-ACC-8): the message limits, checked once, and
the email to one account of « Gérer le compte ».

`check_message` is the one reading of the subject/body rules; the mass action
(`write_to_responsables`), `write_to_account` and the templates' `maxlength` use it.
Functions flush, never commit, and audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..database import chunks
from ..email_syntax import invalid_reason
from ..errors import DomainError
from ..extensions import db
from ..models import Compte, KindCompte, ResponsableEleve
from . import mailing, portal
from .recipients import etablissement, load_comptes, responsable_email

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


def write_to_responsables(etablissement_id: int, compte_ids: Sequence[int], *, subject: str,
                          body: str, today: dt.date, by: str | None = None,
                          progress: Callable[[int, int], None] | None = None) -> dict:
    """R-ACC-7: one subject and text, a separate email to each selected responsable account
    that has an address. Returns {"sent": n, "failed": [{compte_id, identifiant, email,
    reason}], "without_address": [{compte_id, identifiant}]}."""
    subject, body = check_message(subject, body)
    etab = etablissement(etablissement_id)
    targets, without = [], []
    for chunk in chunks(compte_ids):
        liens = db.session.scalars(
            db.select(ResponsableEleve).options(selectinload(ResponsableEleve.responsable),
                                                joinedload(ResponsableEleve.compte))
            .where(ResponsableEleve.etablissement_id == etablissement_id,
                   ResponsableEleve.compte_id.in_(chunk)).order_by(ResponsableEleve.id))
        seen = {t[0].id for t in targets} | {w["compte_id"] for w in without}
        for lien in liens:
            if lien.compte_id in seen:
                continue
            seen.add(lien.compte_id)
            email = responsable_email(lien.compte, lien.responsable)
            if email:
                targets.append((lien.compte, email))
            else:
                without.append({"compte_id": lien.compte_id,
                                "identifiant": lien.compte.identifiant})
    messages = [mailing.free_message(etab, email, subject=subject, text=body)
                for _, email in targets]
    results = mailing.send_batch(
        messages, progress=(lambda n: progress(n, len(messages))) if progress else None)
    failed = [{"compte_id": targets[r.key][0].id, "identifiant": targets[r.key][0].identifiant,
               "email": targets[r.key][1], "reason": r.error} for r in results if not r.ok]
    sent = [targets[r.key][0].id for r in results if r.ok]
    audit.record("responsable.ecrire", etablissement_id=etablissement_id, login=by,
                 target=subject, rows=sent,
                 after={"envoyes": len(sent), "echecs": len(failed), "sans_adresse": len(without)})
    return {"sent": len(sent), "failed": failed, "without_address": without}


def write_job(ctx, progress) -> dict:
    """Job body for a large « Écrire à plusieurs responsables »: params compte_ids, subject,
    body, today (ISO)."""
    p = ctx.params
    return write_to_responsables(ctx.etablissement_id, p["compte_ids"], subject=p["subject"],
                                 body=p["body"], today=dt.date.fromisoformat(p["today"]),
                                 by=ctx.created_by, progress=progress)


def resend_activation(etablissement_id: int, compte_id: int, email: str, *, today: dt.date,
                      link_base: str | None = None) -> None:
    """R-ACC-8: correct the address of an *En cours d'activation* responsable account and resend
    the activation email. Raises DomainError (caller rolls back) if the server refuses it."""
    comptes = load_comptes(etablissement_id, [compte_id], KindCompte.RESPONSABLE)
    if not comptes:
        raise DomainError("Compte introuvable.")
    compte = comptes[0]
    portal.set_account_email(compte, email, today=today)
    link = link_base + portal.activation_token(compte) if link_base else \
        portal.activation_link(compte)
    message = mailing.activation_message(etablissement(etablissement_id), compte.email,
                                         identifiant=compte.identifiant, link=link)
    result = mailing.send_batch([message])[0]
    if not result.ok:
        raise DomainError(f"Le courriel d'activation n'a pas été envoyé : {result.error}")
