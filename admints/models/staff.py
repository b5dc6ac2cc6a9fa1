"""Models of staff users, their server-side sessions, the append-only audit trail and
background jobs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import Academie, Etablissement, utcnow


class StaffUser(db.Model):
    """A member of staff who logs in to AdminTS (docs/REGLES.md §1)."""

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
    # Part of the id kept in the session (R-SEC-4): raising it ends every session of the user
    # (logout, password change, deactivation), whatever the session store.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

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
        return f"{self.id}:{self.session_version or 0}"

    def __str__(self) -> str:
        return self.login


class ServerSession(db.Model):
    """A server-side session (R-SEC-4): the cookie holds `session_id` only (admints.sessions)."""

    __tablename__ = "server_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(255), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expiry: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC


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


STATUS_LABELS = {"pending": "en attente", "running": "en cours", "done": "terminée",
                 "failed": "échec", "interrupted": "interrompue"}
# What each kind of job is, in the words of the screens and the CLI (R-ACC-6, R-ACC-7); kinds are
# named by comptes.notification_jobs, comptes.writing.JOB_KIND and comptes.export_jobs.
KIND_LABELS = {"notification_eleve": "Notification – élèves",
               "notification_responsable": "Notification – responsables",
               "ecriture_responsables": "Écrire à plusieurs responsables",
               "export_eleve": "Export CSV – élèves",
               "export_responsable": "Export CSV – responsables",
               "import_siecle": "Import SIECLE"}


class Job(db.Model):
    """A background job (R-ACC-6): state and progress live here so any request can show them."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    etablissement_id: Mapped[int | None] = mapped_column(
        ForeignKey("etablissement.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    # pending running done failed interrupted (runner gone, see `job_recovery`)
    status: Mapped[str] = mapped_column(String(20), default="pending")
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
    # Who runs it (R-ACC-6 recovery): runner kind, host, process id and process start marker
    # (a reused pid is not the same process), and the heartbeat the runner bumps.
    runner: Mapped[str | None] = mapped_column(String(20))  # inline | thread (| celery)
    runner_host: Mapped[str | None] = mapped_column(String(255))
    runner_pid: Mapped[int | None] = mapped_column(Integer)
    runner_started: Mapped[str | None] = mapped_column(String(40))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    def __str__(self) -> str:
        return f"Tâche {self.id} ({self.kind}, {self.status})"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0
