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
- `Marker` (`outbox_marks`): the delivery marks, each in its own short transaction on a
  dedicated connection, retried while the database is busy and then raised (never best effort).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from ..clock import utcnow
from ..database import chunks
from ..errors import DomainError
from ..extensions import db
from ..models import OPEN_STATUSES, Job, NotificationLock, NotificationOutbox

BUSY = "Une notification de ces comptes est déjà en cours"


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


STORE_CHUNK = 1000


def store(rows: Iterable[dict]) -> None:
    """Insert the rows of a job in bulk, one executemany per STORE_CHUNK rows (rows may be a
    generator: never all of them in memory at once); the caller commits."""
    batch: list[dict] = []
    for row in rows:  # Core executemany: the ORM bulk path costs twice as much for nothing here
        batch.append(row)
        if len(batch) == STORE_CHUNK:
            db.session.execute(NotificationOutbox.__table__.insert(), batch)
            batch = []
    if batch:
        db.session.execute(NotificationOutbox.__table__.insert(), batch)


def has_rows(job_id: int) -> bool:
    return db.session.scalar(db.select(db.exists().where(
        NotificationOutbox.job_id == job_id))) or False


def job_rows(job_id: int, statuses: Sequence[str] | None = None,
             columns: Sequence[str] | None = None) -> list:
    """Result rows of a job's outbox (all columns, or `columns`), in letter / email order."""
    table = NotificationOutbox.__table__
    query = db.select(*(table.c[c] for c in columns) if columns else table).where(
        NotificationOutbox.job_id == job_id)
    if statuses is not None:
        query = query.where(NotificationOutbox.status.in_(statuses))
    return list(db.session.execute(query.order_by(NotificationOutbox.position)))


def iter_rows(job_id: int, *columns: str, chunk: int = 1000) -> Iterator:
    """The job's outbox rows (only `columns`) in letter / email order, fetched `chunk` at a time:
    a recap of 15,000 accounts never holds them all (issue 14). Run no other query on the
    session while iterating."""
    table = NotificationOutbox.__table__
    query = (db.select(*(table.c[name] for name in columns))
             .where(table.c.job_id == job_id).order_by(table.c.position))
    yield from db.session.execute(query.execution_options(yield_per=chunk))
