"""Staff users: creation with role checks, authentication (argon2id), login bookkeeping, and
the end of their sessions (R-SEC-4: `end_sessions` at logout, password change, deactivation)."""

from __future__ import annotations

import re

from .. import audit
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..models import DROITS_DELEGUE, Academie, Etablissement, Role, StaffUser
from ..secrets_store import hash_password, verify_nothing, verify_password
from .password_policy import check_password as _check_policy

__all__ = [
    "authenticate",
    "check_password",
    "create_user",
    "end_sessions",
    "mark_login",
    "set_password",
    "update_user",
]
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,79}$")
# Hash of a random password: failed logins of unknown users cost the same time as known ones.


def create_user(
    login: str,
    role: str,
    password: str,
    *,
    etablissement: Etablissement | None = None,
    academie: Academie | None = None,
    droits: list[str] | None = None,
    nom: str | None = None,
) -> StaffUser:
    login = (login or "").strip().lower()
    if not login:
        raise DomainError("L'identifiant de connexion est obligatoire.")
    if not LOGIN_RE.match(login):
        raise DomainError(
            "Identifiant invalide : de 2 à 80 caractères parmi lettres minuscules sans accent, "
            "chiffres, « . », « _ », « - » et « @ »."
        )
    try:
        role = Role(role)
    except ValueError:
        raise DomainError(f"Rôle inconnu : {role}.") from None
    if role == Role.ACADEMIE:
        if academie is None:
            raise DomainError("Un administrateur académique doit être rattaché à une académie.")
        if etablissement is not None:
            raise DomainError("Un administrateur académique n'est pas rattaché à un établissement.")
    elif etablissement is None:
        raise DomainError("Ce rôle doit être rattaché à un établissement (UAI).")
    academie_id = academie.id if academie else etablissement.academie_id
    _check_login_free(login, academie_id)
    check_password(password, context=(login, nom, etablissement.nom if etablissement else None,
                                      etablissement.uai if etablissement else None))
    droits = list(droits or [])
    unknown = [d for d in droits if d not in DROITS_DELEGUE]
    if unknown:
        raise DomainError(f"Droits inconnus : {', '.join(unknown)}.")
    user = StaffUser(
        login=login,
        role=role.value,
        password_hash=hash_password(password),
        etablissement_id=etablissement.id if etablissement else None,
        academie_id=academie_id,
        droits=[d for d in DROITS_DELEGUE if d in droits] if role == Role.DELEGUE else [],
        nom=nom,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "utilisateur.creation",
        etablissement_id=user.etablissement_id,
        target=login,
        after={"role": role.value, "droits": user.droits},
    )
    return user


def _check_login_free(login: str, academie_id: int | None) -> None:
    """A login is unique across académies, but whether another académie uses it is not for
    this one to learn: outside the creator's académie, « not available » without saying why."""
    holder = db.session.execute(db.select(StaffUser.id, StaffUser.academie_id)
                                .where(StaffUser.login == login)).first()
    if holder is None:
        return
    if academie_id is not None and holder.academie_id == academie_id:
        raise DomainError(f"L'utilisateur « {login} » existe déjà.")
    raise DomainError("Cet identifiant n'est pas disponible : choisissez-en un autre.")


def check_password(password: str | None, context: tuple[str | None, ...] = ()) -> None:
    """The staff password policy (admints.academie.password_policy): French `DomainError` if
    refused."""
    _check_policy(password, context)


def _context(user: StaffUser) -> tuple[str | None, ...]:
    etab = user.etablissement
    return (user.login, user.nom, etab.nom if etab else None, etab.uai if etab else None)


def set_password(user: StaffUser, password: str) -> None:
    """Replace a user's password (argon2id) and end the user's sessions (R-SEC-4); the audit
    says that it changed, never what to."""
    check_password(password, context=_context(user))
    user.password_hash = hash_password(password)
    end_sessions(user)
    audit.record("utilisateur.mot_de_passe", etablissement_id=user.etablissement_id,
                 target=user.login)


def end_sessions(user: StaffUser) -> None:
    """Every session of `user` stops being accepted at its next request (R-SEC-4): the
    version is part of the id that Flask-Login keeps in each session (StaffUser.get_id)."""
    user.session_version = (user.session_version or 0) + 1


def update_user(user: StaffUser, *, nom: str | None = None, droits: list[str] | None = None,
                actif: bool | None = None) -> StaffUser:
    """Change what may change of a staff user (name, délégué rights, active flag); audited."""
    before = {"nom": user.nom, "droits": list(user.droits or []), "actif": user.actif}
    if droits is not None:
        unknown = [d for d in droits if d not in DROITS_DELEGUE]
        if unknown:
            raise DomainError(f"Droits inconnus : {', '.join(unknown)}.")
        if user.role != Role.DELEGUE and droits:
            raise DomainError("Seul un délégué reçoit des droits sur les menus.")
        user.droits = [d for d in DROITS_DELEGUE if d in droits]
    if nom is not None:
        user.nom = nom.strip() or None
    if actif is not None:
        if bool(actif) != user.actif:
            end_sessions(user)
        user.actif = bool(actif)
    after = {"nom": user.nom, "droits": list(user.droits or []), "actif": user.actif}
    if after != before:
        action = "utilisateur.modification"
        if before["actif"] != after["actif"]:
            action = "utilisateur.activation" if after["actif"] else "utilisateur.desactivation"
        audit.record(action, etablissement_id=user.etablissement_id, target=user.login,
                     before=before, after=after)
    return user


def authenticate(login: str, password: str) -> StaffUser | None:
    """The active user with this login and password, or None. Always verifies one hash."""
    user = db.session.scalar(
        db.select(StaffUser).where(StaffUser.login == (login or "").strip().lower())
    )
    if user is None or not user.actif:
        verify_nothing(password)
        return None
    return user if verify_password(user.password_hash, password or "") else None


def mark_login(user: StaffUser) -> None:
    user.last_login = utcnow()
