"""CSV exports of account lists and class lists (issue 3 point 2, R-ACC-11).

CSV for spreadsheets: UTF-8 with BOM, `;` separated (what a French Excel opens), every cell
that starts with = + - @ tab or CR prefixed with `'` so that it is shown, never evaluated.
Class lists reuse helper « letters »'s `class_lists.class_list_values` (R-ACC-11 masking:
`*****` for the password of an *Utilisé* account, « Compte à notifier » for a *Non notifié*
one), so that the CSV shows exactly what the PDF shows. The `…_for` / `export_accounts_csv`
operations audit the download (R-SEC-3); the views only send the text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from sqlalchemy.orm import joinedload

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..formatting import format_number
from ..i18n import format_date
from ..models import (
    ETAT_LABELS,
    Eleve,
    EtatCompte,
    Groupe,
    KindCompte,
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


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole CSV (BOM first). Views send `.encode("utf-8")`."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return out.getvalue()


def _etat(code: str) -> str:
    return ETAT_LABELS.get(EtatCompte(code), code) if code else ""


ELEVE_HEADER = ("Nom", "Prénom", "Division", "Date de naissance", "Identifiant",
                "Date de notification", "Mode de notification", "État du compte",
                "Dernier accès au compte")
RESPONSABLE_HEADER = ("Nom de l'élève", "Prénom de l'élève", "Division", "Responsable",
                      "Qualité", "Adresse / Courriel", "Identifiant", "Date de notification",
                      "Mode de notification", "État du compte", "Dernier accès au compte")


def export_csv(etablissement_id: int, kind: str, compte_ids: Sequence[int]) -> str:
    """The account list of these accounts (scoped to the establishment), no password ever:
    one row per pupil (élèves) or per pupil–guardian pair (responsables), sorted by division
    then name. Returns the CSV text (with BOM)."""
    ids = sorted(set(compte_ids))
    rows = []
    for i in range(0, len(ids), 2000):
        chunk = ids[i:i + 2000]
        if kind == KindCompte.ELEVE:
            for e in db.session.scalars(
                    db.select(Eleve).options(joinedload(Eleve.compte), joinedload(Eleve.division))
                    .where(Eleve.etablissement_id == etablissement_id,
                           Eleve.compte_id.in_(chunk))):
                c = e.compte
                rows.append(((e.division.code if e.division else "", e.nom, e.prenom),
                             (e.nom, e.prenom, e.division.code if e.division else "",
                              format_date(e.date_naissance), c.identifiant,
                              format_date(c.date_notification),
                              lifecycle.MODE_LABELS.get(c.mode_notification, ""), _etat(c.etat),
                              format_date(c.derniere_connexion))))
        elif kind == KindCompte.RESPONSABLE:
            for lien in db.session.scalars(
                    db.select(ResponsableEleve)
                    .options(joinedload(ResponsableEleve.compte),
                             joinedload(ResponsableEleve.responsable),
                             joinedload(ResponsableEleve.eleve).joinedload(Eleve.division))
                    .where(ResponsableEleve.etablissement_id == etablissement_id,
                           ResponsableEleve.compte_id.in_(chunk))):
                c, r, e = lien.compte, lien.responsable, lien.eleve
                div = e.division.code if e.division else ""
                contact = r.email or " ".join(
                    x for x in (r.adresse_ligne1, r.code_postal, r.commune) if x)
                person = f"{r.civilite or ''} {r.nom} {r.prenom}".strip()
                rows.append(((div, e.nom, e.prenom, lien.niveau),
                             (e.nom, e.prenom, div, person,
                              f"Légal {lien.niveau}", contact, c.identifiant,
                              format_date(c.date_notification),
                              lifecycle.MODE_LABELS.get(c.mode_notification, ""), _etat(c.etat),
                              format_date(c.derniere_connexion))))
        else:
            raise DomainError(f"Type de compte inconnu : {kind}.")
    rows.sort(key=lambda r: r[0])
    header = ELEVE_HEADER if kind == KindCompte.ELEVE else RESPONSABLE_HEADER
    return csv_text(header, (r[1] for r in rows))


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
                        by: str | None) -> str:
    """« Exporter (CSV) » of an account list (`export_csv`), audited `<kind>.export_csv`.
    Flushes, never commits."""
    text = export_csv(etablissement_id, kind, compte_ids)
    audit.record(f"{kind}.export_csv", etablissement_id=etablissement_id, login=by,
                 target=f"{format_number(len(compte_ids))} compte(s)", rows=list(compte_ids))
    return text


def class_list_csv_for(etablissement_id: int, ref: ClassRef, *, by: str | None) -> str:
    """The class list CSV of `ref` (R-ACC-11), audited. Flushes, never commits."""
    rows = class_list_rows(etablissement_id, division_id=ref.division_id,
                           groupe_id=ref.groupe_id)
    text = class_list_csv(rows)
    audit_download(etablissement_id, "csv", ref, len(rows), by=by)
    return text
