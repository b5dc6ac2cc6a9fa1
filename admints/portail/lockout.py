"""Wrong birth dates at first connection (R-POR-1): after PORTAIL_NAISSANCE_ESSAIS (3) wrong
dates within PORTAIL_VERROU_MINUTES (15), that account's first connection is locked for
PORTAIL_VERROU_MINUTES.

The count lives in the audit journal itself (« portail.naissance_erreur » per wrong date,
« portail.verrouillage » when it locks): append-only, already indexed by establishment and
time, and the establishment sees the lock in its journal. No table of its own to keep in step.
Flushes, never commits.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app

from .. import audit
from ..clock import utcnow
from ..extensions import db
from ..models import AuditEntry, Compte

FAILURE = "portail.naissance_erreur"
LOCK = "portail.verrouillage"


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["PORTAIL_VERROU_MINUTES"])


def _entries(compte: Compte, action: str, since: dt.datetime):
    return (AuditEntry.etablissement_id == compte.etablissement_id,
            AuditEntry.at > since, AuditEntry.action == action,
            AuditEntry.target == compte.identifiant)


def locked_until(compte: Compte) -> dt.datetime | None:
    """The end (naive UTC) of the lock of this account's first connection, or None."""
    window = _window()
    last = db.session.scalar(db.select(db.func.max(AuditEntry.at))
                             .where(*_entries(compte, LOCK, utcnow() - window)))
    return last + window if last is not None else None


def wrong_birth_date(compte: Compte) -> bool:
    """Record one wrong birth date; True when it locks the account's first connection."""
    earlier = db.session.scalar(db.select(db.func.count(AuditEntry.id))
                                .where(*_entries(compte, FAILURE, utcnow() - _window())))
    audit.record(FAILURE, etablissement_id=compte.etablissement_id, target=compte.identifiant,
                 rows=[compte.id], login="portail")
    if earlier + 1 < current_app.config["PORTAIL_NAISSANCE_ESSAIS"]:
        return False
    audit.record(LOCK, etablissement_id=compte.etablissement_id, target=compte.identifiant,
                 rows=[compte.id], login="portail",
                 after={"minutes": current_app.config["PORTAIL_VERROU_MINUTES"]})
    return True


def lock_message(until: dt.datetime) -> str:
    from ..clock import PARIS

    local = until.replace(tzinfo=dt.UTC).astimezone(PARIS)
    return ("Trop de dates de naissance erronées : la première connexion de ce compte est "
            f"bloquée jusqu'à {local:%H:%M}. Réessayez ensuite, ou contactez l'établissement.")
