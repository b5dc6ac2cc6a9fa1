"""Benchmark of the guardian emails (issue 3 point 10b, R-ACC-4).

Starts a real aiosmtpd server on 127.0.0.1 in a separate process (tests/smtp_server.py, a few
recipients refused so that per-message failure tracking is exercised), builds 4,000 guardian
notification emails (French text + HTML from templates/emails/) and sends them with
`mailing.send_batch` over one SMTP connection. Prints emails/s for building, sending and both.
Goal: ≥ 800 emails/s end-to-end with per-message failure tracking.

Fairness: the ceiling is a bare smtplib loop over one connection to the SAME server process,
same recipients (same refusals), same bytes, but already serialised and without any tracking:
send_batch does strictly more work. Both are warmed up first (the server's first messages are
slower), then run alternately for `--rounds` rounds, each round building fresh messages; the
figures are medians (min–max in brackets), since the machine is shared.

    .venv/bin/python bench/emails.py [--emails 4000] [--refuse 40] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from _support import bench_app  # noqa: E402

from admints.comptes import mailing  # noqa: E402
from admints.extensions import db  # noqa: E402
from admints.models import Etablissement  # noqa: E402

SERVER = """
import sys, time
sys.path.insert(0, {root!r})
from tests.smtp_server import SmtpServer
server = SmtpServer(keep_data=False, refuse=set({refuse!r})).start()
print(server.port, flush=True)
sys.stdin.read()
print(server.handler.count, flush=True)
server.stop()
"""


def start_server(refuse: list[str]) -> tuple[subprocess.Popen, int]:
    """aiosmtpd in its own process (so that it does not share our GIL); returns (proc, port).
    Close its stdin to stop it; it then prints the count of messages it accepted."""
    proc = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), refuse=refuse)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def build(etab, url: str, n: int) -> list:
    return [mailing.notification_message(
        etab, f"parent{i}@example.org", identifiant=f"anne.parent{i}",
        password=None if i % 5 == 0 else "K7QMS5XP", civilite="Madame",
        nom=f"PARENT{i}", prenom="Anne", eleve=f"Léa ELEVE{i}", url=url)
        for i in range(n)]


def bare_loop(port: int, sender: str, raw: list[bytes]) -> float:
    """Seconds for the bare smtplib loop over one connection (connection set-up excluded)."""
    host = smtplib.SMTP("127.0.0.1", port, timeout=10)
    start = time.perf_counter()
    for i, data in enumerate(raw):
        try:
            host.sendmail(sender, [f"parent{i}@example.org"], data)
        except smtplib.SMTPRecipientsRefused:
            pass
    took = time.perf_counter() - start
    host.quit()
    return took


def figure(n: int, seconds: list[float]) -> str:
    rates = sorted(n / s for s in seconds)
    return f"{statistics.median(rates):6.0f} emails/s [{rates[0]:.0f}–{rates[-1]:.0f}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=4000)
    parser.add_argument("--refuse", type=int, default=40, help="recipients the server refuses")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=300, help="untimed messages, both ways")
    parser.add_argument("--profile", action="store_true", help="cProfile one send_batch")
    args = parser.parse_args()
    step = max(args.emails // max(args.refuse, 1), 1)
    refuse = [f"parent{i}@example.org" for i in range(0, args.emails, step)][:args.refuse]
    proc, port = start_server(refuse)
    builds, sends, ends, bares, accepted = [], [], [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(f"sqlite:///{tmp}/b.sqlite", tmp, screens=False, MAIL_PORT=port,
                        MAIL_SERVER="127.0.0.1", MAIL_SUPPRESS_SEND=False)
        sender = app.config["MAIL_DEFAULT_SENDER"]
        with app.app_context():
            db.create_all()
            etab = Etablissement(uai="0999997V", nom="Collège Benchmark", chef_nom="M. Chef")
            db.session.add(etab)
            db.session.commit()
            url = mailing.portal_url(etab.id, dt.date(2026, 11, 28))
            warm = build(etab, url, args.warmup)
            warm_ok = sum(r.ok for r in mailing.send_batch(warm))
            bare_loop(port, sender, [m.as_bytes() for m in warm])
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                messages = build(etab, url, args.emails)
                t1 = time.perf_counter()
                if args.profile:
                    import cProfile
                    import pstats
                    prof = cProfile.Profile()
                    results = prof.runcall(mailing.send_batch, messages)
                    rows = int(os.environ.get("PROF_ROWS", 18))
                    pstats.Stats(prof).sort_stats("tottime").print_stats(rows)
                    args.profile = False
                else:
                    results = mailing.send_batch(messages)
                t2 = time.perf_counter()
                builds.append(t1 - t0)
                sends.append(t2 - t1)
                ends.append(t2 - t0)
                accepted += sum(r.ok for r in results)
                # Ceiling of this machine right now: bare smtplib, same bytes, no tracking.
                bares.append(bare_loop(port, sender, [m.as_bytes() for m in messages]))
    proc.stdin.close()
    # The server counted both ways; the bare loop accepted as many as send_batch.
    received = (int(proc.stdout.readline()) - 2 * warm_ok) // 2
    proc.wait(timeout=10)
    failed = [r for r in results if not r.ok]
    n = len(messages)
    print(f"emails: {n} × {args.rounds} rounds, accepted by send_batch: {accepted} "
          f"(server counted {received}), refused and tracked per round: {len(failed)}")
    print(f"build (text + HTML):            {figure(n, builds)}")
    print(f"send over one SMTP connection:  {figure(n, sends)}")
    print(f"end-to-end (build + send):      {figure(n, ends)}  (goal ≥ 800)")
    print(f"ceiling, bare smtplib loop on the same server: {figure(n, bares)} "
          f"(send_batch reaches {100 * statistics.median(bares) / statistics.median(sends):.0f} "
          "% of it)")
    if failed:
        print(f"first failure: {failed[0].key}: {failed[0].error}")


if __name__ == "__main__":
    main()
