"""The national catalogue of téléservices (R-SRV-2) and each establishment's row per service.

`ensure_catalogue()` creates or refreshes the national entries (idempotent: safe on every
start, every import, every test); `ensure_etablissement_services(etab)` gives an establishment
one `TeleserviceEtablissement` row per service of the catalogue (national, plus the academic
services of its académie) in its default state, never touching rows that already exist
(the head's choices win). Both add/flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..extensions import db
from ..models import Etablissement, Teleservice, TeleserviceEtablissement


@dataclass(frozen=True)
class ServiceDef:
    code: str
    libelle: str
    categorie: str
    obligatoire: bool = False
    obligatoire_pour_type: str | None = None
    ouvert_par_defaut: bool = True
    module_requis: str | None = None


# The order is the display order of « Gestion des services ». The category is what the access
# statistics group by (guide §6.3: « par catégorie (LPC, Notes, Fiche de renseignements) »), so
# both livrets share one. Folios is « national facultatif »: shown on the portal once opened.
NATIONAL_SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("vie_scolaire", "Vie scolaire", "Vie scolaire"),
    ServiceDef("notes", "Notes", "Notes", module_requis="notes"),
    ServiceDef("lsl", "Livret scolaire du lycée", "Livret scolaire",
               obligatoire_pour_type="lycee"),
    ServiceDef("lsu", "Livret scolaire du CP à la 3e", "Livret scolaire"),
    ServiceDef("fiche_renseignements", "Fiche de renseignements", "Fiche de renseignements"),
    ServiceDef("paiement", "Paiement en ligne des factures", "Paiement en ligne",
               ouvert_par_defaut=False),
    ServiceDef("folios", "Folios", "Folios", ouvert_par_defaut=False),
    ServiceDef("bourses", "Bourses de collège", "Bourses"),
    ServiceDef("inscription", "Inscription en ligne", "Inscription en ligne"),
)

NATIONAL_CODES = tuple(s.code for s in NATIONAL_SERVICES)


def ensure_catalogue() -> dict[str, Teleservice]:
    """Create missing national services and realign their fixed attributes; returns code → row."""
    existing = {
        t.code: t
        for t in db.session.scalars(
            db.select(Teleservice).where(Teleservice.code.in_(NATIONAL_CODES))
        )
    }
    for position, sdef in enumerate(NATIONAL_SERVICES, start=1):
        row = existing.get(sdef.code)
        if row is None:
            row = Teleservice(code=sdef.code)
            db.session.add(row)
            existing[sdef.code] = row
        # National entries are defined here, not by users: keep them in line with the code.
        row.libelle = sdef.libelle
        row.categorie = sdef.categorie
        row.academie_id = None
        row.obligatoire = sdef.obligatoire
        row.obligatoire_pour_type = sdef.obligatoire_pour_type
        row.ouvert_par_defaut = sdef.ouvert_par_defaut
        row.module_requis = sdef.module_requis
        row.position = position
    db.session.flush()
    return existing


def is_mandatory(service: Teleservice, etab: Etablissement) -> bool:
    """Mandatory for this establishment (shown always open, toggle disabled)."""
    if service.obligatoire:
        return True
    return bool(service.obligatoire_pour_type) and service.obligatoire_pour_type == etab.type


def default_open(service: Teleservice, etab: Etablissement) -> bool:
    """The state a new establishment row starts in."""
    if is_mandatory(service, etab):
        return True
    if service.module_requis == "notes" and not etab.module_notes_initialise:
        return False  # R-SRV-3: cannot be open until the SIECLE module is initialised
    return bool(service.ouvert_par_defaut)


def offered_to(etab: Etablissement):
    """The condition on `Teleservice`: national, or academic of the establishment's académie."""
    return offered_in(etab.academie_id)


def offered_in(academie_id):
    """The condition on `Teleservice`: national, or academic of académie `academie_id` (a value,
    None, or a bound parameter of a statement built once)."""
    cond = Teleservice.academie_id.is_(None)
    if academie_id is not None:
        cond = cond | (Teleservice.academie_id == academie_id)
    return cond


def services_for(etab: Etablissement) -> list[Teleservice]:
    """National services plus the academic ones of the establishment's académie."""
    cond = offered_to(etab)
    return list(
        db.session.scalars(db.select(Teleservice).where(cond).order_by(Teleservice.position,
                                                                        Teleservice.id))
    )


def ensure_etablissement_services(etab: Etablissement) -> list[TeleserviceEtablissement]:
    """One row per catalogue service for `etab`, created in the default state when missing."""
    ensure_catalogue()
    if etab.id is None:
        db.session.flush()
    have = {
        r.teleservice_id: r
        for r in db.session.scalars(
            db.select(TeleserviceEtablissement).where(
                TeleserviceEtablissement.etablissement_id == etab.id
            )
        )
    }
    rows = []
    for service in services_for(etab):
        row = have.get(service.id)
        if row is None:
            row = TeleserviceEtablissement(
                etablissement_id=etab.id, teleservice_id=service.id,
                ouvert=default_open(service, etab),
            )
            db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows
