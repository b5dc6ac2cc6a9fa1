"""Load benchmark (issue 14 point 6): 200 logged-in staff browsing `make serve` at a human pace
while whole-school notification jobs run.

For each database (PostgreSQL through scripts/with-postgres.sh, then the embedded SQLite): apply
the migrations, seed LOAD_SCHOOLS demo establishments (`load_demo`) and LOAD_USERS staff users,
start a redis-server (sessions, limits), a real SMTP sink (bench/emails.py), a Celery worker
when `admints.celery_app` exists (`make worker`, CELERY_BROKER_URL on the same Redis) and
`make serve` (gunicorn, WEB_CONCURRENCY=2 × GUNICORN_THREADS=4) on 127.0.0.1. Then:

1. idle server: a few small notifications in the first school (both gunicorn workers warm),
   then notify all pupils (paper) then all guardians (« courriel et papier ») of the second
   school, one job after the other: each job's idle duration;
2. the staff log in through the form (4 at a time: logins/s over HTTP);
3. each staff member browses for LOAD_SECONDS (lists, a division filter, « Gérer le compte »,
   statistics, home; a page every LOAD_THINK seconds, uniform) while the same two jobs run for
   the other schools, one after the other; browsing goes on until the last job ends.

Prints: errors (must be 0), p50/p95/p99 per page and overall, requests/s, and each job's
accounts/s against the idle one (ratio, target ≤ 1.5×). Exits 0 whatever the figures.

    make bench-load                     # both databases
    LOAD_DB=sqlite LOAD_SECONDS=20 ADMINTS_BENCH_LOAD=1 .venv/bin/python bench/load.py
    LOAD_JOBS=thread …                  # jobs in the web workers' threads, as `make run`

Not part of `make bench` (minutes of work): without ADMINTS_BENCH_LOAD=1 it says so and exits.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.serve_helpers import Client  # noqa: E402
from tests.services_helpers import RedisServer  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PASSWORD = "Orage-Tilleul-Boussole-17"
TODAY = dt.date(2026, 11, 28)
# Ports given to this benchmark's processes (the machine is shared).
HTTP_PORTS = (int(os.environ.get("LOAD_HTTP_PORT", 58000)), 58099)
REDIS_PORTS = (int(os.environ.get("LOAD_REDIS_PORT", 56390)), 56399)
JOBS = (("eleves", "papier"), ("responsables", "courriel-et-papier"))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


SECONDS = _env_int("LOAD_SECONDS", 60)
USERS = _env_int("LOAD_USERS", 200)
SCHOOLS = max(3, _env_int("LOAD_SCHOOLS", 4))
ELEVES = _env_int("LOAD_ELEVES", 1000)
THINK = tuple(float(x) for x in os.environ.get("LOAD_THINK", "4,12").split(","))


def port_in(first: int, last: int) -> int:
    """A free port of this helper's range on 127.0.0.1."""
    for port in range(first, last + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {first}-{last}")


def _sh(cmd: list[str], env: dict) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def seed(env: dict) -> list[dict]:
    """Demo schools and staff users; per school: its users, divisions, pupils, guardian links."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from _support import load_demo_school

        from admints import create_app
        from admints.comptes.selection import NIVEAUX_LISTES
        from admints.extensions import db
        from admints.models import Division, Eleve, Etablissement, ResponsableEleve, StaffUser
        from admints.secrets_store import hash_password

        app = create_app({"JOB_RECOVER_ON_START": False})
        schools = []
        with app.app_context():
            for k in range(SCHOOLS):
                report = load_demo_school(f"09998{k:02d}K", ELEVES, TODAY)
                etab = db.session.get(Etablissement, report.etablissement_id)
                schools.append({"id": etab.id, "academie_id": etab.academie_id, "users": []})
            pw_hash = hash_password(PASSWORD)
            for i in range(USERS):
                school = schools[i % SCHOOLS]
                login = f"charge.{i:03d}"
                db.session.add(StaffUser(login=login, role="chef", password_hash=pw_hash,
                                         etablissement_id=school["id"],
                                         academie_id=school["academie_id"]))
                school["users"].append(login)
            db.session.commit()
            for school in schools:
                eid = school["id"]
                school["divisions"] = list(db.session.scalars(db.select(Division.id).where(
                    Division.etablissement_id == eid)))
                school["eleves"] = list(db.session.scalars(db.select(Eleve.id).where(
                    Eleve.etablissement_id == eid).limit(200)))
                # The rows of the guardians' list: listed levels, with an account.
                school["liens"] = list(db.session.scalars(
                    db.select(ResponsableEleve.id).join(ResponsableEleve.eleve)
                    .where(Eleve.etablissement_id == eid,
                           ResponsableEleve.niveau.in_(NIVEAUX_LISTES),
                           ResponsableEleve.compte_id.is_not(None)).limit(200)))
            db.engine.dispose()
        return schools
    finally:
        os.environ.clear()
        os.environ.update(saved)


def job_rows(env: dict) -> dict[int, tuple[int, float, str, str]]:
    """Job id → (accounts, seconds from start to end, status, runner), read from the
    database."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from admints import create_app
        from admints.extensions import db
        from admints.models import Job

        app = create_app({"JOB_RECOVER_ON_START": False})
        with app.app_context():
            rows = {j.id: (j.total, (j.finished_at - j.started_at).total_seconds()
                           if j.finished_at and j.started_at else float("nan"), j.status,
                           j.runner or "?")
                    for j in db.session.scalars(db.select(Job))}
            db.engine.dispose()
        return rows
    finally:
        os.environ.clear()
        os.environ.update(saved)


def warm_up(port: int, school: dict) -> None:
    """Small notifications (inline, below JOB_THRESHOLD) until both gunicorn workers have
    loaded what a notification needs (ReportLab, fonts, templates): the idle figures must not
    include first-use costs."""
    client = Client(port)
    assert client.login(school["users"][0], PASSWORD).status == 302
    for i in range(4):
        for (base, mode), ids in zip(JOBS, (school["eleves"], school["liens"]), strict=True):
            token = client.csrf(f"/{base}/")
            response = client.post(f"/{base}/action/", {
                "csrf_token": token, "action": "notifier", "select_all": "0",
                "url": f"/{base}/", "confirme": "1", "mode": mode, "reset_used": "0",
                "rowid": [str(x) for x in ids[3 * i:3 * i + 3]]})
            assert response.status in (200, 302), response.status


def run_job(port: int, login: str, base: str, mode: str) -> int:
    """Start one whole-school notification through the list's action form; wait for its end."""
    client = Client(port)
    assert client.login(login, PASSWORD).status == 302
    token = client.csrf(f"/{base}/")
    response = client.post(f"/{base}/action/", {
        "csrf_token": token, "action": "notifier", "select_all": "1", "url": f"/{base}/",
        "confirme": "1", "mode": mode, "reset_used": "0"})
    location = response.headers.get("Location", "")
    assert response.status == 302 and "/taches/" in location, (response.status, location)
    job_id = int(location.rstrip("/").rsplit("/", 1)[1])
    while True:
        state = client.get(f"/taches/{job_id}/etat.json").text
        if any(f'"status":"{s}"' in state.replace(" ", "") for s in
               ("done", "failed", "interrupted")):
            return job_id
        time.sleep(0.5)


class Browsing:
    """The staff's browsing threads and their measurements."""

    def __init__(self, port: int, schools: list[dict]) -> None:
        self.port, self.schools = port, schools
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.stop_at = float("inf")

    def pages(self, school: dict, rnd: random.Random) -> list[tuple[str, str]]:
        div = rnd.choice(school["divisions"]) if school["divisions"] else 0
        return [("liste élèves", "/eleves/"),
                ("liste élèves filtrée", f"/eleves/?flt0_division={div}"),
                ("liste responsables", "/responsables/"),
                ("liste responsables filtrée", f"/responsables/?flt0_division={div}"),
                ("gérer le compte (élève)", f"/eleves/compte/{rnd.choice(school['eleves'])}/"),
                ("gérer le compte (resp.)",
                 f"/responsables/compte/{rnd.choice(school['liens'])}/"),
                ("statistiques élèves", "/statistiques/eleves/"),
                ("statistiques responsables", "/statistiques/responsables/"),
                ("accueil", "/")]

    def user(self, client: Client, school: dict, seed: int) -> None:
        rnd = random.Random(seed)
        time.sleep(rnd.uniform(0, THINK[1]))  # staff do not all click at the same instant
        while time.monotonic() < self.stop_at:
            name, path = rnd.choice(self.pages(school, rnd))
            start = time.perf_counter()
            try:
                status = client.get(path).status
            except OSError as exc:
                status = f"{type(exc).__name__}"
            took = time.perf_counter() - start
            with self.lock:
                if status == 200:
                    self.times[name].append(took)
                else:
                    self.errors.append(f"{name} {path}: {status}")
            time.sleep(rnd.uniform(*THINK))


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49] * 1000:6.0f} ms  p95 {q[94] * 1000:6.0f} ms  p99 {q[98] * 1000:6.0f} ms"


def start_stack(env: dict, tmp: Path) -> tuple[list, int]:
    """Redis, SMTP sink, Celery worker (if any), `make serve`; returns (stoppers, port)."""
    from emails import start_server

    redis = RedisServer()
    redis.port = port_in(*REDIS_PORTS)
    redis.start()
    smtp, smtp_port = start_server([])
    env.update(REDIS_URL=redis.url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port))
    stoppers = [redis.stop, lambda: smtp.stdin.close()]
    if os.environ.get("LOAD_JOBS") == "thread":
        env["CELERY_BROKER_URL"] = ""
        print("jobs: in-process threads of the gunicorn workers (LOAD_JOBS=thread: the "
              "embedded default, no worker)")
    elif importlib.util.find_spec("admints.celery_app") is not None:
        env["CELERY_BROKER_URL"] = redis.url
        worker = subprocess.Popen(["make", "worker"], cwd=ROOT, env=env,
                                  stdout=open(tmp / "worker.log", "w"), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        stoppers.insert(0, lambda: (os.killpg(worker.pid, 15), worker.wait(60)))
        print("jobs: Celery worker (make worker)")
    else:
        print("jobs: in-process threads of the gunicorn workers (no admints.celery_app here)")
    port = port_in(*HTTP_PORTS)
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2", GUNICORN_THREADS="4",
               GUNICORN_ACCESS_LOG=str(tmp / "access.log"))
    web = subprocess.Popen(["make", "serve"], cwd=ROOT, env=env,
                           stdout=open(tmp / "serve.log", "w"), stderr=subprocess.STDOUT,
                           start_new_session=True)
    stoppers.insert(0, lambda: (os.killpg(web.pid, 15), web.wait(60)))
    deadline = time.monotonic() + 120
    while True:
        try:
            if Client(port).get("/login").status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline or web.poll() is not None:
            raise SystemExit(f"make serve did not start: see {tmp / 'serve.log'}")
        time.sleep(0.5)
    return stoppers, port


def run(label: str, database_url: str) -> None:
    print(f"\n==== {label}: {USERS} staff, {SCHOOLS} schools × {ELEVES} pupils, "
          f"{SECONDS} s, a page every {THINK[0]:g}–{THINK[1]:g} s")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    from cryptography.fernet import Fernet

    with tempfile.TemporaryDirectory(prefix="admints-load-") as tmp_name:
        tmp = Path(tmp_name)
        if not database_url:
            database_url = f"sqlite:///{tmp / 'load.sqlite'}"
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(24),
               "DATA_KEYS": Fernet.generate_key().decode(), "OUTPUT_DIR": str(tmp / "out"),
               "PORTAL_URL": "http://127.0.0.1/scolarite/"}
        _sh([str(BIN / "flask"), "--app", "app", "db", "upgrade"], env)
        t = time.perf_counter()
        schools = seed({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "DATA_KEYS",
                                             "OUTPUT_DIR")})
        print(f"seeded in {time.perf_counter() - t:.0f} s")
        stoppers, port = start_stack(env, tmp)
        try:
            measure(env, port, schools)
        finally:
            for stop in stoppers:
                try:
                    stop()
                except Exception as exc:  # report, then stop the others
                    print("stop:", exc)


def measure(env: dict, port: int, schools: list[dict]) -> None:
    warm_up(port, schools[0])
    idle = {}
    for base, mode in JOBS:
        idle[base] = run_job(port, schools[1]["users"][0], base, mode)
    clients: list[tuple[Client, dict]] = []

    def login(i: int) -> tuple[Client, dict]:
        school = schools[i % SCHOOLS]
        client = Client(port)
        response = client.login(school["users"][i // SCHOOLS], PASSWORD)
        assert response.status == 302, response.status
        return client, school

    t = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        clients = list(pool.map(login, range(USERS)))
    login_s = time.perf_counter() - t
    print(f"logins over HTTP (4 at a time): {USERS} in {login_s:.1f} s = "
          f"{USERS / login_s:.1f} logins/s")

    browsing = Browsing(port, schools)
    start = time.monotonic()
    browsing.stop_at = start + 10 ** 6
    threads = [threading.Thread(target=browsing.user, args=(c, s, i), daemon=True)
               for i, (c, s) in enumerate(clients)]
    for thread in threads:
        thread.start()
    time.sleep(min(5, SECONDS / 4))
    busy = []
    for k in range(2, SCHOOLS):
        for base, mode in JOBS:
            busy.append((base, run_job(port, schools[k]["users"][0], base, mode)))
    browsing.stop_at = max(start + SECONDS, time.monotonic())
    for thread in threads:
        thread.join(THINK[1] + 60)
    elapsed = time.monotonic() - start
    report(browsing, elapsed, job_rows(env), idle, busy)


def report(browsing: Browsing, elapsed: float, rows: dict, idle: dict, busy: list) -> None:
    every = [x for values in browsing.times.values() for x in values]
    print(f"errors: {len(browsing.errors)} "
          f"({'OK' if not browsing.errors else 'NOT 0: ' + '; '.join(browsing.errors[:5])})")
    print(f"requests: {len(every)} in {elapsed:.0f} s = {len(every) / elapsed:.1f} req/s")
    print(f"{'all pages':27s} {percentiles(every)}")
    for name, values in sorted(browsing.times.items()):
        print(f"  {name:25s} {percentiles(values)}  ({len(values)})")
    for base, job_id in busy:
        total, seconds, status, runner = rows[job_id]
        idle_total, idle_seconds, _, idle_runner = rows[idle[base]]
        ratio = (seconds / total) / (idle_seconds / idle_total)
        verdict = "OK" if ratio <= 1.5 and status == "done" else "ABOVE 1.5x"
        print(f"job {base:12s} #{job_id}: {total} accounts in {seconds:.1f} s "
              f"({total / seconds:.0f}/s, {status}, runner {runner}); idle {idle_total} in "
              f"{idle_seconds:.1f} s ({idle_total / idle_seconds:.0f}/s, runner {idle_runner}) "
              f"-> {ratio:.2f}x {verdict}")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def main() -> None:
    # A SIGTERM stops the servers started here too (the `finally` of `run`).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if os.environ.get("ADMINTS_BENCH_LOAD") != "1":
        print("bench/load.py: minutes of load, not part of `make bench`: `make bench-load`.")
        return
    which = os.environ.get("LOAD_DB", "both")
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        run("PostgreSQL", os.environ["DATABASE_URL"])
        return
    if which in ("both", "postgres"):
        env = {**os.environ, "ADMINTS_PG_PORT": os.environ.get("ADMINTS_PG_PORT", "55448")}
        subprocess.run(["bash", "scripts/with-postgres.sh", sys.executable, __file__],
                       cwd=ROOT, env=env, check=False)
    if which in ("both", "sqlite"):
        run("SQLite (embedded default)", "")


if __name__ == "__main__":
    main()
