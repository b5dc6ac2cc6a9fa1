"""Account rows for the bulk operations (notification, writing, bulk): the accounts of a list of
ids, scoped to one establishment (R-SEC-1), with what a letter or an email needs, sorted by
division then name (accents and case ignored).

They are read as result rows, not ORM objects: loading and flushing 2,000 ORM accounts cost
more than the letters themselves. `lifecycle.prepare_notification` and
`lifecycle.notification_values` only need the row's attributes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ..courriers import wording
from ..database import chunks
from ..email_syntax import is_valid_email
from ..errors import DomainError
from ..extensions import db
from ..models import (
    Compte,
    Division,
    Eleve,
    Etablissement,
    KindCompte,
    Responsable,
    ResponsableEleve,
)
from . import lifecycle


@dataclass(slots=True)  # thousands of them in a notification: no __dict__ each
class Item:
    """One account to notify: its letter data and its delivery channels."""

    compte: Compte
    sort_key: tuple
    nom: str
    prenom: str
    civilite: str | None
    adresse: list[str]
    eleve_nom: str
    eleve_prenom: str
    division: str
    email: str | None = None
    raw_email: str | None = None  # the SIECLE address as typed, for the failure reason
    prepared: lifecycle.Prepared | None = None
    delivered: str | None = None  # "courrier" | "courriel"
    reason: str | None = None
    # A guardian account shared by siblings: the other children (« Prénom NOM »), named by
    # the same letter or email.
    autres_enfants: list[str] = field(default_factory=list)

    @property
    def enfants_label(self) -> str:
        """« Jeanne DUPONT » or « Jeanne DUPONT et Paul DUPONT »: every child of the account."""
        return wording.names_list([f"{self.eleve_prenom} {self.eleve_nom}",
                                   *self.autres_enfants])


class AccountRef(NamedTuple):
    """What a letter, an email and a recap read of an account once its outbox row is made."""

    id: int
    kind: str
    identifiant: str


def slim(item: Item) -> Item:
    """The item without its account's full row (`AccountRef` instead): a notification of
    15,000 accounts keeps only what its letters need (issue 14)."""
    item.compte = AccountRef(item.compte.id, item.compte.kind, item.compte.identifiant)
    return item


def fold(text: str | None) -> str:
    """Sort key of a name: accents and case ignored (« Émile » sorts with E)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def etablissement(etablissement_id: int) -> Etablissement:
    etab = db.session.get(Etablissement, etablissement_id)
    if etab is None:
        raise DomainError("Établissement inconnu.")
    return etab


def address_lines(resp) -> list[str]:
    """Postal address lines of a responsable (ORM object or result row)."""
    lines = [resp.adresse_ligne1, resp.adresse_ligne2, resp.adresse_ligne3, resp.adresse_ligne4]
    town = " ".join(p for p in (resp.code_postal, resp.commune) if p)
    lines.append(town)
    if resp.pays and resp.pays.strip().upper() != "FRANCE":
        lines.append(resp.pays)
    return [line for line in (x.strip() if x else "" for x in lines) if line]


def pick_email(siecle_email: str | None, compte_email: str | None,
               compte_email_valide: bool) -> str | None:
    """The address a notification goes to: SIECLE's if valid, else the account's validated one
    (guide §4.2)."""
    if is_valid_email(siecle_email):
        return siecle_email.strip()
    if compte_email_valide and is_valid_email(compte_email):
        return compte_email.strip()
    return None


def responsable_email(compte: Compte, resp: Responsable) -> str | None:
    return pick_email(resp.email, compte.email, compte.email_valide)


# Columns of the account read by prepare/notification_values (result rows, no ORM objects:
# loading 2,000 ORM accounts and flushing them cost more than the letters themselves).
_COMPTE_COLS = (Compte.id, Compte.kind, Compte.etat, Compte.identifiant, Compte.continuite,
                Compte.ferme_le, Compte.mot_de_passe_provisoire_chiffre, Compte.email,
                Compte.email_valide)


def load_items(etablissement_id: int, kind: str, compte_ids: Sequence[int]) -> list[Item]:
    items: dict[int, Item] = {}
    for chunk in chunks(compte_ids):
        scope = (Compte.etablissement_id == etablissement_id, Compte.id.in_(chunk),
                 Compte.kind == kind)
        if kind == KindCompte.ELEVE:
            rows = db.session.execute(
                db.select(*_COMPTE_COLS, Eleve.id.label("eleve_id"), Eleve.nom, Eleve.prenom,
                          Division.code.label("division"))
                .join(Eleve, Eleve.compte_id == Compte.id)
                .outerjoin(Division, Division.id == Eleve.division_id)
                .where(Eleve.etablissement_id == etablissement_id, *scope))
            for row in rows:
                div = row.division or ""
                key = (fold(div), fold(row.nom), fold(row.prenom), row.eleve_id)
                items[row.id] = Item(row, key, row.nom, row.prenom, None, [], row.nom,
                                      row.prenom, div)
        else:
            children: dict[int, list[tuple]] = {}
            rows = db.session.execute(
                db.select(*_COMPTE_COLS, ResponsableEleve.id.label("lien_id"),
                          Responsable.nom.label("r_nom"), Responsable.prenom.label("r_prenom"),
                          Responsable.civilite, Responsable.email.label("r_email"),
                          Responsable.adresse_ligne1, Responsable.adresse_ligne2,
                          Responsable.adresse_ligne3, Responsable.adresse_ligne4,
                          Responsable.code_postal, Responsable.commune, Responsable.pays,
                          Eleve.nom.label("e_nom"), Eleve.prenom.label("e_prenom"),
                          Division.code.label("division"))
                .join(ResponsableEleve, ResponsableEleve.compte_id == Compte.id)
                .join(Responsable, Responsable.id == ResponsableEleve.responsable_id)
                .join(Eleve, Eleve.id == ResponsableEleve.eleve_id)
                .outerjoin(Division, Division.id == Eleve.division_id)
                .where(ResponsableEleve.etablissement_id == etablissement_id, *scope))
            for row in rows:
                div = row.division or ""
                key = (fold(div), fold(row.e_nom), fold(row.e_prenom), fold(row.r_nom),
                       fold(row.r_prenom), row.lien_id)
                children.setdefault(row.id, []).append((key, f"{row.e_prenom} {row.e_nom}", div))
                # A guardian account shared by siblings gets ONE letter, sorted with its first
                # child and naming the others (below).
                if row.id in items and items[row.id].sort_key <= key:
                    continue
                items[row.id] = Item(
                    row, key, row.r_nom, row.r_prenom,
                    wording.civilite_label(row.civilite) or None, address_lines(row),
                    row.e_nom, row.e_prenom, div,
                    pick_email(row.r_email, row.email, row.email_valide), row.r_email)
            for compte_id, kids in children.items():
                if len(kids) > 1:
                    kids.sort()
                    items[compte_id].autres_enfants = [name for _k, name, _d in kids[1:]]
                    items[compte_id].division = ", ".join(dict.fromkeys(d for *_x, d in kids
                                                                        if d))
    return sorted(items.values(), key=lambda it: it.sort_key)


def account_children(etablissement_id: int, compte_id: int) -> list[tuple[str, str, str]]:
    """Every child (nom, prénom, division) of the establishment a guardian account is for —
    several when siblings share it — in the letters' order (division, then name)."""
    rows = db.session.execute(
        db.select(Eleve.nom, Eleve.prenom, Division.code)
        .join(ResponsableEleve, ResponsableEleve.eleve_id == Eleve.id)
        .outerjoin(Division, Division.id == Eleve.division_id)
        .where(ResponsableEleve.etablissement_id == etablissement_id,
               ResponsableEleve.compte_id == compte_id)).all()
    kids = {(nom, prenom, code or "") for nom, prenom, code in rows}
    return sorted(kids, key=lambda k: (fold(k[2]), fold(k[0]), fold(k[1])))


def load_comptes(etablissement_id: int, compte_ids: Sequence[int],
                kind: str | None = None) -> list[Compte]:
    """The accounts of `compte_ids` that belong to the establishment (R-SEC-1), of one kind when
    given, in id order; ids of another establishment are dropped."""
    out: list[Compte] = []
    for chunk in chunks(compte_ids):
        query = db.select(Compte).where(Compte.etablissement_id == etablissement_id,
                                        Compte.id.in_(chunk))
        if kind:
            query = query.where(Compte.kind == kind)
        out.extend(db.session.scalars(query.order_by(Compte.id)))
    return out
