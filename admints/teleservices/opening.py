"""Gestion des téléservices: activation (R-SRV-1), opening and closing (R-SRV-2/3), and the
académie's decisions (academic services, services made mandatory in the académie).

Opening or closing a service takes effect at once: the guide gives a next-day delay only for the
« Paramétrage » menu (§3), the payment settings (§8.2) and SIECLE data refreshed at night (§1.6);
§2.1 says nothing of a delay and §1.6 says the services are « immédiatement disponibles ». The
state lives in `TeleserviceEtablissement.ouvert`, so closing a service keeps its own settings
(Notes configuration, payment) for a later reopening (guide §2.2).

Functions add/flush, never commit, raise `DomainError` (French message) and write the audit.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select

from .. import audit, bounded
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..models import Academie, Etablissement, Teleservice, TeleserviceEtablissement
from . import catalogue

MODULE_LABELS = {"notes": "Notes"}


def is_activated(etab: Etablissement | None) -> bool:
    return etab is not None and etab.active_le is not None


def activate(etab: Etablissement, *, today: dt.date, by: str | None = None) -> None:
    """R-SRV-1: the head activates the online services, once; services get their default state."""
    if etab.active_le is not None:
        raise DomainError(
            f"Les téléservices de l'établissement sont déjà activés depuis le "
            f"{etab.active_le:%d/%m/%Y}.")
    etab.active_le = utcnow()
    rows = catalogue.ensure_etablissement_services(etab)
    _force_mandatory_open(etab, rows)
    db.session.flush()
    audit.record("services.activation", etablissement_id=etab.id, target=etab.uai,
                 before=None, after={"active_le": today.isoformat(), "par": by})


def is_mandatory(service: Teleservice, etab: Etablissement) -> bool:
    """National rule (LSL for lycées…) or a decision of the establishment's académie."""
    if catalogue.is_mandatory(service, etab):
        return True
    academie = etab.academie
    return academie is not None and service.code in (academie.services_obligatoires or [])


def blocked_reason(service: Teleservice, etab: Etablissement) -> str | None:
    """R-SRV-3: why the service cannot be opened yet, or None."""
    if service.module_requis == "notes" and not etab.module_notes_initialise:
        return ("Pour bénéficier de ce téléservice, il vous faut préalablement initialiser "
                "le module Notes.")
    return None


@dataclass
class ServiceState:
    service: Teleservice
    ouvert: bool
    obligatoire: bool
    raison: str | None  # why it cannot be opened (R-SRV-3)

    @property
    def academique(self) -> bool:
        return self.service.academie_id is not None

    @property
    def modifiable(self) -> bool:
        return not self.obligatoire and (self.ouvert or self.raison is None)


def _rows(etab: Etablissement) -> dict[int, TeleserviceEtablissement]:
    return {
        r.teleservice_id: r
        for r in db.session.scalars(db.select(TeleserviceEtablissement).where(
            TeleserviceEtablissement.etablissement_id == etab.id))
    }


def service_states(etab: Etablissement) -> list[ServiceState]:
    """The services offered to the establishment with their state, in display order (one
    query: every portal page asks which services are open)."""
    offered = db.session.execute(
        db.select(Teleservice, TeleserviceEtablissement.ouvert)
        .outerjoin(TeleserviceEtablissement, and_(
            TeleserviceEtablissement.teleservice_id == Teleservice.id,
            TeleserviceEtablissement.etablissement_id == etab.id))
        .where(catalogue.offered_to(etab))
        .order_by(Teleservice.position, Teleservice.id)).all()
    states = []
    for service, row_ouvert in offered:
        mandatory = is_mandatory(service, etab)
        ouvert = row_ouvert if row_ouvert is not None else catalogue.default_open(service, etab)
        states.append(ServiceState(service, mandatory or ouvert, mandatory,
                                   blocked_reason(service, etab)))
    return states


# `is_open`'s statement, built once: the menu asks on every back-office page, and building
# the statement and its cache key cost more than running it (bench/academie.py). The columns are
# what `catalogue.default_open` and `is_mandatory` read of a service.
_IS_OPEN = (
    select(Teleservice.code, Teleservice.obligatoire, Teleservice.obligatoire_pour_type,
           Teleservice.module_requis, Teleservice.ouvert_par_defaut,
           TeleserviceEtablissement.ouvert.label("row_ouvert"))
    .outerjoin(TeleserviceEtablissement, and_(
        TeleserviceEtablissement.teleservice_id == Teleservice.id,
        TeleserviceEtablissement.etablissement_id == bindparam("etab_id")))
    .where(catalogue.offered_in(bindparam("academie_id")), Teleservice.code == bindparam("code"))
    .order_by(Teleservice.position, Teleservice.id).limit(1))


def is_open(etab: Etablissement, code: str) -> bool:
    """Whether service `code` is open for `etab`: `service_states`' rule for one service, read
    by one narrow query (the menu asks on every back-office page)."""
    service = db.session.connection().execute(_IS_OPEN, {
        "etab_id": etab.id, "academie_id": etab.academie_id, "code": code}).first()
    if service is None:
        return False
    ouvert = (service.row_ouvert if service.row_ouvert is not None
              else catalogue.default_open(service, etab))
    # mandatory last: it may read the académie's decisions (one more query)
    return bool(ouvert) or is_mandatory(service, etab)


def _offered(etab: Etablissement, teleservice_id: object) -> Teleservice:
    pk = bounded.parse_id(teleservice_id)
    service = db.session.get(Teleservice, pk) if pk is not None else None
    if service is None or service.academie_id not in (None, etab.academie_id):
        raise DomainError("Téléservice inconnu.")
    return service


def closing_target(etab: Etablissement, teleservice_id: object) -> Teleservice | None:
    """The service that closing `teleservice_id` would really close (open, not mandatory), for
    the confirmation asked first; None when `set_open` would refuse it or change nothing."""
    try:
        service = _offered(etab, teleservice_id)
    except DomainError:
        return None
    if is_mandatory(service, etab):
        return None
    state = next((s for s in service_states(etab) if s.service.id == service.id), None)
    return service if state is not None and state.ouvert else None


def set_open(etab: Etablissement, teleservice_id: object, ouvert: bool, *,
             today: dt.date) -> TeleserviceEtablissement:
    """R-SRV-2/3: open or close one service (effective at once, see the module docstring)."""
    if not is_activated(etab):
        raise DomainError("Les téléservices de l'établissement ne sont pas encore activés.")
    service = _offered(etab, teleservice_id)
    if is_mandatory(service, etab):
        raise DomainError(
            f"Le téléservice « {service.libelle} » est obligatoire : il reste toujours ouvert.")
    reason = blocked_reason(service, etab)
    if ouvert and reason:
        raise DomainError(f"Le téléservice « {service.libelle} » ne peut pas être ouvert. {reason}")
    row = _rows(etab).get(service.id)
    if row is None:
        row = TeleserviceEtablissement(etablissement_id=etab.id, teleservice_id=service.id,
                                       ouvert=catalogue.default_open(service, etab))
        db.session.add(row)
    before = row.ouvert
    if before != ouvert:
        row.ouvert = bool(ouvert)
        row.updated_at = utcnow()
        audit.record("services.ouverture" if ouvert else "services.fermeture",
                     etablissement_id=etab.id, target=service.code,
                     before="ouvert" if before else "fermé",
                     after="ouvert" if ouvert else "fermé")
    db.session.flush()
    return row


def _force_mandatory_open(etab: Etablissement, rows: list[TeleserviceEtablissement]) -> None:
    for row in rows:
        service = db.session.get(Teleservice, row.teleservice_id)
        if is_mandatory(service, etab) and not row.ouvert:
            row.ouvert = True
            row.updated_at = utcnow()


# --- Académie -------------------------------------------------------------------------------

def academie_services(academie: Academie) -> list[Teleservice]:
    catalogue.ensure_catalogue()
    return list(db.session.scalars(
        db.select(Teleservice)
        .where((Teleservice.academie_id.is_(None)) | (Teleservice.academie_id == academie.id))
        .order_by(Teleservice.academie_id.is_not(None), Teleservice.position, Teleservice.id)))


def nationally_mandatory(service: Teleservice) -> bool:
    """Mandatory by national rule for some type (the académie cannot lift it)."""
    return bool(service.obligatoire and service.academie_id is None)


def set_academie_mandatory(academie: Academie, codes: list[str], *, today: dt.date) -> list[str]:
    """The académie administrator decides which services are mandatory in the académie.

    Codes outside the académie's offer are refused; the mandatory services are opened in every
    establishment of the académie that activated its services.
    """
    offer = {s.code: s for s in academie_services(academie)}
    unknown = [c for c in codes if c not in offer]
    if unknown:
        raise DomainError(f"Téléservice inconnu dans l'académie : {', '.join(unknown)}.")
    before = sorted(academie.services_obligatoires or [])
    wanted = sorted({c for c in codes if offer[c].academie_id is None})
    for service in offer.values():
        if service.academie_id is not None:
            service.obligatoire = service.code in codes
    academie.services_obligatoires = wanted
    db.session.flush()
    for etab in db.session.scalars(db.select(Etablissement).where(
            Etablissement.academie_id == academie.id, Etablissement.active_le.is_not(None))):
        _force_mandatory_open(etab, catalogue.ensure_etablissement_services(etab))
    db.session.flush()
    audit.record("academie.services_obligatoires", target=academie.code,
                 before=before, after=sorted(codes))
    return sorted(codes)


def academic_code(academie: Academie, libelle: str) -> str:
    """A stable unique code for a new academic service."""
    base = unicodedata.normalize("NFKD", libelle).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", base).strip("_")[:24] or "service"
    code = f"aca_{academie.code}_{base}"[:36]
    candidate, n = code, 1
    while db.session.scalar(db.select(Teleservice.id).where(Teleservice.code == candidate)):
        n += 1
        candidate = f"{code[:33]}_{n}"
    return candidate


def open_academic_service_rows(service: Teleservice) -> int:
    """Give every establishment of the académie its row for a new academic service."""
    count = 0
    for etab in db.session.scalars(db.select(Etablissement).where(
            Etablissement.academie_id == service.academie_id)):
        catalogue.ensure_etablissement_services(etab)
        count += 1
    return count


def save_academic_service(academie_id: int, model: Teleservice, *, created: bool,
                          by: str | None = None) -> Teleservice:
    """An academic téléservice created or changed in the académie's list: a new one gets its
    stable code, a default position and its row in every establishment of the académie.
    Audited; flushes, never commits."""
    if created:
        with db.session.no_autoflush:  # the new row has no code yet
            academie = db.session.get(Academie, academie_id)
            model.code = academic_code(academie, model.libelle)
        model.position = model.position or 100
    model.academie_id = academie_id  # never from a form
    audit.record_academie_list(model, "creation" if created else "modification", by=by,
                               after=str(model))
    db.session.flush()
    if created:
        open_academic_service_rows(model)
    return model


def delete_academic_service(academie_id: int, model: Teleservice, *,
                            by: str | None = None) -> None:
    """Refused (DomainError) once families have opened it — close it instead; otherwise its
    establishment rows go with it. Audited; the caller deletes the row itself."""
    from ..models import AccesTeleservice

    if model.academie_id != academie_id:
        raise DomainError("Téléservice introuvable.")
    used = db.session.scalar(db.select(AccesTeleservice.id).where(
        AccesTeleservice.teleservice_id == model.id).limit(1))
    if used is not None:
        raise DomainError("Ce téléservice a déjà été consulté par des familles : il ne peut pas "
                          "être supprimé (fermez-le plutôt).")
    db.session.execute(db.delete(TeleserviceEtablissement).where(
        TeleserviceEtablissement.teleservice_id == model.id))
    audit.record_academie_list(model, "suppression", by=by, before=str(model))
