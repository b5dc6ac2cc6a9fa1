"""R-SRV-2: the national catalogue of téléservices and each establishment's rows."""

from __future__ import annotations

from sqlalchemy import func, select

from admints.models import Teleservice, TeleserviceEtablissement
from admints.teleservices import catalogue

from . import factories


def _states(db, etab) -> dict[str, bool]:
    return dict(db.session.execute(
        select(Teleservice.code, TeleserviceEtablissement.ouvert).join(TeleserviceEtablissement)
        .where(TeleserviceEtablissement.etablissement_id == etab.id)).all())


def test_r_srv_2_national_catalogue_labels_and_flags(db):
    services = catalogue.ensure_catalogue()
    assert list(services) == ["vie_scolaire", "notes", "lsl", "lsu", "fiche_renseignements",
                              "paiement", "folios", "bourses", "inscription"]
    labels = {code: s.libelle for code, s in services.items()}
    assert labels["lsl"] == "Livret scolaire du lycée"
    assert labels["lsu"] == "Livret scolaire du CP à la 3e"
    assert labels["paiement"] == "Paiement en ligne des factures"
    assert labels["inscription"] == "Inscription en ligne"
    assert services["notes"].module_requis == "notes"
    assert services["lsl"].obligatoire_pour_type == "lycee"
    assert not services["paiement"].ouvert_par_defaut
    assert all(s.academie_id is None and s.categorie for s in services.values())
    assert [s.position for s in services.values()] == sorted(s.position for s in services.values())


def test_r_srv_2_catalogue_idempotent_and_realigned(db):
    catalogue.ensure_catalogue()
    row = db.session.scalar(select(Teleservice).where(Teleservice.code == "paiement"))
    row.libelle, row.ouvert_par_defaut = "Modifié", True
    db.session.flush()
    catalogue.ensure_catalogue()
    assert db.session.scalar(select(func.count(Teleservice.id))) == 9
    assert row.libelle == "Paiement en ligne des factures" and not row.ouvert_par_defaut


def test_r_srv_2_establishment_rows_default_state(db):
    college = factories.make_etablissement(uai="0999101A", with_users=False)
    lycee = factories.make_etablissement(uai="0999102B", type="lycee", with_users=False)
    lycee.module_notes_initialise = False
    db.session.flush()
    catalogue.ensure_etablissement_services(college)
    catalogue.ensure_etablissement_services(lycee)
    c, ly = _states(db, college), _states(db, lycee)
    assert len(c) == len(ly) == 9
    assert c["vie_scolaire"] and c["notes"] and not c["paiement"] and not c["folios"]
    assert ly["lsl"]  # mandatory for a lycée
    assert not ly["notes"]  # R-SRV-3: Notes module not initialised
    lsl = db.session.scalar(select(Teleservice).where(Teleservice.code == "lsl"))
    assert catalogue.is_mandatory(lsl, lycee) and not catalogue.is_mandatory(lsl, college)


def test_r_srv_2_establishment_choices_kept_and_academic_services_added(db):
    etab = factories.make_etablissement(uai="0999103C", with_users=False)
    rows = catalogue.ensure_etablissement_services(etab)
    paiement = next(r for r in rows if r.teleservice.code == "paiement")
    paiement.ouvert = True  # the head opened it
    academic = Teleservice(code="aca_demo_1", libelle="Service académique 1",
                           categorie="Académique", academie_id=etab.academie_id, position=50)
    other = factories.make_academie(code="autre", nom="Autre")
    foreign = Teleservice(code="aca_autre_1", libelle="Service d'une autre académie",
                          categorie="Académique", academie_id=other.id, position=51)
    db.session.add_all([academic, foreign])
    db.session.flush()
    again = catalogue.ensure_etablissement_services(etab)
    codes = [r.teleservice.code for r in again]
    assert "aca_demo_1" in codes and "aca_autre_1" not in codes
    assert len(codes) == len(set(codes)) == 10
    assert _states(db, etab)["paiement"] is True
