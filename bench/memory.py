"""Peak memory of the guardians' notification PDF and of the CSV export (issue 14 point 4).

Builds two demo establishments (`admints.demo.loader.load_demo`) in throw-away SQLite databases —
a 500-pupil and an 8,000-pupil school — then measures each case in a fresh subprocess: the app
is set up, its resident set noted and the peak reset (`/proc/self/clear_refs`), the work done,
the peak resident set (`VmHWM`) read.
The figure is the peak added by the work (MiB). Cases:

- `pdf`: the notification of every guardian account on paper (`notification.notify_job` through
  `jobs.start_job`, inline): the outbox, the passwords, one PDF of one letter per account;
- `csv`: « Exporter (CSV) » of every guardian account (`exports.export_accounts_csv`), the bytes
  consumed as a streamed response would be.

Goal: the 8,000-pupil school's figure within +40 MiB of the 500-pupil school's.

    .venv/bin/python bench/memory.py [--small 500] [--large 8000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TODAY = dt.date(2026, 11, 28)
UAI = {"small": "0999993R", "large": "0999992P"}


def _status_mib(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise SystemExit(f"no {key} in /proc/self/status")


def _reset_peak() -> float:
    """The resident set now, after resetting the peak (Linux: `echo 5 > clear_refs`), so that
    the peak read later is the work's, not the app set-up's; ru_maxrss where that is refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # pragma: no cover - other kernels
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return _status_mib("VmRSS")


def _peak_mib() -> float:
    return _status_mib("VmHWM")


def build(db_path: Path, uai: str, eleves: int) -> None:
    from _support import bench_app, load_demo_school

    from admints.extensions import db

    app = bench_app(f"sqlite:///{db_path}", db_path.parent, screens=False, JOB_RUNNER="inline")
    with app.app_context():
        db.create_all()
        load_demo_school(uai, eleves, TODAY)


def measure(case: str, db_path: Path, uai: str) -> dict:
    """In the subprocess: the peak resident memory added by one case."""
    from _support import bench_app

    from admints import jobs
    from admints.comptes import exports, notification
    from admints.extensions import db
    from admints.models import Compte, Etablissement

    app = bench_app(f"sqlite:///{db_path}", db_path.parent, screens=False, JOB_RUNNER="inline")
    with app.app_context():
        etab_id = db.session.scalar(db.select(Etablissement.id).where(Etablissement.uai == uai))
        ids = list(db.session.scalars(db.select(Compte.id).where(
            Compte.etablissement_id == etab_id, Compte.kind == "responsable",
            Compte.ferme_le.is_(None))))
        db.session.commit()
        gc.collect()
        before = _reset_peak()
        start = time.perf_counter()
        if case == "pdf":
            params = {"kind": "responsable", "compte_ids": ids, "mode": "papier",
                      "today": TODAY.isoformat(), "out_path": str(db_path.parent / "r.pdf")}
            job = jobs.start_job("notification_responsable", etab_id, params,
                                 notification.notify_job, "bench")
            size = (job.result or {}).get("pages")
            if job.status != "done":
                raise SystemExit(f"job {job.status}: {job.error}")
        else:
            out = exports.export_accounts_csv(etab_id, "responsable", ids, by="bench")
            size = 0
            for chunk in ([out] if isinstance(out, str) else out):
                size += len(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            db.session.rollback()
        took = time.perf_counter() - start
        return {"accounts": len(ids), "size": size, "seconds": took,
                "base": before, "added": _peak_mib() - before}


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], Path(sys.argv[3]), sys.argv[4])))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=8000)
    args = parser.parse_args()
    sizes = {"small": args.small, "large": args.large}
    with tempfile.TemporaryDirectory() as tmp:
        figures: dict[tuple[str, str], dict] = {}
        for school, eleves in sizes.items():
            folder = Path(tmp) / school
            folder.mkdir()
            db_path = folder / "m.sqlite"
            build(db_path, UAI[school], eleves)
            for case in ("pdf", "csv"):
                out = subprocess.run(
                    [sys.executable, __file__, "--measure", case, str(db_path), UAI[school]],
                    capture_output=True, text=True)
                if out.returncode:
                    raise SystemExit(out.stderr[-3000:])
                figures[school, case] = json.loads(out.stdout.strip().splitlines()[-1])
        for case, label in (("pdf", "guardians' notification PDF"), ("csv", "guardians' CSV")):
            small, large = figures["small", case], figures["large", case]
            for school in ("small", "large"):
                f = figures[school, case]
                unit = "pages" if case == "pdf" else "bytes"
                print(f"{label:28s} {sizes[school]:5d} pupils: {f['accounts']:6d} accounts, "
                      f"{f['size']:>10} {unit}, {f['seconds']:5.1f} s, peak +{f['added']:6.1f} MiB "
                      f"(process {f['base'] + f['added']:.0f} MiB)")
            print(f"{label:28s} difference {sizes['large']} - {sizes['small']} pupils: "
                  f"{large['added'] - small['added']:+.1f} MiB (goal ≤ +40 MiB)")


if __name__ == "__main__":
    main()
