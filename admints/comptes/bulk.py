"""Bulk operations on accounts that are neither notification nor writing (R-ACC-6): the batch
password reset of the mass action « Réinitialiser les mots de passe ».

Functions take the establishment id and scope every id they are given to it (R-SEC-1),
flush but never commit (the view, job or command owns the transaction), and audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..models import Compte, Eleve, ResponsableEleve
from . import lifecycle, outbox
from .recipients import load_comptes

# ---------------------------------------------------------------- other bulk actions


def reset_passwords(etablissement_id: int, kind: str | None, compte_ids: Sequence[int], *,
                    today: dt.date, by: str | None = None) -> int:
    """« Réinitialiser les mots de passe »: new temporary passwords, accounts back to
    *Non notifié* (to be notified); closed accounts are skipped. Returns the count. One audit
    entry for the batch. Refused while a notification of these accounts is open: its letters
    carry the passwords it stored (outbox rule)."""
    outbox.guard(etablissement_id, compte_ids)
    done = []
    for compte in load_comptes(etablissement_id, compte_ids, kind):
        if compte.ferme_le is None:
            lifecycle.reset_password(compte, today=today, audit_it=False)
            done.append(compte.id)
    db.session.flush()
    audit.record(f"{kind or 'compte'}.reinitialiser", etablissement_id=etablissement_id,
                 login=by, target=f"{len(done)} compte(s)", rows=done)
    return len(done)


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
