"""Paramétrage rules: ENT and letter type (R-PAR-3), contact link (R-PAR-5), liens utiles (R-PAR-6).

Setting keys (versioned, R-PAR-1): `ent` = {"type", "url", "nom"} (at once), `contact` =
{"email", "actif"} (next day), `liens_utiles` = [{"libelle", "url"}] in display order (next day).
`LienUtile` rows are what the staff edit; every change snapshots them into the `liens_utiles`
setting, which is what families see (so a change shows from tomorrow, guide §3.4).
Functions add/flush, never commit, raise `DomainError` and write the audit (via settings).
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from .. import audit, bounded
from ..email_syntax import is_valid_email
from ..errors import DomainError
from ..extensions import db
from ..models import EntAcademique, Etablissement, LienUtile
from . import versions

ENT_KEY = "ent"
CONTACT_KEY = "contact"
LIENS_KEY = "liens_utiles"
ENT_TYPES = {
    "teleservices": "Téléservices",
    "mixte": "Mixte ENT/Téléservices",
    "ent": "ENT seul",
}
DEFAULT_ENT = {"type": "teleservices", "url": None, "nom": None}
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!?]")
_HANDLER = re.compile(r"\bon[a-z]+\s*=", re.I)


def check_http_url(raw: object, what: str = "L'adresse") -> str:
    """An absolute http(s) URL with a host, no spaces or control characters."""
    url = str(raw or "").strip()
    if not url:
        raise DomainError(f"{what} est obligatoire.")
    if len(url) > 500:
        raise DomainError(f"{what} est trop longue (500 caractères au plus).")
    if re.search(r"[\x00-\x20\x7f<>\"']", url):
        raise DomainError(f"{what} contient des caractères interdits (espaces, guillemets, < >).")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise DomainError(f"{what} doit commencer par http:// ou https:// "
                          f"(« {url[:60]} » refusée).")
    if not parts.hostname or "." not in parts.hostname and parts.hostname != "localhost":
        raise DomainError(f"{what} « {url[:60]} » n'a pas de nom de domaine valide.")
    return url


def check_plain_label(raw: object, what: str = "Le libellé", limit: int = 200) -> str:
    label = str(raw or "").strip()
    if not label:
        raise DomainError(f"{what} est obligatoire.")
    if len(label) > limit:
        raise DomainError(f"{what} est limité à {limit} caractères.")
    if _TAG.search(label) or _HANDLER.search(label):
        raise DomainError(f"{what} ne doit contenir ni balise HTML ni script.")
    return label


# --- ENT et courrier de notification (R-PAR-3) ------------------------------------------------

def ent_choices(etab: Etablissement) -> list[EntAcademique]:
    if etab.academie_id is None:
        return []
    return list(db.session.scalars(db.select(EntAcademique).where(
        EntAcademique.academie_id == etab.academie_id).order_by(EntAcademique.nom)))


def build_ent(etab: Etablissement, type_: object, ent_id: object = None,
              url: object = None) -> dict:
    """The ENT setting (R-PAR-3): the academy list entry or a typed address, never both."""
    if ent_id not in (None, "") and str(url or "").strip():
        raise DomainError("Choisissez l'ENT dans la liste ou saisissez son adresse, pas les deux.")
    kind = str(type_ or "")
    if kind not in ENT_TYPES:
        raise DomainError("Type de courrier inconnu : choisissez Téléservices, Mixte "
                          "ENT/Téléservices ou ENT seul.")
    if kind == "teleservices":
        return dict(DEFAULT_ENT)
    if ent_id not in (None, ""):
        pk = bounded.parse_id(ent_id)
        ent = db.session.get(EntAcademique, pk) if pk is not None else None
        if ent is None or ent.academie_id != etab.academie_id:
            raise DomainError("ENT inconnu dans la liste de l'académie.")
        return {"type": kind, "url": ent.url, "nom": ent.nom}
    if not str(url or "").strip():
        raise DomainError("Choisissez l'ENT dans la liste de l'académie ou saisissez son adresse.")
    return {"type": kind, "url": check_http_url(url, "L'adresse de l'ENT"), "nom": None}


def save_ent(etab: Etablissement, type_: object, ent_id: object = None, url: object = None, *,
             today: dt.date, by: str | None = None) -> dt.date:
    return versions.set_value(etab.id, ENT_KEY, build_ent(etab, type_, ent_id, url), today, by=by)


# --- Lien de contact (R-PAR-5) ------------------------------------------------------------------

def contact_addresses(etab: Etablissement) -> list[str]:
    return [a for a in (etab.emails or []) if a]


def save_contact(etab: Etablissement, email: object, actif: bool, *, today: dt.date,
                 by: str | None = None) -> dt.date:
    addresses = contact_addresses(etab)
    if not addresses:
        raise DomainError("L'établissement n'a aucune adresse de messagerie : le lien de "
                          "contact ne peut pas être paramétré.")
    chosen = str(email or "").strip()
    if chosen not in addresses:
        raise DomainError(f"Adresse de contact invalide : « {chosen[:80]} » n'est pas une "
                          "adresse de l'établissement.")
    if not is_valid_email(chosen):
        raise DomainError(f"Adresse de contact invalide : « {chosen[:80]} ».")
    return versions.set_value(etab.id, CONTACT_KEY, {"email": chosen, "actif": bool(actif)},
                              today, by=by)


# --- Liens utiles (R-PAR-6) ---------------------------------------------------------------------

def check_lien(libelle: object, url: object) -> tuple[str, str]:
    return check_plain_label(libelle), check_http_url(url, "L'adresse (url)")


def ordered_liens(etablissement_id: int, exclude_id: int | None = None) -> list[LienUtile]:
    stmt = (db.select(LienUtile).where(LienUtile.etablissement_id == etablissement_id)
            .order_by(LienUtile.position, LienUtile.id))
    return [r for r in db.session.scalars(stmt) if r.id != exclude_id]


def next_position(etablissement_id: int) -> int:
    current = db.session.scalar(db.select(db.func.max(LienUtile.position)).where(
        LienUtile.etablissement_id == etablissement_id))
    return (current or 0) + 1


def publish_liens(etablissement_id: int, *, today: dt.date, exclude_id: int | None = None,
                  by: str | None = None) -> dt.date:
    """Snapshot the links as families will see them from tomorrow (audited by settings)."""
    db.session.flush()
    snapshot = [{"libelle": r.libelle, "url": r.url}
                for r in ordered_liens(etablissement_id, exclude_id)]
    return versions.set_value(etablissement_id, LIENS_KEY, snapshot, today, by=by)


def move_lien(etablissement_id: int, lien_id: object, direction: int, *, today: dt.date) -> None:
    """Optional reordering: swap a link with its neighbour (direction -1 up, +1 down)."""
    liens = ordered_liens(etablissement_id)
    ids = [r.id for r in liens]
    try:
        index = ids.index(bounded.parse_id(lien_id))
    except ValueError:
        raise DomainError("Lien introuvable.") from None
    other = index + (1 if direction > 0 else -1)
    if other < 0 or other >= len(liens):
        return
    liens[index], liens[other] = liens[other], liens[index]
    for position, row in enumerate(liens, start=1):
        row.position = position
    publish_liens(etablissement_id, today=today)


# --- ENT list of the académie (R-PAR-3) ------------------------------------------------------

def save_ent_academique(academie_id: int, model: EntAcademique, *, created: bool,
                        by: str | None = None) -> EntAcademique:
    """An ENT of the académie's list created or changed: name and http(s) address checked,
    académie never from a form. Audited; flushes nothing, never commits."""
    model.nom = check_plain_label(model.nom, "Le nom")
    model.url = check_http_url(model.url, "L'adresse de l'ENT")
    model.academie_id = academie_id
    audit.record_academie_list(model, "creation" if created else "modification", by=by,
                               after=str(model))
    return model


def delete_ent_academique(academie_id: int, model: EntAcademique, *,
                          by: str | None = None) -> None:
    if model.academie_id != academie_id:
        raise DomainError("ENT introuvable.")
    audit.record_academie_list(model, "suppression", by=by, before=str(model))
