"""Benchmark of the families' portal (R-POR-2, issue 11 point 7) on the 2,000-pupil demo.

A guardian of the demo (`admints demo` makes one *Utilisé*, its account possibly carrying
several children) is logged in through the portal's form; its home page and its Notes page
(assessments visible today per R-SRV-4, one visit row written and committed per request,
R-STA-3) are requested through the Flask test client: warm-up, then interleaved rounds, and
the median server time per request is printed (wall and CPU: the 2-core machine is shared, the
CPU calibration before and after says how fast it was). Goal: median ≤ 10 ms for each page.

Then the first-connection throughput: notified pupils of the demo log in with their temporary
password and choose their password (two POSTs, as the pages do). The chosen password is hashed
with argon2id (`secrets_store.hash_password`), which is what bounds it: the script prints the
median time of one first connection, of one argon2id hash alone, and the first connections per
second and per core that follow.

Run: `.venv/bin/python bench/portal.py [PUPILS] [REQUESTS_PER_ROUND] [ROUNDS] [FIRST_LOGINS]`.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import bench_app, load_demo_school  # noqa: E402
from list_page import calibration_ms  # noqa: E402

from admints import clock  # noqa: E402
from admints.extensions import db  # noqa: E402
from admints.models import AccesTeleservice, Compte, Eleve, EtatCompte  # noqa: E402
from admints.secrets_store import decrypt_secret, hash_password  # noqa: E402

PASSWORD = "Bench-Orage-Tilleul-17"  # the demo password of _support.load_demo_school
NEW_PASSWORD = "Gravier-Hibou-Lanterne-42"
GOAL_MS = 10.0


def csrf(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, identifiant: str, password: str):
    return client.post("/scolarite/connexion", data={
        "login": identifiant, "password": password, "csrf_token": csrf(client,
                                                                        "/scolarite/connexion")})


def measure_pages(client, pages, per_round: int, rounds: int) -> dict[str, float]:
    for _label, url in pages:
        for _ in range(20):  # warm-up: compiled statements, templates
            assert client.get(url).status_code == 200, url
    wall = {label: [] for label, _ in pages}
    cpu = {label: [] for label, _ in pages}
    spread = {label: [] for label, _ in pages}
    for _ in range(rounds):
        for label, url in pages:
            times = []
            for _ in range(per_round):
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                cpu[label].append((time.process_time() - start_cpu) * 1000)
                assert response.status_code == 200
            wall[label].extend(times)
            spread[label].append(statistics.median(times))
    medians = {}
    for label, _url in pages:
        median = statistics.median(wall[label])
        medians[label] = median
        lo, hi = min(spread[label]), max(spread[label])
        print(f"{label}: median {median:.1f} ms over {len(wall[label])} requests "
              f"(rounds' medians {lo:.1f}–{hi:.1f} ms; CPU time per request: median "
              f"{statistics.median(cpu[label]):.1f} ms) — goal ≤ {GOAL_MS:.0f} ms: "
              f"{'OK' if median <= GOAL_MS else 'NOT MET'}")
    return medians


def first_connections(app, etab_id: int, count: int) -> None:
    with app.app_context():
        rows = db.session.execute(
            db.select(Compte.identifiant, Compte.mot_de_passe_provisoire_chiffre,
                      Eleve.date_naissance)
            .join(Eleve, Eleve.compte_id == Compte.id)
            .where(Compte.etablissement_id == etab_id, Compte.etat == EtatCompte.NOTIFIE)
            .order_by(Compte.id).limit(count)).all()
        accounts = [(ident, decrypt_secret(secret), birth) for ident, secret, birth in rows]
    times = []
    for identifiant, temporary, birth in accounts:
        client = app.test_client()
        token = csrf(client, "/scolarite/connexion")
        start = time.perf_counter()
        response = client.post("/scolarite/connexion", data={
            "login": identifiant, "password": temporary, "csrf_token": token})
        assert response.headers["Location"].endswith("/scolarite/premiere-connexion")
        token = csrf(client, "/scolarite/premiere-connexion")  # not timed: the page's GET
        start_form = time.perf_counter()
        response = client.post("/scolarite/premiere-connexion", data={
            "date_naissance": birth.strftime("%d/%m/%Y"), "nouveau_mot_de_passe": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD, "csrf_token": token})
        end = time.perf_counter()
        assert response.headers["Location"].endswith("/scolarite/"), response.status_code
        times.append((start_form - start + end - start_form) * 1000)
    hashes = []
    for _ in range(10):
        start = time.perf_counter()
        hash_password(NEW_PASSWORD)
        hashes.append((time.perf_counter() - start) * 1000)
    median, argon = statistics.median(times), statistics.median(hashes)
    print(f"first connection (login with the temporary password + new password, 2 POSTs): "
          f"median {median:.0f} ms over {len(times)} pupils; one argon2id hash alone: "
          f"median {argon:.0f} ms ({argon / median:.0%} of it)")
    print(f"first-connection throughput: {1000 / median:.1f} per second per core "
          f"(argon2id-bound; ×{2} on this 2-core machine at most)")


def main() -> None:
    pupils = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    per_round = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    firsts = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    today = clock.today()
    with tempfile.TemporaryDirectory(prefix="admints-bench-") as tmp:
        app = bench_app(f"sqlite:///{tmp}/bench.sqlite", tmp, TESTING=False,
                        RATELIMIT_ENABLED=False)
        with app.app_context():
            db.create_all()
            report = load_demo_school("0999990B", pupils, today)
            pupil_login, guardian_login = report.familles
            etab_id = report.etablissement_id
        client = app.test_client()
        response = login(client, guardian_login, PASSWORD)
        assert response.status_code == 302, response.status_code
        html = client.get("/scolarite/notes").get_data(as_text=True)
        shown = html.count("<tr>") - 1
        print(f"guardian {guardian_login}: Notes shows {shown} assessment(s) today")
        before = calibration_ms()
        measure_pages(client, (("home page /scolarite/", "/scolarite/"),
                               ("Notes page /scolarite/notes", "/scolarite/notes")),
                      per_round, rounds)
        print(f"CPU calibration (fixed loop): {before:.0f} ms before, {calibration_ms():.0f} ms "
              "after (lower is a faster machine)")
        with app.app_context():
            visits = db.session.scalar(db.select(db.func.count(AccesTeleservice.id)).where(
                AccesTeleservice.compte_id == db.select(Compte.id).where(
                    Compte.identifiant == guardian_login).scalar_subquery(),
                AccesTeleservice.visited_at >= dt.datetime.combine(today, dt.time())))
        print(f"visits recorded for the guardian today: {visits}")
        first_connections(app, etab_id, firsts)
        del pupil_login


if __name__ == "__main__":
    main()
