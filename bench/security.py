"""Benchmark of the security layer: argon2id cost per login, a full login request, and the
« Journal » (audit trail) of one establishment among 10 sharing 200,000 audit entries: first
page (scoped count + newest first), a filtered page, the CSV export of its 20,000 entries.
Prints its figures; run with `.venv/bin/python bench/security.py` (`--argon2`: only the
logins/s that the argon2id settings allow, compared with the OWASP minimum).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import bench_app  # noqa: E402

from admints.extensions import db, limiter  # noqa: E402
from admints.models import Academie, AuditEntry, Etablissement, StaffUser  # noqa: E402
from admints.secrets_store import hash_password, hasher, verify_password  # noqa: E402

PASSWORD = "motdepasse-bench"
ETABS, PER_ETAB = 10, 20_000


def _timed(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


# OWASP Password Storage Cheat Sheet (cited by ASVS 5.0 V11.4): argon2id with at least
# m=19 MiB, t=2, p=1 (or an equivalent m×t: 46 MiB×1, 12 MiB×3, 9 MiB×4, 7 MiB×5).
OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME = 19 * 1024, 2


def argon2_capacity(rounds: int = 12) -> None:
    """Logins/s the argon2id settings allow: CPU seconds per verification (one core's worth),
    then verifications/s with one thread per core (the machine), against OWASP's minimum."""
    h = hasher()
    pw_hash = hash_password(PASSWORD)
    verify_password(pw_hash, PASSWORD)  # warm
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        verify_password(pw_hash, PASSWORD)
    wall = (time.perf_counter() - wall) / rounds
    cpu = (time.process_time() - cpu) / rounds
    cores = os.cpu_count() or 1
    done = [0] * cores

    def spin(i: int, until: float) -> None:
        while time.perf_counter() < until:
            verify_password(pw_hash, PASSWORD)
            done[i] += 1

    until = time.perf_counter() + 4.0
    threads = [threading.Thread(target=spin, args=(i, until)) for i in range(cores)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    machine = sum(done) / (time.perf_counter() - start)
    product = h.memory_cost * h.time_cost
    floor = OWASP_MIN_MEMORY_KIB * OWASP_MIN_TIME
    verdict = "au-dessus" if h.memory_cost >= OWASP_MIN_MEMORY_KIB and h.time_cost >= 1 and \
        product >= floor else "EN DESSOUS"
    print(f"argon2id m={h.memory_cost // 1024} MiB t={h.time_cost} p={h.parallelism}: "
          f"verify {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU "
          f"-> {1 / cpu:.1f} logins/s per core")
    print(f"argon2id machine ({cores} cores, {cores} threads, 4 s): {machine:.1f} logins/s; "
          f"{h.memory_cost // 1024} MiB per login in progress")
    print(f"OWASP minimum m=19 MiB t=2 p=1 (m x t = {floor // 1024} MiB): ours m x t = "
          f"{product // 1024} MiB, {product / floor:.1f}x -> {verdict}")


def main() -> None:
    if "--argon2" in sys.argv:
        argon2_capacity()
        return
    argon2_capacity()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "security.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = bench_app(f"sqlite:///{path}", out, LOGIN_RATE_LIMIT="1000 per minute",
                    FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION=True)
    with app.app_context():
        db.create_all()
        t = time.perf_counter()
        pw_hash = hash_password(PASSWORD)
        hash_ms = (time.perf_counter() - t) * 1000
        verify_ms = _timed(lambda: verify_password(pw_hash, PASSWORD))
        aca = Academie(code="bench", nom="Bench")
        db.session.add(aca)
        db.session.flush()
        etabs = []
        for i in range(ETABS):
            e = Etablissement(uai=f"{9990100 + i}A", nom=f"Collège {i}", academie_id=aca.id)
            db.session.add(e)
            etabs.append(e)
        db.session.flush()
        db.session.add(StaffUser(login="chef.bench", role="chef", password_hash=pw_hash,
                                 etablissement_id=etabs[0].id, academie_id=aca.id))
        start = dt.datetime(2026, 9, 1)
        t = time.perf_counter()
        actions = ("connexion", "compte.notification", "compte.reinitialisation",
                   "parametre.modification", "import.siecle")
        for e in etabs:
            db.session.execute(db.insert(AuditEntry), [
                {"etablissement_id": e.id, "action": actions[n % 5], "login": f"agent{n % 7}",
                 "ip": "10.0.0.1", "target": f"cible {n}",
                 "at": start + dt.timedelta(minutes=n)} for n in range(PER_ETAB)])
        db.session.commit()
        fill_s = time.perf_counter() - t
        limiter.reset()

        client = app.test_client()

        def login():
            html = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
            r = client.post("/login", data={"login": "chef.bench", "password": PASSWORD,
                                            "csrf_token": token})
            assert r.status_code == 302, r.status_code

        login_ms = _timed(login)
        first = _timed(lambda: client.get("/journal/"))
        page = client.get("/journal/").get_data(as_text=True)
        assert "cible 19999" in page  # newest first
        filtered = _timed(lambda: client.get("/journal/?flt0_1=notification"))
        last_page = _timed(lambda: client.get("/journal/?page=399"))
        t = time.perf_counter()
        csv = client.get("/journal/export/csv/").get_data()
        export_s = time.perf_counter() - t
        lines = csv.count(b"\n") - 1

    print(f"argon2id: hash {hash_ms:.0f} ms, verify {verify_ms:.0f} ms (median of 5)")
    print(f"login request (GET form + POST): {login_ms:.0f} ms (median of 5)")
    print(f"fill: {ETABS} establishments x {PER_ETAB} audit entries in {fill_s:.1f} s")
    print(f"Journal first page (50 rows, scoped count over {ETABS * PER_ETAB:,} entries): "
          f"{first:.0f} ms")
    print(f"Journal filtered (action contient « notification »): {filtered:.0f} ms")
    print(f"Journal page 400: {last_page:.0f} ms")
    print(f"Journal CSV export: {lines:,} rows in {export_s:.2f} s "
          f"({lines / export_s:,.0f} rows/s)")


if __name__ == "__main__":
    main()
