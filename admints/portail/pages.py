"""What a family sees on the portal's home and contact pages (R-POR-2), from the settings IN
FORCE on `today` (R-PAR-1, `parametrage.versions.in_force`: the welcome message and the ENT link
apply at once, the contact link and the useful links from the next day).

- `etablissement_of(viewer)`: the viewer's establishment — never one the request names;
- `home(etab, today)`: the welcome message (already sanitised when saved, R-PAR-2), the open
  services of the establishment (R-SRV-2), the « Liens utiles » in creation order (R-PAR-6)
  and the ENT link of the letter type (R-PAR-3);
- `contact(etab, today)`: the establishment's address and telephone, plus the chosen email
  address when the contact link is *Actif* (R-PAR-5);
- `open_services` / `is_service_open`: which service pages a family may open.
Reads only; never writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import joinedload

from ..errors import DomainError
from ..extensions import db
from ..models import Etablissement, Teleservice
from ..parametrage import portal_links, versions, welcome
from ..teleservices import opening
from .identity import Viewer

ENT_DEFAULT_NAME = "Espace numérique de travail (ENT)"
# Letter types whose families get an ENT link in the portal (guide §3.2): « Mixte » creates
# one; « ENT seul » sends families to the ENT, the portal links back to it too. « Téléservices »
# never shows one.
ENT_LINK_TYPES = ("mixte", "ent")


@dataclass(frozen=True)
class EntLink:
    nom: str
    url: str


@dataclass
class Home:
    message_html: str
    services: list[Teleservice]
    liens: list[dict] = field(default_factory=list)  # [{"libelle", "url"}]
    ent: EntLink | None = None


@dataclass
class Contact:
    nom: str
    adresse: list[str]
    telephone: str | None
    email: str | None  # the chosen address when the contact link is *Actif*, else None


def ent_link(value: object) -> EntLink | None:
    """R-PAR-3: the ENT link the portal shows for the letter type in force, or None."""
    if not isinstance(value, dict) or value.get("type") not in ENT_LINK_TYPES:
        return None
    url = str(value.get("url") or "").strip()
    try:
        url = portal_links.check_http_url(url)
    except DomainError:  # an old or hand-made value: never a broken or dangerous link
        return None
    return EntLink(nom=str(value.get("nom") or "").strip() or ENT_DEFAULT_NAME, url=url)


def useful_links(value: object) -> list[dict]:
    """R-PAR-6: the snapshot in force, in its order; malformed entries are skipped."""
    links = []
    for item in value if isinstance(value, list) else ():
        if isinstance(item, dict) and item.get("libelle") and str(item.get("url", "")).startswith(
                ("http://", "https://")):
            links.append({"libelle": str(item["libelle"]), "url": str(item["url"])})
    return links


def open_services(etab: Etablissement) -> list[Teleservice]:
    """R-SRV-2: the services families may open now (none before the head's activation)."""
    if not opening.is_activated(etab):
        return []
    return [state.service for state in opening.service_states(etab) if state.ouvert]


def is_service_open(etab: Etablissement, code: str) -> Teleservice | None:
    """The open service of that code, or None (closed, unknown, another académie's)."""
    return next((s for s in open_services(etab) if s.code == code), None)


def etablissement_of(viewer: Viewer) -> Etablissement:
    """The viewer's establishment (never one named by the request), its académie loaded with
    it (the mandatory services depend on it): one query for the whole page."""
    return db.session.get(Etablissement, viewer.etablissement_id,
                          options=[joinedload(Etablissement.academie)])


def home(etab: Etablissement, today: dt.date) -> Home:
    """What the home page of a family of `etab` shows on `today`."""
    settings = versions.in_force(etab.id, today)
    message = settings.get(welcome.KEY)
    # Sanitised when saved; once more here (nh3, cheap) so that a value written by any other
    # path never reaches a family unfiltered (R-PAR-2).
    return Home(message_html=welcome.sanitise(message) if isinstance(message, str) else "",
                services=open_services(etab),
                liens=useful_links(settings.get(portal_links.LIENS_KEY)),
                ent=ent_link(settings.get(portal_links.ENT_KEY)))


def contact(etab: Etablissement, today: dt.date) -> Contact:
    """R-PAR-5 (guide §3.3): address and telephone always; the email only when *Actif*."""
    chosen = versions.get(etab.id, portal_links.CONTACT_KEY, today)
    email = None
    if isinstance(chosen, dict) and chosen.get("actif") and chosen.get("email") in (
            etab.emails or []):
        email = chosen["email"]
    ville = " ".join(p for p in (etab.code_postal, etab.ville) if p)
    return Contact(nom=etab.nom, adresse=[p for p in (etab.adresse, ville) if p],
                   telephone=etab.telephone or None, email=email)
