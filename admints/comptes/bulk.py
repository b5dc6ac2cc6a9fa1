"""Bulk operations on accounts that are neither notification nor writing (R-ACC-6): the batch
password reset of the mass action « Réinitialiser les mots de passe ».

Functions take the establishment id and scope every id they are given to it (R-SEC-1),
flush but never commit (the view, job or command owns the transaction), and audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .. import audit
from ..extensions import db
from ..formatting import format_number
from . import activation, lifecycle, outbox
from .recipients import load_comptes


def reset_passwords(etablissement_id: int, kind: str | None, compte_ids: Sequence[int], *,
                    today: dt.date, by: str | None = None) -> int:
    """« Réinitialiser les mots de passe »: new temporary passwords, accounts back to
    *Non notifié* (to be notified); closed accounts are skipped. Returns the count. One audit
    entry for the batch. Refused while a notification of these accounts is open: its letters
    carry the passwords it stored (outbox rule)."""
    activation.require_activated(etablissement_id)  # R-SRV-1
    outbox.guard(etablissement_id, compte_ids)
    done = []
    for compte in load_comptes(etablissement_id, compte_ids, kind):
        if compte.ferme_le is None:
            lifecycle.reset_password(compte, today=today, audit_it=False)
            done.append(compte.id)
    db.session.flush()
    audit.record(f"{kind or 'compte'}.reinitialiser", etablissement_id=etablissement_id,
                 login=by, target=f"{format_number(len(done))} compte(s)", rows=done)
    return len(done)
