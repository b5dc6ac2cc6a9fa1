"""R-DAT-1: SIECLE import — parsing of the public samples, upserts, accounts, idempotence,
departures, and every kind of bad input refused in French with the database unchanged."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from admints.comptes.identifiers import base_identifier
from admints.errors import ImportRefused
from admints.models import (
    AccesTeleservice,
    AuditEntry,
    Compte,
    CompteConserve,
    Division,
    Eleve,
    Etablissement,
    EtatCompte,
    Groupe,
    Mef,
    Responsable,
    ResponsableEleve,
    eleve_groupe,
)
from admints.siecle import parsing, writer
from admints.siecle.importer import import_siecle

from . import factories
from . import siecle_xml as X

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "siecle"
TODAY = dt.date(2026, 11, 28)
U = "0999001A"  # the `etab` fixture


def sample(name: str) -> tuple[str, bytes]:
    return name, (SAMPLES / name).read_bytes()


def snapshot(db) -> dict:
    """Row counts of every table the import touches, plus the account identifiers and states."""
    counts = {m.__name__: db.session.scalar(select(func.count()).select_from(m))
              for m in (Etablissement, Mef, Division, Groupe, Eleve, Responsable,
                        ResponsableEleve, Compte, AuditEntry, AccesTeleservice)}
    counts["eleve_groupe"] = db.session.scalar(select(func.count()).select_from(eleve_groupe))
    counts["comptes"] = sorted(db.session.execute(
        select(Compte.identifiant, Compte.etat)).all())
    counts["eleves"] = sorted(db.session.execute(
        select(Eleve.siecle_id, Eleve.nom, Eleve.division_id, Eleve.mef_id)).all())
    return counts


def base_eleves() -> list[dict]:
    return [
        X.eleve(1, "DUPONT", "Zoé", groupes=["LATIN"]),
        X.eleve(2, "D'ALEMBERT-NUÑEZ", "Anaïs", mef="10110001110", division="5B"),
        X.eleve(3, "MARTIN", "Léo", division="5B", groupes=["LATIN", "CHORALE"]),
    ]


def base_files(uai: str = U, eleves=None, personnes=None, liens=None, old=False):
    eleves = eleves if eleves is not None else base_eleves()
    personnes = personnes if personnes is not None else [
        X.personne(10, "DUPONT", "Marie", mel="marie@example.org"),
        X.personne(11, "DUPONT", "Jean", civilite="M.", adresse=False),
        X.personne(12, "NUÑEZ", "Inès"),
        X.personne(13, "MARTIN", "Paul", civilite="M."),
    ]
    liens = liens if liens is not None else [(1, 10, 1), (1, 11, 2), (2, 12, 1), (3, 13, 1),
                                             (3, 10, 3)]
    return [("Nomenclature.xml", X.nomenclature_xml(uai, X.MEFS)),
            ("ElevesSansAdresses.xml", X.eleves_xml(uai, eleves)),
            ("ResponsablesAvecAdresses.xml",
             X.responsables_xml(uai, personnes, liens, old_format=old))]


def run(files, uai=U, **kw):
    return import_siecle(files, uai=uai, today=TODAY, **kw)


# --- two imports at once ----------------------------------------------------------------------

def newcomer_files() -> list[tuple[str, bytes]]:
    """The base files plus one new pupil, whose account will be `theo.nouveau`."""
    return base_files(eleves=[*base_eleves(), X.eleve(4, "NOUVEAU", "Théo")])


@pytest.fixture
def race(db, etab, monkeypatch):
    """The establishment imported once; then, armed for the next import: right after that import
    has loaded the identifiers already taken (planning) and before it writes, ANOTHER database
    connection — another import — creates and commits the account `theo.nouveau` that our import
    is about to give its new pupil. A real second connection, so the database's own unique
    constraint stops us, as in two simultaneous uploads (SQLite and PostgreSQL alike)."""
    run(base_files())
    db.session.commit()
    original = writer.identifier_lookup.load_for
    fired: list[str] = []
    ident = base_identifier("Théo", "NOUVEAU")

    def load_for(alloc, people):
        original(alloc, people)
        if not fired and ident not in alloc.taken:
            with db.engine.connect() as other:
                other.execute(insert(Compte.__table__).values(
                    etablissement_id=etab.id, kind="eleve", identifiant=ident,
                    etat="non_notifie", email_valide=False, continuite=False,
                    created_at=dt.datetime(2026, 11, 28, 10, 0)))
                other.commit()
            fired.append(ident)

    monkeypatch.setattr(writer.identifier_lookup, "load_for", load_for)
    return fired


def without_competitor(snap: dict) -> dict:
    """A snapshot minus the account the other import committed."""
    snap = dict(snap)
    snap["Compte"] -= 1
    snap["comptes"] = [c for c in snap["comptes"] if c[0] != "theo.nouveau"]
    return snap


def test_r_dat_1_concurrent_import_same_identifier_refused_database_unchanged(db, race):
    """Two imports at once pick the same new identifier: the second one is refused in French
    (no IntegrityError escapes), nothing of it is written, and running it again works."""
    before = snapshot(db)
    with pytest.raises(ImportRefused) as refused:
        run(newcomer_files())
    db.session.rollback()  # what every caller does on a refusal
    assert race == ["theo.nouveau"]
    assert refused.value.message.startswith("Un autre import est en cours ou vient de modifier "
                                            "les comptes ; relancez l'import.")
    assert isinstance(refused.value.__cause__, IntegrityError)
    after = snapshot(db)
    assert ("theo.nouveau", "non_notifie") in after["comptes"]
    assert without_competitor(after) == before
    # « Relancez l'import »: it now sees the other account and picks the next identifier.
    summary = run(newcomer_files())
    db.session.commit()
    assert summary.counts["eleves"]["created"] == 1
    ident = db.session.scalar(select(Compte.identifiant).join(Eleve, Eleve.compte_id == Compte.id)
                              .where(Eleve.siecle_id == "4"))
    assert ident == "theo.nouveau2"


def test_r_dat_1_other_database_errors_are_not_disguised(db, etab, monkeypatch):
    """Only a write lost to another transaction becomes that refusal; a real fault (here a
    foreign key violation) still surfaces as the database error it is."""
    run(base_files())
    db.session.commit()

    def broken(self, ids):
        self.ex(insert(Eleve.__table__).values(etablissement_id=self.etab_id, siecle_id="99",
                                               nom="X", prenom="Y", mef_id=999999))
    monkeypatch.setattr(writer.Writer, "remove_eleves", broken)
    with pytest.raises(IntegrityError):
        run(base_files(eleves=base_eleves()[:2]), confirm_departures=True)
    db.session.rollback()


# -- the public samples ---------------------------------------------------------------------

def test_r_dat_1_samples_are_recognised_by_their_root_element():
    kinds = {name: parsing.parse_file(*sample(name)).kind for name in (
        "eleves_avec_adresse_avec_double_structure.xml", "responsables_avec_adresses_simple.xml",
        "nomenclature_simple.xml", "nomenclature_tout_niveau.xml",
        "Nomenclature-2018-19_0750680G.xml")}
    assert kinds == {
        "eleves_avec_adresse_avec_double_structure.xml": "eleves",
        "responsables_avec_adresses_simple.xml": "responsables",
        "nomenclature_simple.xml": "nomenclature", "nomenclature_tout_niveau.xml": "nomenclature",
        "Nomenclature-2018-19_0750680G.xml": "nomenclature"}


def test_r_dat_1_encoding_from_prolog_and_libelle_edition_fallback():
    simple = parsing.parse_file(*sample("nomenclature_simple.xml"))
    assert simple.uaj == "0140070A" and simple.annee == 2018
    assert simple.mefs[0].libelle == "5ème"  # ISO-8859-15 decoded, LIBELLE_EDITION used
    real = parsing.parse_file(*sample("Nomenclature-2018-19_0750680G.xml"))
    assert len(real.mefs) == 89
    first = real.mefs[0]
    assert (first.code, first.libelle, first.mefstat) == ("10310002110", "3EME MUSIQUE",
                                                          "21160010002")


def test_r_dat_1_eleves_sample_creates_establishment_named_from_file(db):
    summary = run([sample("eleves_avec_adresse_avec_double_structure.xml")], uai="0660864F",
                  create_missing=True)
    db.session.commit()
    etab = db.session.scalar(select(Etablissement).where(Etablissement.uai == "0660864F"))
    assert summary.etablissement_cree and etab.nom == "COLLEGE FRANCOIS MITTERRAND"
    assert etab.type == "college"
    eleve = db.session.scalar(select(Eleve))
    assert (eleve.siecle_id, eleve.ine, eleve.nom, eleve.prenom) == (
        "1541944", "070876696HA", "ESCAGLIA", "Jeanine")
    assert eleve.date_naissance == dt.date(2002, 6, 21)
    assert eleve.division.code == "301" and [g.code for g in eleve.groupes] == ["_301P1"]
    assert eleve.compte.etat == EtatCompte.NON_NOTIFIE and eleve.compte.kind == "eleve"
    assert eleve.compte.identifiant == "jeanine.escaglia"
    # No nomenclature in this import: the unknown MEF code does not break it.
    assert eleve.mef.code == "10310019110" and eleve.mef.libelle == "10310019110"
    assert summary.ignores["mefs_sans_nomenclature"] == 1


def test_r_dat_1_real_nomenclature_sample_then_labels_completed(db):
    run([sample("eleves_avec_adresse_avec_double_structure.xml")], uai="0660864F",
        create_missing=True)
    nomen = sample("Nomenclature-2018-19_0750680G.xml")
    data = nomen[1].replace(b"<UAJ>0750680G</UAJ>", b"<UAJ>0660864F</UAJ>")
    summary = run([(nomen[0], data)], uai="0660864F")
    assert summary.counts["mefs"] == {"created": 88, "updated": 1, "left": 0}
    mef = db.session.scalar(select(Mef).where(Mef.code == "10310019110"))
    assert (mef.libelle, mef.mefstat) == ("3EME", "21160010019")


def test_r_dat_1_new_format_responsables_sample(db, etab):
    """Post-2018 format: NIVEAU_RESPONSABILITE, several level-1 persons for one pupil."""
    uai = "0140070A"
    factories.make_etablissement(uai=uai, nom="Collège Test", with_users=False)
    eleves = X.eleves_xml(uai, [X.eleve(610308, "ROCK", "Jimi", mef="10110001110"),
                                X.eleve(610305, "LOVELACE", "Byron", mef="10010012110")])
    summary = run([sample("nomenclature_tout_niveau.xml"), ("ElevesSansAdresses.xml", eleves),
                   sample("responsables_avec_adresses_simple.xml")], uai=uai)
    assert summary.counts["responsables"]["created"] == 3
    assert summary.counts["comptes"]["created"] == 2 + 3
    rock = db.session.scalar(select(Responsable).where(Responsable.nom == "ROCK"))
    assert (rock.civilite, rock.email, rock.adresse_ligne1, rock.code_postal, rock.commune,
            rock.pays) == ("MME", "rock33445570@hotmail.fr", "18 RUE DES HOMMETS", "14270",
                           "MEZIDON VALLEE D AUGE", "FRANCE")
    jimi = db.session.scalar(select(Eleve).where(Eleve.siecle_id == "610308"))
    assert sorted(lien.niveau for lien in jimi.liens) == [1, 1]
    assert all(lien.compte.kind == "responsable" for lien in jimi.liens)


def test_r_dat_1_old_format_resp_legal_1_2_0(db, etab):
    summary = run(base_files(old=True, liens=[(1, 10, 1), (1, 11, 2), (2, 12, 1), (3, 13, 1),
                                              (3, 10, 0)]))
    niveaux = dict(((e, r), n) for e, r, n in db.session.execute(
        select(Eleve.siecle_id, Responsable.siecle_id, ResponsableEleve.niveau)
        .join(Eleve, Eleve.id == ResponsableEleve.eleve_id)
        .join(Responsable, Responsable.id == ResponsableEleve.responsable_id)))
    assert niveaux == {("1", "10"): 1, ("1", "11"): 2, ("2", "12"): 1, ("3", "13"): 1,
                       ("3", "10"): 0}
    # Accounts: 3 pupils + the 4 légal 1/2 links; the « other » link has none.
    assert summary.counts["comptes"]["created"] == 7
    other = db.session.scalar(select(ResponsableEleve).where(ResponsableEleve.niveau == 0))
    assert other.compte_id is None


def test_r_dat_1_new_format_levels_map_to_1_2_0(db, etab):
    run(base_files(liens=[(1, 10, 1), (1, 11, 2), (2, 12, 3), (3, 13, 1)]))
    assert sorted(db.session.scalars(select(ResponsableEleve.niveau))) == [0, 1, 1, 2]


def test_r_dat_1_first_import_counts_structures_and_accounts(db, etab):
    summary = run(base_files())
    db.session.commit()
    d = summary.as_dict()
    assert d["eleves"] == {"created": 3, "updated": 0, "left": 0}
    assert d["responsables"]["created"] == 4
    assert d["comptes"]["created"] == 3 + 4  # (3,10,3) is « autre »
    assert d["mefs"]["created"] == 2 and d["divisions"]["created"] == 2
    assert d["groupes"]["created"] == 2
    assert set(d) >= {"eleves", "responsables", "comptes", "mefs", "divisions", "groupes"}
    anais = db.session.scalar(select(Eleve).where(Eleve.prenom == "Anaïs"))
    assert anais.compte.identifiant == "anais.dalembert-nunez"
    assert anais.mef.libelle == "5EME"  # no LIBELLE_EDITION: LIBELLE_LONG
    leo = db.session.scalar(select(Eleve).where(Eleve.prenom == "Léo"))
    assert sorted(g.code for g in leo.groupes) == ["CHORALE", "LATIN"]
    jean = db.session.scalar(select(Responsable).where(Responsable.prenom == "Jean"))
    assert jean.adresse_ligne1 is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "import.siecle"))
    assert entry.etablissement_id == etab.id and '"created": 3' in entry.after


def test_r_dat_1_skips_pupils_who_left_or_have_not_arrived(db, etab):
    eleves = [X.eleve(1, "DUPONT", "Zoé"), X.eleve(4, "PARTI", "Paul", sortie="02/10/2026"),
              X.eleve(5, "FUTUR", "Léa", ine=None),
              X.eleve(6, "BIENTOT", "Parti", sortie="15/06/2027")]
    personnes = [X.personne(10, "DUPONT", "Marie"), X.personne(14, "PARTI", "Pierre")]
    summary = run(base_files(eleves=eleves, personnes=personnes,
                             liens=[(1, 10, 1), (4, 14, 1), (5, 14, 1)]))
    assert sorted(db.session.scalars(select(Eleve.siecle_id))) == ["1", "6"]
    assert summary.ignores["eleves_sortis"] == 1
    assert summary.ignores["eleves_non_arrives"] == 1
    assert summary.ignores["liens_eleve_absent"] == 2
    # The guardian of skipped pupils only is not created at all.
    assert list(db.session.scalars(select(Responsable.nom))) == ["DUPONT"]


def test_r_dat_1_reimport_is_idempotent(db, etab):
    run(base_files())
    db.session.commit()
    before = snapshot(db)
    summary = run(base_files())
    db.session.commit()
    for kind in ("eleves", "responsables", "comptes", "mefs", "divisions", "groupes"):
        assert summary.counts[kind] == {"created": 0, "updated": 0, "left": 0}, kind
    after = snapshot(db)
    assert after.pop("AuditEntry") == before.pop("AuditEntry") + 1
    assert after == before


def test_r_dat_1_reimport_keeps_accounts_and_updates_data(db, etab):
    run(base_files())
    db.session.commit()
    zoe = db.session.scalar(select(Eleve).where(Eleve.siecle_id == "1"))
    zoe.compte.etat = EtatCompte.UTILISE
    zoe.compte.mot_de_passe_hash = "hash"
    compte_id, ident = zoe.compte.id, zoe.compte.identifiant
    db.session.commit()
    eleves = [X.eleve(1, "DUPONT-LAJOIE", "Zoé", division="5B", groupes=[]),
              X.eleve(2, "D'ALEMBERT-NUÑEZ", "Anaïs", mef="10110001110", division="5B"),
              X.eleve(3, "MARTIN", "Léo", division="5B", groupes=["LATIN", "CHORALE"])]
    summary = run(base_files(eleves=eleves))
    db.session.commit()
    assert summary.counts["eleves"] == {"created": 0, "updated": 1, "left": 0}
    assert summary.counts["comptes"] == {"created": 0, "updated": 0, "left": 0}
    db.session.expire_all()
    zoe = db.session.get(Eleve, zoe.id)
    assert zoe.nom == "DUPONT-LAJOIE" and zoe.division.code == "5B" and zoe.groupes == []
    assert (zoe.compte.id, zoe.compte.identifiant, zoe.compte.etat) == (
        compte_id, ident, EtatCompte.UTILISE)
    assert summary.counts["divisions"]["left"] == 1  # 6A has no pupil any more: kept
    assert db.session.scalar(select(func.count()).select_from(Division)) == 2


def test_r_dat_1_r_dat_3_pupil_absent_from_new_file_has_left_accounts_kept_closed(db, etab):
    run(base_files())
    db.session.commit()
    anais = db.session.scalar(select(Eleve).where(Eleve.siecle_id == "2"))
    anais_compte = anais.compte_id
    inès_compte = anais.liens[0].compte_id
    service = factories.make_teleservice()
    factories.make_acces(etab, service, dt.datetime(2026, 10, 1), mef=anais.mef,
                         compte=anais.compte)
    db.session.commit()
    eleves = [X.eleve(1, "DUPONT", "Zoé", groupes=["LATIN"]),
              X.eleve(3, "MARTIN", "Léo", division="5B", groupes=["LATIN", "CHORALE"])]
    # The new responsables file no longer has Anaïs's link either (like a real export).
    # One pupil in three is more than the threshold: confirmed.
    summary = run(base_files(eleves=eleves, liens=[(1, 10, 1), (1, 11, 2), (3, 13, 1),
                                                   (3, 10, 3)]), confirm_departures=True)
    db.session.commit()
    assert summary.counts["eleves"]["left"] == 1
    assert summary.counts["responsables"]["left"] == 1  # Inès NUÑEZ had only Anaïs
    assert summary.counts["comptes"]["left"] == 2  # Anaïs's and Inès's: closed, kept
    assert db.session.scalar(select(Eleve).where(Eleve.siecle_id == "2")) is None
    assert db.session.scalar(select(Responsable).where(Responsable.nom == "NUÑEZ")) is None
    for compte_id in (anais_compte, inès_compte):
        assert db.session.get(Compte, compte_id).ferme_le is not None
    kept = dict(db.session.execute(select(CompteConserve.personne_siecle_id,
                                          CompteConserve.compte_id)).all())
    assert kept == {"": anais_compte, "12": inès_compte}
    visit = db.session.scalar(select(AccesTeleservice))
    assert visit.compte_id == anais_compte and visit.mef_id is not None  # statistics survive


def test_r_dat_1_pupils_file_alone_keeps_guardians_of_staying_pupils(db, etab):
    run(base_files())
    db.session.commit()
    eleves = [X.eleve(1, "DUPONT", "Zoé", groupes=["LATIN"])]
    summary = run([("ElevesSansAdresses.xml", X.eleves_xml(U, eleves))], confirm_departures=True)
    assert summary.counts["eleves"]["left"] == 2
    # Marie DUPONT is still linked to Zoé; Inès and Paul had only pupils who left.
    assert sorted(db.session.scalars(select(Responsable.prenom))) == ["Jean", "Marie"]
    assert db.session.scalar(select(func.count()).select_from(ResponsableEleve)) == 2


def test_r_acc_2_identifiers_unique_across_establishments_and_homonyms(db, etab, other_etab):
    factories.make_compte(other_etab, "eleve", identifiant="zoe.dupont")
    twins = [X.eleve(1, "DUPONT", "Zoé"), X.eleve(2, "DUPONT", "Zoé"), X.eleve(3, "DUPONT", "Zoe")]
    run(base_files(eleves=twins)[:2])  # nomenclature and pupils
    idents = sorted(db.session.scalars(select(Compte.identifiant)
                                       .where(Compte.etablissement_id == etab.id)))
    assert idents == ["zoe.dupont2", "zoe.dupont3", "zoe.dupont4"]


def test_r_dat_1_zip_of_exports(db, etab):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in base_files():
            archive.writestr(f"export/{name}", data)
    summary = run([("siecle.zip", buf.getvalue())])
    assert summary.counts["eleves"]["created"] == 3
    assert summary.fichiers[0] == "siecle.zip:Nomenclature.xml"


def test_r_dat_1_utf8_export_also_read(db, etab):
    data = X.eleves_xml(U, [X.eleve(1, "ŒHLENSCHLÄGER", "Ægir")], encoding="UTF-8")
    run([("eleves.xml", data)])
    assert db.session.scalar(select(Eleve.nom)) == "ŒHLENSCHLÄGER"


# -- bad input: a French refusal and the database exactly as before --------------------------

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<BEE_ELEVES><PARAMETRES><UAJ>0999001A</UAJ></PARAMETRES><DONNEES>&lol3;</DONNEES></BEE_ELEVES>"""
XXE = b"""<?xml version="1.0" encoding="ISO-8859-15"?>
<!DOCTYPE BEE_ELEVES [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<BEE_ELEVES><PARAMETRES><UAJ>0999001A</UAJ></PARAMETRES><DONNEES><ELEVES>
<ELEVE ELEVE_ID="9"><ID_NATIONAL>1</ID_NATIONAL><NOM_DE_FAMILLE>&xxe;</NOM_DE_FAMILLE>
</ELEVE></ELEVES></DONNEES></BEE_ELEVES>"""
UNKNOWN_PUPIL = X.responsables_xml(U, [X.personne(10, "DUPONT", "Marie")], [(999, 10, 1)])
UNKNOWN_PERSON = X.responsables_xml(U, [X.personne(10, "DUPONT", "Marie")], [(1, 77, 1)])

BAD = {
    "malformed": (("ElevesSansAdresses.xml", b"<?xml version='1.0'?><BEE_ELEVES><DONNEES>"),
                  "n'est pas un XML valide"),
    "bomb": (("ElevesSansAdresses.xml", BOMB), "entités XML"),
    "external_entity": (("ElevesSansAdresses.xml", XXE), "entités XML"),
    "empty": (("ElevesSansAdresses.xml", b""), "est vide"),
    "blank": (("ElevesSansAdresses.xml", b"  \n "), "est vide"),
    "wrong_kind": (("ElevesSansAdresses.xml", b"<html><body>export</body></html>"),
                   "n'est pas un export SIECLE reconnu"),
    "wrong_uaj": (("ElevesSansAdresses.xml", X.eleves_xml("0999002B", [X.eleve(7, "A", "B")])),
                  "est celui de l'établissement 0999002B, pas de l'établissement 0999001A"),
    "unknown_mef": (("ElevesSansAdresses.xml",
                     X.eleves_xml(U, [X.eleve(1, "DUPONT", "Zoé", mef="99999999999")])),
                    "code MEF 99999999999, absent de la nomenclature"),
    "link_to_unknown_pupil": (("ResponsablesAvecAdresses.xml", UNKNOWN_PUPIL),
                              "à un élève inconnu (ELEVE_ID 999)"),
    "link_to_unknown_person": (("ResponsablesAvecAdresses.xml", UNKNOWN_PERSON),
                               "absente de PERSONNES"),
    "bad_zip": (("siecle.zip", b"PK\x03\x04 not really a zip"), "illisible ou corrompue"),
    "no_uaj": (("Nomenclature.xml", b"<BEE_NOMENCLATURES><DONNEES/></BEE_NOMENCLATURES>"),
               "n'indique pas d'UAJ"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_r_dat_1_bad_input_refused_and_database_unchanged(db, etab, case):
    run(base_files())
    db.session.commit()
    before = snapshot(db)
    bad, message = BAD[case]
    # The bad file replaces its kind in an otherwise valid import: nothing may be half-written.
    good = [f for f in base_files(eleves=[X.eleve(1, "DUPONT", "Zoé"),
                                          X.eleve(8, "NOUVEAU", "Nino")])
            if f[0] != bad[0] and f[0] != "Nomenclature.xml"]
    files = [("Nomenclature.xml", X.nomenclature_xml(U, X.MEFS))] + good + [bad]
    if bad[0] == "Nomenclature.xml":
        files = good + [bad]
    with pytest.raises(ImportRefused) as refused:
        run(files)
    db.session.rollback()
    assert message in refused.value.message
    assert snapshot(db) == before


def test_r_dat_1_bomb_refused_before_expansion():
    with pytest.raises(ImportRefused) as refused:
        parsing.parse_file("bombe.xml", BOMB)
    assert "refusé" in refused.value.message and "bombe.xml" in refused.value.message


def test_r_dat_1_unknown_uai_refused_without_create_missing(db, etab):
    before = snapshot(db)
    with pytest.raises(ImportRefused, match="Établissement inconnu : 0999777Z"):
        run(base_files(uai="0999777Z"), uai="0999777Z")
    db.session.rollback()
    assert snapshot(db) == before


def test_r_dat_1_two_files_of_the_same_kind_refused(db, etab):
    files = base_files()
    with pytest.raises(ImportRefused, match="Deux fichiers d'élèves|Deux fichiers de élèves"):
        run(files + [("Eleves2.xml", files[1][1])])


def test_r_dat_1_files_of_several_establishments_refused_without_uai(db):
    files = [base_files()[0], base_files(uai="0999002B")[1]]
    with pytest.raises(ImportRefused, match="plusieurs établissements"):
        import_siecle(files, uai=None, create_missing=True, today=TODAY)


def test_r_dat_1_structures_file_gives_labels(db, etab):
    structures = X._doc("BEE_STRUCTURES", U, (
        '<DIVISIONS><DIVISION CODE_STRUCTURE="6A"><LIBELLE_LONG>6e A Jules-Verne</LIBELLE_LONG>'
        '</DIVISION></DIVISIONS><GROUPES><GROUPE CODE_STRUCTURE="LATIN"><LIBELLE_LONG>Latin 5e'
        "</LIBELLE_LONG></GROUPE></GROUPES>\n"))
    summary = run(base_files() + [("Structures.xml", structures)])
    assert summary.counts["divisions"]["created"] == 2
    assert db.session.scalar(select(Division.libelle).where(Division.code == "6A")) == (
        "6e A Jules-Verne")
    assert db.session.scalar(select(Groupe.libelle).where(Groupe.code == "LATIN")) == "Latin 5e"
    assert db.session.scalar(select(Division.libelle).where(Division.code == "5B")) == "5B"


def test_r_dat_1_zip_bomb_refused_before_inflating(db, etab):
    """A member announcing more than SIECLE_MAX_XML_BYTES (150 MB) is refused on its header."""
    buf = io.BytesIO()
    block = b"A" * (1024 * 1024)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("ElevesSansAdresses.xml", "w", force_zip64=True) as member:
            for _ in range(151):
                member.write(block)
    assert len(buf.getvalue()) < 400_000
    before = snapshot(db)
    with pytest.raises(ImportRefused, match="trop volumineuse une fois décompressée"):
        run([("bombe.zip", buf.getvalue())])
    db.session.rollback()
    assert snapshot(db) == before
