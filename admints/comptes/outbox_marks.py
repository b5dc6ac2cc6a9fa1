"""The delivery marks of a notification job (R-ACC-3/4/6): `Marker`, used by
`delivery` as each email is answered and once a PDF is complete.

Each mark is one short transaction on a connection of its own (the work's session stays out
of the way): the outbox row's outcome, its account taken to *Notifié* from the row's stored
values (`lifecycle.delivered_values`, guarded by `etat = etat_before`: an account changed
meanwhile — activated on the portal — is left as it is), and, for an email, the next row
flagged `sending`, so that after a crash at most one row's issue is unknown. Busy database:
retried, then `OutboxWriteError` — a delivery is never recorded « best effort ».

A mark runs once per email, thousands of times per job: its statements are built and compiled
once, then run on the driver's cursor (SQLAlchemy's per-execution work cost six times the
SQL itself: 400 µs against 55 µs a mark on SQLite).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import bindparam

from ..clock import utcnow
from ..extensions import db
from ..models import Compte, NotificationOutbox
from . import lifecycle

log = logging.getLogger(__name__)
RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 4.0)
LETTERS_CHUNK = 1000
_O = NotificationOutbox.__table__
_C = Compte.__table__
_ROW = _O.c.id == bindparam("b_row")
_AT = bindparam("b_at", type_=_O.c.delivered_at.type)  # typed: SQLite stores datetimes as text
_REASON = bindparam("b_reason", type_=_O.c.reason.type)


class OutboxWriteError(RuntimeError):
    """A delivery could not be recorded after retries: the job stops (and is interrupted)."""


def _then_next(**values):
    """One UPDATE for an email's outcome (row `b_row`) and the next row (`b_next`, the same
    id when none) flagged `sending`."""
    sets = {k: db.case((_ROW, v), else_=_O.c[k]) for k, v in values.items()}
    sets["status"] = db.case((_ROW, values["status"]), else_=db.literal("sending"))
    return _O.update().where(_O.c.id.in_([bindparam("b_row"), bindparam("b_next")])).values(
        sets)


STATEMENTS = {
    "sending": _O.update().where(_ROW).values(status="sending"),
    "sent": _O.update().where(_ROW).values(status="sent", delivered_at=_AT,
                                           password_encrypted=None),
    "failed": _O.update().where(_ROW).values(status="failed", reason=_REASON,
                                             password_encrypted=None),
    "email_sent": _then_next(status="sent", delivered_at=_AT,
                             password_encrypted=db.null()),
    "email_failed": _then_next(status="failed", reason=_REASON,
                               password_encrypted=db.null()),
    "email_fallback": _then_next(status="pending", channel=lifecycle.COURRIER, fallback=True,
                                 reason=_REASON),
}


def _account_statement(keys: tuple):
    return _C.update().where(_C.c.id == bindparam("b_id"),
                             _C.c.etat == bindparam("b_etat")).values(
        {k: bindparam(k) for k in keys})


class _Compiled:
    """A statement compiled once for the engine's dialect, run on a DBAPI cursor: its
    parameters get the defaults of its literal values and the types' bind processors."""

    def __init__(self, stmt, dialect):
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self.defaults = {name: bind.effective_value for name, bind in compiled.binds.items()
                         if not bind.required}
        self.order = compiled.positiontup if dialect.positional else None
        self.processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor

    def params(self, values: dict):
        merged = {**self.defaults, **values}
        for name, processor in self.processors.items():
            if name in merged:
                merged[name] = processor(merged[name])
        return tuple(merged[n] for n in self.order) if self.order is not None else merged


class Marker:
    """The marks of one job's delivery, on a pooled connection of its own (`close` it)."""

    def __init__(self, today: dt.date):
        self.today = today
        self.dialect = db.engine.dialect
        self.raw = db.engine.raw_connection()
        self._compiled: dict = {}

    def close(self) -> None:
        self.raw.close()  # back to the pool

    def _stmt(self, key) -> _Compiled:
        if key not in self._compiled:
            stmt = STATEMENTS[key] if isinstance(key, str) else _account_statement(key)
            self._compiled[key] = _Compiled(stmt, self.dialect)
        return self._compiled[key]

    def _run(self, cursor, key, rows: list[dict]) -> None:
        stmt = self._stmt(key)
        if len(rows) == 1:
            cursor.execute(stmt.sql, stmt.params(rows[0]))
        else:
            cursor.executemany(stmt.sql, [stmt.params(r) for r in rows])

    def _tx(self, work) -> None:
        """`work(cursor)` in one transaction, retried while the database is busy."""
        last: Exception | None = None
        busy = self.dialect.dbapi.OperationalError
        for delay in (None, *RETRY_DELAYS):
            if delay is not None:  # no sleep(0) before the first try: it yields the CPU
                time.sleep(delay)
            cursor = self.raw.cursor()
            try:
                work(cursor)
                self.raw.commit()
                return
            except busy as exc:
                self.raw.rollback()
                last = exc
                log.warning("outbox mark failed, retrying (%s)", type(exc).__name__)
            except BaseException:
                self.raw.rollback()
                raise
            finally:
                cursor.close()
        log.critical("outbox: a delivery could not be recorded")
        raise OutboxWriteError("delivery not recorded") from last

    def _accounts(self, cursor, rows, mode: str) -> None:
        # Grouped by set of columns (new password or not, state or not): one executemany each.
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            values = lifecycle.delivered_values(
                row.etat_before, row.password_encrypted if row.new_password else None,
                mode=mode, today=self.today)
            keys = tuple(sorted(values))
            values.update(b_id=row.compte_id, b_etat=row.etat_before)
            groups.setdefault(keys, []).append(values)
        for keys, group in groups.items():
            self._run(cursor, keys, group)

    def sending(self, row_id: int) -> None:
        self._tx(lambda cur: self._run(cur, "sending", [{"b_row": row_id}]))

    def email(self, row, *, ok: bool, reason: str | None = None, fallback: bool = False,
              next_id: int | None = None) -> None:
        """One email's outcome, with its account when delivered, and the next row flagged
        `sending` — one transaction."""
        ids = {"b_row": row.id, "b_next": row.id if next_id is None else next_id}

        def work(cur):
            if ok:
                self._run(cur, "email_sent", [{**ids, "b_at": utcnow()}])
                self._accounts(cur, [row], lifecycle.COURRIEL)
            elif fallback:  # the letter will carry the same stored password
                self._run(cur, "email_fallback", [{**ids, "b_reason": reason}])
            else:
                self._run(cur, "email_failed", [{**ids, "b_reason": reason}])
        self._tx(work)

    def letters(self, rows, *, ok: bool, reason: str | None = None) -> None:
        """A PDF completely written (ok) or not: its rows and accounts in one transaction."""
        if not rows:
            return
        now = utcnow()

        def work(cur):
            # still one transaction, its statements per LETTERS_CHUNK rows: the parameters
            # of 15,000 letters are never all in memory at once (issue 14)
            for start in range(0, len(rows), LETTERS_CHUNK):
                chunk = rows[start:start + LETTERS_CHUNK]
                if ok:
                    self._run(cur, "sent", [{"b_row": r.id, "b_at": now} for r in chunk])
                    self._accounts(cur, chunk, lifecycle.COURRIER)
                else:
                    self._run(cur, "failed", [{"b_row": r.id, "b_reason": reason}
                                              for r in chunk])
        self._tx(work)
