"""Fiche établissement (issue 12 point 2, guide §3.2.1 « l'entête est identique pour tous »):
validation in French, the screen (head, académie, délégué, other académie), the header of letters
and class lists, the refusal to print a letter with a hole in its header (domain, screen action,
CLI notify, class list), and the CLI `admints etablissement`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pypdf import PdfReader

from admints.comptes import class_lists, notification
from admints.errors import DomainError
from admints.extensions import db
from admints.models import AuditEntry, Etablissement
from admints.parametrage import fiche

from . import factories as f
from .comptes_helpers import all_state, post_action, school
from .db_snapshot import db_snapshot
from .settings_helpers import post, relogin, text

TODAY = dt.date(2026, 11, 28)
FICHE = "/parametrage/fiche/"
GOOD = {"nom": "Collège Victor-Hugo", "adresse": "1 bis avenue de Lachapelle",
        "code_postal": "54120", "ville": "Baccarat", "telephone": "0383751234",
        "courriel": "ce.0999001a@ac-nancy-metz.fr", "chef_nom": "Christine Mérand",
        "chef_titre": "La principale"}

HOSTILE = [
    ("code_postal", "5412", "Code postal invalide"),
    ("code_postal", "54 120", "Code postal invalide"),
    ("code_postal", "٥٤١٢٠", "Code postal invalide"),  # Arabic-Indic digits
    ("telephone", "12345", "Téléphone invalide"),
    ("telephone", "+44 20 7946 0958", "Téléphone invalide"),
    ("telephone", "0" * 25, "20 caractères au plus"),
    ("courriel", "ce@", "Courriel invalide"),
    ("courriel", "a b@ac-lille.fr", "Courriel invalide"),
    ("courriel", "x" * 250 + "@a.fr", "254 caractères au plus"),
    ("nom", "", "Le nom de l'établissement est obligatoire"),
    ("nom", "   ", "Le nom de l'établissement est obligatoire"),
    ("nom", "Collège\nVictor", "caractère non autorisé"),
    ("ville", "Baccarat\x00", "caractère non autorisé"),
    ("adresse", "1 rue\u202e", "caractère non autorisé"),  # bidi override
    ("adresse", "a" * 301, "300 caractères au plus"),
    ("chef_nom", "é" * 201, "200 caractères au plus"),
]


def _letter_text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


@pytest.mark.parametrize(("key", "value", "message"), HOSTILE)
def test_issue12_fiche_hostile_values_refused_in_french_nothing_changed(db, etab, key, value,
                                                                         message):
    """Issue 12 pt 2: every check of the Fiche gives a French message and writes nothing."""
    before = db_snapshot(db)
    with pytest.raises(DomainError) as err:
        fiche.update_fiche(etab, {**GOOD, key: value})
    db.session.rollback()
    assert message in err.value.message
    assert db_snapshot(db) == before


def test_issue12_fiche_unknown_field_and_non_text_refused(db, etab):
    with pytest.raises(DomainError, match="Champ inconnu"):
        fiche.update_fiche(etab, {"uai": "0000000X"})
    with pytest.raises(DomainError, match="valeur invalide"):
        fiche.update_fiche(etab, {"ville": ["Lille"]})


@pytest.mark.parametrize(("raw", "shown"), [
    ("0383751234", "03 83 75 12 34"), ("03.83.75.12.34", "03 83 75 12 34"),
    ("+33 3 83 75 12 34", "03 83 75 12 34"), ("0033383751234", "03 83 75 12 34"),
    ("03-83-75-12-34", "03 83 75 12 34"), ("06\u00a012 34 56 78", "06 12 34 56 78"),
])
def test_issue12_fiche_french_phone_normalised(raw, shown):
    assert fiche.format_phone(raw) == shown


def test_issue12_fiche_saved_audited_and_printed_in_letter_header(db, etab, tmp_path):
    """Issue 12 pt 2 / R-PAR-4: the Fiche makes the header and the signature of the letters."""
    etab.emails = ["ancienne@ac-demo.fr", "secretariat@ac-demo.fr"]
    fiche.update_fiche(etab, GOOD, by="chef.0999001a")
    db.session.commit()
    assert etab.emails == ["ce.0999001a@ac-nancy-metz.fr", "ancienne@ac-demo.fr",
                           "secretariat@ac-demo.fr"]
    assert etab.telephone == "03 83 75 12 34"
    entry = db.session.scalar(db.select(AuditEntry)
                              .where(AuditEntry.action == "etablissement.fiche"))
    assert entry.login == "chef.0999001a" and "Baccarat" in entry.after
    eleve = f.make_eleve(etab, "AUBERT", "Léa", identifiant="lea.aubert")
    db.session.commit()
    out = tmp_path / "l.pdf"
    notification.notify(etab.id, "eleve", [eleve.compte_id], mode="papier", today=TODAY,
                        out_path=out)
    page = _letter_text(out)
    for expected in ("Académie de Démo", "Collège Victor-Hugo", "1 bis avenue de Lachapelle",
                     "54120 Baccarat", "03 83 75 12 34", "ce.0999001a@ac-nancy-metz.fr",
                     "Baccarat, le 28/11/2026", "La principale", "Christine Mérand"):
        assert expected in page, expected
    assert "Le chef d'établissement" not in page


@pytest.mark.parametrize("missing", ["adresse", "code_postal", "ville", "telephone",
                                     "courriel", "chef_nom"])
def test_issue12_notification_refused_before_any_change_names_the_field(db, etab, tmp_path,
                                                                         missing):
    """Issue 12 pt 2: a letter is never printed with an empty mandatory header field; the
    domain operation refuses before the outbox or any account changes, naming the field."""
    s = school(etab, n_6a=2, n_6b=0, with_guardians=False)
    fiche.update_fiche(etab, {missing: ""})
    db.session.commit()
    before = db_snapshot(db)
    with pytest.raises(DomainError) as err:
        notification.notify(etab.id, "eleve", [e.compte_id for e in s["eleves"]],
                            mode="papier", today=TODAY, out_path=tmp_path / "n.pdf")
    db.session.rollback()
    assert fiche.FIELDS[missing][0] in err.value.message
    assert "Fiche établissement" in err.value.message
    assert db_snapshot(db) == before and not (tmp_path / "n.pdf").exists()


def test_issue12_no_academie_refused_says_who_attaches(db, etab, tmp_path):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    etab.academie_id = None
    db.session.commit()
    with pytest.raises(DomainError, match="administrateur académique doit rattacher"):
        notification.notify(etab.id, "eleve", [s["eleves"][0].compte_id], mode="papier",
                            today=TODAY, out_path=tmp_path / "n.pdf")


def test_issue12_screen_action_refused_with_field_named_nothing_changed(client, auth, etab):
    """Issue 12 pt 2: the bulk « Notifier » of the list says which field to fill."""
    s = school(etab, n_6a=2, n_6b=0, with_guardians=False)
    etab.ville = None
    db.session.commit()
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    resp = post_action(client, "/eleves/", "notifier", rowids=[e.id for e in s["eleves"]],
                       confirme="1", mode="papier")
    if resp.status_code == 302:
        resp = client.get(resp.location)
    assert "À renseigner : Ville" in text(resp)
    assert all_state([e.compte_id for e in s["eleves"]])
    assert db_snapshot(db) == before


def test_issue12_cli_notify_refused_exit_code_and_message(runner, db, etab, tmp_path):
    school(etab, n_6a=1, n_6b=0, with_guardians=False)
    etab.telephone = ""
    db.session.commit()
    before = db_snapshot(db)
    result = runner.invoke(args=["admints", "notify", "--uai", "0999001A", "--kind", "eleve",
                                 "--out", str(tmp_path / "n.pdf")])
    assert result.exit_code == 1
    assert "À renseigner : Téléphone" in result.output
    assert db_snapshot(db) == before


def test_issue12_class_list_pdf_has_fiche_details_and_refuses_hole(db, etab, tmp_path):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    db.session.commit()
    ref = class_lists.resolve_class(etab.id, s["6A"].id, None)
    data = class_lists.class_list_pdf(etab.id, ref, out_dir=tmp_path, today=TODAY, by="t")
    (tmp_path / "c.pdf").write_bytes(data)
    page = _letter_text(tmp_path / "c.pdf")
    assert "Académie de Démo" in page and "Lille" in page and "03 20 00 00 00" in page
    etab.chef_nom = ""
    db.session.commit()
    before = db_snapshot(db)
    with pytest.raises(DomainError, match="Nom du chef d'établissement"):
        class_lists.class_list_pdf(etab.id, ref, out_dir=tmp_path, today=TODAY, by="t")
    db.session.rollback()
    assert db_snapshot(db) == before


# --- the screen ----------------------------------------------------------------------------------

def test_issue12_head_edits_fiche_on_screen(client, auth, etab):
    auth.login("chef.0999001a")
    page = text(client.get(FICHE))
    assert "Fiche établissement" in page and 'value="Lille"' in page
    assert "L'en-tête des courriers est complet" in page
    resp = post(client, auth, FICHE, GOOD)
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Etablissement, etab.id).ville == "Baccarat"
    page = text(client.get(FICHE))
    assert 'href="mailto:ce.0999001a@ac-nancy-metz.fr"' in page  # issue 12 pt 3


@pytest.mark.parametrize(("key", "value", "message"), HOSTILE[::3])
def test_issue12_screen_hostile_post_400_french_nothing_changed(client, auth, etab, key, value,
                                                                message):
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    resp = post(client, auth, FICHE, {**GOOD, key: value})
    assert resp.status_code == 400
    # A NUL byte is refused by the request guard before the view (French 400 page).
    assert message in text(resp) if "\x00" not in value else "Erreur 400" in text(resp)
    assert db_snapshot(db) == before


def test_issue12_screen_huge_and_missing_fields_no_500(client, auth, etab):
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    resp = post(client, auth, FICHE, {"nom": "x" * 100_000})
    assert resp.status_code == 400 and "200 caractères au plus" in text(resp)
    assert db_snapshot(db) == before


def test_issue12_incomplete_fiche_warns_on_screen(client, auth, etab):
    etab.adresse = None
    db.session.commit()
    auth.login("chef.0999001a")
    page = text(client.get(FICHE))
    assert "En-tête incomplet" in page and "Adresse" in page


def test_issue12_academie_edits_its_establishments_other_academie_404(client, auth, etab):
    aca = etab.academie
    f.make_user("academie.demo", "academie", academie=aca)
    autre = f.make_etablissement(uai="0999003C", nom="Lycée d'ailleurs",
                                 academie=f.make_academie("autre", "Autre"), with_users=False)
    db.session.commit()
    auth.login("academie.demo")
    assert client.get(f"{FICHE}{etab.id}/").status_code == 200
    resp = post(client, auth, f"{FICHE}{etab.id}/", {**GOOD, "ville": "Lunéville"},
                page=f"{FICHE}{etab.id}/")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Etablissement, etab.id).ville == "Lunéville"
    before = db_snapshot(db)
    assert client.get(f"{FICHE}{autre.id}/").status_code == 404
    resp = post(client, auth, f"{FICHE}{autre.id}/", GOOD, page=f"{FICHE}{etab.id}/")
    assert resp.status_code == 404
    assert client.get(f"{FICHE}99999999999999999999/").status_code == 404
    assert db_snapshot(db) == before


def test_issue12_head_cannot_open_another_establishment_fiche(client, auth, etab, other_etab):
    auth.login("chef.0999001a")
    assert client.get(f"{FICHE}{other_etab.id}/").status_code == 404
    assert client.get(f"{FICHE}{etab.id}/").status_code == 200


def test_issue12_delegue_reads_only(client, auth, etab):
    f.make_user("deleg.param", "delegue", etablissement=etab, droits=["parametrage"])
    db.session.commit()
    auth.login("deleg.param")
    page = text(client.get(FICHE))
    assert "Consultation seule" in page
    before = db_snapshot(db)
    resp = post(client, auth, FICHE, GOOD)
    assert resp.status_code == 403
    assert db_snapshot(db) == before
    relogin(client, auth, "assistance.0999001a")
    assert client.get(FICHE).status_code == 403


# --- the CLI -----------------------------------------------------------------------------------

def test_issue12_cli_prints_and_sets_fiche(runner, db, etab):
    result = runner.invoke(args=["admints", "etablissement", "--uai", "0999001a", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ville"] == "Lille" and data["en_tete_complet"] is True
    result = runner.invoke(args=[
        "admints", "etablissement", "--uai", "0999001A", "--nom", "Collège Victor-Hugo",
        "--adresse", "1 bis avenue de Lachapelle", "--code-postal", "54120",
        "--ville", "Baccarat", "--telephone", "03.83.75.12.34",
        "--courriel", "ce@ac-nancy-metz.fr", "--chef", "Christine Mérand",
        "--titre", "La principale"])
    assert result.exit_code == 0, result.output
    assert "Ville : Baccarat" in result.output
    assert "En-tête des courriers : complet" in result.output
    db.session.expire_all()
    etab = db.session.get(Etablissement, etab.id)
    assert (etab.telephone, etab.chef_nom, etab.emails[0]) == (
        "03 83 75 12 34", "Christine Mérand", "ce@ac-nancy-metz.fr")


@pytest.mark.parametrize(("args", "message"), [
    (["--code-postal", "ABCDE"], "Code postal invalide"),
    (["--telephone", "123"], "Téléphone invalide"),
    (["--courriel", "ce@"], "Courriel invalide"),
    (["--ville", "Lille", "--nom", ""], "Le nom de l'établissement est obligatoire"),
    (["--academie", "nulle-part"], "Académie inconnue"),
])
def test_issue12_cli_refuses_like_the_screen_nothing_changed(runner, db, etab, args, message):
    before = db_snapshot(db)
    result = runner.invoke(args=["admints", "etablissement", "--uai", "0999001A", *args])
    assert result.exit_code == 1 and message in result.output
    assert db_snapshot(db) == before


def test_issue12_cli_unknown_or_bad_uai(runner, db, etab):
    for uai, message in (("0999999Z", "Établissement inconnu"), ("x" * 50, "UAI invalide")):
        result = runner.invoke(args=["admints", "etablissement", "--uai", uai])
        assert result.exit_code == 1 and message in result.output


# --- SIECLE import: prefill and académie ---------------------------------------------------------

def _import_sample(**kw):
    from admints.siecle.importer import import_siecle

    from .test_siecle_import import sample
    return import_siecle([sample("eleves_avec_adresse_avec_double_structure.xml")],
                         uai="0660864F", today=TODAY, create_missing=True, **kw)


def test_issue12_import_prefills_fiche_and_attaches_to_academie_of_departement(db):
    """Issue 12 pt 2 / R-DAT-1: a created establishment takes the details the export gives
    (SCOLARITE_AN_DERNIER of its own UAI) and the académie of its département (066 →
    Montpellier)."""
    f.make_academie("demo", "Démo")
    montpellier = f.make_academie("montpellier", "Montpellier")
    db.session.commit()
    summary = _import_sample()
    db.session.commit()
    etab = db.session.scalar(db.select(Etablissement).where(Etablissement.uai == "0660864F"))
    assert etab.academie_id == montpellier.id and summary.academie == "Montpellier"
    assert (etab.adresse, etab.ville, etab.telephone, etab.emails) == (
        "Allée DE BARCELONE", "TOULOUGES", "04 68 39 49 40", ["ce.0660864F@ac-montpellier.fr"])
    assert set(summary.fiche_completee) == {"adresse", "ville", "telephone", "courriel"}
    assert "Rattaché à l'académie de Montpellier" in "\n".join(summary.lines_fr())
    # No postal code in the export: the head must type it before any letter is printed.
    assert fiche.missing_header_fields(etab) == ["Code postal", "Nom du chef d'établissement"]


def test_issue12_import_never_overwrites_the_fiche(db):
    f.make_academie("montpellier", "Montpellier")
    _import_sample()
    etab = db.session.scalar(db.select(Etablissement).where(Etablissement.uai == "0660864F"))
    fiche.update_fiche(etab, {"ville": "Toulouges", "telephone": "04 68 00 00 00"})
    db.session.commit()
    summary = _import_sample()
    db.session.commit()
    db.session.expire_all()
    etab = db.session.get(Etablissement, etab.id)
    assert (etab.ville, etab.telephone) == ("Toulouges", "04 68 00 00 00")
    assert summary.fiche_completee == []


def test_issue12_import_unknown_academie_listed_to_attach(client, auth, db):
    """Issue 12 pt 2: without the académie of its département in the product, the created
    establishment is listed « à rattacher »; an académie administrator attaches it and it
    appears in that académie's lists."""
    aca = f.make_academie("demo", "Démo")
    f.make_user("academie.demo", "academie", academie=aca)
    db.session.commit()
    summary = _import_sample()
    db.session.commit()
    assert summary.academie is None
    assert "un administrateur académique doit le rattacher" in "\n".join(summary.lines_fr())
    etab = db.session.scalar(db.select(Etablissement).where(Etablissement.uai == "0660864F"))
    auth.login("academie.demo")
    page = text(client.get("/academie/rattacher/"))
    assert "0660864F" in page and "Montpellier" in page
    assert "0660864F" not in text(client.get("/etablissements/"))
    assert client.get(f"{FICHE}{etab.id}/").status_code == 404
    before = db_snapshot(db)
    for hostile in ("abc", "99999999999999999999", ""):
        resp = post(client, auth, "/academie/rattacher/", {"etablissement_id": hostile})
        assert resp.status_code == 404
    assert db_snapshot(db) == before
    resp = post(client, auth, "/academie/rattacher/", {"etablissement_id": str(etab.id)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Etablissement, etab.id).academie_id == aca.id
    assert "0660864F" in text(client.get("/etablissements/"))
    assert client.get(f"{FICHE}{etab.id}/").status_code == 200
    # Attached once: it never moves to another académie by this screen.
    assert post(client, auth, "/academie/rattacher/",
                {"etablissement_id": str(etab.id)}).status_code == 404


def test_issue12_cli_attaches_an_unattached_establishment(runner, db):
    f.make_academie("demo", "Démo")
    db.session.commit()
    _import_sample()
    db.session.commit()
    result = runner.invoke(args=["admints", "etablissement", "--uai", "0660864F",
                                 "--academie", "demo", "--code-postal", "66350",
                                 "--chef", "Jean Dupont", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["academie"] == "Démo" and data["en_tete_complet"] is True


def test_issue12_departement_mapping():
    from admints.academie import departements

    assert departements.academie_name("0590001A") == "Lille"
    assert departements.academie_name("6200001A") == "Corse"
    assert departements.academie_name("9740001A") == "La Réunion"
    assert departements.academie_name("0999001A") is None


def test_issue12_academie_list_links_each_establishment_to_its_fiche(client, auth, etab):
    f.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    auth.login("academie.demo")
    page = text(client.get("/etablissements/"))
    assert f'href="{FICHE}{etab.id}/"' in page


def test_issue12_academie_establishment_form_checks_like_the_fiche(db, etab):
    from admints.academie import etablissements

    before = db_snapshot(db)
    for key, value, message in (("code_postal", "ABCDE", "Code postal invalide"),
                                ("telephone", "12", "Téléphone invalide"),
                                ("ville", "Lille\nBcc", "caractère non autorisé")):
        with pytest.raises(DomainError, match=message):
            etablissements.update_etablissement(etab, **{key: value})
        db.session.rollback()
    assert db_snapshot(db) == before
    etablissements.update_etablissement(etab, telephone="+33 3 20 00 00 09")
    assert etab.telephone == "03 20 00 00 09"


def test_issue12_demo_establishment_has_a_complete_fiche(db):
    """R-DAT-2 / issue 12: the demo establishment prints letters: its Fiche is complete."""
    from admints.demo import loader

    loader.load_demo("0999777D", 10, "college", 3, "Demo-Passe-2026!", TODAY)
    db.session.commit()
    etab = db.session.scalar(db.select(Etablissement).where(Etablissement.uai == "0999777D"))
    assert fiche.missing_header_fields(etab) == []
    fiche.check(fiche.values(etab))  # every value passes the screen's checks


def test_issue13_fiche_error_tied_to_its_field_with_a_focused_summary(client, auth, etab):
    """Issue 13 point 3 (RGAA 11.10): a refused field is marked `aria-invalid`, described by
    its error text, and a summary (focused by admints.js) links to it; nothing changed."""
    import re

    auth.login("chef.0999001a")
    before = db_snapshot(db)
    resp = post(client, auth, FICHE, {**GOOD, "code_postal": "59 0"})
    page = text(resp)
    assert resp.status_code == 400 and db_snapshot(db) == before
    field = re.search(r'<input[^>]*id="fiche-code_postal"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and "fr-input--error" in field
    described = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
    assert "fiche-code_postal-erreur" in described
    error = re.search(r'id="fiche-code_postal-erreur">([^<]+)<', page).group(1)
    assert error.startswith("Code postal invalide")
    summary = re.search(r'<div[^>]*data-resume-erreurs[^>]*>.*?</div>', page, re.S).group(0)
    assert 'href="#fiche-code_postal"' in summary and 'role="alert"' in summary
    assert page.count('aria-invalid="true"') == 1
