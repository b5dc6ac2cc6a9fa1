"""Benchmark of the demo loader (R-DAT-2): time to load one establishment of 600 and of 2,000
pupils (XML generation + SIECLE import + account states, visits, Notes, users, commit), and of
a few more 2,000-pupil establishments in the same database, as the benchmarks of other areas
build 100 of them. Prints its figures; run with `.venv/bin/python bench/demo.py [N_EXTRA]`.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import bench_app  # noqa: E402

from admints.demo import loader  # noqa: E402
from admints.extensions import db  # noqa: E402

TODAY = dt.date(2026, 11, 28)


def main() -> None:
    extra = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "demo.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = bench_app(f"sqlite:///{path}", out)
    with app.app_context():
        db.create_all()
        loader.shared_hash("Bench-Orage-Tilleul-17")  # argon2 once, outside the timings

        def load(uai: str, n: int) -> float:
            t = time.perf_counter()
            report = loader.load_demo(uai, n, "college", 0, "Bench-Orage-Tilleul-17", TODAY)
            db.session.commit()
            elapsed = time.perf_counter() - t
            print(f"{uai}: {n} élèves, {report.responsables} responsables, "
                  f"{report.acces} accès — {elapsed:.2f} s ({n / elapsed:.0f} élèves/s) "
                  f"{report.timings}")
            return elapsed

        load("0990600A", 600)
        times = [load("0992000B", 2000)]
        for i in range(extra):
            times.append(load(f"09920{i + 1:02d}C", 2000))
        print(f"2 000 élèves : moyenne {sum(times) / len(times):.2f} s sur {len(times)} "
              f"établissements ; 100 établissements ≈ {100 * sum(times) / len(times):.0f} s")


if __name__ == "__main__":
    main()
