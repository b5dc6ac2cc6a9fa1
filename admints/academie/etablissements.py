"""Establishments of an académie: creation and editing by the académie administrator.

Plain functions with explicit arguments: they validate (UAI `^\\d{7}[A-Z]$`, unique; type;
email addresses), add/flush, write the audit entry, and never commit. The UAI identifies an
establishment in SIECLE files, so it is fixed once created.
"""

from __future__ import annotations

import re

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..models import Academie, Etablissement
from ..parametrage import fiche

UAI_RE = re.compile(r"^\d{7}[A-Z]$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TYPES = {"college": "Collège", "lycee": "Lycée"}
TYPES_PLURIEL = {"college": "collèges", "lycee": "lycées"}
# Fields an académie administrator may change after creation.
EDITABLE = ("nom", "type", "adresse", "code_postal", "ville", "telephone", "fax", "emails",
            "chef_nom", "annee_scolaire", "module_notes_initialise")


def normalise_uai(uai: str | None) -> str:
    value = (uai or "").strip().upper()
    if not UAI_RE.match(value):
        raise DomainError(
            f"UAI invalide : « {(uai or '').strip()} ». Une UAI compte 7 chiffres suivis "
            "d'une lettre majuscule (ex. 0590001A)."
        )
    return value


def parse_emails(text: str | list[str] | None) -> list[str]:
    """One address per line (or a list); each must look like an email address."""
    items = text if isinstance(text, list) else re.split(r"[\s,;]+", text or "")
    emails = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        if not EMAIL_RE.match(item) or len(item) > 254:
            raise DomainError(f"Adresse électronique invalide : « {item} ».")
        if item.lower() not in (e.lower() for e in emails):
            emails.append(item)
    return emails


def _clean(fields: dict) -> dict:
    clean = {}
    for key, value in fields.items():
        if key not in EDITABLE:
            raise DomainError(f"Champ non modifiable : {key}.")
        if isinstance(value, str):
            value = value.strip() or None
        clean[key] = value
    if "nom" in clean and not clean["nom"]:
        raise DomainError("Le nom de l'établissement est obligatoire.")
    # The details of the Fiche établissement are checked as on its screen (issue 12).
    for key in ("nom", "adresse", "code_postal", "ville", "telephone", "chef_nom"):
        if clean.get(key):
            clean[key] = fiche.clean(key, clean[key]) or None
    if "type" in clean and clean["type"] not in TYPES:
        raise DomainError("Type d'établissement inconnu (collège ou lycée).")
    if "emails" in clean:
        clean["emails"] = parse_emails(clean["emails"])
    if "annee_scolaire" in clean:
        year = clean["annee_scolaire"]
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise DomainError("Année scolaire invalide.")
    return clean


def _snapshot(etab: Etablissement) -> dict:
    return {key: getattr(etab, key) for key in ("uai", *EDITABLE)}


def create_etablissement(academie: Academie, uai: str, nom: str, **fields) -> Etablissement:
    """A new establishment of `academie`, with one row per téléservice of the catalogue."""
    from ..teleservices.catalogue import ensure_catalogue, ensure_etablissement_services

    uai = normalise_uai(uai)
    clean = _clean({"nom": nom, **fields})
    if db.session.scalar(db.select(Etablissement.id).where(Etablissement.uai == uai)):
        raise DomainError(f"L'établissement {uai} existe déjà.")
    etab = Etablissement(uai=uai, academie_id=academie.id, **clean)
    etab.type = etab.type or "college"
    db.session.add(etab)
    db.session.flush()
    ensure_catalogue()
    ensure_etablissement_services(etab)
    audit.record("etablissement.creation", etablissement_id=etab.id, target=uai,
                 after=_snapshot(etab))
    return etab


def update_etablissement(etab: Etablissement, **fields) -> Etablissement:
    clean = _clean(fields)
    before = _snapshot(etab)
    for key, value in clean.items():
        setattr(etab, key, value)
    after = _snapshot(etab)
    if after != before:
        changed = [k for k in after if after[k] != before[k]]
        audit.record("etablissement.modification", etablissement_id=etab.id, target=etab.uai,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    db.session.flush()
    return etab


# --- Establishments without académie (created by a SIECLE import, issue 12) --------------------

def unattached() -> list[Etablissement]:
    """Establishments created by an import whose département's académie the product does not
    know: every académie administrator sees them, to attach the ones of its académie."""
    return list(db.session.scalars(db.select(Etablissement)
                                   .where(Etablissement.academie_id.is_(None))
                                   .order_by(Etablissement.uai)))


def attach_to_academie(etab: Etablissement | None, academie_id: int, *,
                       by: str | None = None) -> None:
    """An establishment without académie (created by an import from an unknown département) is
    attached by an académie administrator to its académie; an attached one never moves."""
    if etab is None:
        raise DomainError("Établissement inconnu.")
    if etab.academie_id is not None:
        if etab.academie_id == academie_id:
            return
        raise DomainError(f"L'établissement {etab.uai} est déjà rattaché à une autre académie.")
    etab.academie_id = academie_id
    audit.record("etablissement.rattachement", etablissement_id=etab.id, target=etab.uai,
                 after={"academie_id": academie_id}, login=by)
    db.session.flush()
