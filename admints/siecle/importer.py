"""SIECLE import (R-DAT-1): parsed BEE files → MEF, divisions, groups, pupils, guardians, links
and their accounts, in the caller's transaction (flush, never commit).

Order of work: parse every file (admints.siecle.parsing), check every UAJ and every reference, and
only then write — so a refusal (`ImportRefused`, French message) leaves the session untouched.
Writes are bulk (admints.siecle.writer): the current state of the establishment is loaded into dicts
with a handful of queries, compared in Python, and only the differences are inserted/updated/
deleted with executemany.

Choices a school would expect, documented here: - Files that could not be a real export are refused
before anything else (admints.siecle.parsing): no DONNEES section, no pupil, no guardian or no link,
a bomb beyond the bounds of the SIECLE_* configuration keys (streamed parse, admints.siecle.stream),
a broken archive.
- Pupils who left (DATE_SORTIE on or before `today`) or have not arrived (no ID_NATIONAL) are
  skipped and counted. A pupil present in the database but absent from a new pupils file has
  *left*: the pupil row, its group memberships and its guardian links are deleted, guardians
  left with no pupil too — but no account is deleted (R-DAT-3): the pupil's account and the
  accounts of its links are recorded in `compte_conserve` under their SIECLE ids, and closed
  once nobody uses them (a guardian's account shared with a sibling who stays stays open).
  Closed accounts keep identifier, state, passwords, email and visits, and appear in no list
  and no statistic (those read pupils and links). When the pupil or the link comes back — the
  right file re-imported after a wrong one — it gets that very account back, reopened; the
  expiry of R-ACC-10 does not touch closed accounts.
- Before writing, `departures.plan_departures` counts the pupils who would leave, the
  guardians who would go and the accounts that would close. Above SIECLE_DEPARTURE_THRESHOLD
  (20 %) of the establishment's pupils or guardians the import is refused with that plan
  (`DeparturesToConfirm`) unless `confirm_departures` is True (CLI `--confirm-departures`) or
  is the plan shown before, which must cover this one (upload screen, second POST).
- A ResponsablesAvecAdresses file is the full truth of the links: links absent from it are
  removed (their accounts kept as above, as are those of links that stop being légal 1/2). Links to
  pupils skipped above are ignored and counted; a link to a pupil found nowhere (neither in the
  files nor in the database) or to a person missing from PERSONNES is a malformed export and refuses
  the import.
- MEF codes: with a Nomenclature in the import, a pupil whose MEF is in neither the nomenclature
  nor the database refuses the import. Without one, an unknown code creates a MEF labelled with
  its code, completed by the next Nomenclature import.
- MEF, divisions and groups are never deleted (publication dates and assessments hang on them):
  « left » counts those absent from the new files, which are kept.
- Existing accounts are always kept (identifier, state, password): re-import is idempotent. A
  pupil or a légal 1/2 link without an account gets the one kept for it, else a new account
  (*Non notifié*). Identifiers come from one IdentifierAllocator loaded with the identifiers
  taken that can collide with the new ones (their bases' index ranges, never the whole table).
  No temporary password yet: the notification draws it (accounts.prepare_notification), so no
  password exists before it is communicated.
- Two imports at once (two uploads, an upload and the CLI): each loads the identifiers taken
  before writing, so both may pick the same new identifier (or insert the same new pupil); the
  database's unique constraints stop the second one, which is then refused with
  `CONCURRENT_MESSAGE` instead of a raw database error. Its writes are in the caller's
  transaction, which the caller rolls back as for any refusal: the database is unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from .. import audit, database, gc_batch
from ..academie import departements
from ..errors import ImportRefused
from ..extensions import db
from ..models import Etablissement
from ..parametrage import fiche
from . import parsing, stream
from .departures import Departures, check_departures, plan_departures
from .writer import State, Writer

KINDS = ("eleves", "responsables", "comptes", "mefs", "divisions", "groupes")
KIND_LABELS = {"eleves": "Élèves", "responsables": "Responsables", "comptes": "Comptes",
               "mefs": "MEF", "divisions": "Divisions", "groupes": "Groupes"}
IGNORE_LABELS = {
    "eleves_sortis": "élèves sortis (date de sortie renseignée)",
    "eleves_non_arrives": "élèves non encore arrivés (sans INE)",
    "liens_eleve_absent": "liens vers un élève sorti ou non arrivé",
    "mefs_sans_nomenclature": "MEF créés sans nomenclature (libellé = code)",
}
UAI_RE = re.compile(r"^\d{7}[A-Z]$")
CONCURRENT_MESSAGE = ("Un autre import est en cours ou vient de modifier les comptes ; relancez "
                      "l'import. Cet import n'a rien modifié.")
# PostgreSQL SQLSTATEs of a write lost to a concurrent transaction: unique violation,
# serialization failure, deadlock, lock not available.
_CONCURRENT_SQLSTATES = {"23505", "40001", "40P01", "55P03"}


@dataclass
class ImportSummary:
    uai: str
    etablissement_id: int | None = None
    etablissement_cree: bool = False
    fichiers: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: {"created": 0, "updated": 0, "left": 0} for k in KINDS})
    ignores: dict[str, int] = field(default_factory=lambda: dict.fromkeys(IGNORE_LABELS, 0))
    comptes_rouverts: int = 0  # kept accounts given back to a pupil or link that came back
    departures: Departures | None = None
    academie: str | None = None  # académie of a created establishment (None: to be attached)
    fiche_completee: list[str] = field(default_factory=list)  # Fiche fields filled from SIECLE

    def add(self, kind: str, what: str, n: int = 1) -> None:
        self.counts[kind][what] += n

    def as_dict(self) -> dict:
        data: dict = {k: dict(v) for k, v in self.counts.items()}
        data.update(uai=self.uai, etablissement_cree=self.etablissement_cree,
                    fichiers=list(self.fichiers), ignores=dict(self.ignores),
                    comptes_rouverts=self.comptes_rouverts, academie=self.academie,
                    fiche_completee=list(self.fiche_completee))
        return data

    def lines_fr(self) -> list[str]:
        lines = [f"Import SIECLE de l'établissement {self.uai}"
                 + (" (établissement créé)" if self.etablissement_cree else "") + " :"]
        if self.etablissement_cree:
            lines.append(f"  Rattaché à l'académie de {self.academie}" if self.academie else
                         "  Sans académie : un administrateur académique doit le rattacher "
                         "(Établissements).")
        if self.fiche_completee:
            lines.append("  Fiche établissement complétée depuis SIECLE : "
                         + ", ".join(self.fiche_completee))
        for kind in KINDS:
            c = self.counts[kind]
            lines.append(f"  {KIND_LABELS[kind]} : {c['created']} créé(s), "
                         f"{c['updated']} mis à jour, {c['left']} sorti(s)")
        if self.comptes_rouverts:
            lines.append(f"  Comptes rouverts (élève ou lien revenu) : {self.comptes_rouverts}")
        if self.counts["comptes"]["left"]:
            lines.append("  Les comptes sortis sont fermés et conservés : un import qui ramène "
                         "l'élève ou le lien les rouvre.")
        for key, label in IGNORE_LABELS.items():
            if self.ignores[key]:
                lines.append(f"  Ignorés : {self.ignores[key]} {label}")
        return lines


def import_siecle(files: list[tuple[str, bytes]], *, uai: str | None,
                  create_missing: bool = False, today: dt.date,
                  confirm_departures: bool | Departures = False,
                  on_step: Callable[[int], None] | None = None,
                  by: tuple[int, str] | None = None) -> ImportSummary:
    """`on_step(n)`: called once the files are read (1) and checked (2), before any write (a
    job's progress); `by`: (user id, login) of the sender for the audit, when the import runs
    outside their request (a job)."""
    # ~10^5 short-lived objects: fewer collections, the collector never off (gc_batch).
    with gc_batch.fewer_collections():
        return _import(files, uai=uai, create_missing=create_missing, today=today,
                       confirm_departures=confirm_departures,
                       on_step=on_step or (lambda _n: None), by=by)


def _import(files, *, uai, create_missing, today, confirm_departures, on_step,
            by) -> ImportSummary:
    config = current_app.config
    parsed = parsing.parse_files(files, stream.Limits.from_config(config))
    on_step(1)
    target = _target_uai(parsed, uai)
    etab = db.session.scalar(select(Etablissement).where(Etablissement.uai == target))
    if etab is None and not create_missing:
        raise ImportRefused(f"Établissement inconnu : {target}. Aucun établissement n'a cet UAI.")
    by_kind = {p.kind: p for p in parsed}
    summary = ImportSummary(uai=target, fichiers=[p.filename for p in parsed])
    state = State.load(etab.id if etab else None)
    plan = _check(by_kind, state, today, summary)  # raises before any write
    summary.departures = plan_departures(state, plan)
    check_departures(summary.departures, float(config["SIECLE_DEPARTURE_THRESHOLD"]),
                     confirm_departures)
    on_step(2)
    try:
        if etab is None:
            etab = _create_etablissement(target, parsed, today)
            summary.etablissement_cree = True
            summary.academie = etab.academie.nom if etab.academie is not None else None
        found = next((p.fiche_etablissement for p in parsed if p.fiche_etablissement), {})
        summary.fiche_completee = fiche.prefill(etab, found)
        summary.etablissement_id = etab.id
        Writer(etab.id, state, plan, summary, today).run()
        database.refresh_statistics(_written(summary))
        user_id, login = by or (None, None)
        audit.record("import.siecle", etablissement_id=etab.id, target=target,
                     after=summary.as_dict(), user_id=user_id, login=login)
        db.session.flush()
    except (IntegrityError, OperationalError) as error:
        if not is_concurrent_write(error):
            raise
        raise ImportRefused(CONCURRENT_MESSAGE) from error
    # The bulk statements bypass the identity map: objects loaded before the import must be
    # read again (everything is flushed, so nothing pending is lost).
    db.session.expire_all()
    return summary


def is_concurrent_write(error: DBAPIError) -> bool:
    """A write refused because another transaction took the same key or the lock meanwhile (not
    a bug of ours: any other database error is re-raised as it is)."""
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:  # PostgreSQL (psycopg)
        return sqlstate in _CONCURRENT_SQLSTATES
    message = str(orig).lower()  # SQLite has no SQLSTATE, only its messages
    return message.startswith("unique constraint failed") or "database is locked" in message


def _written(summary: ImportSummary) -> dict[str, int]:
    """Rows just created per table (the links come with their pupils and guardians)."""
    c = {kind: summary.counts[kind]["created"] for kind in KINDS}
    return {"eleve": c["eleves"], "responsable": c["responsables"], "compte": c["comptes"],
            "responsable_eleve": c["eleves"] + c["responsables"], "division": c["divisions"],
            "mef": c["mefs"], "groupe": c["groupes"], "eleve_groupe": c["eleves"]}


def _target_uai(parsed: list[parsing.ParsedFile], uai: str | None) -> str:
    target = (uai or "").strip().upper()
    if not target:
        uais = sorted({p.uaj for p in parsed})
        if len(uais) > 1:
            raise ImportRefused("Les fichiers concernent plusieurs établissements ("
                                + ", ".join(uais) + ") : import refusé.")
        target = uais[0]
    if not UAI_RE.match(target):
        raise ImportRefused(f"UAI invalide : « {target[:20]} » (7 chiffres et une lettre).")
    for p in parsed:
        if p.uaj != target:
            raise ImportRefused(
                f"Le fichier « {p.filename} » est celui de l'établissement {p.uaj}, pas de "
                f"l'établissement {target} : import refusé, rien n'a été modifié.")
    return target


def _create_etablissement(uai: str, parsed: list[parsing.ParsedFile], today: dt.date):
    named = next((p for p in parsed if p.nom_etablissement), None)
    etab = Etablissement(
        uai=uai, nom=named.nom_etablissement if named else f"Établissement {uai}",
        type=(named.type_etablissement if named else None) or "college",
        annee_scolaire=today.year if today.month >= 8 else today.year - 1, emails=[],
    )
    # Attached to the académie of the UAI's département when the product knows it; else an
    # académie administrator attaches it (it is listed to them as « à rattacher »).
    academie = departements.academie_for_uai(uai)
    etab.academie = academie
    db.session.add(etab)
    db.session.flush()
    return etab


@dataclass
class _Plan:
    nomenclature: parsing.ParsedFile | None
    eleves_file: bool
    eleves: list  # kept EleveData
    structures: dict  # (type, code) -> libelle or None
    placeholder_mefs: set
    responsables_file: bool
    personnes: dict  # siecle_id -> PersonneData (only those with a kept link)
    liens: dict  # (eleve siecle_id, personne siecle_id) -> niveau


def _check(by_kind: dict, state: State, today: dt.date, summary: ImportSummary) -> _Plan:
    """Every reference checked before anything is written."""
    nomenclature = by_kind.get("nomenclature")
    eleves_file = by_kind.get("eleves")
    kept, skipped = [], set()
    if eleves_file:
        for e in eleves_file.eleves:
            if e.sortie_renseignee and (e.date_sortie is None or e.date_sortie <= today):
                summary.ignores["eleves_sortis"] += 1
                skipped.add(e.siecle_id)
            elif not e.ine:
                summary.ignores["eleves_non_arrives"] += 1
                skipped.add(e.siecle_id)
            else:
                kept.append(e)
        # Pupils of the database missing from the new file have left: their links are ignored.
        skipped |= set(state.eleves) - {e.siecle_id for e in kept}
    known_mefs = set(state.mefs) | {m.code for m in (nomenclature.mefs if nomenclature else [])}
    placeholders = set()
    for e in kept:
        if e.code_mef and e.code_mef not in known_mefs:
            if nomenclature is not None:
                raise ImportRefused(
                    f"L'élève {e.nom} {e.prenom} (ELEVE_ID {e.siecle_id}) a le code MEF "
                    f"{e.code_mef}, absent de la nomenclature « {nomenclature.filename} » : "
                    "import refusé, rien n'a été modifié.")
            placeholders.add(e.code_mef)
    summary.ignores["mefs_sans_nomenclature"] = len(placeholders)
    structures: dict = {}
    for s in (by_kind["structures"].structures if "structures" in by_kind else []):
        structures[(s.type, s.code)] = s.libelle
    for e in kept:
        if e.division:
            structures.setdefault(("D", e.division), None)
        for g in e.groupes:
            structures.setdefault(("G", g), None)

    resp_file = by_kind.get("responsables")
    personnes, liens = {}, {}
    if resp_file:
        all_persons = {p.siecle_id: p for p in resp_file.personnes}
        present = {e.siecle_id for e in kept} if eleves_file else set(state.eleves)
        for lien in resp_file.liens:
            if lien.personne_id not in all_persons:
                raise ImportRefused(
                    f"Le fichier « {resp_file.filename} » lie l'élève {lien.eleve_id} à la "
                    f"personne {lien.personne_id}, absente de PERSONNES : import refusé.")
            if lien.eleve_id in present:
                key = (lien.eleve_id, lien.personne_id)
                liens[key] = max(liens.get(key, 0), lien.niveau, key=lambda n: (n > 0, -n))
                personnes[lien.personne_id] = all_persons[lien.personne_id]
            elif lien.eleve_id in skipped:
                summary.ignores["liens_eleve_absent"] += 1
            else:
                raise ImportRefused(
                    f"Le fichier « {resp_file.filename} » lie la personne {lien.personne_id} "
                    f"à un élève inconnu (ELEVE_ID {lien.eleve_id}) : il ne figure ni dans le "
                    "fichier des élèves ni dans la base. Import refusé, rien n'a été modifié.")
    return _Plan(nomenclature, bool(eleves_file), kept, structures, placeholders,
                 bool(resp_file), personnes, liens)


