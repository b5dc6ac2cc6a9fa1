"""Account rules (R-ACC-1/3/8/9/10, R-POR-1): state transitions of one account.

Plain functions: they add/flush, never commit, raise `DomainError` (French) and write the audit.
Bulk work (letters, emails, jobs) lives in `bulk.py`, which calls these.

Notification is split in two so that nothing is lost (issue 3 point 4, issue 9 §2):
`prepare_notification` decides, without changing anything, which password the letter or email
shows (`notification.claim` stores it in the outbox before anything leaves);
`delivered_values` is what the account takes once its letter is in the written PDF or its email
was accepted by the SMTP server (`apply_notification` on one ORM account). While a notification
of an account is open, `create_new_account` is refused (`outbox.guard`).

Decisions where the rules are silent (documented for the views and the lead):
- a notified *En cours d'activation* account goes back to *Notifié* (its new temporary password
  restarts the first login); an *Utilisé* account notified with reset goes to *Notifié* too
  (its chosen password is erased), so the class list can print the new password;
- `reset_password` alone (bulk « Réinitialiser les mots de passe ») issues a new temporary
  password and puts the account in *Non notifié*: the family does not know it yet;
- expiry (R-ACC-10) deletes the account row and attaches a fresh *Non notifié* account (new
  normalised identifier, no password) to the same pupil / pairs, so the pair shows *Non notifié*;
- closed accounts (replaced by R-ACC-8 « nouveau compte ») are never notified.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import audit, clock, secrets_store
from ..errors import DomainError
from ..extensions import db
from ..models import (
    OPEN_STATUSES,
    Compte,
    Eleve,
    EtatCompte,
    KindCompte,
    NotificationOutbox,
    ResponsableEleve,
)
from . import activation, identifier_lookup, identifiers

COURRIER = "courrier"
COURRIEL = "courriel"
MODE_LABELS = {COURRIER: "Document papier", COURRIEL: "Courrier électronique"}


def stamp(today: dt.date) -> dt.datetime:
    """A stored (naive UTC) timestamp for `today`, a Paris date: now when today is the real day
    in Paris, else that day at 00:00 UTC (already `today` in Paris, which is ahead of UTC)."""
    return clock.utcnow() if clock.today() == today else dt.datetime.combine(today, dt.time())


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):  # 31 January + 1 month = 28/29 February
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- notification (R-ACC-3/9)

@dataclass(frozen=True)
class Prepared:
    """What a letter/email shows for one account, decided before anything changes."""

    compte_id: int
    password: str | None  # shown in the letter; None = identifier only
    new_password: bool  # True = store it (encrypted) when the notification is delivered
    continuite: bool  # True = the continuity / « identifier only » body


def prepare_notification(compte: Compte, *, reset: bool = False) -> Prepared:
    """R-ACC-3: *Notifié* (and *Non notifié*) keep their temporary password (generated if none);
    *En cours d'activation* gets a new one; *Utilisé* and continuity accounts (R-ACC-9) show the
    identifier only, unless `reset` (élèves option, single « renotifier et réinitialiser »)."""
    if compte.ferme_le is not None:
        raise DomainError(f"Le compte {compte.identifiant} est fermé : il ne peut être notifié.")
    etat = compte.etat
    if reset or etat == EtatCompte.EN_COURS_ACTIVATION:
        return Prepared(compte.id, identifiers.generate_temporary_password(), True, False)
    if etat == EtatCompte.UTILISE:
        return Prepared(compte.id, None, False, True)
    current = secrets_store.decrypt_secret(compte.mot_de_passe_provisoire_chiffre)
    if compte.continuite and current is None:
        # Continuity: the family keeps the identifier and password of last year.
        return Prepared(compte.id, None, False, True)
    if current is not None:
        return Prepared(compte.id, current, False, False)
    return Prepared(compte.id, identifiers.generate_temporary_password(), True, False)


def notification_values(compte, prepared: Prepared, *, mode: str, today: dt.date) -> dict:
    """The column values a delivered notification sets (with "id"): state, date, mode, and the
    new password if any. `compte` only needs `id` and `etat` (an ORM row or a result row), so
    that bulk notification can update by primary key without loading ORM objects."""
    encrypted = secrets_store.encrypt_secret(prepared.password) if prepared.new_password \
        else None
    return {"id": compte.id, **delivered_values(compte.etat, encrypted, mode=mode, today=today)}


def delivered_values(etat_before: str, new_password_encrypted: bytes | None, *, mode: str,
                     today: dt.date) -> dict:
    """R-ACC-3, what a delivered letter or email changes on its account, from what was stored
    before it left (the outbox row): date, mode, state, and the new password if any (already
    encrypted: the very token that was stored)."""
    if mode not in MODE_LABELS:
        raise DomainError(f"Mode de notification inconnu : {mode}.")
    values = {"date_notification": stamp(today), "mode_notification": mode}
    if new_password_encrypted is not None:
        values["mot_de_passe_provisoire_chiffre"] = new_password_encrypted
        values["mot_de_passe_hash"] = None  # a reset replaces a chosen password
        values["etat"] = EtatCompte.NOTIFIE
    elif etat_before in (EtatCompte.NON_NOTIFIE, EtatCompte.NOTIFIE):
        values["etat"] = EtatCompte.NOTIFIE
    return values


def apply_notification(compte: Compte, prepared: Prepared, *, mode: str, today: dt.date) -> None:
    """The delivered notification on one ORM account (single renotification, tests).
    No audit here: the caller writes one entry for the batch."""
    for key, value in notification_values(compte, prepared, mode=mode, today=today).items():
        if key != "id":
            setattr(compte, key, value)


def reset_password(compte: Compte, *, today: dt.date, audit_it: bool = True) -> str:
    """New temporary password, account back to *Non notifié* (the family must be told).
    Returns the password (callers never log it). Audited."""
    if compte.ferme_le is not None:
        raise DomainError(f"Le compte {compte.identifiant} est fermé.")
    before = compte.etat
    password = identifiers.generate_temporary_password()
    compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret(password)
    compte.mot_de_passe_hash = None
    compte.etat = EtatCompte.NON_NOTIFIE
    if audit_it:
        audit.record("compte.reinitialiser", etablissement_id=compte.etablissement_id,
                     target=compte.identifiant, rows=[compte.id], before=before,
                     after=compte.etat)
    return password


def temporary_password(compte: Compte) -> str | None:
    """The re-printable temporary password; never for an *Utilisé* account (R-SEC-2)."""
    if compte.etat == EtatCompte.UTILISE:
        return None
    return secrets_store.decrypt_secret(compte.mot_de_passe_provisoire_chiffre)


# ---------------------------------------------------------------- new account (R-ACC-8)

def allocate_identifier(prenom: str, nom: str) -> str:
    """A unique normalised identifier (R-ACC-2), checked against every account."""
    base = identifiers.base_identifier(prenom, nom)
    return identifiers.IdentifierAllocator(
        identifier_lookup.taken_among([base])).allocate(prenom, nom)


def _holder(compte: Compte, lien: ResponsableEleve | None) -> tuple[str, str]:
    if compte.kind == KindCompte.ELEVE:
        eleve = db.session.scalar(db.select(Eleve).where(Eleve.compte_id == compte.id))
        if eleve is None:
            raise DomainError("Aucun élève n'est rattaché à ce compte.")
        return eleve.prenom, eleve.nom
    return lien.responsable.prenom, lien.responsable.nom


def create_new_account(compte: Compte, *, lien: ResponsableEleve | None = None,
                       today: dt.date) -> Compte:
    """R-ACC-8: a new account with a new normalised identifier and a temporary password, in
    state *Non notifié*. The old account is closed and deleted when no other child is attached.
    For a responsable, `lien` is the pair the new account is for (required). Refused while a
    notification of the account is open (outbox rule: its letter carries a stored password)."""
    from . import outbox  # outbox records deliveries with `delivered_values`

    activation.require_activated(compte.etablissement_id)  # R-SRV-1: a new password
    if compte.kind == KindCompte.RESPONSABLE:
        if lien is None or lien.compte_id != compte.id:
            raise DomainError("Le couple élève / responsable ne correspond pas à ce compte.")
    outbox.guard(compte.etablissement_id, [compte.id])
    prenom, nom = _holder(compte, lien)
    new = Compte(etablissement_id=compte.etablissement_id, kind=compte.kind,
                 identifiant=allocate_identifier(prenom, nom), etat=EtatCompte.NON_NOTIFIE,
                 mot_de_passe_provisoire_chiffre=secrets_store.encrypt_secret(
                     identifiers.generate_temporary_password()),
                 created_at=stamp(today))
    db.session.add(new)
    db.session.flush()
    if compte.kind == KindCompte.ELEVE:
        db.session.execute(db.update(Eleve).where(Eleve.compte_id == compte.id)
                           .values(compte_id=new.id))
    else:
        lien.compte_id = new.id
    db.session.flush()
    others = db.session.scalar(db.select(db.func.count(ResponsableEleve.id))
                               .where(ResponsableEleve.compte_id == compte.id))
    old_ident = compte.identifiant
    if compte.kind == KindCompte.ELEVE or not others:
        _delete(compte)
        fate = "supprimé"
    else:
        compte.ferme_le = stamp(today)
        compte.remplace_par_id = new.id
        fate = "fermé"
    db.session.flush()
    audit.record("compte.nouveau", etablissement_id=new.etablissement_id,
                 target=new.identifiant, rows=[new.id],
                 before=f"{old_ident} ({fate})", after=new.identifiant)
    return new


def _delete(compte: Compte) -> None:
    # Closed accounts that point at this one would break the foreign key.
    db.session.execute(db.update(Compte).where(Compte.remplace_par_id == compte.id)
                       .values(remplace_par_id=None))
    db.session.delete(compte)


# ---------------------------------------------------------------- expiry (R-ACC-10)

NOT_ACTIVATED_STATES = (EtatCompte.NOTIFIE, EtatCompte.EN_COURS_ACTIVATION)


def expires_on(etat: str | None, date_notification: dt.datetime | None) -> dt.date | None:
    """R-ACC-10, the one computation of « expire le JJ/MM/AAAA »: the day a *Notifié* or *En
    cours d'activation* account is deleted if still not activated — the day after the three
    months since its notification (Paris date). None for other states or no notification."""
    if etat not in NOT_ACTIVATED_STATES or date_notification is None:
        return None
    return add_months(clock.local_date(date_notification), 3) + dt.timedelta(days=1)


def notified_before_expiry_by(last_day: dt.date) -> dt.datetime:
    """The stored (naive UTC) instant such that a not-activated account expires on or before
    `last_day` (`expires_on(...) <= last_day`) exactly when it was notified before it: the SQL
    form of `expires_on` for the filter « expire dans les 30 jours » (comptes.selection)."""
    limit = last_day - dt.timedelta(days=1)  # add_months(notified, 3) <= limit
    # add_months never decreases: the notification days that qualify are those up to `day`.
    day = add_months(limit, -3)
    while add_months(day + dt.timedelta(days=1), 3) <= limit:
        day += dt.timedelta(days=1)
    while add_months(day, 3) > limit:
        day -= dt.timedelta(days=1)
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), clock.PARIS)
    return next_midnight.astimezone(dt.UTC).replace(tzinfo=None)


def expiry_reason(compte: Compte, today: dt.date) -> str | None:
    """Why this account is expired on `today`, or None. Not activated 3 months after its
    notification (`expires_on`), or not used for one year (strictly after the anniversary)."""
    if compte.etat in NOT_ACTIVATED_STATES:
        due = expires_on(compte.etat, compte.date_notification)
        if due is not None and due <= today:
            return "non activé 3 mois après sa notification"
    elif compte.etat == EtatCompte.UTILISE:
        last = compte.derniere_connexion or compte.date_activation or compte.date_notification
        if last and add_months(clock.local_date(last), 12) < today:
            return "non utilisé depuis un an"
    return None


def expire(compte: Compte, *, today: dt.date, reason: str) -> Compte:
    """Delete an expired account; the pupil / pairs get a fresh *Non notifié* account."""
    eleve = db.session.scalar(db.select(Eleve).where(Eleve.compte_id == compte.id))
    liens = list(db.session.scalars(
        db.select(ResponsableEleve).where(ResponsableEleve.compte_id == compte.id)
        .order_by(ResponsableEleve.id)))
    if eleve is not None:
        prenom, nom = eleve.prenom, eleve.nom
    elif liens:
        prenom, nom = liens[0].responsable.prenom, liens[0].responsable.nom
    else:
        prenom, nom = compte.identifiant.partition(".")[0], compte.identifiant.partition(".")[2]
    old_ident, old_id, etab_id = compte.identifiant, compte.id, compte.etablissement_id
    fresh = Compte(etablissement_id=etab_id, kind=compte.kind, identifiant="~" + old_ident,
                   etat=EtatCompte.NON_NOTIFIE, created_at=stamp(today))
    db.session.add(fresh)
    db.session.flush()
    if eleve is not None:
        eleve.compte_id = fresh.id
    for lien in liens:
        lien.compte_id = fresh.id
    db.session.flush()
    _delete(compte)
    db.session.flush()
    # Allocated after the delete so the freed identifier may be handed out again.
    fresh.identifiant = allocate_identifier(prenom, nom)
    db.session.flush()
    audit.record("compte.expire", etablissement_id=etab_id, target=old_ident,
                 rows=[old_id, fresh.id], before=reason, after=fresh.identifiant)
    return fresh


def purge_expired(*, today: dt.date, etablissement_id: int | None = None) -> list[dict]:
    """R-ACC-10, safe to run daily: expire every account due on `today`. Returns one dict per
    account: etablissement_id, identifiant, kind, reason, nouveau (new identifier)."""
    # SQL pre-filter, a safe superset (3 months ≥ 89 days, a year ≥ 365 days) so a daily run
    # over every establishment loads only candidates; `expiry_reason` decides exactly. Paris
    # is ahead of UTC, so a Paris date ends before the same UTC date: still a superset.
    midnight = dt.datetime.combine(today, dt.time())
    last_use = db.func.coalesce(Compte.derniere_connexion, Compte.date_activation,
                                Compte.date_notification)
    query = db.select(Compte).where(
        Compte.ferme_le.is_(None),
        db.or_(
            db.and_(Compte.etat.in_([EtatCompte.NOTIFIE, EtatCompte.EN_COURS_ACTIVATION]),
                    Compte.date_notification < midnight - dt.timedelta(days=89)),
            db.and_(Compte.etat == EtatCompte.UTILISE,
                    last_use < midnight - dt.timedelta(days=365))))
    if etablissement_id is not None:
        query = query.where(Compte.etablissement_id == etablissement_id)
    # An account being notified (open outbox row) waits for the next run.
    query = query.where(~db.exists().where(NotificationOutbox.compte_id == Compte.id,
                                           NotificationOutbox.status.in_(OPEN_STATUSES)))
    done = []
    for compte in list(db.session.scalars(query.order_by(Compte.id))):
        reason = expiry_reason(compte, today)
        if reason:
            ident, kind, etab_id = compte.identifiant, compte.kind, compte.etablissement_id
            fresh = expire(compte, today=today, reason=reason)
            done.append({"etablissement_id": etab_id, "identifiant": ident, "kind": kind,
                         "reason": reason, "nouveau": fresh.identifiant})
    return done


# ---------------------------------------------------------------- portal side (R-POR-1)
