"""A family signed in on the portal for the page tests (R-POR-2): an establishment whose
services exist, a pupil Léa (6A) and her brother Tom (4B) with a guardian account carrying both,
and a foreign pupil of another establishment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from admints import secrets_store
from admints.extensions import db
from admints.models import Eleve, EtatCompte, Evaluation, ResponsableEleve
from admints.teleservices import catalogue

from . import factories
from .portail_helpers import NEW_PASSWORD, Family, location

_HASH: dict[str, str] = {}


def password_hash() -> str:
    if "h" not in _HASH:
        _HASH["h"] = secrets_store.hash_password(NEW_PASSWORD)
    return _HASH["h"]


@dataclass
class Household:
    lea: Eleve
    tom: Eleve
    lien: ResponsableEleve
    foreign: Eleve


def household(etab, other_etab) -> Household:
    catalogue.ensure_etablissement_services(etab)
    mef6, mef4 = factories.make_mef(etab), factories.make_mef(etab, "10010012110X", "4EME",
                                                              "21140010012")
    d6a, d4b = factories.make_division(etab, "6A"), factories.make_division(etab, "4B")
    lea = factories.make_eleve(etab, "MARTIN", "Léa", mef=mef6, division=d6a,
                               etat=EtatCompte.UTILISE, identifiant="lea.martin",
                               mot_de_passe_hash=password_hash())
    tom = factories.make_eleve(etab, "MARTIN", "Tom", mef=mef4, division=d4b,
                               identifiant="tom.martin")
    resp = factories.make_responsable(etab, "MARTIN", "Marie")
    lien = factories.link(lea, resp, 1, etat=EtatCompte.UTILISE, identifiant="marie.martin",
                          mot_de_passe_hash=password_hash())
    factories.link(tom, resp, 1, compte=lien.compte)
    other_div = factories.make_division(other_etab, "6A")
    foreign = factories.make_eleve(other_etab, "AUTRE", "Zoé", division=other_div,
                                   identifiant="zoe.autre")
    db.session.commit()
    return Household(lea, tom, lien, foreign)


def evaluation(eleve, matiere: str, saisie: dt.date, publication: dt.date | None = None,
               libelle: str = "Contrôle") -> Evaluation:
    row = Evaluation(etablissement_id=eleve.etablissement_id, mef_id=eleve.mef_id,
                     division_id=eleve.division_id, matiere=matiere, libelle=libelle,
                     date_controle=saisie - dt.timedelta(days=1), date_saisie=saisie,
                     date_publication=publication, coefficient=2.0, bareme=20)
    db.session.add(row)
    db.session.commit()
    return row


def signed_in(client, login: str) -> Family:
    family = Family(client)
    response = family.login(login, NEW_PASSWORD)
    assert response.status_code == 302 and location(response).endswith("/scolarite/"), \
        location(response)
    return family
