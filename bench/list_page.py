"""Benchmark of the « Accès des responsables » list page (issue 3 point 10c).

Builds a temporary SQLite database of about 1,000,000 accounts over 500 establishments
(667 pupils per establishment, each with its own account and two guardian pairs légal 1 /
légal 2 with an account each: 500 × 667 × 3 = 1,000,500 accounts) by INSERT … SELECT over a
recursive counter, then requests the list page of one establishment, filtered on one division,
and unfiltered, through the Flask test client (login, tenant scoping, filters, the count query
kept — no `simple_list_pager` — and the whole page rendered).

This VM's CPU speed varies by up to ~1.8× from one second to the next (shared host), so the
two pages are measured in interleaved rounds after a warm-up, and the script prints the median
over all requests, the spread of the rounds' medians, and a CPU calibration (a fixed
pure-Python loop, in ms, before and after) to show how fast the machine was meanwhile.
Goal: median ≤ 15 ms for the filtered page.
Run: `.venv/bin/python bench/list_page.py [ETABS] [REQUESTS_PER_ROUND] [ROUNDS]`.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import bench_app  # noqa: E402

from admints.extensions import db  # noqa: E402
from admints.models import (  # noqa: E402
    Academie,
    Division,
    Etablissement,
    Mef,
    StaffUser,
)
from admints.secrets_store import hash_password  # noqa: E402

BENCH_PASSWORD = "Orage-Tilleul-Boussole-17"

PUPILS = 667  # per establishment
DIVISIONS = 24  # per establishment (~28 pupils, ~56 guardian pairs each)


def counter(n: int) -> str:
    return f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {n - 1})"


def generate(conn, etabs: int) -> None:
    """Synthetic rows straight in SQL: ids are arithmetic on the pupil's global index g."""
    pupils = etabs * PUPILS
    x = conn.exec_driver_sql
    # Small tables through Core inserts, so that the models' column defaults apply.
    conn.execute(db.insert(Academie), [{"id": 1, "code": "bench", "nom": "Bench"}])
    conn.execute(db.insert(Etablissement), [
        {"id": e, "uai": f"{e:07d}X", "nom": f"Collège {e}", "academie_id": 1}
        for e in range(1, etabs + 1)])
    conn.execute(db.insert(Mef), [
        {"id": e, "etablissement_id": e, "code": "10010012110", "libelle": "6EME",
         "mefstat": "21110010012"} for e in range(1, etabs + 1)])
    conn.execute(db.insert(Division), [
        {"id": i + 1, "etablissement_id": i // DIVISIONS + 1, "code": f"D{i % DIVISIONS:02d}"}
        for i in range(etabs * DIVISIONS)])
    # Accounts: pupils 1..P, then guardians P + 2g + k + 1.
    x(f"{counter(pupils)} INSERT INTO compte (id, etablissement_id, kind, identifiant, etat, "
      "email_valide, continuite, created_at, date_notification, mode_notification) "
      f"SELECT i + 1, i / {PUPILS} + 1, 'eleve', 'eleve.' || i, "
      "CASE i % 3 WHEN 0 THEN 'non_notifie' WHEN 1 THEN 'notifie' ELSE 'utilise' END, "
      "0, i % 17 = 0, '2026-09-01', "
      "CASE i % 3 WHEN 0 THEN NULL ELSE '2026-09-15' END, "
      "CASE i % 3 WHEN 0 THEN NULL ELSE 'courrier' END FROM n")
    x(f"{counter(pupils * 2)} INSERT INTO compte (id, etablissement_id, kind, identifiant, etat, "
      "email_valide, continuite, created_at, date_notification, mode_notification) "
      f"SELECT {pupils} + i + 1, i / 2 / {PUPILS} + 1, 'responsable', 'resp.' || i, "
      "CASE i % 4 WHEN 0 THEN 'non_notifie' WHEN 1 THEN 'notifie' "
      "WHEN 2 THEN 'en_cours_activation' ELSE 'utilise' END, "
      "i % 4 = 3, i % 23 = 0, '2026-09-01', "
      "CASE i % 4 WHEN 0 THEN NULL ELSE '2026-09-15' END, "
      "CASE i % 4 WHEN 0 THEN NULL ELSE 'courriel' END FROM n")
    x(f"{counter(pupils)} INSERT INTO eleve (id, etablissement_id, siecle_id, nom, prenom, "
      "date_naissance, mef_id, division_id, compte_id) "
      f"SELECT i + 1, i / {PUPILS} + 1, CAST(i AS TEXT), printf('NOM%06d', (i * 7919) % 1000003), "
      f"'Prénom', '2014-03-01', i / {PUPILS} + 1, "
      f"(i / {PUPILS}) * {DIVISIONS} + (i % {PUPILS}) % {DIVISIONS} + 1, i + 1 FROM n")
    x(f"{counter(pupils * 2)} INSERT INTO responsable (id, etablissement_id, siecle_id, civilite, "
      "nom, prenom, email, adresse_ligne1, code_postal, commune) "
      f"SELECT i + 1, i / 2 / {PUPILS} + 1, CAST(i AS TEXT), "
      "CASE i % 2 WHEN 0 THEN 'MME' ELSE 'M.' END, printf('PARENT%06d', i), 'Marie', "
      "CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN 'typo@gmail' ELSE 'p' || i || '@example.org' END, "
      "'12 rue des Lilas', '59000', 'LILLE' FROM n")
    x(f"{counter(pupils * 2)} INSERT INTO responsable_eleve (id, etablissement_id, eleve_id, "
      "responsable_id, niveau, compte_id) "
      f"SELECT i + 1, i / 2 / {PUPILS} + 1, i / 2 + 1, i + 1, i % 2 + 1, {pupils} + i + 1 FROM n")
    x("ANALYZE")


def main() -> None:
    etabs = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    per_round = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    with tempfile.TemporaryDirectory(prefix="admints-bench-") as tmp:
        app = bench_app(f"sqlite:///{tmp}/bench.sqlite", tmp, TESTING=False,
                        FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION=True)
        with app.app_context():
            db.create_all()
            t0 = time.perf_counter()
            with db.engine.begin() as conn:
                generate(conn, etabs)
            gen = time.perf_counter() - t0
            accounts = db.session.execute(db.text("SELECT count(*) FROM compte")).scalar()
            etab = db.session.get(Etablissement, etabs // 2)
            user = StaffUser(login="chef.bench", role="chef",
                             password_hash=hash_password(BENCH_PASSWORD),
                             etablissement_id=etab.id, academie_id=1)
            db.session.add(user)
            db.session.commit()
            division = db.session.scalar(db.select(Division).where(
                Division.etablissement_id == etab.id).order_by(Division.code))
            division_id = division.id
        print(f"generated {accounts:,} accounts over {etabs} establishments in {gen:.1f} s")

        client = app.test_client()
        # Sessions are server-side: log in through the form, like a user.
        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        login = client.post("/login", data={"login": "chef.bench", "password": BENCH_PASSWORD,
                                             "csrf_token": token})
        assert login.status_code == 302, login.status_code
        pages = (("one division", f"/responsables/?flt0_division={division_id}"),
                 ("whole establishment", "/responsables/"))
        measure(client, pages, per_round, rounds)


def calibration_ms() -> float:
    """Milliseconds of a fixed pure-Python loop: the machine's speed at this moment."""
    start = time.perf_counter()
    total = 0
    for i in range(1_000_000):
        total += i * i
    return (time.perf_counter() - start) * 1000


def measure(client, pages, per_round: int, rounds: int) -> None:
    """Median wall and CPU ms per GET of each page, over `rounds` interleaved rounds."""
    counts = {}
    for label, url in pages:
        first = client.get(url)
        assert first.status_code == 200, first.status_code
        html = first.get_data(as_text=True)
        marker = "compte(s) sélectionné(s) sur "
        counts[label] = html.split(marker, 1)[1].split("<", 1)[0].strip() if marker in html else "?"
        for _ in range(20):  # warm-up: caches, compiled statements, rendered fragments
            client.get(url)
    before = calibration_ms()
    wall = {label: [] for label, _ in pages}
    cpu = {label: [] for label, _ in pages}
    round_medians = {label: [] for label, _ in pages}
    for _ in range(rounds):
        for label, url in pages:
            times = []
            for _ in range(per_round):
                t, c = time.perf_counter(), time.process_time()
                resp = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
                cpu[label].append((time.process_time() - c) * 1000)
                assert resp.status_code == 200
            wall[label].extend(times)
            round_medians[label].append(statistics.median(times))
    after = calibration_ms()
    print(f"CPU calibration (fixed loop): {before:.0f} ms before, {after:.0f} ms after "
          "(lower is a faster machine)")
    for label, _url in pages:
        times = sorted(wall[label])
        median = statistics.median(times)
        p90 = times[int(len(times) * 0.9) - 1]
        spread = sorted(round_medians[label])
        goal = (f" (goal ≤ 15 ms median: {'OK' if median <= 15 else 'NOT MET'})"
                if label == "one division" else "")
        print(f"list page, {label} ({counts[label]} pairs, count kept): median {median:.1f} ms, "
              f"p90 {p90:.1f} ms over {len(times)} requests{goal}; rounds' medians "
              f"{spread[0]:.1f}–{spread[-1]:.1f} ms; CPU time per request: median "
              f"{statistics.median(cpu[label]):.1f} ms")


if __name__ == "__main__":
    main()
