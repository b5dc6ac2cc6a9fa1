"""Versioned establishment settings (R-PAR-1).

Every setting is a row per version with `effective_from`; the value in force on day D is the
latest version with `effective_from <= D`. A change takes effect the next day, except the keys
in `IMMEDIATE_KEYS` (welcome message, ENT link and letter type), which apply at once.
Callers own the transaction: functions here add and flush, never commit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func

from .. import audit
from ..extensions import db
from ..models import Parametre

# Keys whose change families see at once (guide §3: welcome message and ENT settings).
IMMEDIATE_KEYS = frozenset({"message_accueil", "ent"})
# Letter texts (`courrier.<key>`, R-PAR-4) apply at once too: families never see them in the
# portal, staff print them, and the guide asks to check the letters right after editing them —
# a next-day effect would print yesterday's text under today's preview.
IMMEDIATE_PREFIXES = ("courrier.",)


def is_immediate(key: str) -> bool:
    return key in IMMEDIATE_KEYS or key.startswith(IMMEDIATE_PREFIXES)


def effective_date_for(key: str, today: dt.date) -> dt.date:
    return today if is_immediate(key) else today + dt.timedelta(days=1)


def get(etablissement_id: int, key: str, day: dt.date, default: object = None) -> object:
    """The value in force on `day`."""
    row = db.session.scalar(
        db.select(Parametre)
        .where(Parametre.etablissement_id == etablissement_id, Parametre.cle == key,
               Parametre.effective_from <= day)
        .order_by(Parametre.effective_from.desc(), Parametre.id.desc())
        .limit(1)
    )
    return row.valeur if row is not None else default


def get_latest(etablissement_id: int, key: str, default: object = None) -> object:
    """The value last saved, whether or not it is in force yet (what the screen edits)."""
    row = db.session.scalar(
        db.select(Parametre)
        .where(Parametre.etablissement_id == etablissement_id, Parametre.cle == key)
        .order_by(Parametre.effective_from.desc(), Parametre.id.desc())
        .limit(1)
    )
    return row.valeur if row is not None else default


def pending_from(etablissement_id: int, key: str, today: dt.date) -> dt.date | None:
    """The date from which a saved change not yet in force applies, if any."""
    return db.session.scalar(
        db.select(func.min(Parametre.effective_from)).where(
            Parametre.etablissement_id == etablissement_id, Parametre.cle == key,
            Parametre.effective_from > today)
    )


def in_force(etablissement_id: int, day: dt.date) -> dict[str, object]:
    """« The settings in force on day D » for the portal: every key at once, one query."""
    rows = db.session.scalars(
        db.select(Parametre)
        .where(Parametre.etablissement_id == etablissement_id, Parametre.effective_from <= day)
        .order_by(Parametre.cle, Parametre.effective_from, Parametre.id)
    )
    values: dict[str, object] = {}
    for row in rows:
        values[row.cle] = row.valeur  # later versions overwrite earlier ones
    return values


def set_value(etablissement_id: int, key: str, value: object, today: dt.date,
              by: str | None = None) -> dt.date:
    """Save a new version; returns the day it takes effect. Audited with before/after.

    Saving twice the same day for the same effective date replaces that pending version.
    """
    effective = effective_date_for(key, today)
    before = get_latest(etablissement_id, key)
    if before == value:
        return effective
    pending = db.session.scalar(
        db.select(Parametre).where(
            Parametre.etablissement_id == etablissement_id, Parametre.cle == key,
            Parametre.effective_from == effective)
    )
    if pending is not None:
        pending.valeur = value
        pending.created_by = by
    else:
        db.session.add(Parametre(etablissement_id=etablissement_id, cle=key, valeur=value,
                                 effective_from=effective, created_by=by))
    db.session.flush()
    audit.record(f"parametre.{key}", etablissement_id=etablissement_id, target=key,
                 before=before, after=value)
    return effective


def notice(key: str, today: dt.date) -> str:
    """The sentence each settings screen shows after a change."""
    return ("Cette modification sera visible par les familles à partir du "
            f"{effective_date_for(key, today):%d/%m/%Y}.")
