"""Class lists of pupils' accounts (R-ACC-11, guide §5.3): the masking of the columns and the
landscape PDF. The CSV export reuses `class_list_values` so both show the same thing.

Masking: an account *Utilisé* shows `*****` as password (its chosen password is never
communicated); a *Non notifié* account shows « Compte à notifier » in place of identifier and
password. Rows are printed alphabetically (accents ignored), with the header row repeated on
every page. Cells are Paragraphs: every value is escaped, so a name is never read as markup.

`resolve_class` checks the class a request names belongs to the establishment (a division or a
group, never both); `class_list_pdf` writes the PDF and audits its download (the file carries
temporary passwords, R-SEC-3) — the view only parses and sends.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy.orm import joinedload

from .. import audit
from ..courriers.templating import clean_value
from ..errors import DomainError
from ..extensions import db
from ..models import (
    ETAT_LABELS,
    Compte,
    Division,
    Eleve,
    Etablissement,
    EtatCompte,
    Groupe,
    eleve_groupe,
)
from ..parametrage import fiche
from ..pdf import FONT, FONT_BOLD, atomic_output, register_fonts
from . import activation, lifecycle

HEADERS = ("Nom", "Division", "Date de naissance", "Identifiant", "Mot de passe provisoire",
           "Date de notification", "État", "Dernière connexion")
A_NOTIFIER = "Compte à notifier"
MASQUE = "*****"


@dataclass(slots=True)
class ClassListRow:
    nom: str
    prenom: str
    division: str | None
    date_naissance: dt.date | None
    identifiant: str | None
    mot_de_passe: str | None  # the temporary password in clear, when there is one
    etat: str  # EtatCompte code
    date_notification: dt.date | dt.datetime | None = None
    derniere_connexion: dt.datetime | None = None


def _date(value: dt.date | dt.datetime | None, with_time: bool = False) -> str:
    if value is None:
        return ""
    if with_time and isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    return f"{value:%d/%m/%Y}"


def _etat_label(code: str) -> str:
    try:
        return ETAT_LABELS[EtatCompte(code)]
    except ValueError:
        return clean_value(code)


def class_list_values(row: ClassListRow) -> list[str]:
    """The eight cells of a row, masked as R-ACC-11 says (password cell empty when
    « Compte à notifier » stands for both identifier and password)."""
    if row.etat == EtatCompte.NON_NOTIFIE:
        identifiant, mot_de_passe = A_NOTIFIER, ""
    elif row.etat == EtatCompte.UTILISE:
        identifiant, mot_de_passe = clean_value(row.identifiant), MASQUE
    else:
        identifiant, mot_de_passe = clean_value(row.identifiant), clean_value(row.mot_de_passe)
    return [
        f"{clean_value(row.nom)} {clean_value(row.prenom)}".strip(),
        clean_value(row.division),
        _date(row.date_naissance),
        identifiant,
        mot_de_passe,
        _date(row.date_notification),
        _etat_label(row.etat),
        _date(row.derniere_connexion, with_time=True),
    ]


# Ligatures and barred letters have no Unicode decomposition; French sorts Œ as OE, Ł as L.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ĳ": "ij", "ł": "l", "ø": "o", "đ": "d"})


def _fold(s: str | None) -> str:
    decomposed = unicodedata.normalize("NFKD", (s or "").casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_LIGATURES)


def _sort_key(row: ClassListRow) -> tuple[str, str]:
    return _fold(row.nom), _fold(row.prenom)


def sorted_rows(rows: Iterable[ClassListRow | Mapping]) -> list[ClassListRow]:
    """Rows as `ClassListRow`, alphabetical by name then first name, accents ignored."""
    as_rows = [r if isinstance(r, ClassListRow) else ClassListRow(**r) for r in rows]
    return sorted(as_rows, key=_sort_key)


def write_class_list(etab, title: str, rows: Iterable[ClassListRow | Mapping], path, *,
                     today: dt.date) -> int:
    """Write the class list PDF at `path` atomically (landscape A4); return the row count."""
    register_fonts()
    ordered = sorted_rows(rows)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=10.5)
    head = ParagraphStyle("head", parent=cell, fontName=FONT_BOLD, textColor=colors.white)
    titre = ParagraphStyle("titre", fontName=FONT_BOLD, fontSize=13, leading=16)
    data = [[Paragraph(escape(h), head) for h in HEADERS]]
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#2c5f8a")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f1f4f7")]),
    ]
    for n, row in enumerate(ordered, start=1):
        values = class_list_values(row)
        data.append([Paragraph(escape(v), cell) for v in values])
        if values[3] == A_NOTIFIER and row.etat == EtatCompte.NON_NOTIFIE:
            style.append(("SPAN", (3, n), (4, n)))
    widths = [58 * mm, 18 * mm, 24 * mm, 48 * mm, 30 * mm, 26 * mm, 28 * mm, 35 * mm]  # = 267 mm
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(style))
    heading = f"{clean_value(etab.nom)} ({clean_value(etab.uai)}) – {_date(today)}"

    def on_page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(15 * mm, 8 * mm, heading)
        canvas.drawRightString(doc.pagesize[0] - 15 * mm, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    story = [Paragraph(escape(clean_value(title)), titre),
             Paragraph(escape(header_line(etab)), cell), Spacer(1, 4 * mm), table]
    if not ordered:
        story.append(Paragraph("Aucun élève.", cell))
    with atomic_output(path) as tmp:
        doc = SimpleDocTemplate(tmp, pagesize=landscape(A4), leftMargin=15 * mm,
                                rightMargin=15 * mm, topMargin=12 * mm, bottomMargin=15 * mm,
                                title=clean_value(title), author=clean_value(etab.nom))
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return len(ordered)


def header_line(etab) -> str:
    """The establishment's details from its Fiche, under the title (issue 12 point 2)."""
    academie = getattr(etab, "academie", None)
    details = fiche.values(etab)
    parts = [f"Académie de {academie.nom}" if academie is not None else "",
             details["nom"], details["adresse"],
             f"{details['code_postal']} {details['ville']}".strip(),
             f"Tél : {details['telephone']}" if details["telephone"] else "",
             f"Courriel : {details['courriel']}" if details["courriel"] else ""]
    return " – ".join(clean_value(p) for p in parts if p)


@dataclass(frozen=True)
class ClassRef:
    """A class of the establishment: a division or a group (exactly one id), and its title."""

    division_id: int | None
    groupe_id: int | None
    title: str


def resolve_class(etablissement_id: int, division_id: int | None,
                  groupe_id: int | None) -> ClassRef | None:
    """The class chosen, checked against the establishment (R-SEC-1); None when none is.
    DomainError in French for both at once or a class of another establishment / unknown."""
    if division_id is None and groupe_id is None:
        return None
    if division_id is not None and groupe_id is not None:
        raise DomainError("Choisissez une division ou un groupe, pas les deux.")
    model, pk = (Division, division_id) if division_id is not None else (Groupe, groupe_id)
    owner = db.session.scalar(db.select(model).where(model.id == pk,
                                                     model.etablissement_id == etablissement_id))
    if owner is None:
        raise DomainError("Division inconnue." if model is Division else "Groupe inconnu.")
    title = f"{'Division' if model is Division else 'Groupe'} {owner.code}"
    return ClassRef(division_id, groupe_id, title)


def audit_download(etablissement_id: int, fmt: str, ref: ClassRef, count: int, *,
                   by: str | None) -> None:
    """Every class list file handed out is audited `eleve.liste_classe_<fmt>` (R-SEC-3)."""
    audit.record(f"eleve.liste_classe_{fmt}", etablissement_id=etablissement_id, login=by,
                 target=ref.title, after={"eleves": count})


def class_list_pdf(etablissement_id: int, ref: ClassRef, *, out_dir: str | Path,
                   today: dt.date, by: str | None) -> bytes:
    """The class list PDF of `ref` (written in a private temporary directory under `out_dir`,
    removed at once), audited. Flushes, never commits."""
    rows = class_list_rows(etablissement_id, division_id=ref.division_id,
                           groupe_id=ref.groupe_id)
    etab = db.session.get(Etablissement, etablissement_id)
    fiche.require_letter_header(etab)  # before anything is written or audited
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        path = Path(tmp) / "liste.pdf"
        write_class_list(etab, f"Liste des comptes élèves – {ref.title}", rows, path,
                         today=today)
        data = path.read_bytes()
    audit_download(etablissement_id, "pdf", ref, len(rows), by=by)
    return data


def class_list_rows(etablissement_id: int, *, division_id: int | None = None,
                    groupe_id: int | None = None) -> list[ClassListRow]:
    """The pupils of one division or one group of this establishment, alphabetical, as
    `ClassListRow` (R-ACC-11 masking is applied by `class_list_values`, for the PDF and the
    CSV alike). The password field carries the
    decrypted temporary password, never one of an *Utilisé* account. Raises DomainError for an
    unknown class or one of another establishment."""
    if (division_id is None) == (groupe_id is None):
        raise DomainError("Choisissez une division ou un groupe.")
    activation.require_activated(etablissement_id)  # R-SRV-1: the list shows passwords
    query = db.select(Eleve).options(joinedload(Eleve.compte), joinedload(Eleve.division)) \
        .where(Eleve.etablissement_id == etablissement_id)
    if division_id is not None:
        owner = db.session.get(Division, division_id)
        if owner is None or owner.etablissement_id != etablissement_id:
            raise DomainError("Division inconnue.")
        query = query.where(Eleve.division_id == division_id)
    else:
        owner = db.session.get(Groupe, groupe_id)
        if owner is None or owner.etablissement_id != etablissement_id:
            raise DomainError("Groupe inconnu.")
        query = query.join(eleve_groupe, eleve_groupe.c.eleve_id == Eleve.id) \
            .where(eleve_groupe.c.groupe_id == groupe_id)
    rows = []
    for e in db.session.scalars(query).unique():
        c: Compte | None = e.compte
        rows.append(ClassListRow(
            nom=e.nom, prenom=e.prenom, division=e.division.code if e.division else "",
            date_naissance=e.date_naissance, identifiant=c.identifiant if c else None,
            mot_de_passe=lifecycle.temporary_password(c) if c else None,
            etat=c.etat if c else EtatCompte.NON_NOTIFIE,
            date_notification=c.date_notification if c else None,
            derniere_connexion=c.derniere_connexion if c else None))
    return sorted_rows(rows)
