"""Benchmark of the SIECLE import (R-DAT-1, issue 2 point 11).

Generates the XML of a 2,000-pupil establishment with the demo generator, then times the first
import and a re-import (each followed by its commit) into a fresh SQLite database in a temporary
directory, printing seconds and pupils/s. Goal on the 2-core machine: first < 2 s, re-import < 1 s.

    .venv/bin/python bench/import_siecle.py [--eleves 2000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _support import bench_app

from admints.extensions import db
from admints.siecle.importer import import_siecle

UAI = "0999999X"
TODAY = dt.date(2026, 11, 28)


def write_xml(out: Path, eleves: int) -> list[Path]:
    try:
        from admints.demo.loader import write_demo_xml
    except ImportError:  # the demo command's module not there yet: same generator underneath
        from admints.demo import population, siecle_files

        pop = population.generate(UAI, eleves, "college", 0)
        paths = []
        for name, data in siecle_files.population_files(pop, TODAY):
            (out / name).write_bytes(data)
            paths.append(out / name)
        return paths
    return write_demo_xml(out, uai=UAI, eleves=eleves, type="college", seed=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eleves", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        paths = write_xml(tmp_path, args.eleves)
        files = [(p.name, p.read_bytes()) for p in paths]
        size = sum(len(d) for _, d in files) / 1e6
        app = bench_app(args.database_url or f"sqlite:///{tmp_path / 'bench.sqlite'}", tmp_path)
        with app.app_context():
            db.drop_all()
            db.create_all()
            print(f"{args.eleves} élèves, {len(files)} fichiers, {size:.1f} Mo de XML")
            for label, goal in (("premier import", 2.0), ("ré-import", 1.0)):
                start, cpu = time.perf_counter(), time.process_time()
                summary = import_siecle(files, uai=UAI, create_missing=True, today=TODAY)
                db.session.commit()
                took, cpu = time.perf_counter() - start, time.process_time() - cpu
                counts = summary.as_dict()
                # CPU time too: on the shared machine the wall clock mostly measures the others.
                print(f"{label:15s}: {took:6.3f} s ({cpu:5.3f} s CPU)  "
                      f"{args.eleves / took:6.0f} élèves/s  "
                      f"(objectif < {goal} s : {'OK' if took < goal else 'DÉPASSÉ'})  "
                      f"élèves créés {counts['eleves']['created']}, "
                      f"comptes créés {counts['comptes']['created']}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
