"""Models of the téléservices catalogue and their per-establishment state, versioned settings,
useful links, the académie's lists (ENT, TIPI), Notes publication, and the family visit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import Division, Mef, utcnow


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
