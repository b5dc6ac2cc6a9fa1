"""Two family accounts of the demo to try the portal with (R-DAT-2, R-POR-2): one pupil and one
guardian, both *Utilisé*, with the demo password hashed as a first login stores it (argon2id,
`secrets_store.hash_password`, shared with the other used accounts of the demo).

The pupil is one whose Notes page shows at least one assessment today (R-SRV-4), when there is
one; the guardian is one of that pupil's, preferably one whose account carries several children
(so that switching between children can be tried). The choice is journaled (« demo.familles »,
the account ids) so that `admints demo --if-empty` prints the same logins again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..models import AuditEntry, Compte, Eleve, EtatCompte, Responsable, ResponsableEleve
from ..teleservices import notes

ACTION = "demo.familles"


def _pairs_with_notes(etab_id: int, today: dt.date) -> set[tuple[int, int | None]]:
    return {(e.division_id, e.mef_id) for e in notes.visible_evaluations(etab_id, today)}


def _pupils(etab_id: int, today: dt.date) -> list[Eleve]:
    """The pupils with an account, those with visible assessments first, by name."""
    pairs = _pairs_with_notes(etab_id, today)
    rows = db.session.scalars(select(Eleve).where(
        Eleve.etablissement_id == etab_id, Eleve.compte_id.is_not(None))
        .order_by(Eleve.nom, Eleve.prenom, Eleve.id)).all()

    def has_notes(e: Eleve) -> bool:
        return (e.division_id, e.mef_id) in pairs or (e.division_id, None) in pairs

    return sorted(rows, key=lambda e: not has_notes(e))  # stable: by name within each group


def _guardian_link(etab_id: int, eleve: Eleve) -> ResponsableEleve | None:
    children = (select(ResponsableEleve.compte_id, func.count().label("n"))
                .where(ResponsableEleve.etablissement_id == etab_id)
                .group_by(ResponsableEleve.compte_id).subquery())
    return db.session.scalar(
        select(ResponsableEleve)
        .join(children, children.c.compte_id == ResponsableEleve.compte_id)
        .where(ResponsableEleve.eleve_id == eleve.id, ResponsableEleve.compte_id.is_not(None))
        .order_by(children.c.n.desc(), ResponsableEleve.niveau, ResponsableEleve.id).limit(1))


def _use(compte: Compte, password_hash: str, today: dt.date, email: str | None) -> None:
    stamp = dt.datetime.combine(today, dt.time(8, 0))
    compte.etat = EtatCompte.UTILISE
    compte.mot_de_passe_hash = password_hash
    compte.mot_de_passe_provisoire_chiffre = None
    compte.ferme_le = None
    compte.date_notification = compte.date_notification or stamp
    compte.mode_notification = compte.mode_notification or "courrier"
    compte.date_activation = compte.date_activation or stamp
    compte.derniere_connexion = compte.derniere_connexion or stamp
    if email:
        compte.email, compte.email_valide = email, True


def make_family_accounts(etab_id: int, today: dt.date, password_hash: str) -> list[str]:
    """Sets a pupil's and a guardian's accounts to *Utilisé*; returns their logins."""
    chosen: list[Compte] = []
    for eleve in _pupils(etab_id, today):
        lien = _guardian_link(etab_id, eleve)
        if lien is None:
            continue
        pupil, guardian = db.session.get(Compte, eleve.compte_id), \
            db.session.get(Compte, lien.compte_id)
        responsable = db.session.get(Responsable, lien.responsable_id)
        _use(pupil, password_hash, today, None)
        _use(guardian, password_hash, today, guardian.email or responsable.email or
             f"{guardian.identifiant}@example.org")
        chosen = [pupil, guardian]
        break
    db.session.flush()
    if chosen:
        audit.record(ACTION, etablissement_id=etab_id, rows=[c.id for c in chosen],
                     target=",".join(c.identifiant for c in chosen), login="demo")
    return [c.identifiant for c in chosen]


def family_logins(etab_id: int) -> list[str]:
    """The logins chosen by the demo, if their accounts are still *Utilisé*."""
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == ACTION, AuditEntry.etablissement_id == etab_id)
        .order_by(AuditEntry.id.desc()).limit(1))
    if entry is None or not entry.rows:
        return []
    comptes = {c.id: c for c in db.session.scalars(select(Compte).where(
        Compte.id.in_(entry.rows)))}
    return [comptes[i].identifiant for i in entry.rows
            if i in comptes and comptes[i].etat == EtatCompte.UTILISE
            and comptes[i].ferme_le is None]
