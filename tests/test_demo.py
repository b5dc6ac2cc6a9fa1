"""R-DAT-2: the demo establishment — the `admints demo` command, the realism of its data, its
SIECLE XML (same shape as the real exports of tests/fixtures/siecle), determinism, `--if-empty`,
and bad input."""

from __future__ import annotations

import datetime as dt
import json
import re
import stat
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from admints import clock
from admints.comptes.identifiers import PASSWORD_ALPHABET, is_valid_identifier
from admints.demo import loader, population
from admints.models import (
    AccesTeleservice,
    Compte,
    DatePublication,
    Division,
    Eleve,
    EntAcademique,
    Etablissement,
    EtatCompte,
    Evaluation,
    Groupe,
    LienUtile,
    Mef,
    Responsable,
    ResponsableEleve,
    StaffUser,
    Teleservice,
    TeleserviceEtablissement,
    TipiRegie,
    eleve_groupe,
)
from admints.parametrage import portal_links, versions
from admints.secrets_store import decrypt_secret
from admints.siecle import parsing
from admints.teleservices import notes, paiement

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "siecle"
UAI = "0999998Y"
PW = "Demo-Orage-Tilleul-17"
TODAY = dt.date(2026, 11, 28)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _run(runner, *args):
    return runner.invoke(args=["admints", "demo", *args])


@pytest.fixture
def loaded(runner, db):
    result = _run(runner, "--uai", UAI, "--eleves", "60", "--password", PW, "--seed", "3")
    assert result.exit_code == 0, result.output
    return result


def _count(db, stmt):
    return db.session.scalar(stmt)


def test_r_dat_2_command_loads_a_small_establishment(loaded, db):
    assert "chef.0999998y" in loaded.output and "assistance.0999998y" in loaded.output
    assert "academie.demo" in loaded.output
    assert PW not in loaded.output  # a given password is never echoed
    etab = db.session.scalar(select(Etablissement).where(Etablissement.uai == UAI))
    assert etab.nom.startswith("Collège ")
    assert etab.active_le is not None and etab.module_notes_initialise
    assert etab.adresse and etab.ville and etab.telephone and etab.chef_nom
    assert etab.emails and all(EMAIL_RE.match(e) for e in etab.emails)
    assert etab.academie.code == "demo" and etab.annee_scolaire == 2026
    assert _count(db, select(func.count(Eleve.id)).where(Eleve.etablissement_id == etab.id)) == 60
    # The portal has content: a welcome message (in force at once) and useful links.
    assert etab.nom in versions.get(etab.id, "message_accueil", clock.today())
    assert _count(db, select(func.count(LienUtile.id))
                  .where(LienUtile.etablissement_id == etab.id)) == 3


def test_r_dat_2_services_open_as_usual(loaded, db):
    rows = dict(db.session.execute(
        select(Teleservice.code, TeleserviceEtablissement.ouvert)
        .join(TeleserviceEtablissement)).all())
    assert set(rows) >= {"vie_scolaire", "notes", "lsl", "lsu", "fiche_renseignements",
                         "paiement", "folios", "bourses", "inscription"}
    assert rows["notes"] and rows["vie_scolaire"] and rows["lsu"]
    assert not rows["paiement"]  # closed by default (R-SRV-2)


def test_r_dat_2_names_twins_siblings_guardians(loaded, db):
    eleves = db.session.scalars(select(Eleve)).all()
    responsables = db.session.scalars(select(Responsable)).all()
    names = [f"{p.nom} {p.prenom}" for p in [*eleves, *responsables]]
    assert any(not n.isascii() for n in names)  # accents
    assert any("-" in n for n in names) and any("'" in n for n in names)
    assert any(e.nom == "D'Alembert-Nuñez" and e.prenom == "Zoé-Anaïs" for e in eleves)

    links = db.session.execute(select(ResponsableEleve.eleve_id, ResponsableEleve.responsable_id,
                                      ResponsableEleve.niveau)).all()
    children: dict[int, set[int]] = {}
    for eleve_id, resp_id, _ in links:
        children.setdefault(resp_id, set()).add(eleve_id)
    by_id = {e.id: e for e in eleves}
    # Siblings share their guardians.
    shared = [kids for kids in children.values() if len(kids) >= 2]
    assert shared
    # Twins: same family, same birth date, both in the school.
    twins = [kids for kids in shared
             if len({by_id[k].date_naissance for k in kids}) < len(kids)]
    assert twins
    assert Counter(n for _, _, n in links).keys() >= {0, 1, 2}  # légal 1, légal 2, other
    # Guardians without email, without address, with an email of invalid format.
    assert any(r.email is None for r in responsables)
    assert any(r.adresse_ligne1 is None for r in responsables)
    assert any(r.email and not EMAIL_RE.match(r.email) for r in responsables)
    assert sum(1 for r in responsables if r.email and EMAIL_RE.match(r.email)) > len(
        responsables) / 2


def test_r_dat_2_divisions_groups_mefs(loaded, db):
    mefs = db.session.scalars(select(Mef)).all()
    assert {m.libelle for m in mefs} >= {"6ème", "5ème", "4ème"}
    assert all(m.mefstat for m in mefs)
    per_mef = Counter(db.session.execute(
        select(Eleve.mef_id, Eleve.division_id).distinct()).scalars())
    assert per_mef and all(n >= 2 for n in per_mef.values())  # several divisions per MEF
    assert _count(db, select(func.count(Division.id))) >= 8
    assert _count(db, select(func.count(Groupe.id))) >= 3
    assert _count(db, select(func.count()).select_from(eleve_groupe)) > 0


def test_r_dat_2_account_states_spread(loaded, db):
    comptes = db.session.scalars(select(Compte)).all()
    by_kind = {k: Counter(c.etat for c in comptes if c.kind == k)
               for k in ("eleve", "responsable")}
    assert set(by_kind["eleve"]) == {"non_notifie", "notifie", "utilise"}
    assert set(by_kind["responsable"]) == {"non_notifie", "notifie", "en_cours_activation",
                                           "utilise"}
    assert any(c.continuite for c in comptes)
    assert all(is_valid_identifier(c.identifiant) for c in comptes)
    for c in comptes:
        if c.etat == EtatCompte.NON_NOTIFIE:
            assert c.date_notification is None
        else:
            assert c.date_notification and c.mode_notification in ("courrier", "courriel")
            assert c.date_notification.date() <= TODAY or c.date_notification.date() <= \
                clock.today()
        if c.etat in (EtatCompte.NOTIFIE, EtatCompte.EN_COURS_ACTIVATION):
            pwd = decrypt_secret(c.mot_de_passe_provisoire_chiffre)
            assert pwd and len(pwd) == 8 and set(pwd) <= set(PASSWORD_ALPHABET)
        if c.etat == EtatCompte.UTILISE:
            assert c.mot_de_passe_provisoire_chiffre is None  # erased once activated
            assert c.mot_de_passe_hash.startswith("$argon2id$")
            assert c.derniere_connexion and c.date_activation
        if c.etat == EtatCompte.EN_COURS_ACTIVATION:
            assert c.email and not c.email_valide and c.derniere_connexion
        if c.continuite:
            assert c.etat == EtatCompte.UTILISE
    used_resp = [c for c in comptes if c.kind == "responsable" and c.etat == "utilise"]
    assert used_resp and all(c.email and c.email_valide for c in used_resp)
    # Used accounts share one hash (computed once), so they log in with the demo password.
    assert len({c.mot_de_passe_hash for c in comptes if c.mot_de_passe_hash}) == 1


def test_r_dat_2_visits_and_notes(loaded, db):
    visits = db.session.execute(select(AccesTeleservice.visited_at, AccesTeleservice.mef_id,
                                       AccesTeleservice.teleservice_id)).all()
    assert len(visits) > 50
    assert all(v.mef_id is not None for v in visits)
    assert min(v.visited_at for v in visits) >= dt.datetime(2026, 9, 1)
    assert max(v.visited_at for v in visits).date() <= clock.today()
    open_ids = set(db.session.scalars(select(TeleserviceEtablissement.teleservice_id)
                                      .where(TeleserviceEtablissement.ouvert.is_(True))))
    assert {v.teleservice_id for v in visits} <= open_ids
    assert len({v.teleservice_id for v in visits}) >= 3
    assert len({v.visited_at.month for v in visits}) >= 2
    assert _count(db, select(func.count(Evaluation.id))) > 0
    assert _count(db, select(func.count(DatePublication.id))) > 0


def _referentiels(db):
    regies = dict(db.session.execute(select(TipiRegie.numero_client,
                                            TipiRegie.libelle_regie)).all())
    ents = db.session.scalars(select(EntAcademique).order_by(EntAcademique.id)).all()
    return regies, ents


def test_r_dat_2_academie_tipi_referentiel_and_ent_list(loaded, db):
    """R-SRV-5 / R-PAR-3 in a demo: the académie's TIPI référentiel holds the school's own régie
    (the paiement confirmation finds it) and its ENT list has two https entries to choose."""
    etab = db.session.scalar(select(Etablissement).where(Etablissement.uai == UAI))
    regies, ents = _referentiels(db)
    assert len(regies) == 3 and regies[UAI[:7]] == f"Régie de recettes du {etab.nom}"
    assert "Paiement en ligne : numéro de client TIPI 0999998" in loaded.output
    assert paiement.validate(etab, UAI[:7], "15", "intendance@ac-demo.fr")["regie"] == \
        regies[UAI[:7]]
    assert len(ents) == 2 and all(e.academie_id == etab.academie_id for e in ents)
    assert all(e.url.startswith("https://") and e.nom for e in ents)
    assert [portal_links.check_http_url(e.url, "L'adresse de l'ENT") for e in ents] == \
        [e.url for e in ents]
    assert portal_links.build_ent(etab, "mixte", ents[1].id) == {
        "type": "mixte", "url": ents[1].url, "nom": ents[1].nom}


def test_r_dat_2_notes_publication_a_echeance(loaded, db):
    """R-SRV-4: the demo has échéance dates, so its Notes service publishes « à échéance »,
    in force since the rentrée (chosen the day before, next-day rule kept)."""
    etab = db.session.scalar(select(Etablissement).where(Etablissement.uai == UAI))
    assert _count(db, select(func.count(DatePublication.id))) > 0
    assert notes.mode_on(etab.id, dt.date(2026, 9, 1)) == notes.ECHEANCE
    assert notes.mode_on(etab.id, dt.date(2026, 8, 31)) == notes.FIL_DE_L_EAU
    assert notes.mode_on(etab.id, clock.today()) == notes.ECHEANCE
    assert "Notes : publication à échéance" in loaded.output


def test_r_dat_2_referentiels_once_per_academie(loaded, runner, db):
    """A second demo school of the académie adds only its own régie; a third one in another
    académie gets that académie's own référentiel and ENT list."""
    regies, ents = _referentiels(db)
    result = _run(runner, "--uai", "0999997Z", "--eleves", "12", "--password", PW, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["tipi_numero"] == "0999997"
    regies2, ents2 = _referentiels(db)
    assert set(regies2) - set(regies) == {"0999997"}
    assert [e.id for e in ents2] == [e.id for e in ents]
    result = _run(runner, "--uai", "0999996A", "--eleves", "12", "--password", PW,
                  "--academie", "nord")
    assert result.exit_code == 0, result.output
    ents3 = _referentiels(db)[1]
    assert _count(db, select(func.count(TipiRegie.id))) == len(regies2) + 3
    assert len(ents3) == 4
    assert {e.url for e in ents3} > {"https://college.ent.ac-nord.fr/"}


def test_r_dat_2_demo_head_uses_paiement_and_ent_screens(loaded, client, auth, db):
    """The demo head goes through the paiement confirmation step and the ENT choice."""
    from .settings_helpers import post, text

    assert auth.login("chef.0999998y", PW).status_code == 302
    etab = db.session.scalar(select(Etablissement).where(Etablissement.uai == UAI))
    html = text(post(client, auth, "/services/paiement/",
                     {"numero": UAI[:7], "montant": "15", "email": "intendance@ac-demo.fr"}))
    assert f"Régie de recettes du {etab.nom}" in html and "Confirmez-vous" in html
    page = text(client.get("/parametrage/ent/"))
    assert all(e.nom in page for e in _referentiels(db)[1])


def test_r_dat_2_staff_users_log_in(loaded, db, client, auth):
    users = {u.login: u for u in db.session.scalars(select(StaffUser))}
    assert users["chef.0999998y"].role == "chef"
    assert users["assistance.0999998y"].role == "assistance"
    assert users["academie.demo"].role == "academie"
    assert users["chef.0999998y"].etablissement.uai == UAI
    assert auth.login("chef.0999998y", PW).status_code == 302
    assert "Année scolaire 2026/2027" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert auth.login("assistance.0999998y", "mauvais-mot-de-passe").status_code != 302


def test_r_dat_2_second_establishment_same_academie_user_once(loaded, runner, db):
    result = _run(runner, "--uai", "0999997Z", "--eleves", "15", "--password", PW,
                  "--type", "lycee", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["logins_crees"] == ["chef.0999997z", "assistance.0999997z"]
    assert report["type"] == "lycee" and report["eleves"] == 15
    assert report["password"] is None  # given, not generated: not echoed
    assert _count(db, select(func.count(StaffUser.id))
                  .where(StaffUser.login == "academie.demo")) == 1
    lycee = db.session.scalar(select(Etablissement).where(Etablissement.uai == "0999997Z"))
    assert lycee.nom.startswith("Lycée ")
    libelles = set(db.session.scalars(select(Mef.libelle).where(
        Mef.etablissement_id == lycee.id)))
    assert "1re générale" in libelles and "1ERE STMG" in libelles
    # Identifiers stay unique across establishments.
    idents = db.session.scalars(select(Compte.identifiant)).all()
    assert len(idents) == len(set(idents))


def _snapshot(db):
    rows = db.session.execute(
        select(Eleve.siecle_id, Eleve.nom, Eleve.prenom, Eleve.date_naissance, Division.code,
               Compte.identifiant, Compte.etat, Compte.continuite)
        .join(Division, Division.id == Eleve.division_id)
        .join(Compte, Compte.id == Eleve.compte_id).order_by(Eleve.siecle_id)).all()
    resp = db.session.execute(select(Responsable.siecle_id, Responsable.nom, Responsable.email)
                              .order_by(Responsable.siecle_id)).all()
    visits = _count(db, select(func.count(AccesTeleservice.id)))
    return [tuple(r) for r in rows], [tuple(r) for r in resp], visits


def test_r_dat_2_same_seed_same_data(app, db):
    first = loader.load_demo(UAI, 40, "college", 7, PW, TODAY)
    db.session.commit()
    snap = _snapshot(db)
    db.session.remove()
    db.drop_all()
    db.create_all()
    second = loader.load_demo(UAI, 40, "college", 7, PW, TODAY)
    db.session.commit()
    assert _snapshot(db) == snap
    assert first.comptes == second.comptes and first.acces == second.acces


def test_r_dat_2_early_in_the_year_nothing_in_the_future(app, db):
    """Run on 10 September: no notification, login or visit after that day."""
    early = dt.date(2026, 9, 10)
    loader.load_demo(UAI, 40, "college", 2, PW, early)
    db.session.commit()
    end = dt.datetime(2026, 9, 11)
    for column in (Compte.date_notification, Compte.derniere_connexion, Compte.date_activation):
        assert (_count(db, select(func.max(column))) or end) < end
    assert _count(db, select(func.max(AccesTeleservice.visited_at))) < end
    assert _count(db, select(func.max(Evaluation.date_controle))) <= early


def test_r_dat_2_xml_deterministic_and_seed_dependent(tmp_path):
    a = loader.write_demo_xml(tmp_path / "a", uai=UAI, eleves=50, seed=1, today=TODAY)
    b = loader.write_demo_xml(tmp_path / "b", uai=UAI, eleves=50, seed=1, today=TODAY)
    c = loader.write_demo_xml(tmp_path / "c", uai=UAI, eleves=50, seed=2, today=TODAY)
    assert [p.name for p in a] == ["Nomenclature.xml", "ElevesSansAdresses.xml",
                                   "ResponsablesAvecAdresses.xml"]
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert [p.read_bytes() for p in a] != [p.read_bytes() for p in c]


def _children(root: ET.Element, path: str) -> set[str]:
    return {child.tag for el in root.iterfind(path) for child in el}


def test_r_dat_2_xml_has_the_shape_of_real_siecle_exports(tmp_path):
    paths = {p.name: p for p in loader.write_demo_xml(tmp_path, uai=UAI, eleves=80, seed=4,
                                                     type="lycee", today=TODAY)}
    for path in paths.values():
        assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>')
    ours = {k: ET.fromstring(p.read_bytes()) for k, p in paths.items()}
    real_eleves = ET.parse(SAMPLES / "eleves_avec_adresse_avec_double_structure.xml").getroot()
    real_resp = ET.parse(SAMPLES / "responsables_avec_adresses_simple.xml").getroot()
    real_nomen = ET.parse(SAMPLES / "Nomenclature-2018-19_0750680G.xml").getroot()
    assert ours["ElevesSansAdresses.xml"].tag == real_eleves.tag == "BEE_ELEVES"
    assert ours["ResponsablesAvecAdresses.xml"].tag == real_resp.tag == "BEE_RESPONSABLES"
    assert ours["Nomenclature.xml"].tag == real_nomen.tag == "BEE_NOMENCLATURES"
    for name, real in (("ElevesSansAdresses.xml", real_eleves),
                       ("ResponsablesAvecAdresses.xml", real_resp),
                       ("Nomenclature.xml", real_nomen)):
        assert _children(ours[name], "PARAMETRES") == _children(real, "PARAMETRES")
    pairs = [
        ("ElevesSansAdresses.xml", real_eleves, "DONNEES/ELEVES/ELEVE"),
        ("ElevesSansAdresses.xml", real_eleves, "DONNEES/ELEVES/ELEVE/SCOLARITE_AN_DERNIER"),
        ("ElevesSansAdresses.xml", real_eleves, "DONNEES/STRUCTURES/STRUCTURES_ELEVE/STRUCTURE"),
        ("ResponsablesAvecAdresses.xml", real_resp, "DONNEES/PERSONNES/PERSONNE"),
        ("ResponsablesAvecAdresses.xml", real_resp, "DONNEES/RESPONSABLES/RESPONSABLE_ELEVE"),
        ("ResponsablesAvecAdresses.xml", real_resp, "DONNEES/ADRESSES/ADRESSE"),
        ("Nomenclature.xml", real_nomen, "DONNEES/MEFS/MEF"),
    ]
    for name, real, path in pairs:
        mine = _children(ours[name], path)
        assert mine, path
        assert mine <= _children(real, path), (path, mine - _children(real, path))
    # New guardian format only; the two kinds of structure (division, group).
    assert not list(ours["ResponsablesAvecAdresses.xml"].iter("RESP_LEGAL"))
    kinds = {s.findtext("TYPE_STRUCTURE") for s in ours["ElevesSansAdresses.xml"].iter(
        "STRUCTURE")}
    assert kinds == {"D", "G"}


def test_r_dat_2_xml_reads_back_through_the_siecle_parser(tmp_path):
    files = [(p.name, p.read_bytes()) for p in loader.write_demo_xml(
        tmp_path, uai=UAI, eleves=30, seed=0, today=TODAY)]
    parsed = {p.kind: p for p in parsing.parse_files(files)}
    assert len(parsed["eleves"].eleves) == 30
    assert {e.nom for e in parsed["eleves"].eleves} >= {"D'Alembert-Nuñez", "Œhlenschläger"}
    assert parsed["eleves"].nom_etablissement.startswith("COLLEGE ")
    assert {lien.niveau for lien in parsed["responsables"].liens} >= {1, 2, 0}
    assert len(parsed["nomenclature"].mefs) == 4


def test_r_dat_2_generated_password_kept_and_reprinted(runner, app, db, tmp_path):
    path = tmp_path / "instance" / "demo_password"
    app.config["DEMO_PASSWORD_FILE"] = str(path)
    first = _run(runner, "--if-empty", "--uai", UAI, "--eleves", "20")
    assert first.exit_code == 0, first.output
    password = path.read_text().strip()
    assert len(password) >= 12 and password in first.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert auth_ok(app, "chef.0999998y", password)

    before = _count(db, select(func.count(Eleve.id)))
    second = _run(runner, "--if-empty", "--uai", UAI, "--eleves", "20")
    assert second.exit_code == 0, second.output
    assert "rien n'est chargé" in second.output
    assert password in second.output and "chef.0999998y" in second.output
    assert _count(db, select(func.count(Eleve.id))) == before
    assert _count(db, select(func.count(Etablissement.id))) == 1

    as_json = json.loads(_run(runner, "--if-empty", "--uai", UAI, "--json").output)
    assert as_json["skipped"] is True and as_json["password"] == password


def auth_ok(app, login: str, password: str) -> bool:
    from admints.academie.users import authenticate

    return authenticate(login, password) is not None


@pytest.mark.parametrize(("args", "message"), [
    (["--uai", UAI, "--eleves", "0"], "au moins 1"),
    (["--uai", UAI, "--eleves", "-5"], "au moins 1"),
    (["--uai", UAI, "--eleves", "beaucoup"], "Nombre d'élèves invalide"),
    (["--uai", "12345", "--eleves", "10"], "UAI invalide"),
    (["--uai", "ABCDEFGH", "--eleves", "10"], "UAI invalide"),
    (["--uai", UAI, "--eleves", "10", "--type", "ecole"], "Type d'établissement inconnu"),
    (["--uai", UAI, "--eleves", "10", "--seed", "x"], "Graine invalide"),
    (["--uai", UAI, "--eleves", "10", "--password", "court"], "au moins 12 caractères"),
    (["--uai", UAI, "--eleves", "10", "--academie", "pas bon!"], "Code d'académie invalide"),
    (["--uai", UAI, "--xml-only"], "--xml-out"),
])
def test_r_dat_2_bad_input_french_error_nothing_written(runner, db, args, message):
    result = _run(runner, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert _count(db, select(func.count(Etablissement.id))) == 0
    assert _count(db, select(func.count(StaffUser.id))) == 0


def test_r_dat_2_existing_uai_refused(loaded, runner, db):
    result = _run(runner, "--uai", UAI, "--eleves", "10", "--password", PW)
    assert result.exit_code == 1 and "existe déjà" in result.output
    assert _count(db, select(func.count(Eleve.id))) == 60


def test_r_dat_2_xml_out_and_xml_only(runner, db, tmp_path):
    result = _run(runner, "--uai", UAI, "--eleves", "12", "--xml-only",
                  "--xml-out", str(tmp_path / "xml"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "xml").iterdir()) == [
        "ElevesSansAdresses.xml", "Nomenclature.xml", "ResponsablesAvecAdresses.xml"]
    assert _count(db, select(func.count(Etablissement.id))) == 0
    result = _run(runner, "--uai", UAI, "--eleves", "12", "--password", PW, "--json",
                  "--xml-out", str(tmp_path / "xml2"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert len(report["xml_files"]) == 3 and report["eleves"] == 12
    assert report["import_summary"]["comptes"]["created"] > 12


def test_r_dat_2_population_sizes_exact():
    for n in (1, 5, 12, 333):
        pop = population.generate(UAI, n, "college", 0)
        assert len(pop.pupils) == n
        assert len({p.siecle_id for p in pop.pupils}) == n
        ids = {p.siecle_id for p in pop.pupils}
        assert all(link.eleve_id in ids for link in pop.links)
        assert {p.division for p in pop.pupils} <= set(pop.divisions)
