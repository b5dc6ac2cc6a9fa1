"""R-DAT-1: a SIECLE import run in a request thread never switches the garbage collector off
for the other threads (admints/gc_batch.py): it only raises the youngest generation's threshold,
and overlapping runs restore the thresholds found by the first one when the last one ends."""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time

import pytest

from admints import gc_batch
from admints.siecle.importer import import_siecle

from . import siecle_xml as X

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_r_dat_1_import_keeps_the_collector_on_and_restores_thresholds(app, etab, thresholds):
    """Another thread watches the collector while the import runs in this one."""
    files = [("eleves.xml", X.eleves_xml("0999001A", [X.eleve(n, f"NOM{n}", "Léa")
                                                      for n in range(1, 400)]))]
    seen, done = [], threading.Event()

    def watch():
        while not done.is_set():
            seen.append((gc.isenabled(), gc.get_threshold()[0]))
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        summary = import_siecle(files, uai="0999001A", today=TODAY)
    finally:
        done.set()
        watcher.join(timeout=10)
    assert summary.counts["eleves"]["created"] == 399
    assert all(enabled for enabled, _ in seen), "the collector was off for other threads"
    assert (True, max(thresholds[0], gc_batch.GEN0_THRESHOLD)) in seen
    assert gc.isenabled() and gc.get_threshold() == thresholds


def test_r_dat_1_overlapping_runs_restore_the_first_thresholds(thresholds):
    inside, release = threading.Barrier(3), threading.Barrier(3)
    during = []

    def run():
        with gc_batch.fewer_collections():
            inside.wait(timeout=10)
            during.append((gc.isenabled(), gc.get_threshold()))
            release.wait(timeout=10)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for w in workers:
        w.start()
    inside.wait(timeout=10)
    assert gc.isenabled()  # other threads keep the collector while both runs are in
    assert gc.get_threshold()[0] == max(thresholds[0], gc_batch.GEN0_THRESHOLD)
    release.wait(timeout=10)
    for w in workers:
        w.join(timeout=10)
    assert len(during) == 2 and all(enabled for enabled, _ in during)
    assert gc.get_threshold() == thresholds


def test_r_dat_1_thresholds_restored_after_a_refused_run(thresholds):
    with pytest.raises(RuntimeError), gc_batch.fewer_collections():
        assert gc.get_threshold()[0] == max(thresholds[0], gc_batch.GEN0_THRESHOLD)
        raise RuntimeError("import refusé")
    assert gc.get_threshold() == thresholds and gc.isenabled()
