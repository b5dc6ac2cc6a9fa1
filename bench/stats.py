"""Speed of the statistics (R-STA-1..3): each screen's data function on a 2,000-pupil
establishment (goal < 50 ms) and on an académie of 100 such establishments, about 200,000
pupils and 400,000 guardian links (goal < 1 s). Prints the figures.

    .venv/bin/python bench/stats.py [--etablissements 100] [--eleves 2000] [--acces 5000]
                                    [--repeat 5] [--with-demo] [--database-url URL [--reuse]]

Data are bulk-inserted synthetic rows (the demo command, `admints.demo.loader.load_demo`, takes
about 6 s per 2,000 pupils: ten minutes for the académie); `--with-demo` also loads one demo
establishment with `load_demo` and times it. Per establishment: 4 MEFs × 5 divisions, accounts in
every state, two guardians per pupil (légal 1 and 2), one pupil in ten a sibling sharing the
previous pupil's guardians and accounts, and `--acces` visits over the school year. Default
database: a temporary SQLite file (PostgreSQL with --database-url).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from admints import create_app
from admints.extensions import db
from admints.models import (
    Academie,
    AccesTeleservice,
    Compte,
    Division,
    Eleve,
    Etablissement,
    Mef,
    Responsable,
    ResponsableEleve,
    Teleservice,
)
from admints.statistiques import rollups, summaries, visits

TODAY = dt.date(2026, 11, 28)
MEFS = (("10010012110", "6EME", "21110010012"), ("10110001110", "5EME", "21210010011"),
        ("10210001110", "4EME", "21310010011"), ("10310019110", "3EME", "21410010011"))
STATES = ("non_notifie",) * 3 + ("notifie",) * 3 + ("en_cours_activation",) + ("utilise",) * 3
CATEGORIES = ("Vie scolaire", "Notes", "Fiche de renseignements", "Livret scolaire",
              "Paiement en ligne")


class Ids:
    def __init__(self):
        self.n = {}

    def next(self, name: str) -> int:
        self.n[name] = self.n.get(name, 0) + 1
        return self.n[name]


def build(n_etabs: int, n_eleves: int, n_acces: int, seed: int = 0) -> tuple[int, list[int]]:
    rnd = random.Random(seed)
    ids = Ids()
    aca_id = db.session.execute(insert(Academie).values(code="bench", nom="Bench")
                                ).inserted_primary_key[0]
    services = []
    for i, categorie in enumerate(CATEGORIES):
        services.append(db.session.execute(insert(Teleservice).values(
            code=f"bench{i}", libelle=categorie, categorie=categorie)).inserted_primary_key[0])
    year_start = dt.datetime(2026, 9, 1)
    span = int((dt.datetime.combine(TODAY, dt.time()) - year_start).total_seconds())
    etab_ids = []
    for e in range(n_etabs):
        etab_id = ids.next("etab")
        etab_ids.append(etab_id)
        rows = {k: [] for k in ("mef", "div", "compte", "eleve", "resp", "lien", "acces")}
        db.session.execute(insert(Etablissement).values(
            id=etab_id, uai=f"{9000000 + e:07d}B", nom=f"Collège Bench {e:03d}",
            academie_id=aca_id, annee_scolaire=2026))
        structure = []
        for code, libelle, mefstat in MEFS:
            mef_id = ids.next("mef")
            rows["mef"].append(dict(id=mef_id, etablissement_id=etab_id, code=code,
                                    libelle=libelle, mefstat=mefstat))
            for d in range(5):
                div_id = ids.next("div")
                rows["div"].append(dict(id=div_id, etablissement_id=etab_id,
                                        code=f"{libelle[0]}{chr(65 + d)}"))
                structure.append((mef_id, div_id))
        previous = None
        for p in range(n_eleves):
            mef_id, div_id = structure[p * len(structure) // n_eleves]
            compte_id = ids.next("compte")
            rows["compte"].append(dict(id=compte_id, etablissement_id=etab_id, kind="eleve",
                                       identifiant=f"e{compte_id}",
                                       etat=rnd.choice(STATES[:6] + STATES[7:]),
                                       continuite=False, email_valide=False))
            eleve_id = ids.next("eleve")
            rows["eleve"].append(dict(id=eleve_id, etablissement_id=etab_id,
                                      siecle_id=str(eleve_id), nom=f"NOM{eleve_id}",
                                      prenom="Prénom", mef_id=mef_id,
                                      division_id=div_id, compte_id=compte_id))
            if previous is not None and rnd.random() < 0.1:
                guardians = previous  # siblings: same guardians, same accounts
            else:
                guardians = []
                for _niveau in (1, 2):
                    resp_id, resp_compte = ids.next("resp"), ids.next("compte")
                    notified = dt.datetime(2026 if rnd.random() < 0.7 else 2025, 10, 1)
                    rows["resp"].append(dict(id=resp_id, etablissement_id=etab_id,
                                             siecle_id=str(resp_id), nom=f"R{resp_id}", prenom="P"))
                    rows["compte"].append(dict(
                        id=resp_compte, etablissement_id=etab_id, kind="responsable",
                        identifiant=f"r{resp_compte}", etat=rnd.choice(STATES), continuite=False,
                        email_valide=False, date_notification=notified))
                    guardians.append((resp_id, resp_compte))
            for niveau, (resp_id, resp_compte) in enumerate(guardians, start=1):
                rows["lien"].append(dict(id=ids.next("lien"), etablissement_id=etab_id,
                                         eleve_id=eleve_id, responsable_id=resp_id,
                                         niveau=niveau, compte_id=resp_compte))
            previous = guardians
        mef_ids = [m["id"] for m in rows["mef"]]
        for _ in range(n_acces):
            rows["acces"].append(dict(
                etablissement_id=etab_id, teleservice_id=rnd.choice(services),
                mef_id=rnd.choice(mef_ids),
                visited_at=year_start + dt.timedelta(seconds=rnd.randrange(span))))
        for model, key in ((Mef, "mef"), (Division, "div"), (Compte, "compte"), (Eleve, "eleve"),
                           (Responsable, "resp"), (ResponsableEleve, "lien"),
                           (AccesTeleservice, "acces")):
            if rows[key]:
                db.session.execute(insert(model), rows[key])
        db.session.commit()
    return aca_id, etab_ids


def timed(fn, repeat: int) -> tuple[float, float, float]:
    fn()  # warm the caches (SQLite pages, statement cache)
    times, cpu = [], []
    for _ in range(repeat):
        db.session.expire_all()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(times), min(times), statistics.median(cpu)


def report(label: str, fn, goal_ms: float, repeat: int) -> None:
    # CPU time too: on a shared, loaded machine the wall time mostly measures the others.
    median, best, cpu = timed(fn, repeat)
    status = "OK  " if median < goal_ms else "LENT"
    print(f"  {status} {label:<34} médiane {median:7.1f} ms  min {best:7.1f} ms  "
          f"CPU {cpu:7.1f} ms  (objectif < {goal_ms:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--etablissements", type=int, default=100)
    parser.add_argument("--eleves", type=int, default=2000)
    parser.add_argument("--acces", type=int, default=5000, help="visites par établissement")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--with-demo", action="store_true")
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", action="store_true",
                        help="réutiliser la base de --database-url déjà construite")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="admints-bench-stats-")
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the temporary SQLite database


def run(args, tmp: str) -> None:
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "DATA_KEYS": "bGV0bWVpbnRoaXNpc2F0ZXN0a2V5Zm9yYWRtaW50cyE=",
                      "OUTPUT_DIR": tmp})
    with app.app_context():
        start = time.perf_counter()
        if args.reuse:
            aca_id = db.session.scalar(db.select(Academie.id).where(Academie.code == "bench"))
            etab_ids = list(db.session.scalars(db.select(Etablissement.id).where(
                Etablissement.academie_id == aca_id).order_by(Etablissement.id)))
        else:
            db.drop_all()
            db.create_all()
            aca_id, etab_ids = build(args.etablissements, args.eleves, args.acces)
        counts = {m.__tablename__: db.session.scalar(db.select(db.func.count()).select_from(m))
                  for m in (Eleve, ResponsableEleve, Compte, AccesTeleservice)}
        built = "réutilisée" if args.reuse else f"construite en {time.perf_counter() - start:.1f} s"
        print(f"Base {url.split(':')[0]} ({built}) : {len(etab_ids)} établissements, {counts}")
        periode = visits.periode_par_defaut(TODAY)
        one = etab_ids[0]
        print(f"Un établissement de {args.eleves} élèves :")
        report("synthese_eleves (R-STA-1)", lambda: summaries.synthese_eleves(one), 50, args.repeat)
        report("synthese_responsables (R-STA-2)", lambda: summaries.synthese_responsables(one), 50,
               args.repeat)
        report("synthese_acces (R-STA-3)", lambda: visits.synthese_acces(one, periode), 50,
               args.repeat)
        print(f"Académie ({len(etab_ids)} établissements) :")
        report("rollup_eleves", lambda: rollups.rollup_eleves(aca_id), 1000, args.repeat)
        report("rollup_responsables", lambda: rollups.rollup_responsables(aca_id), 1000,
               args.repeat)
        report("rollup_acces", lambda: rollups.rollup_acces(aca_id, periode), 1000,
               args.repeat)
        if args.with_demo:
            from admints.demo.loader import load_demo

            start = time.perf_counter()
            load_demo("0999001A", args.eleves, "college", 0, "Bench-Orage-Tilleul-17", TODAY,
                      academie="benchdemo")
            db.session.commit()
            demo_id = db.session.scalar(db.select(Etablissement.id)
                                        .where(Etablissement.uai == "0999001A"))
            print(f"Établissement de démonstration (load_demo, "
                  f"{time.perf_counter() - start:.1f} s) :")
            report("synthese_eleves", lambda: summaries.synthese_eleves(demo_id), 50, args.repeat)
            report("synthese_responsables", lambda: summaries.synthese_responsables(demo_id), 50,
                   args.repeat)
            report("synthese_acces", lambda: visits.synthese_acces(demo_id, periode), 50,
                   args.repeat)


if __name__ == "__main__":
    main()
