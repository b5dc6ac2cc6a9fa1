"""The establishment a request works on (R-SEC-1).

Staff of an establishment always work on their own; the académie administrator picks one of
its académie's establishments with the switcher, kept in the session and re-checked on every
request. Every scoped query in the product asks `current_etablissement_id()`.
"""

from __future__ import annotations

from flask import abort, g, session
from flask_login import current_user

from .extensions import db
from .models import Etablissement, Role, StaffUser

SESSION_KEY = "etablissement_id"


def _user() -> StaffUser | None:
    user = current_user._get_current_object() if current_user else None
    return user if user is not None and user.is_authenticated else None


def etablissements_of(user: StaffUser) -> list[Etablissement]:
    """The establishments this user may work on."""
    if user.role == Role.ACADEMIE:
        if user.academie_id is None:  # `academie_id == None` would match orphan schools
            return []
        return list(
            db.session.scalars(
                db.select(Etablissement)
                .where(Etablissement.academie_id == user.academie_id)
                .order_by(Etablissement.nom)
            )
        )
    if user.etablissement_id:
        etab = db.session.get(Etablissement, user.etablissement_id)
        return [etab] if etab else []
    return []


def may_use(user: StaffUser, etablissement_id: int) -> bool:
    if user.role == Role.ACADEMIE:
        etab = db.session.get(Etablissement, etablissement_id)
        return (etab is not None and user.academie_id is not None
                and etab.academie_id == user.academie_id)
    return user.etablissement_id == etablissement_id


def current_etablissement() -> Etablissement | None:
    if "admints_etab" in g:
        return g.admints_etab
    user = _user()
    etab = None
    if user is not None:
        if user.role == Role.ACADEMIE:
            wanted = session.get(SESSION_KEY)
            if isinstance(wanted, int) and may_use(user, wanted):
                etab = db.session.get(Etablissement, wanted)
            else:
                choices = etablissements_of(user)
                etab = choices[0] if choices else None
        elif user.etablissement_id:
            etab = db.session.get(Etablissement, user.etablissement_id)
    g.admints_etab = etab
    return etab


def current_etablissement_id() -> int | None:
    etab = current_etablissement()
    return etab.id if etab else None


def require_etablissement_id() -> int:
    etab_id = current_etablissement_id()
    if etab_id is None:
        abort(403)
    return etab_id


def switch_etablissement(user: StaffUser, etablissement_id: int) -> bool:
    if not may_use(user, etablissement_id):
        return False
    session[SESSION_KEY] = etablissement_id
    g.pop("admints_etab", None)
    return True
