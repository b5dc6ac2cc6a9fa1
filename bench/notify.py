"""End-to-end notification of a whole establishment as ONE job (R-ACC-6, issue 3 point 10).

Loads a demo establishment (`admints.demo.loader.load_demo`, 2,000 pupils and their guardians) into
a temporary SQLite database, starts a real aiosmtpd server in another process, then runs through
`jobs.start_job` (inline runner) and `bulk.notify`:

1. all pupils, paper (state, temporary passwords, one PDF, commit);
2. all guardian accounts, « courriel et papier » (emails over one SMTP connection for valid
   addresses, the rest on paper in one PDF, commit).

Prints accounts/s for each, with the recap counts. The letters-only benchmark and its platypus
baseline are in bench/letters.py (helper « letters »).

    .venv/bin/python bench/notify.py [--eleves 2000] [--profile]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _support import bench_app, load_demo_school  # noqa: E402
from emails import start_server  # noqa: E402

from admints import jobs  # noqa: E402
from admints.comptes import notification  # noqa: E402
from admints.extensions import db  # noqa: E402
from admints.models import Compte  # noqa: E402

UAI = "0999996U"
TODAY = dt.date(2026, 11, 28)


def run(etab_id: int, kind: str, mode: str, out: Path, profile: bool = False) -> None:
    ids = list(db.session.scalars(db.select(Compte.id).where(
        Compte.etablissement_id == etab_id, Compte.kind == kind, Compte.ferme_le.is_(None))))
    params = {"kind": kind, "compte_ids": ids, "mode": mode, "today": TODAY.isoformat(),
              "out_path": str(out)}
    start = time.perf_counter()
    if profile:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        job = prof.runcall(jobs.start_job, f"notification_{kind}", etab_id, params,
                           notification.notify_job, "bench")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
    else:
        job = jobs.start_job(f"notification_{kind}", etab_id, params, notification.notify_job,
                             "bench")
    took = time.perf_counter() - start
    r = job.result or {}
    print(f"{kind:12s} {mode:19s}: {len(ids) / took:7.0f} accounts/s ({took:.2f} s, job "
          f"{job.status}, notified {r.get('notified')}, emails {r.get('emails_sent')}, "
          f"pages {r.get('pages')}, failed {len(r.get('failed') or [])})")
    if job.status != "done":
        print("  error:", job.error)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eleves", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="cProfile the guardians' job")
    args = parser.parse_args()
    proc, port = start_server([])
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        app = bench_app(f"sqlite:///{tmp_path / 'n.sqlite'}", tmp_path, screens=False,
                        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False,
                        JOB_RUNNER="inline")
        with app.app_context():
            db.create_all()
            report = load_demo_school(UAI, args.eleves, TODAY)
            run(report.etablissement_id, "eleve", "papier", tmp_path / "eleves.pdf")
            run(report.etablissement_id, "responsable", "courriel-et-papier",
                tmp_path / "responsables.pdf", args.profile)
    proc.stdin.close()
    proc.wait(timeout=10)


if __name__ == "__main__":
    main()
