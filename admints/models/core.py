"""The core of the data model (SQLAlchemy 2 typed declarations): académies, establishments and
their structure, pupils, guardians and their accounts.

Models know no rules: states, identifiers, letters, statistics and imports live in the domain
modules of `admints/`. Every row that belongs to an establishment carries `etablissement_id`
(indexed), which is what tenant isolation (R-SEC-1) filters on.

Its siblings hold the téléservices, settings and family activity (`teleservices`), staff users,
the audit trail and jobs (`staff`), and the notification outbox (`outbox`). Import every model
from `admints.models`, never from a submodule.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow  # the columns' default: naive UTC, from the one clock
from ..extensions import db


class EtatCompte(enum.StrEnum):
    """R-ACC-1 account states; the values are the codes stored in the database."""

    NON_NOTIFIE = "non_notifie"
    NOTIFIE = "notifie"
    EN_COURS_ACTIVATION = "en_cours_activation"
    UTILISE = "utilise"


ETAT_LABELS = {
    EtatCompte.NON_NOTIFIE: "Non notifié",
    EtatCompte.NOTIFIE: "Notifié",
    EtatCompte.EN_COURS_ACTIVATION: "En cours d'activation",
    EtatCompte.UTILISE: "Utilisé",
}


class KindCompte(enum.StrEnum):
    ELEVE = "eleve"
    RESPONSABLE = "responsable"


class Role(enum.StrEnum):
    """Staff roles (docs/REGLES.md §1)."""

    ACADEMIE = "academie"
    CHEF = "chef"
    DELEGUE = "delegue"
    COMPTABLE = "comptable"
    ASSISTANCE = "assistance"


ROLE_LABELS = {
    Role.ACADEMIE: "Administrateur académique",
    Role.CHEF: "Chef d'établissement",
    Role.DELEGUE: "Délégué",
    Role.COMPTABLE: "Agent comptable",
    Role.ASSISTANCE: "Assistance",
}

# Menus a head may grant to a délégué (DELEG-CE).
DROITS_DELEGUE = ("services", "parametrage", "responsables", "eleves", "statistiques")


class Academie(db.Model):
    __tablename__ = "academie"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    nom: Mapped[str] = mapped_column(String(120))
    # Codes of the services the rector made mandatory in the académie (R-SRV-2, guide §1.4).
    # Nullable so that adding it to existing académies needs no server default (None = none).
    services_obligatoires: Mapped[list[str] | None] = mapped_column(JSON, default=list)

    etablissements: Mapped[list[Etablissement]] = relationship(back_populates="academie")

    def __str__(self) -> str:
        return f"Académie de {self.nom}"


class Etablissement(db.Model):
    __tablename__ = "etablissement"

    id: Mapped[int] = mapped_column(primary_key=True)
    uai: Mapped[str] = mapped_column(String(8), unique=True)
    nom: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), default="college")  # college | lycee
    academie_id: Mapped[int | None] = mapped_column(ForeignKey("academie.id"), index=True)
    adresse: Mapped[str | None] = mapped_column(String(300))
    code_postal: Mapped[str | None] = mapped_column(String(10))
    ville: Mapped[str | None] = mapped_column(String(120))
    telephone: Mapped[str | None] = mapped_column(String(30))
    fax: Mapped[str | None] = mapped_column(String(30))
    # The establishment's email addresses (a list), among which the contact link is chosen.
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    chef_nom: Mapped[str | None] = mapped_column(String(200))
    # Printed above the head's name in letters (« La principale », « Le proviseur »…).
    chef_titre: Mapped[str | None] = mapped_column(String(120))
    # Starting year of the current school year: 2026 means 2026/2027.
    annee_scolaire: Mapped[int] = mapped_column(Integer, default=2026)
    module_notes_initialise: Mapped[bool] = mapped_column(Boolean, default=False)
    active_le: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    academie: Mapped[Academie | None] = relationship(back_populates="etablissements")

    def __str__(self) -> str:
        return f"{self.nom} ({self.uai})"

    @property
    def annee_label(self) -> str:
        return f"{self.annee_scolaire}/{self.annee_scolaire + 1}"


class Mef(db.Model):
    __tablename__ = "mef"
    __table_args__ = (UniqueConstraint("etablissement_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    formation: Mapped[str | None] = mapped_column(String(60))
    libelle: Mapped[str] = mapped_column(String(200))
    mefstat: Mapped[str | None] = mapped_column(String(20), index=True)

    etablissement: Mapped[Etablissement] = relationship()

    def __str__(self) -> str:
        return self.libelle or self.code


class Division(db.Model):
    __tablename__ = "division"
    __table_args__ = (UniqueConstraint("etablissement_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    libelle: Mapped[str | None] = mapped_column(String(200))

    etablissement: Mapped[Etablissement] = relationship()

    def __str__(self) -> str:
        return self.code


eleve_groupe = Table(
    "eleve_groupe",
    db.metadata,
    Column("eleve_id", ForeignKey("eleve.id", ondelete="CASCADE"), primary_key=True),
    Column("groupe_id", ForeignKey("groupe.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_eleve_groupe_groupe_id", "groupe_id"),
)


class Groupe(db.Model):
    __tablename__ = "groupe"
    __table_args__ = (UniqueConstraint("etablissement_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    libelle: Mapped[str | None] = mapped_column(String(200))

    etablissement: Mapped[Etablissement] = relationship()
    eleves: Mapped[list[Eleve]] = relationship(secondary=eleve_groupe, back_populates="groupes")

    def __str__(self) -> str:
        return self.code


class Compte(db.Model):
    """An account of Scolarité services (R-ACC-1..10), for a pupil or a guardian."""

    __tablename__ = "compte"
    __table_args__ = (
        # Lists filter by (establishment, kind, state); R-STA-2 also counts by school year.
        Index("ix_compte_etab_kind_etat_notif", "etablissement_id", "kind", "etat",
              "date_notification"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # KindCompte
    identifiant: Mapped[str] = mapped_column(String(80), unique=True)
    etat: Mapped[str] = mapped_column(String(24), default=EtatCompte.NON_NOTIFIE)
    # Fernet token of the temporary password: re-printable, erased once the account is used.
    mot_de_passe_provisoire_chiffre: Mapped[bytes | None] = mapped_column(LargeBinary)
    mot_de_passe_hash: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    email_valide: Mapped[bool] = mapped_column(Boolean, default=False)
    date_notification: Mapped[dt.datetime | None] = mapped_column(DateTime)
    mode_notification: Mapped[str | None] = mapped_column(String(12))  # courrier | courriel
    derniere_connexion: Mapped[dt.datetime | None] = mapped_column(DateTime)
    date_activation: Mapped[dt.datetime | None] = mapped_column(DateTime)
    continuite: Mapped[bool] = mapped_column(Boolean, default=False)
    ferme_le: Mapped[dt.datetime | None] = mapped_column(DateTime)
    remplace_par_id: Mapped[int | None] = mapped_column(ForeignKey("compte.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    etablissement: Mapped[Etablissement] = relationship()

    def __str__(self) -> str:
        return self.identifiant


class Eleve(db.Model):
    __tablename__ = "eleve"
    __table_args__ = (
        UniqueConstraint("etablissement_id", "siecle_id"),
        Index("ix_eleve_etab_nom", "etablissement_id", "nom", "prenom"),
        # Issue 14: the lists' division / MEF filters (and a level across the académie) read
        # the establishment's pupils of a division or MEF through one index.
        Index("ix_eleve_etab_division", "etablissement_id", "division_id"),
        Index("ix_eleve_etab_mef", "etablissement_id", "mef_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    siecle_id: Mapped[str] = mapped_column(String(20))  # ELEVE_ID
    ine: Mapped[str | None] = mapped_column(String(20))  # ID_NATIONAL
    nom: Mapped[str] = mapped_column(String(120))
    prenom: Mapped[str] = mapped_column(String(120))
    date_naissance: Mapped[dt.date | None] = mapped_column(Date)
    sexe: Mapped[str | None] = mapped_column(String(1))  # 1 masculin, 2 féminin
    mef_id: Mapped[int | None] = mapped_column(ForeignKey("mef.id"), index=True)
    division_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"), index=True)
    compte_id: Mapped[int | None] = mapped_column(ForeignKey("compte.id"), index=True)

    etablissement: Mapped[Etablissement] = relationship()
    mef: Mapped[Mef | None] = relationship()
    division: Mapped[Division | None] = relationship()
    compte: Mapped[Compte | None] = relationship()
    groupes: Mapped[list[Groupe]] = relationship(secondary=eleve_groupe, back_populates="eleves")
    liens: Mapped[list[ResponsableEleve]] = relationship(back_populates="eleve")

    def __str__(self) -> str:
        return f"{self.nom} {self.prenom}"


class Responsable(db.Model):
    """A person responsible for pupils (PERSONNE of SIECLE), with civility and postal address."""

    __tablename__ = "responsable"
    __table_args__ = (UniqueConstraint("etablissement_id", "siecle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    siecle_id: Mapped[str] = mapped_column(String(20))  # PERSONNE_ID
    civilite: Mapped[str | None] = mapped_column(String(10))  # M., MME
    nom: Mapped[str] = mapped_column(String(120))
    prenom: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    adresse_ligne1: Mapped[str | None] = mapped_column(String(120))
    adresse_ligne2: Mapped[str | None] = mapped_column(String(120))
    adresse_ligne3: Mapped[str | None] = mapped_column(String(120))
    adresse_ligne4: Mapped[str | None] = mapped_column(String(120))
    code_postal: Mapped[str | None] = mapped_column(String(10))
    commune: Mapped[str | None] = mapped_column(String(120))
    pays: Mapped[str | None] = mapped_column(String(120))

    etablissement: Mapped[Etablissement] = relationship()
    liens: Mapped[list[ResponsableEleve]] = relationship(back_populates="responsable")

    def __str__(self) -> str:
        return self.display_name(self.civilite, self.nom, self.prenom)

    @staticmethod
    def display_name(civilite: str | None, nom: str | None, prenom: str | None) -> str:
        """« MME DUPONT Marie »: also used by the account list, which reads plain rows."""
        civ = f"{civilite} " if civilite else ""
        return f"{civ}{nom} {prenom}"


class ResponsableEleve(db.Model):
    """The student–guardian link (RESPONSABLE_ELEVE); légal 1/2 links carry an account."""

    __tablename__ = "responsable_eleve"
    __table_args__ = (
        UniqueConstraint("eleve_id", "responsable_id"),
        Index("ix_resp_eleve_etab_niveau", "etablissement_id", "niveau"),
        # R-STA-2: from an account to its pupils without reading the table.
        Index("ix_resp_eleve_compte_eleve", "compte_id", "eleve_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    eleve_id: Mapped[int] = mapped_column(ForeignKey("eleve.id", ondelete="CASCADE"), index=True)
    responsable_id: Mapped[int] = mapped_column(
        ForeignKey("responsable.id", ondelete="CASCADE"), index=True
    )
    niveau: Mapped[int] = mapped_column(Integer)  # 1 légal 1, 2 légal 2, 0 other
    compte_id: Mapped[int | None] = mapped_column(ForeignKey("compte.id"), index=True)

    eleve: Mapped[Eleve] = relationship(back_populates="liens")
    responsable: Mapped[Responsable] = relationship(back_populates="liens")
    compte: Mapped[Compte | None] = relationship()

    def __str__(self) -> str:
        return f"{self.responsable} – {self.eleve} (légal {self.niveau})"


class CompteConserve(db.Model):
    """An account kept when a SIECLE import took its holder away (R-DAT-3): the pupil left, or
    the guardian link disappeared. The account row stays as it was (identifier, state,
    passwords; closed when nobody uses it any more): the import that brings the pupil or the
    link back gives it the same account again. Keyed by SIECLE ids, which survive re-imports."""

    __tablename__ = "compte_conserve"
    __table_args__ = (
        # Named: the convention's name would pass PostgreSQL's 63 characters.
        UniqueConstraint("etablissement_id", "eleve_siecle_id", "personne_siecle_id",
                         name="uq_compte_conserve_siecle_ids"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    eleve_siecle_id: Mapped[str] = mapped_column(String(20))  # ELEVE_ID
    personne_siecle_id: Mapped[str] = mapped_column(String(20))  # PERSONNE_ID, "" = the pupil's
    niveau: Mapped[int | None] = mapped_column(Integer)  # of the link, when it went
    compte_id: Mapped[int] = mapped_column(ForeignKey("compte.id", ondelete="CASCADE"),
                                           index=True)
    sorti_le: Mapped[dt.date] = mapped_column(Date)
