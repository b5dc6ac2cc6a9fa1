"""Small factories for hand-built test data (explicit, no magic)."""

from __future__ import annotations

import datetime as dt
import itertools

from admints.clock import utcnow
from admints.extensions import db
from admints.models import (
    Academie,
    Compte,
    Division,
    Eleve,
    Etablissement,
    EtatCompte,
    Groupe,
    KindCompte,
    Mef,
    Responsable,
    ResponsableEleve,
    StaffUser,
)
from admints.secrets_store import hash_password

# Meets the staff password policy (admints.academie.password_policy): 12+ characters, not common.
PASSWORD = "Orage-Tilleul-Boussole-17"
_seq = itertools.count(1)
_HASH: dict[str, str] = {}


def _hash(password: str) -> str:
    # argon2 is slow on purpose; tests reuse one hash per password.
    if password not in _HASH:
        _HASH[password] = hash_password(password)
    return _HASH[password]


def make_academie(code: str = "demo", nom: str = "Démo") -> Academie:
    aca = db.session.scalar(db.select(Academie).where(Academie.code == code))
    if aca is None:
        aca = Academie(code=code, nom=nom)
        db.session.add(aca)
        db.session.flush()
    return aca


def make_etablissement(uai: str = "0999001A", nom: str = "Collège Test", academie=None,
                       with_users: bool = True, **kw) -> Etablissement:
    academie = academie or make_academie()
    etab = Etablissement(
        uai=uai, nom=nom, academie_id=academie.id, type=kw.pop("type", "college"),
        adresse=kw.pop("adresse", "5 bis boulevard Louis XIV"), code_postal="59040",
        ville=kw.pop("ville", "Lille"), telephone="03 20 00 00 00", fax="03 20 00 00 01",
        emails=kw.pop("emails", [f"ce.{uai.lower()}@ac-demo.fr"]), chef_nom="Paul Marcheville",
        annee_scolaire=2026, module_notes_initialise=True,
        # Activated by default (R-SRV-1): `active_le=None` builds one not yet activated.
        active_le=kw.pop("active_le", utcnow()), **kw,
    )
    db.session.add(etab)
    db.session.flush()
    if with_users:
        make_user(f"chef.{uai.lower()}", "chef", etablissement=etab)
        make_user(f"assistance.{uai.lower()}", "assistance", etablissement=etab)
    return etab


def make_user(login: str, role: str, etablissement=None, academie=None, droits=None,
              password: str = PASSWORD) -> StaffUser:
    user = StaffUser(
        login=login, role=role, password_hash=_hash(password),
        etablissement_id=etablissement.id if etablissement else None,
        academie_id=(academie.id if academie else
                     (etablissement.academie_id if etablissement else None)),
        droits=list(droits or []),
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_mef(etab, code="10010012110", libelle="6EME", mefstat="21110010012") -> Mef:
    mef = Mef(etablissement_id=etab.id, code=code, libelle=libelle, mefstat=mefstat,
              formation=libelle)
    db.session.add(mef)
    db.session.flush()
    return mef


def make_division(etab, code="6A") -> Division:
    div = Division(etablissement_id=etab.id, code=code, libelle=code)
    db.session.add(div)
    db.session.flush()
    return div


def make_groupe(etab, code="G-LATIN") -> Groupe:
    grp = Groupe(etablissement_id=etab.id, code=code, libelle=code)
    db.session.add(grp)
    db.session.flush()
    return grp


def make_compte(etab, kind: str, etat: str = EtatCompte.NON_NOTIFIE, identifiant=None,
                **kw) -> Compte:
    compte = Compte(
        etablissement_id=etab.id, kind=kind, etat=etat,
        identifiant=identifiant or f"compte.test{next(_seq)}", **kw,
    )
    db.session.add(compte)
    db.session.flush()
    return compte


def make_eleve(etab, nom="DUPONT", prenom="Jeanne", mef=None, division=None,
               etat: str = EtatCompte.NON_NOTIFIE, naissance=dt.date(2014, 3, 1),
               **compte_kw) -> Eleve:
    n = next(_seq)
    compte = make_compte(etab, KindCompte.ELEVE, etat, **compte_kw)
    eleve = Eleve(
        etablissement_id=etab.id, siecle_id=str(100000 + n), ine=f"{n:09d}AA", nom=nom,
        prenom=prenom, date_naissance=naissance, sexe="2",
        mef_id=mef.id if mef else None, division_id=division.id if division else None,
        compte_id=compte.id,
    )
    db.session.add(eleve)
    db.session.flush()
    return eleve


def make_responsable(etab, nom="DUPONT", prenom="Marie", civilite="MME",
                     email="marie.dupont@example.org", **kw) -> Responsable:
    n = next(_seq)
    resp = Responsable(
        etablissement_id=etab.id, siecle_id=str(200000 + n), civilite=civilite, nom=nom,
        prenom=prenom, email=email, adresse_ligne1=kw.pop("adresse_ligne1", "12 rue des Lilas"),
        code_postal=kw.pop("code_postal", "59000"), commune=kw.pop("commune", "LILLE"), **kw,
    )
    db.session.add(resp)
    db.session.flush()
    return resp


def link(eleve, responsable, niveau: int = 1, etat: str = EtatCompte.NON_NOTIFIE,
         compte=None, **compte_kw) -> ResponsableEleve:
    if compte is None and niveau in (1, 2):
        compte = make_compte(db.session.get(Etablissement, eleve.etablissement_id),
                             KindCompte.RESPONSABLE, etat, **compte_kw)
    lien = ResponsableEleve(
        etablissement_id=eleve.etablissement_id, eleve_id=eleve.id,
        responsable_id=responsable.id, niveau=niveau, compte_id=compte.id if compte else None,
    )
    db.session.add(lien)
    db.session.flush()
    return lien


def make_teleservice(code: str = "notes", libelle: str = "Notes", categorie: str = "Notes"):
    """A catalogue entry, created once per code (helper "stats")."""
    from admints.models import Teleservice

    service = db.session.scalar(db.select(Teleservice).where(Teleservice.code == code))
    if service is None:
        service = Teleservice(code=code, libelle=libelle, categorie=categorie)
        db.session.add(service)
        db.session.flush()
    return service


def make_acces(etab, teleservice, visited_at: dt.datetime, mef=None, compte=None, count: int = 1):
    """`count` visits of a family to a service (R-POR-2 → R-STA-3)."""
    from admints.models import AccesTeleservice

    rows = [AccesTeleservice(etablissement_id=etab.id, teleservice_id=teleservice.id,
                             mef_id=mef.id if mef else None,
                             compte_id=compte.id if compte else None, visited_at=visited_at)
            for _ in range(count)]
    db.session.add_all(rows)
    db.session.flush()
    return rows
