"""The data model of the whole product (SQLAlchemy 2 typed declarations).

Models know no rules: states, identifiers, letters, statistics and imports live in the domain
modules of `admints/`. Every row that belongs to an establishment carries `etablissement_id`
(indexed), which is what tenant isolation (R-SEC-1) filters on.
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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


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
    """FEATURES §1 staff roles."""

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

    @property
    def etat_label(self) -> str:
        return ETAT_LABELS[EtatCompte(self.etat)]


class Eleve(db.Model):
    __tablename__ = "eleve"
    __table_args__ = (
        UniqueConstraint("etablissement_id", "siecle_id"),
        Index("ix_eleve_etab_nom", "etablissement_id", "nom", "prenom"),
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
        civ = f"{self.civilite} " if self.civilite else ""
        return f"{civ}{self.nom} {self.prenom}"


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


class Teleservice(db.Model):
    """Catalogue entry (R-SRV-2): national when `academie_id` is null, else academic."""

    __tablename__ = "teleservice"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    libelle: Mapped[str] = mapped_column(String(200))
    categorie: Mapped[str] = mapped_column(String(80))
    academie_id: Mapped[int | None] = mapped_column(ForeignKey("academie.id"), index=True)
    obligatoire: Mapped[bool] = mapped_column(Boolean, default=False)
    # Mandatory only for this type of establishment (LSL: lycee); null = per `obligatoire`.
    obligatoire_pour_type: Mapped[str | None] = mapped_column(String(20))
    ouvert_par_defaut: Mapped[bool] = mapped_column(Boolean, default=True)
    module_requis: Mapped[str | None] = mapped_column(String(40))  # e.g. "notes"
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __str__(self) -> str:
        return self.libelle


class TeleserviceEtablissement(db.Model):
    __tablename__ = "teleservice_etablissement"
    __table_args__ = (UniqueConstraint("etablissement_id", "teleservice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    teleservice_id: Mapped[int] = mapped_column(ForeignKey("teleservice.id"))
    ouvert: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    teleservice: Mapped[Teleservice] = relationship()

    def __str__(self) -> str:
        return f"{self.teleservice} : {'ouvert' if self.ouvert else 'fermé'}"


class Parametre(db.Model):
    """A versioned setting (R-PAR-1): the value in force on day D is the latest version whose
    `effective_from` is on or before D."""

    __tablename__ = "parametre"
    __table_args__ = (Index("ix_parametre_etab_cle", "etablissement_id", "cle", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    cle: Mapped[str] = mapped_column(String(80))
    valeur: Mapped[object] = mapped_column(JSON)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(80))

    def __str__(self) -> str:
        return f"{self.cle} (à partir du {self.effective_from:%d/%m/%Y})"


class LienUtile(db.Model):
    __tablename__ = "lien_utile"

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    libelle: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    def __str__(self) -> str:
        return self.libelle


class EntAcademique(db.Model):
    """An ENT of the académie's list (R-PAR-3)."""

    __tablename__ = "ent_academique"

    id: Mapped[int] = mapped_column(primary_key=True)
    academie_id: Mapped[int] = mapped_column(ForeignKey("academie.id"), index=True)
    nom: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))

    def __str__(self) -> str:
        return self.nom


class TipiRegie(db.Model):
    """The académie's TIPI référentiel (R-SRV-5): client number → régie."""

    __tablename__ = "tipi_regie"
    __table_args__ = (UniqueConstraint("academie_id", "numero_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    academie_id: Mapped[int] = mapped_column(ForeignKey("academie.id"), index=True)
    numero_client: Mapped[str] = mapped_column(String(20))
    libelle_regie: Mapped[str] = mapped_column(String(200))

    def __str__(self) -> str:
        return f"{self.numero_client} – {self.libelle_regie}"


class DatePublication(db.Model):
    """An échéance date of the Notes service per MEF × division (R-SRV-4)."""

    __tablename__ = "date_publication"
    __table_args__ = (UniqueConstraint("mef_id", "division_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    mef_id: Mapped[int] = mapped_column(ForeignKey("mef.id", ondelete="CASCADE"))
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)

    mef: Mapped[Mef] = relationship()
    division: Mapped[Division] = relationship()

    def __str__(self) -> str:
        return f"{self.mef} / {self.division} : {self.date:%d/%m/%Y}"


class Evaluation(db.Model):
    """An assessment entered by a teacher (SIECLE Notes), shown per R-SRV-4."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    mef_id: Mapped[int | None] = mapped_column(ForeignKey("mef.id", ondelete="CASCADE"))
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id", ondelete="CASCADE"))
    matiere: Mapped[str] = mapped_column(String(80))
    libelle: Mapped[str] = mapped_column(String(200))
    date_controle: Mapped[dt.date] = mapped_column(Date)
    date_saisie: Mapped[dt.date] = mapped_column(Date)
    date_publication: Mapped[dt.date | None] = mapped_column(Date)  # teacher's
    coefficient: Mapped[float] = mapped_column(default=1.0)
    bareme: Mapped[int] = mapped_column(Integer, default=20)

    def __str__(self) -> str:
        return f"{self.matiere} – {self.libelle}"


class AccesTeleservice(db.Model):
    """One visit of a family to a service of the portal (R-POR-2, for R-STA-3)."""

    __tablename__ = "acces_teleservice"
    __table_args__ = (
        # R-STA-3: covering index, the statistics count visits without reading the table.
        Index("ix_acces_etab_date_service_mef", "etablissement_id", "visited_at",
              "teleservice_id", "mef_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), index=True)
    compte_id: Mapped[int | None] = mapped_column(ForeignKey("compte.id", ondelete="SET NULL"))
    teleservice_id: Mapped[int] = mapped_column(ForeignKey("teleservice.id"))
    # MEF of the pupil concerned at visit time, so the MEFSTAT breakdown survives re-imports.
    mef_id: Mapped[int | None] = mapped_column(ForeignKey("mef.id", ondelete="SET NULL"))
    visited_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    teleservice: Mapped[Teleservice] = relationship()

    def __str__(self) -> str:
        return f"{self.teleservice_id} @ {self.visited_at:%d/%m/%Y %H:%M}"


class StaffUser(db.Model):
    """A member of staff who logs in to AdminTS (FEATURES §1)."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # Role
    nom: Mapped[str | None] = mapped_column(String(200))
    etablissement_id: Mapped[int | None] = mapped_column(
        ForeignKey("etablissement.id"), index=True
    )
    academie_id: Mapped[int | None] = mapped_column(ForeignKey("academie.id"), index=True)
    # Menus granted to a délégué, among DROITS_DELEGUE.
    droits: Mapped[list[str]] = mapped_column(JSON, default=list)
    actif: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    etablissement: Mapped[Etablissement | None] = relationship()
    academie: Mapped[Academie | None] = relationship()

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.actif

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __str__(self) -> str:
        return self.login


class AuditEntry(db.Model):
    """Append-only audit trail (R-SEC-3)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_etab_at", "etablissement_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)  # UTC
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    login: Mapped[str | None] = mapped_column(String(80))
    ip: Mapped[str | None] = mapped_column(String(45))
    etablissement_id: Mapped[int | None] = mapped_column(ForeignKey("etablissement.id"))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str | None] = mapped_column(String(300))
    rows: Mapped[list | None] = mapped_column(JSON)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.login} {self.action}"


class Job(db.Model):
    """A background job (R-ACC-6): state and progress live here so any request can show them."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int | None] = mapped_column(
        ForeignKey("etablissement.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending running done failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    file_path: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    def __str__(self) -> str:
        return f"Tâche {self.id} ({self.kind}, {self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

