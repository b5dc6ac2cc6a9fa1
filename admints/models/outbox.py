"""Models of the notification outbox (R-ACC-3/4/6): what a notification job will send, stored
before anything leaves, and the per-establishment lock row that serialises notifications.

One `NotificationOutbox` row per account of a job holds the password its letter or email shows
(encrypted, erased once delivered or failed), the channel and address, and the delivery status:
`pending` (stored, not sent), `sending` (handed to the SMTP server, no answer recorded yet: after
a crash its issue is unknown), `sent`, `failed`, `superseded` (taken over, with its password, by
a later notification of the same account). An account has at most one *open* row
(`pending`/`sending`): the partial unique index enforces it in the database itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow

OPEN_STATUSES = ("pending", "sending")
_OPEN_WHERE = text("status IN ('pending', 'sending')")


class NotificationOutbox(db.Model):
    __tablename__ = "notification_outbox"
    __table_args__ = (
        # At most one open delivery per account, whatever the code above it does.
        Index("ux_notification_outbox_open_compte", "compte_id", unique=True,
              sqlite_where=_OPEN_WHERE, postgresql_where=_OPEN_WHERE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"))
    # SET NULL: an expired account leaves the history of what was sent to it.
    compte_id: Mapped[int | None] = mapped_column(
        ForeignKey("compte.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # order of the letters / emails
    channel: Mapped[str] = mapped_column(String(12))  # courriel | courrier
    email: Mapped[str | None] = mapped_column(String(254))
    # Fernet token of the password shown; None = identifier only (Utilisé, continuity).
    password_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    new_password: Mapped[bool] = mapped_column(Boolean, default=False)  # store it on delivery
    continuite: Mapped[bool] = mapped_column(Boolean, default=False)
    etat_before: Mapped[str] = mapped_column(String(24))  # account state when prepared
    status: Mapped[str] = mapped_column(String(12), default="pending")
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)  # email became a letter
    reason: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    def __str__(self) -> str:
        return f"Envoi {self.id} (tâche {self.job_id}, compte {self.compte_id}, {self.status})"


class NotificationLock(db.Model):
    """One row per establishment, updated first in every transaction that claims accounts for a
    notification: a row lock on PostgreSQL, the database write lock on SQLite (the first write
    of a transaction, like BEGIN IMMEDIATE). `job_id` / `locked_at` only help diagnosis."""

    __tablename__ = "notification_lock"

    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"),
                                                  primary_key=True)
    job_id: Mapped[int | None] = mapped_column(Integer)
    locked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
