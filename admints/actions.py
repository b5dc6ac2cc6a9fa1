"""Bulk operations on accounts, shared by the views, the jobs and the CLI (R-ACC-3..7).

Every function takes the establishment id and scopes every id it is given to it (R-SEC-1),
adds/flushes but never commits (the view, job or command owns the transaction), and audits.

Notification (`notify`, `notify_job`, `NotifyRecap`) lives in `admints.notification` — it goes
through the outbox and commits as it delivers — and is re-exported here for the callers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy.orm import joinedload, selectinload

from . import accounts, audit, mailing, outbox, writing
from .account_rows import (  # noqa: F401 - pick_email/responsable_email re-exported for views
    Item,
    chunks,
    etablissement,
    load_items,
    pick_email,
    responsable_email,
)
from .csvexport import (  # noqa: F401 - re-exported: the views import them from here
    class_list_csv,
    class_list_rows,
    csv_text,
    export_csv,
    groupes_with_pupils,
    neutralise,
)
from .errors import DomainError
from .extensions import db
from .models import (
    Compte,
    Eleve,
    KindCompte,
    ResponsableEleve,
)
from .notification import (  # noqa: F401 - re-exported: views, CLI, bench and tests use them
    COURRIEL,
    COURRIEL_ET_PAPIER,
    MODES,
    PAPIER,
    NotifyRecap,
    notify,
    notify_job,
)

# ---------------------------------------------------------------- other bulk actions

def _comptes(etablissement_id: int, compte_ids: Sequence[int],
             kind: str | None = None) -> list[Compte]:
    out: list[Compte] = []
    for chunk in chunks(compte_ids):
        query = db.select(Compte).where(Compte.etablissement_id == etablissement_id,
                                        Compte.id.in_(chunk))
        if kind:
            query = query.where(Compte.kind == kind)
        out.extend(db.session.scalars(query.order_by(Compte.id)))
    return out


def reset_passwords(etablissement_id: int, kind: str | None, compte_ids: Sequence[int], *,
                    today: dt.date, by: str | None = None) -> int:
    """« Réinitialiser les mots de passe »: new temporary passwords, accounts back to
    *Non notifié* (to be notified); closed accounts are skipped. Returns the count. One audit
    entry for the batch. Refused while a notification of these accounts is open: its letters
    carry the passwords it stored (outbox rule)."""
    outbox.guard(etablissement_id, compte_ids)
    done = []
    for compte in _comptes(etablissement_id, compte_ids, kind):
        if compte.ferme_le is None:
            accounts.reset_password(compte, today=today, audit_it=False)
            done.append(compte.id)
    db.session.flush()
    audit.record(f"{kind or 'compte'}.reinitialiser", etablissement_id=etablissement_id,
                 login=by, target=f"{len(done)} compte(s)", rows=done)
    return len(done)


def write_to_responsables(etablissement_id: int, compte_ids: Sequence[int], *, subject: str,
                          body: str, today: dt.date, by: str | None = None,
                          progress: Callable[[int, int], None] | None = None) -> dict:
    """R-ACC-7: one subject and text, a separate email to each selected responsable account
    that has an address. Returns {"sent": n, "failed": [{compte_id, identifiant, email,
    reason}], "without_address": [{compte_id, identifiant}]}."""
    subject, body = writing.check_message(subject, body)
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
    comptes = _comptes(etablissement_id, [compte_id], KindCompte.RESPONSABLE)
    if not comptes:
        raise DomainError("Compte introuvable.")
    compte = comptes[0]
    accounts.set_account_email(compte, email, today=today)
    from flask import current_app

    base = link_base or current_app.config["PORTAL_URL"].rstrip("/") + "/activation/"
    message = mailing.activation_message(etablissement(etablissement_id), compte.email,
                                         identifiant=compte.identifiant,
                                         link=base + accounts.activation_token(compte))
    result = mailing.send_batch([message])[0]
    if not result.ok:
        raise DomainError(f"Le courriel d'activation n'a pas été envoyé : {result.error}")


def matching_ids(query) -> list[int]:
    """The account ids of a list query (Compte, Eleve or ResponsableEleve rows, a legacy
    `Query` or a 2.0 `Select`) — for « Sélectionner les M comptes correspondant aux filtres »."""
    stmt = getattr(query, "statement", query)
    entity = stmt.column_descriptions[0].get("entity") if stmt.column_descriptions else None
    column = {Compte: Compte.id, Eleve: Eleve.compte_id,
              ResponsableEleve: ResponsableEleve.compte_id}.get(entity)
    if column is None:
        raise DomainError("Requête de sélection non prise en charge.")
    # The whole filtered set, not the page: pagination and ordering are dropped.
    ids = db.session.scalars(stmt.with_only_columns(column).order_by(None).limit(None)
                             .offset(None))
    return list(dict.fromkeys(i for i in ids if i is not None))
