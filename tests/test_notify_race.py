"""Two notifications of the same accounts at the same moment (issue 9 §2, R-ACC-3/4/6), each
on its own database connection (two threads, two app contexts), on SQLite and PostgreSQL
(the suite runs on both): they never interleave. The second waits for the establishment's lock
and is refused in French while the first is under way — or, if the first had finished, keeps
its passwords — so every password printed or emailed is the one stored."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from admints.comptes import notification, outbox
from admints.errors import DomainError
from admints.models import Compte, EtatCompte, Job

from .outbox_helpers import guardians, mail_password, pdf_passwords, stored, wait_for
from .smtp_server import SmtpServer

TODAY = dt.date(2026, 11, 28)
BUSY = "Une notification de ces comptes est déjà en cours"


def _in_threads(app, *bodies):
    """Run each body in its own thread and app context (its own session and connection),
    released together; returns their results (a value or the exception raised)."""
    barrier = threading.Barrier(len(bodies))
    results: list = [None] * len(bodies)

    def run(i, body):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = body()
            except Exception as exc:  # the test inspects it
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(bodies)]
    for t in threads:
        t.start()
    return threads, results


def test_r_acc_3_6_same_57_accounts_by_email_at_once_one_proceeds_other_refused(
        app, db, etab):
    liens = guardians(db, etab, [f"r{i:02d}@example.org" for i in range(57)])
    ids = [lien.compte_id for lien in liens]
    by_ident = {lien.compte.identifiant: lien.compte_id for lien in liens}
    # The server holds the 10th email: the first job is surely under way when the other one
    # tries, whichever wins the lock.
    server = SmtpServer(hold_after=9, accept_held=True).start()
    app.config.update(MAIL_PORT=server.port, MAIL_SERVER="127.0.0.1")

    def one(tag):
        return lambda: notification.notify(etab.id, "responsable", ids, mode="courriel",
                                      today=TODAY, out_path=app.config["OUTPUT_DIR"] + tag)
    try:
        threads, results = _in_threads(app, one("/a.pdf"), one("/b.pdf"))
        wait_for(lambda: any(isinstance(r, DomainError) for r in results), what="a refusal")
        wait_for(server.handler.holding.is_set, what="the winner's 10th email")
        assert server.handler.count == 9
        server.handler.hold_after = None
        server.handler.release.set()
        for t in threads:
            t.join(60)
    finally:
        server.stop()
    refused = [r for r in results if isinstance(r, DomainError)]
    done = [r for r in results if not isinstance(r, Exception)]
    assert len(refused) == 1 and len(done) == 1, results
    assert BUSY in refused[0].message and "tâche n°" in refused[0].message
    assert len(done[0].notified) == 57
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Job.id))) == 1  # the refused left nothing
    received = [mail_password(m) for m in server.messages]
    assert len(received) == 57 and len({ident for ident, _ in received}) == 57
    for ident, password in received:
        assert password == stored(db, by_ident[ident])


@pytest.mark.parametrize("round_", range(3))
def test_r_acc_5_same_accounts_on_paper_at_once_never_two_different_passwords(app, db, etab,
                                                                             round_):
    """The issue's case: two staff sessions print the letters of the same 57 accounts at the
    same moment. One is refused (or, if it came after the other finished, prints the same
    passwords): no PDF ever holds a password that does not work."""
    liens = guardians(db, etab, [None] * 57)
    ids = [lien.compte_id for lien in liens]
    by_ident = {lien.compte.identifiant: lien.compte_id for lien in liens}
    out = app.config["OUTPUT_DIR"]

    def one(name):
        return lambda: notification.notify(etab.id, "responsable", ids, mode="papier", today=TODAY,
                                      out_path=f"{out}/{name}.pdf")
    threads, results = _in_threads(app, one("a"), one("b"))
    for t in threads:
        t.join(120)
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, DomainError) and BUSY in e.message for e in errors), errors
    printed = [r.pdf_path for r in results if not isinstance(r, Exception)]
    assert len(errors) <= 1 and printed
    for path in printed:
        letters = pdf_passwords(path)
        assert len(letters) == 57
        for ident, password in letters.items():
            assert password and password == stored(db, by_ident[ident])
    db.session.expire_all()
    assert {db.session.get(Compte, i).etat for i in ids} == {EtatCompte.NOTIFIE}


def test_r_acc_6_establishment_lock_serialises_two_connections(app, db, etab):
    """`outbox.lock`: the second connection waits until the first one commits."""
    taken, released, acquired = threading.Event(), {}, {}

    def first():
        outbox.lock(etab.id)
        taken.set()
        time.sleep(0.5)
        released["at"] = time.monotonic()
        db.session.commit()

    def second():
        taken.wait(10)
        outbox.lock(etab.id)
        acquired["at"] = time.monotonic()
        db.session.commit()

    threads, results = _in_threads(app, first, second)
    for t in threads:
        t.join(30)
    assert results == [None, None]
    assert acquired["at"] >= released["at"]
