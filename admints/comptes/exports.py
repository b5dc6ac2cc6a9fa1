"""CSV exports of account lists and class lists (issue 3 point 2, R-ACC-11).

CSV for spreadsheets: UTF-8 with BOM, `;` separated (what a French Excel opens), every cell
that starts with = + - @ tab or CR prefixed with `'` so that it is shown, never evaluated.
Class lists reuse helper « letters »'s `class_lists.class_list_values` (R-ACC-11 masking:
`*****` for the password of an *Utilisé* account, « Compte à notifier » for a *Non notifié*
one), so that the CSV shows exactly what the PDF shows. The `…_for` / `export_accounts_csv`
operations audit the download (R-SEC-3); the views only send the text. Above EXPORT_JOB_MIN_ROWS
accounts an account list is exported by a job instead (`export_jobs`: the same pieces written to
a file, audited by the same `audit_export`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence

from .. import audit
from ..database import CHUNK, chunks
from ..errors import DomainError
from ..extensions import db
from ..formatting import format_number
from ..i18n import format_date
from ..models import (
    ETAT_LABELS,
    Compte,
    Division,
    Eleve,
    EtatCompte,
    Groupe,
    KindCompte,
    Responsable,
    ResponsableEleve,
    eleve_groupe,
)
from . import lifecycle
from .class_lists import (
    HEADERS,
    ClassListRow,
    ClassRef,
    audit_download,
    class_list_rows,
    class_list_values,
)

BOM = "\ufeff"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell as text; a leading formula character is escaped with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


CSV_BLOCK = 500  # rows per streamed piece


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The CSV (BOM first) in pieces of CSV_BLOCK rows: a streamed response sends them as
    they come. Joined, exactly `csv_text`."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    out.write(BOM)
    writer.writerow([neutralise(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
        count += 1
        if count % CSV_BLOCK == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole CSV (BOM first). Views send `.encode("utf-8")`."""
    return "".join(csv_chunks(header, rows))


def _etat(code: str) -> str:
    return ETAT_LABELS.get(EtatCompte(code), code) if code else ""


ELEVE_HEADER = ("Nom", "Prénom", "Division", "Date de naissance", "Identifiant",
                "Date de notification", "Mode de notification", "État du compte",
                "Dernier accès au compte")
RESPONSABLE_HEADER = ("Nom de l'élève", "Prénom de l'élève", "Division", "Responsable",
                      "Qualité", "Adresse / Courriel", "Identifiant", "Date de notification",
                      "Mode de notification", "État du compte", "Dernier accès au compte")


def export_csv(etablissement_id: int, kind: str, compte_ids: Sequence[int]) -> str:
    """The account list of these accounts as one text (`export_csv_chunks` joined)."""
    return "".join(export_csv_chunks(etablissement_id, kind, compte_ids))


def export_csv_chunks(etablissement_id: int, kind: str, compte_ids: Sequence[int], *,
                      progress: Callable[[int, int], None] | None = None) -> Iterator[str]:
    """The account list of these accounts (scoped to the establishment), no password ever:
    one row per pupil (élèves) or per pupil–guardian pair (responsables), sorted by division
    then name; the CSV text (with BOM) in pieces (`csv_chunks`). Memory stays flat in the
    school's size (issue 14): the sort reads only the sort keys, then the rows are read
    CHUNK at a time in that order. `progress(rows_read, rows)` follows the reading (a job)."""
    if kind not in (KindCompte.ELEVE, KindCompte.RESPONSABLE):
        raise DomainError(f"Type de compte inconnu : {kind}.")
    header = ELEVE_HEADER if kind == KindCompte.ELEVE else RESPONSABLE_HEADER
    return csv_chunks(header, _export_rows(etablissement_id, kind, compte_ids, progress))


def _sorted_ids(etablissement_id: int, kind: str, compte_ids: Sequence[int]) -> list[int]:
    """The row ids (pupil, or pupil–guardian link) in the export's order: division, pupil's
    name, first name (and level of the link); ties in account order."""
    keyed = []
    for chunk in chunks(compte_ids):
        if kind == KindCompte.ELEVE:
            query = (db.select(Division.code, Eleve.nom, Eleve.prenom, Eleve.compte_id, Eleve.id)
                     .outerjoin(Division, Division.id == Eleve.division_id)
                     .where(Eleve.etablissement_id == etablissement_id,
                            Eleve.compte_id.in_(chunk)))
            keyed.extend(((code or "", nom, prenom), cid, pk)
                         for code, nom, prenom, cid, pk in db.session.execute(query))
        else:
            query = (db.select(Division.code, Eleve.nom, Eleve.prenom, ResponsableEleve.niveau,
                               ResponsableEleve.compte_id, ResponsableEleve.id)
                     .join(Eleve, Eleve.id == ResponsableEleve.eleve_id)
                     .outerjoin(Division, Division.id == Eleve.division_id)
                     .where(ResponsableEleve.etablissement_id == etablissement_id,
                            ResponsableEleve.compte_id.in_(chunk)))
            keyed.extend(((code or "", nom, prenom, niveau), cid, pk)
                         for code, nom, prenom, niveau, cid, pk in db.session.execute(query))
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    return [pk for _key, _cid, pk in keyed]


_COMPTE_COLS = (Compte.identifiant, Compte.date_notification, Compte.mode_notification,
                Compte.etat, Compte.derniere_connexion)


def _export_rows(etablissement_id: int, kind: str, compte_ids: Sequence[int],
                 progress: Callable[[int, int], None] | None = None) -> Iterator[tuple]:
    """The CSV rows in order, read CHUNK at a time as result rows (no ORM objects: the
    session's identity map does not grow with the file)."""
    ids = _sorted_ids(etablissement_id, kind, compte_ids)
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        if kind == KindCompte.ELEVE:
            query = (db.select(Eleve.id, Eleve.nom, Eleve.prenom, Division.code,
                               Eleve.date_naissance, *_COMPTE_COLS)
                     .join(Compte, Compte.id == Eleve.compte_id)
                     .outerjoin(Division, Division.id == Eleve.division_id)
                     .where(Eleve.id.in_(chunk)))
            found = {row[0]: _eleve_row(*row[1:]) for row in db.session.execute(query)}
        else:
            query = (db.select(ResponsableEleve.id, Eleve.nom, Eleve.prenom, Division.code,
                               Responsable.civilite, Responsable.nom, Responsable.prenom,
                               ResponsableEleve.niveau, Responsable.email,
                               Responsable.adresse_ligne1, Responsable.code_postal,
                               Responsable.commune, *_COMPTE_COLS)
                     .join(Compte, Compte.id == ResponsableEleve.compte_id)
                     .join(Responsable, Responsable.id == ResponsableEleve.responsable_id)
                     .join(Eleve, Eleve.id == ResponsableEleve.eleve_id)
                     .outerjoin(Division, Division.id == Eleve.division_id)
                     .where(ResponsableEleve.id.in_(chunk)))
            found = {row[0]: _responsable_row(*row[1:]) for row in db.session.execute(query)}
        for pk in chunk:
            if pk in found:
                yield found[pk]
            done += 1
            if progress is not None:  # a job's progress writes itself every hundred rows
                progress(done, len(ids))


def _account_cells(identifiant, notifie_le, mode, etat, derniere) -> tuple:
    return (identifiant, format_date(notifie_le), lifecycle.MODE_LABELS.get(mode, ""),
            _etat(etat), format_date(derniere))


def _eleve_row(nom, prenom, division, naissance, *compte) -> tuple:
    return (nom, prenom, division or "", format_date(naissance), *_account_cells(*compte))


def _responsable_row(e_nom, e_prenom, division, civilite, r_nom, r_prenom, niveau, email,
                     ligne1, code_postal, commune, *compte) -> tuple:
    contact = email or " ".join(x for x in (ligne1, code_postal, commune) if x)
    person = f"{civilite or ''} {r_nom} {r_prenom}".strip()
    return (e_nom, e_prenom, division or "", person, f"Légal {niveau}", contact,
            *_account_cells(*compte))


# ---------------------------------------------------------------- class lists (R-ACC-11)



def class_list_csv(rows: Iterable[ClassListRow]) -> str:
    """The class list as CSV: same cells and masking as the PDF."""
    return csv_text(HEADERS, (class_list_values(r) for r in rows))


def groupes_with_pupils(etablissement_id: int, name_filter: str = "") -> list[Groupe]:
    """R-ACC-11: only the groups that have pupils, optionally filtered by name."""
    query = db.select(Groupe).where(
        Groupe.etablissement_id == etablissement_id,
        db.select(eleve_groupe.c.eleve_id).where(eleve_groupe.c.groupe_id == Groupe.id).exists())
    if name_filter.strip():
        like = f"%{name_filter.strip()}%"
        query = query.where(db.or_(Groupe.code.ilike(like), Groupe.libelle.ilike(like)))
    return list(db.session.scalars(query.order_by(Groupe.code)))


def export_accounts_csv(etablissement_id: int, kind: str, compte_ids: Sequence[int], *,
                        by: str | None) -> Iterator[str]:
    """« Exporter (CSV) » of an account list, audited `<kind>.export_csv` now (flushes, never
    commits); returns the CSV's pieces (`export_csv_chunks`), read as the response streams
    them (the caller keeps the request's context: `stream_with_context`)."""
    text = export_csv_chunks(etablissement_id, kind, compte_ids)
    audit_export(etablissement_id, kind, compte_ids, by=by)
    return text


def audit_export(etablissement_id: int, kind: str, compte_ids: Sequence[int], *,
                 by: str | None) -> None:
    """The one audit entry of an account-list export (R-SEC-3), streamed or written by a job
    (`export_jobs`). Flushes nothing itself."""
    audit.record(f"{kind}.export_csv", etablissement_id=etablissement_id, login=by,
                 target=f"{format_number(len(compte_ids))} compte(s)", rows=list(compte_ids))


def class_list_csv_for(etablissement_id: int, ref: ClassRef, *, by: str | None) -> str:
    """The class list CSV of `ref` (R-ACC-11), audited. Flushes, never commits."""
    rows = class_list_rows(etablissement_id, division_id=ref.division_id,
                           groupe_id=ref.groupe_id)
    text = class_list_csv(rows)
    audit_download(etablissement_id, "csv", ref, len(rows), by=by)
    return text
