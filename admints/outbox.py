"""The notification outbox (R-ACC-3/4/6): claims on accounts, stored passwords, delivery marks.

The rule (CONVENTIONS « Send, then store, loses passwords »): what a letter or an email will
show is stored first — one `NotificationOutbox` row per account, written in bulk and committed —
then delivered, then each delivery is marked. An account changes only in the transaction that
marks its letter or email delivered, and only from its row's stored values, so no family ever
receives a password that was not stored, and a crash leaves nothing half done.

- `lock(etablissement_id)`: the per-establishment lock row, to take as the FIRST write of a
  transaction (a row lock on PostgreSQL; the database write lock on SQLite).
- `open_claims` / `guard`: who holds open rows on some accounts; `guard` refuses in French
  (« une notification de ces comptes est déjà en cours ») — for the other writers of passwords
  (reset, new account) as for notifications.
- `store(rows)`: the bulk insert (one executemany).
- `Marker`: the delivery marks, each in its own short transaction on a dedicated connection,
  retried while the database is busy and then raised (never best effort).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy.exc import OperationalError

from . import accounts
from .account_rows import chunks
from .errors import DomainError
from .extensions import db
from .models import Compte, Job, NotificationLock, NotificationOutbox, utcnow
from .models_outbox import OPEN_STATUSES

log = logging.getLogger(__name__)
RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 4.0)
BUSY = "Une notification de ces comptes est déjà en cours"


class OutboxWriteError(RuntimeError):
    """A delivery could not be recorded after retries: the job stops (and is interrupted)."""


@dataclass
class Claim:
    """An open row of another job on one of the accounts asked for."""

    row_id: int
    compte_id: int
    job_id: int
    job_status: str
    status: str
    password_encrypted: bytes | None
    new_password: bool
    etat_before: str


def lock(etablissement_id: int, job_id: int | None = None) -> None:
    """Take the establishment's notification lock until the end of the transaction. Must be
    the first write of the transaction (commit before): on SQLite that write takes the
    database write lock, after which every read sees the latest commits."""
    values = {"locked_at": utcnow(), "job_id": job_id}
    update = db.update(NotificationLock).where(
        NotificationLock.etablissement_id == etablissement_id).values(**values)
    try:
        if db.session.execute(update).rowcount:
            return
        dialect = db.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        db.session.execute(insert(NotificationLock).values(
            etablissement_id=etablissement_id, **values).on_conflict_do_nothing())
        db.session.execute(update)
    except OperationalError as exc:  # SQLite: the write lock was not free within busy_timeout
        db.session.rollback()
        raise DomainError(f"{BUSY} : réessayez dans un instant.") from exc


def open_claims(etablissement_id: int, compte_ids: Sequence[int]) -> list[Claim]:
    """The open (pending / sending) rows on these accounts, with their job's status."""
    out: list[Claim] = []
    o = NotificationOutbox
    for chunk in chunks(compte_ids):
        rows = db.session.execute(
            db.select(o.id, o.compte_id, o.job_id, Job.status, o.status, o.password_encrypted,
                      o.new_password, o.etat_before)
            .join(Job, Job.id == o.job_id)
            .where(o.etablissement_id == etablissement_id, o.compte_id.in_(chunk),
                   o.status.in_(OPEN_STATUSES)))
        out.extend(Claim(*row) for row in rows)
    return out


def refuse_if_running(claims: list[Claim], *, single: bool = False) -> None:
    running = sorted({c.job_id for c in claims if c.job_status in ("pending", "running")})
    if running:
        what = "Une notification de ce compte est déjà en cours" if single else BUSY
        raise DomainError(f"{what} (tâche n° {', '.join(map(str, running))}) : attendez "
                          "qu'elle se termine.")


def guard(etablissement_id: int, compte_ids: Sequence[int]) -> None:
    """For the other writers of an account's password or identity (reset, new account): take
    the lock and refuse in French while a notification of one of these accounts is open —
    running, or interrupted with passwords stored and perhaps already sent."""
    lock(etablissement_id)
    claims = open_claims(etablissement_id, compte_ids)
    single = len(set(compte_ids)) == 1
    refuse_if_running(claims, single=single)
    if claims:
        what = "Une notification de ce compte" if single else "Une notification de ces comptes"
        numbers = ", ".join(map(str, sorted({c.job_id for c in claims})))
        raise DomainError(f"{what} a été interrompue (tâche n° {numbers}) : reprenez-la ou "
                          "renotifiez d'abord, ses mots de passe sont peut-être déjà transmis.")


def supersede(claims: list[Claim], job_id: int) -> None:
    """Close the open rows of interrupted jobs that `job_id` takes over (with their passwords)."""
    ids = [c.row_id for c in claims]
    for chunk in chunks(ids):
        db.session.execute(
            db.update(NotificationOutbox).where(NotificationOutbox.id.in_(chunk))
            .values(status="superseded", password_encrypted=None,
                    reason=f"Repris par la tâche n° {job_id}."))


def release_pending(job_id: int, reason: str) -> None:
    """Close the rows of a job that never left (`pending`), committed: failed, password erased.
    Rows `sending` (issue unknown) stay open."""
    db.session.execute(db.update(NotificationOutbox).where(
        NotificationOutbox.job_id == job_id, NotificationOutbox.status == "pending")
        .values(status="failed", reason=reason[:1000], password_encrypted=None))
    db.session.commit()


def store(rows: list[dict]) -> None:
    """Insert the rows of a job in bulk (one executemany; the caller commits)."""
    if rows:  # Core executemany: the ORM bulk path costs twice as much for nothing here
        db.session.execute(NotificationOutbox.__table__.insert(), rows)


def has_rows(job_id: int) -> bool:
    return db.session.scalar(db.select(db.exists().where(
        NotificationOutbox.job_id == job_id))) or False


def job_rows(job_id: int, statuses: Sequence[str] | None = None) -> list:
    """Result rows of a job's outbox, in letter / email order."""
    query = db.select(NotificationOutbox.__table__).where(NotificationOutbox.job_id == job_id)
    if statuses is not None:
        query = query.where(NotificationOutbox.status.in_(statuses))
    return list(db.session.execute(query.order_by(NotificationOutbox.position)))


_O = NotificationOutbox.__table__
_C = Compte.__table__
# Built once: a delivery mark runs thousands of times per job (statement construction and
# compilation would cost as much as the SQL itself).
_ROW = _O.c.id == bindparam("b_row")
_SENT = _O.update().where(_ROW).values(status="sent", delivered_at=bindparam("b_at"),
                                       password_encrypted=None)
_SENDING = _O.update().where(_ROW).values(status="sending")
_FAILED = _O.update().where(_ROW).values(status="failed", reason=bindparam("b_reason"),
                                         password_encrypted=None)


def _then_next(**values):
    """One UPDATE for an email's outcome (row `b_row`) and the next row (`b_next`, the same
    id when none) flagged `sending`: one statement instead of two per email."""
    def on_row(value, column):
        return db.case((_ROW, value), else_=column)
    sets = {k: on_row(v, _O.c[k]) for k, v in values.items()}
    sets["status"] = db.case((_ROW, values["status"]), else_=db.literal("sending"))
    return _O.update().where(_O.c.id.in_([bindparam("b_row"), bindparam("b_next")])).values(
        sets)


_EMAIL_SENT = _then_next(status="sent", delivered_at=bindparam("b_at"),
                         password_encrypted=db.null())
_EMAIL_FAILED = _then_next(status="failed", reason=bindparam("b_reason"),
                           password_encrypted=db.null())
_EMAIL_FALLBACK = _then_next(status="pending", channel=accounts.COURRIER, fallback=True,
                             reason=bindparam("b_reason"))
_ACCOUNT: dict[tuple, object] = {}


def _account_statement(keys: tuple):
    # `etat = etat_before` guard: an account changed meanwhile (activated on the portal) is
    # left as it is — its letter went out, and showed the stored password.
    if keys not in _ACCOUNT:
        _ACCOUNT[keys] = _C.update().where(
            _C.c.id == bindparam("b_id"), _C.c.etat == bindparam("b_etat")).values(
            {k: bindparam(k) for k in keys})
    return _ACCOUNT[keys]


class Marker:
    """Delivery marks of one job, each in its own transaction on a dedicated connection (the
    work's session stays out of the way). Retried while the database is busy, then
    `OutboxWriteError`: a delivery is never recorded « best effort »."""

    def __init__(self, today: dt.date):
        self.today = today
        self.conn = db.engine.connect()

    def close(self) -> None:
        self.conn.close()

    def _tx(self, work) -> None:
        last: Exception | None = None
        for delay in (None, *RETRY_DELAYS):
            if delay is not None:  # no sleep(0) before the first try: it yields the CPU
                time.sleep(delay)
            try:
                with self.conn.begin():
                    work(self.conn)
                return
            except OperationalError as exc:
                last = exc
                log.warning("outbox mark failed, retrying (%s)", type(exc).__name__)
        log.critical("outbox: a delivery could not be recorded")
        raise OutboxWriteError("delivery not recorded") from last

    def _update_accounts(self, conn, rows, mode: str) -> None:
        # Grouped by set of columns (new password or not, state or not): one executemany each.
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            values = accounts.delivered_values(
                row.etat_before, row.password_encrypted if row.new_password else None,
                mode=mode, today=self.today)
            values.update(b_id=row.compte_id, b_etat=row.etat_before)
            keys = tuple(sorted(k for k in values if not k.startswith("b_")))
            groups.setdefault(keys, []).append(values)
        for keys, group in groups.items():
            conn.execute(_account_statement(keys), group)

    def sending(self, row_id: int) -> None:
        self._tx(lambda conn: conn.execute(_SENDING, {"b_row": row_id}))

    def email(self, row, *, ok: bool, reason: str | None = None, fallback: bool = False,
              next_id: int | None = None) -> None:
        """One email's outcome, with its account when delivered, and the next row flagged
        `sending` — one transaction: at most one row is ever in an unknown state."""
        ids = {"b_row": row.id, "b_next": row.id if next_id is None else next_id}

        def work(conn):
            if ok:
                conn.execute(_EMAIL_SENT, {**ids, "b_at": utcnow()})
                self._update_accounts(conn, [row], accounts.COURRIEL)
            elif fallback:  # the letter will carry the same stored password
                conn.execute(_EMAIL_FALLBACK, {**ids, "b_reason": reason})
            else:
                conn.execute(_EMAIL_FAILED, {**ids, "b_reason": reason})
        self._tx(work)

    def letters(self, rows, *, ok: bool, reason: str | None = None) -> None:
        """A PDF completely written (ok) or not: its rows and accounts in one transaction."""
        if not rows:
            return
        now = utcnow()

        def work(conn):
            if ok:
                conn.execute(_SENT, [{"b_row": r.id, "b_at": now} for r in rows])
                self._update_accounts(conn, rows, accounts.COURRIER)
            else:
                conn.execute(_FAILED, [{"b_row": r.id, "b_reason": reason} for r in rows])
        self._tx(work)
