"""Paiement en ligne des factures (R-SRV-5, guide §8.2) and the académie's TIPI référentiel.

The settings (`paiement` = {"numero_tipi", "regie", "montant_minimum", "email"}) are versioned and
take effect the next day (guide §8.2: « reconnu par le téléservice Paiement que le lendemain »).
The amount is kept as a string of a `Decimal` with two decimals (JSON has no decimal type).
Functions add/flush, never commit, raise `DomainError` (French message) and write the audit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation

from .. import audit
from ..email_syntax import is_valid_email
from ..errors import DomainError
from ..extensions import db
from ..formatting import format_money
from ..models import Academie, Etablissement, TipiRegie
from ..parametrage import versions
from ..parametrage.portal_links import check_plain_label

KEY = "paiement"
NUMERO_RE = re.compile(r"\d{1,20}")
MAX_AMOUNT = Decimal("99999.99")


def normalise_numero(raw: object) -> str:
    numero = re.sub(r"\s+", "", str(raw or ""))
    if not numero:
        raise DomainError("Saisissez le numéro de client TIPI.", field="numero")
    if not NUMERO_RE.fullmatch(numero):
        raise DomainError(f"Numéro de client TIPI mal formé : « {str(raw)[:40]} » "
                          "(uniquement des chiffres).", field="numero")
    return numero


def find_regie(academie_id: int | None, raw_numero: object) -> TipiRegie:
    """The régie of the académie's référentiel for this TIPI client number."""
    numero = normalise_numero(raw_numero)
    regie = None
    if academie_id is not None:
        regie = db.session.scalar(db.select(TipiRegie).where(
            TipiRegie.academie_id == academie_id, TipiRegie.numero_client == numero))
    if regie is None:
        raise DomainError(f"Le numéro de client TIPI {numero} est introuvable dans le "
                          "référentiel de l'académie.", field="numero")
    return regie


def parse_amount(raw: object) -> Decimal:
    """A minimum amount in euros: > 0, at most two decimals (« 15 », « 15,50 », « 15.5 »)."""
    text = str(raw or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    text = text.removesuffix("€")
    if not text:
        raise DomainError("Saisissez le montant minimum.", field="montant")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise DomainError(f"Montant minimum invalide : « {str(raw)[:30]} » n'est pas un nombre.",
                          field="montant")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise DomainError("Montant minimum invalide.", field="montant") from None
    if amount <= 0:
        raise DomainError("Le montant minimum doit être strictement positif.", field="montant")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError("Le montant minimum a au plus deux décimales (centimes).",
                          field="montant")
    if amount > MAX_AMOUNT:
        raise DomainError("Le montant minimum ne peut pas dépasser 99 999,99 €.", field="montant")
    return amount.quantize(Decimal("0.01"))


def check_email(raw: object) -> str:
    email = str(raw or "").strip()
    if not email:
        raise DomainError("Saisissez l'adresse de messagerie de contact.", field="email")
    if not is_valid_email(email):
        raise DomainError(f"Adresse de messagerie invalide : « {email[:80]} ».", field="email")
    return email


def validate(etab: Etablissement, numero: object, montant: object, email: object) -> dict:
    """Everything checked; returns the value to save (with the régie found)."""
    regie = find_regie(etab.academie_id, numero)
    amount = parse_amount(montant)
    return {"numero_tipi": regie.numero_client, "regie": regie.libelle_regie,
            "montant_minimum": f"{amount:.2f}", "email": check_email(email)}


def save(etab: Etablissement, numero: object, montant: object, email: object, *,
         today: dt.date, by: str | None = None) -> dt.date:
    """Confirmed settings, effective the next day; returns that day."""
    value = validate(etab, numero, montant, email)
    return versions.set_value(etab.id, KEY, value, today, by=by)


def format_amount(value: str | None) -> str:
    if not value:
        return ""
    return format_money(Decimal(value))


# --- Référentiel TIPI (académie) -------------------------------------------------------------

MAX_CSV_BYTES = 1_000_000  # some 30,000 régies; read no more than this (+1 to tell)
MAX_CSV_LINES = 50_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_libelle_regie(raw: object) -> str:
    """The régie's label: the same rule for the form and the CSV import."""
    return check_plain_label(raw, "La régie")


def decode_csv(data: bytes) -> str:
    """The text of an uploaded CSV (UTF-8 or Windows-1252), or a French refusal: too big,
    empty, UTF-16, binary (NUL or control characters), undecodable."""
    refused = "Fichier refusé, rien n'a été modifié : "
    if len(data) > MAX_CSV_BYTES:
        raise DomainError(refused + f"il dépasse {MAX_CSV_BYTES // 1_000_000} Mo.")
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DomainError(refused + "ce n'est pas un fichier texte CSV (contenu binaire).")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DomainError(refused + "il est encodé en UTF-16 ; enregistrez-le au format CSV "
                                    "UTF-8 ou Windows-1252.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise DomainError(refused + "son encodage est illisible (UTF-8 ou Windows-1252 "
                                        "attendu).") from None
    if _CONTROL.search(text):
        raise DomainError(refused + "ce n'est pas un fichier texte CSV (contenu binaire).")
    if not text.strip():
        raise DomainError("Le fichier est vide.")
    return text


def _rows(text: str) -> list[list[str]]:
    """Cells per line (`;` or `,`); an unreadable CSV (a field beyond the csv module's limit,
    an unclosed quote) is refused with its line number."""
    dialect = ";" if text.count(";") >= text.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=dialect, strict=True)
    rows = []
    try:
        for cells in reader:
            if len(rows) >= MAX_CSV_LINES:
                raise DomainError(f"Fichier refusé, rien n'a été modifié : plus de "
                                  f"{MAX_CSV_LINES} lignes.")
            rows.append([c.strip() for c in cells])
    except csv.Error:
        raise DomainError(f"Fichier refusé, rien n'a été modifié : ligne {reader.line_num} "
                          "illisible (champ trop long ou guillemet non fermé).") from None
    return rows


def import_referentiel(academie: Academie, data: bytes) -> dict[str, int]:
    """CSV `numero_client;libelle_regie` (header optional, `;` or `,`, UTF-8 or Windows-1252).

    Every line is checked first, with the form's own rules (`normalise_numero`,
    `check_libelle_regie`): one bad line refuses the whole file (nothing changed).
    Existing numbers get the new label, new ones are created; none is deleted.
    """
    rows, errors, seen = [], [], set()
    for lineno, cells in enumerate(_rows(decode_csv(data)), start=1):
        if not any(cells):
            continue
        if lineno == 1 and not re.search(r"\d", cells[0]):
            continue  # header (no digit where the number goes)
        if len(cells) < 2 or any(cells[2:]):
            errors.append(f"ligne {lineno} : deux colonnes attendues (numéro ; régie)")
            continue
        try:
            numero = normalise_numero(cells[0])
            libelle = check_libelle_regie(cells[1])
        except DomainError as exc:
            errors.append(f"ligne {lineno} : {exc.message.rstrip('.')}")
            continue
        if numero in seen:
            errors.append(f"ligne {lineno} : numéro {numero} en double")
            continue
        seen.add(numero)
        rows.append((numero, libelle))
    if errors:
        raise DomainError("Fichier refusé, rien n'a été modifié : " + " ; ".join(errors[:10])
                          + (" …" if len(errors) > 10 else "") + ".")
    if not rows:
        raise DomainError("Le fichier ne contient aucune régie.")
    existing = {r.numero_client: r for r in db.session.scalars(
        db.select(TipiRegie).where(TipiRegie.academie_id == academie.id))}
    created = updated = 0
    for numero, libelle in rows:
        row = existing.get(numero)
        if row is None:
            db.session.add(TipiRegie(academie_id=academie.id, numero_client=numero,
                                     libelle_regie=libelle))
            created += 1
        elif row.libelle_regie != libelle:
            row.libelle_regie = libelle
            updated += 1
    db.session.flush()
    audit.record("academie.tipi.import", target=academie.code, rows=[n for n, _ in rows],
                 after={"crees": created, "modifies": updated})
    return {"crees": created, "modifies": updated}


def save_regie(academie_id: int, model: TipiRegie, *, created: bool,
               by: str | None = None) -> TipiRegie:
    """A régie of the TIPI référentiel created or changed (R-SRV-5): number normalised and
    unique in the académie (DomainError otherwise). Audited; never commits."""
    model.numero_client = normalise_numero(model.numero_client)
    model.libelle_regie = check_libelle_regie(model.libelle_regie)
    with db.session.no_autoflush:  # a new row has no académie yet
        duplicate = db.session.scalar(db.select(TipiRegie.id).where(
            TipiRegie.academie_id == academie_id,
            TipiRegie.numero_client == model.numero_client, TipiRegie.id != (model.id or 0)))
    if duplicate is not None:
        raise DomainError(f"Le numéro {model.numero_client} existe déjà dans le référentiel.")
    model.academie_id = academie_id
    audit.record_academie_list(model, "creation" if created else "modification", by=by,
                               after=str(model))
    return model


def delete_regie(academie_id: int, model: TipiRegie, *, by: str | None = None) -> None:
    if model.academie_id != academie_id:
        raise DomainError("Régie introuvable.")
    audit.record_academie_list(model, "suppression", by=by, before=str(model))
