"""An académie of 500 establishments and about 1,000,000 accounts, built once (issue 14 point 5).

Rows are generated in Python (names from Faker fr_FR's lists, identifiers `prenom.nom[N]` made
unique across the académie as R-ACC-2 does, so an import meets real homonyms) and written in bulk:
COPY on PostgreSQL (psycopg), executemany on SQLite. The demo loader (`load_demo`, ~1 s per
2,000-pupil school and a life for each) would take 10 minutes and more; the lists, statistics,
imports and notifications measured here need the rows, not a life.

Establishment 1 (UAI 0990001A) is a 2,000-pupil collège with a head `chef.academie`; the others
have 220 to 1,350 pupils. Per pupil: its account and two guardians légal 1 / légal 2 with an
account each; one pupil in ten is a sibling sharing the previous pupil's guardians. Accounts in
every state, 400 visits per establishment over the school year.

PostgreSQL: the database `--name` (default admints_academie) next to the one of DATABASE_URL is
created, and reused by the next run when complete (`--rebuild` to start again). SQLite: the file
of --database-url (default /tmp/admints-academie.sqlite).

    .venv/bin/python bench/build_academie.py [--etablissements 500] [--database-url URL]
                                              [--name admints_academie] [--rebuild]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faker.providers.person.fr_FR import Provider as Names
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from admints.comptes.identifiers import normalise_part
from admints.models import (
    Academie,
    Division,
    Etablissement,
    Mef,
    StaffUser,
    Teleservice,
)

CODE = "academie-bench"
PASSWORD = "Bench-Orage-Tilleul-17"
HEAD = "chef.academie"
BIG_UAI = "0990001A"
BIG = 2000
MEFS = (("10010012110", "6EME", "21110010012"), ("10110001110", "5EME", "21120010001"),
        ("10210001110", "4EME", "21150010001"), ("10310019110", "3EME", "21160010019"))
VISITS = 400
# The letterhead a notification needs (R-PAR « Fiche établissement »).
FICHE = {"adresse": "1 rue de l'École", "code_postal": "59000", "ville": "LILLE",
         "telephone": "03 20 00 00 00", "emails": ["ce.bench@ac-bench.fr"],
         "chef_nom": "Mme Chef", "chef_titre": "La principale"}
BATCH = 25  # establishments per bulk write
CREATED = dt.datetime(2026, 9, 1, 8, 0)
NOTIFIED = dt.datetime(2026, 9, 15, 9, 0)
YEAR_START = dt.datetime(2026, 9, 1)
FIRST = tuple(Names.first_names_male) + tuple(Names.first_names_female)
LAST = tuple(Names.last_names)
N_FIRST = tuple(normalise_part(n) or "x" for n in FIRST)
N_LAST = tuple(normalise_part(n) or "x" for n in LAST)

TABLES = {
    "compte": ("id", "etablissement_id", "kind", "identifiant", "etat", "email_valide",
               "continuite", "created_at", "date_notification", "mode_notification"),
    "eleve": ("id", "etablissement_id", "siecle_id", "nom", "prenom", "date_naissance", "sexe",
              "mef_id", "division_id", "compte_id"),
    "responsable": ("id", "etablissement_id", "siecle_id", "civilite", "nom", "prenom", "email",
                    "adresse_ligne1", "code_postal", "commune"),
    "responsable_eleve": ("id", "etablissement_id", "eleve_id", "responsable_id", "niveau",
                          "compte_id"),
    "acces_teleservice": ("id", "etablissement_id", "compte_id", "teleservice_id", "mef_id",
                          "visited_at"),
}
PUPIL_STATES = ("non_notifie", "notifie", "utilise")
GUARDIAN_STATES = ("non_notifie", "notifie", "en_cours_activation", "utilise")


def sizes(etabs: int) -> list[int]:
    """Pupils per establishment: the 2,000-pupil collège first, then mixed sizes."""
    return [BIG] + [220 + (e * 7919) % 1131 for e in range(2, etabs + 1)]


def academie_url(base: str, name: str) -> str:
    url = make_url(base)
    if url.get_backend_name() != "postgresql":
        return base
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.set(database=name).render_as_string(hide_password=False)


class Generator:
    """The rows, establishment by establishment, with the académie's counters."""

    def __init__(self):
        self.ids = dict.fromkeys(TABLES, 0)
        self.taken: dict[str, int] = {}  # base -> how many accounts use it
        self.mef_ids: dict[int, list[int]] = {}
        self.div_ids: dict[int, list[tuple[int, int]]] = {}  # etab -> [(mef_id, div_id)]

    def next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def identifier(self, i: int, j: int) -> str:
        base = f"{N_FIRST[i]}.{N_LAST[j]}"
        n = self.taken.get(base, 0) + 1
        self.taken[base] = n
        return base if n == 1 else f"{base}{n}"

    def compte(self, rows, etab: int, kind: str, first: int, last: int, k: int) -> int:
        cid = self.next("compte")
        states = PUPIL_STATES if kind == "eleve" else GUARDIAN_STATES
        etat = states[k % len(states)]
        notified = etat != "non_notifie"
        rows["compte"].append((cid, etab, kind, self.identifier(first, last), etat,
                               kind == "responsable" and etat == "utilise", k % 17 == 0,
                               CREATED, NOTIFIED if notified else None,
                               ("courrier" if kind == "eleve" else "courriel") if notified
                               else None))
        return cid

    def school(self, rows, etab: int, pupils: int, services: list[int]) -> None:
        structure = self.div_ids[etab]
        guardians: list[tuple[int, int]] = []
        for k in range(pupils):
            g = self.ids["eleve"]
            first, last = (g * 104729) % len(FIRST), (g * 7919) % len(LAST)
            mef_id, div_id = structure[k * len(structure) // pupils]
            cid = self.compte(rows, etab, "eleve", first, last, k)
            eid = self.next("eleve")
            rows["eleve"].append((eid, etab, str(eid), LAST[last].upper(), FIRST[first],
                                  dt.date(2014, 1 + k % 12, 1 + k % 28),
                                  "1" if first < len(Names.first_names_male) else "2",
                                  mef_id, div_id, cid))
            if not (guardians and k % 10 == 9):  # else a sibling: the same guardians
                guardians = []
                for niveau in (1, 2):
                    pfirst = (g * 31 + niveau * 17) % len(FIRST)
                    plast = last if niveau == 1 else (g * 61 + 3) % len(LAST)
                    pcid = self.compte(rows, etab, "responsable", pfirst, plast, g * 2 + niveau)
                    rid = self.next("responsable")
                    email = (None if rid % 5 == 0 else "typo@gmail" if rid % 5 == 1
                             else f"p{rid}@example.org")
                    rows["responsable"].append((
                        rid, etab, str(rid), "MME" if niveau == 1 else "M.", LAST[plast].upper(),
                        FIRST[pfirst], email, f"{rid % 90 + 1} rue des Lilas", "59000", "LILLE"))
                    guardians.append((rid, pcid))
            for niveau, (rid, pcid) in enumerate(guardians, start=1):
                rows["responsable_eleve"].append((self.next("responsable_eleve"), etab, eid,
                                                  rid, niveau, pcid))
        mefs = self.mef_ids[etab]
        span = 88 * 86400
        for v in range(VISITS):
            rows["acces_teleservice"].append((
                self.next("acces_teleservice"), etab, None, services[v % len(services)],
                mefs[v % len(mefs)], YEAR_START + dt.timedelta(seconds=(v * 7919 * 97) % span)))


def write(conn, rows: dict) -> None:
    """COPY on PostgreSQL, executemany elsewhere; the lists emptied."""
    for table, columns in TABLES.items():
        if not rows[table]:
            continue
        if conn.dialect.name == "postgresql":
            cursor = conn.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows[table]:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                 rows[table])
        rows[table].clear()


def reference(conn, gen: Generator, counts: list[int]) -> list[int]:
    """Académie, establishments, MEFs, divisions, services and the head: Core inserts."""
    from admints.secrets_store import hash_password

    conn.execute(insert(Academie), [{"id": 1, "code": CODE, "nom": "Bench (en construction)"}])
    conn.execute(insert(Etablissement), [
        {"id": e, "uai": BIG_UAI if e == 1 else f"{990000 + e:07d}B",
         "nom": f"Collège Bench {e:03d}", "academie_id": 1, "annee_scolaire": 2026,
         "active_le": CREATED, **FICHE} for e in range(1, len(counts) + 1)])
    mefs, divs, mef_id, div_id = [], [], 0, 0
    for e, pupils in enumerate(counts, start=1):
        per_mef = max(1, pupils // 28 // len(MEFS))
        gen.mef_ids[e], gen.div_ids[e] = [], []
        for code, libelle, mefstat in MEFS:
            mef_id += 1
            mefs.append({"id": mef_id, "etablissement_id": e, "code": code, "libelle": libelle,
                         "formation": libelle, "mefstat": mefstat})
            gen.mef_ids[e].append(mef_id)
            for d in range(per_mef):
                div_id += 1
                divs.append({"id": div_id, "etablissement_id": e,
                             "code": f"{libelle[0]}{chr(65 + d % 26)}{d // 26 or ''}"})
                gen.div_ids[e].append((mef_id, div_id))
    conn.execute(insert(Mef), mefs)
    conn.execute(insert(Division), divs)
    conn.execute(insert(Teleservice), [
        {"id": 9000 + i, "code": f"bench{i}", "libelle": c, "categorie": c}
        for i, c in enumerate(("Vie scolaire", "Notes", "Livret scolaire", "Paiement"))])
    conn.execute(insert(StaffUser), [{"login": HEAD, "role": "chef", "etablissement_id": 1,
                                      "academie_id": 1, "password_hash": hash_password(PASSWORD),
                                      "nom": "Chef Bench"}])
    return [9000 + i for i in range(4)]


def built(engine, etabs: int) -> bool:
    from sqlalchemy import inspect

    if "academie" not in inspect(engine).get_table_names():
        return False
    with engine.connect() as conn:
        nom = conn.execute(text("SELECT nom FROM academie WHERE code = :c"), {"c": CODE}).scalar()
    return nom == f"Bench {etabs} établissements"


def ensure_indexes(engine) -> None:
    """Every index of the models, also on a database built before one was added."""
    from admints.extensions import db

    with engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)


def ensure(base_url: str, name: str = "admints_academie", etabs: int = 500,
           rebuild: bool = False) -> str:
    """The académie's database URL, built if absent or incomplete."""
    url = academie_url(base_url, name)
    if make_url(url).get_backend_name() == "postgresql":
        admin = create_engine(academie_url(base_url, make_url(base_url).database or "postgres"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": name}).scalar()
            if exists and rebuild:
                conn.execute(text(f'DROP DATABASE "{name}"'))
                exists = False
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    elif rebuild:
        Path(make_url(url).database).unlink(missing_ok=True)
    engine = create_engine(url)
    if built(engine, etabs):
        ensure_indexes(engine)
        print(f"académie: reused {make_url(url).render_as_string()}")
        engine.dispose()
        return url
    build(engine, etabs)
    engine.dispose()
    return url


def build(engine, etabs: int) -> None:
    from admints.extensions import db

    start = time.perf_counter()
    db.metadata.drop_all(engine)
    db.metadata.create_all(engine)
    counts, gen = sizes(etabs), Generator()
    rows = {t: [] for t in TABLES}
    with engine.begin() as conn:
        services = reference(conn, gen, counts)
        for e, pupils in enumerate(counts, start=1):
            gen.school(rows, e, pupils, services)
            if e % BATCH == 0 or e == len(counts):
                write(conn, rows)
        if conn.dialect.name == "postgresql":
            for table in ("academie", "etablissement", "mef", "division", "teleservice",
                          "staff_user", *TABLES):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
        conn.execute(text("UPDATE academie SET nom = :n WHERE code = :c"),
                     {"n": f"Bench {etabs} établissements", "c": CODE})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    print(f"académie: {etabs} établissements, {sum(counts):,} élèves, "
          f"{gen.ids['compte']:,} comptes, {gen.ids['responsable_eleve']:,} liens, built in "
          f"{time.perf_counter() - start:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--etablissements", type=int, default=500)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or
                        f"sqlite:///{tempfile.gettempdir()}/admints-academie.sqlite")
    parser.add_argument("--name", default="admints_academie")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    ensure(args.database_url, args.name, args.etablissements, args.rebuild)


if __name__ == "__main__":
    main()
