"""Notification letters and class lists as real PDFs read back with pypdf (R-ACC-3, R-ACC-5,
R-ACC-9, R-ACC-11, R-PAR-3, R-PAR-4)."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader

from admints.comptes.class_lists import ClassListRow, write_class_list
from admints.config import Config
from admints.courriers import wording
from admints.courriers.letters import Letter, write_letters
from admints.errors import DomainError
from admints.models import EtatCompte
from admints.parametrage import versions
from admints.pdf import accelerated

TODAY = dt.date(2026, 11, 28)
PORTAL = Config.PORTAL_URL
ZOE = ("Zoë", "Œdipe-Nguyễn")


@pytest.fixture
def pdf_dir(tmp_path):
    """An empty directory for the PDFs (tmp_path also holds the test database)."""
    path = tmp_path / "pdf"
    path.mkdir()
    return path


def pages_text(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(path)).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


def eleve(n: int, continuite: bool = False, **kw) -> Letter:
    base = dict(kind="eleve", continuite=continuite, nom=f"MARTIN{n}", prenom="Léa",
                adresse=[], eleve_nom=f"MARTIN{n}", eleve_prenom="Léa", division="6A",
                identifiant=f"lea.martin{n}", mot_de_passe=None if continuite else f"PWD{n:05d}")
    base.update(kw)
    return Letter(**base)


def responsable(n: int, continuite: bool = False, **kw) -> Letter:
    base = dict(kind="responsable", continuite=continuite, civilite="MME", nom=f"DURAND{n}",
                prenom="Anne", adresse=[f"{n} rue des Lilas", "59000 LILLE"],
                eleve_nom=f"DURAND{n}", eleve_prenom="Hugo", division="5B",
                identifiant=f"anne.durand{n}", mot_de_passe=None if continuite else f"RSP{n:05d}")
    base.update(kw)
    return Letter(**base)


def test_rl_accel_is_active():
    assert accelerated()


def test_r_acc_3_one_page_per_letter_password_only_on_new_accounts(app, etab, pdf_dir):
    batch = [eleve(1), eleve(2, continuite=True, mot_de_passe="FUITE0002"), responsable(3),
             responsable(4, continuite=True, mot_de_passe="FUITE0004")]
    out = pdf_dir / "courriers.pdf"
    assert write_letters(etab, batch, out, today=TODAY) == 4
    texts = [flat(t) for t in pages_text(out)]
    assert len(texts) == 4
    new_eleve, used_eleve, new_resp, used_resp = texts
    assert "Identifiant : lea.martin1" in new_eleve and "Mot de passe * : PWD00001" in new_eleve
    assert "3 mois" in new_eleve and "provisoire" in new_eleve
    assert "Identifiant : anne.durand3" in new_resp and "RSP00003" in new_resp
    assert "Première connexion" in new_resp and "3 mois" in new_resp
    assert "scolarité de Hugo DURAND3" in new_resp
    # R-ACC-3 / R-ACC-9: identifier only, never a password, in used/continuity letters
    assert "Pour rappel, votre identifiant est : lea.martin2" in used_eleve
    assert "Pour rappel, votre identifiant est : anne.durand4" in used_resp
    for page in (used_eleve, used_resp):
        assert "FUITE" not in page and "Mot de passe *" not in page
    # each identifier and password on its own page only
    for n, page in enumerate(texts, start=1):
        for other in range(1, 5):
            if other != n:
                assert f"martin{other}" not in page and f"durand{other}" not in page
    assert "PWD00001" not in "".join(texts[1:])


def test_r_acc_3_header_footer_and_cnil_mention_on_every_letter(app, etab, pdf_dir):
    out = pdf_dir / "c.pdf"
    write_letters(etab, [eleve(1), responsable(2, continuite=True)], out, today=TODAY)
    for page in map(flat, pages_text(out)):
        assert "Académie de Démo" in page and "Collège Victor-Hugo" in page
        assert "5 bis boulevard Louis XIV" in page and "59040 Lille" in page
        assert "Tél : 03 20 00 00 00" in page and "Fax : 03 20 00 00 01" in page
        assert "Courriel : ce.0999001a@ac-demo.fr" in page
        assert "Lille, le 28/11/2026" in page
        assert "Objet : mise à disposition de services en ligne" in page
        assert "Le chef d'établissement" in page and "Paul Marcheville" in page
        assert "commission nationale de l'informatique et des libertés" in page
        assert "loi n°78-17 du 6 janvier 1978" in page


def test_r_acc_3_every_character_of_foreign_names_prints(app, etab, pdf_dir):
    out = pdf_dir / "noms.pdf"
    letter = responsable(1, prenom=ZOE[0], nom=ZOE[1], eleve_prenom="Łukasz",
                         eleve_nom=ZOE[1], adresse=["Straße 5 – Ærø", "Şişli İstanbul"])
    write_letters(etab, [letter], out, today=TODAY)
    text = flat(pages_text(out)[0])
    assert "Madame Zoë Œdipe-Nguyễn" in text
    assert "Łukasz Œdipe-Nguyễn" in text
    assert "Straße 5 – Ærø" in text and "Şişli İstanbul" in text
    raw = out.read_bytes()
    assert b"/FontFile2" in raw and b"DejaVuSans" in raw  # the TTF is embedded


def test_r_acc_3_letter_without_address_has_no_address_block(app, etab, pdf_dir):
    out = pdf_dir / "adresse.pdf"
    with_address = responsable(1)
    without = responsable(2, adresse=[])
    blank = responsable(3, adresse=["", "   "])
    write_letters(etab, [with_address, without, blank], out, today=TODAY)
    first, second, third = pages_text(out)
    assert "1 rue des Lilas" in first and "59000 LILLE" in first
    for page in (second, third):
        assert "Madame Anne DURAND" in page
        assert "rue des Lilas" not in page and "59000 LILLE" not in page
        assert "Identifiant : anne.durand" in flat(page)


@pytest.mark.parametrize("ent, expected, absent", [
    (None, [PORTAL], ["espace numérique de travail"]),
    ({"type": "teleservices", "url": None, "nom": None}, [PORTAL],
     ["espace numérique de travail"]),
    ({"type": "mixte", "url": "https://ent.exemple.fr/", "nom": "Mon ENT"},
     [PORTAL, "également accessibles depuis l'espace numérique de travail (ENT) de "
      "l'établissement « Mon ENT »"], ["https://ent.exemple.fr/"]),
    ({"type": "ent", "url": "https://ent.exemple.fr/portail", "nom": "Mon ENT"},
     ["https://ent.exemple.fr/portail"], [PORTAL]),
])
def test_r_par_3_letter_type_decides_the_url(app, etab, pdf_dir, ent, expected, absent):
    if ent is not None:
        versions.set_value(etab.id, "ent", ent, TODAY)
    out = pdf_dir / "type.pdf"
    write_letters(etab, [eleve(1), responsable(2), eleve(3, continuite=True),
                         responsable(4, continuite=True)], out, today=TODAY)
    for page in map(flat, pages_text(out)):
        for text in expected:
            assert text in page
        for text in absent:
            assert text not in page


def test_r_par_3_portal_url_comes_from_config(app, etab, pdf_dir):
    app.config["PORTAL_URL"] = "https://teleservices.ac-demo.fr/ts"
    out = pdf_dir / "url.pdf"
    write_letters(etab, [eleve(1)], out, today=TODAY)
    assert "https://teleservices.ac-demo.fr/ts" in pages_text(out)[0]


def test_r_par_3_ent_only_without_address_is_refused_and_nothing_written(app, etab, pdf_dir):
    versions.set_value(etab.id, "ent", {"type": "ent", "url": "", "nom": None}, TODAY)
    out = pdf_dir / "ent.pdf"
    with pytest.raises(DomainError, match="ENT seul"):
        write_letters(etab, [eleve(1)], out, today=TODAY)
    assert not out.exists() and list(pdf_dir.iterdir()) == []


def test_r_par_3_long_ent_address_is_wrapped_not_lost(app, etab, pdf_dir):
    url = "https://ent.exemple.fr/" + "tres-long-chemin/" * 8 + "fin"
    versions.set_value(etab.id, "ent", {"type": "ent", "url": url, "nom": None}, TODAY)
    out = pdf_dir / "long.pdf"
    write_letters(etab, [eleve(1)], out, today=TODAY)
    assert url in "".join(pages_text(out)[0].split())


def test_r_par_4_stored_overrides_are_used(app, etab, pdf_dir):
    body = ("**Objet : vos accès**\nBonjour ${prenom} ${nom} (${division}),\n"
            "Votre identifiant : ${identifiant}\nVotre mot de passe : ${mot_de_passe}\n"
            "Adresse : ${url}")
    versions.set_value(etab.id, "courrier.eleve_nouveau", body, TODAY)
    versions.set_value(etab.id, "courrier.entete",
                       "**${etablissement}**\nSecrétariat des élèves\n${ville}", TODAY)
    out = pdf_dir / "perso.pdf"
    write_letters(etab, [eleve(1), responsable(2)], out, today=TODAY)
    custom, default_resp = map(flat, pages_text(out))
    assert "Bonjour Léa MARTIN1 (6A)," in custom
    assert "Votre identifiant : lea.martin1" in custom
    assert "Votre mot de passe : PWD00001" in custom and f"Adresse : {PORTAL}" in custom
    assert "Secrétariat des élèves" in custom and "Secrétariat des élèves" in default_resp
    assert "Vous disposez d'un délai" not in custom
    assert "Tél : 03 20" not in custom  # the stored header replaced the predefined one
    assert "Vous disposez d'un délai de 3 mois" in default_resp  # body not overridden
    # the footer and the CNIL mention cannot be edited away
    assert "commission nationale de l'informatique" in custom and "Paul Marcheville" in custom


def test_r_par_4_texts_argument_overrides_stored_text_for_preview(app, etab, pdf_dir):
    versions.set_value(etab.id, "courrier.eleve_nouveau",
                       "Stocké ${identifiant} ${mot_de_passe}", TODAY)
    out = pdf_dir / "apercu.pdf"
    write_letters(etab, [eleve(1)], out, today=TODAY,
                  texts={"eleve_nouveau": "Aperçu ${identifiant} ${mot_de_passe}"})
    text = flat(pages_text(out)[0])
    assert "Aperçu lea.martin1 PWD00001" in text and "Stocké" not in text


def test_r_par_4_body_without_required_field_is_refused(app, etab, pdf_dir):
    out = pdf_dir / "refus.pdf"
    body = wording.ELEVE_NOUVEAU.replace("${mot_de_passe}", "")
    with pytest.raises(DomainError, match=r"\$\{mot_de_passe\}"):
        write_letters(etab, [eleve(1)], out, today=TODAY, texts={"eleve_nouveau": body})
    assert not out.exists()


def test_r_par_4_injection_payloads_print_as_plain_text(app, etab, pdf_dir):
    body = ("{{ ''.__class__.__mro__ }} {% for x in y %} ${__import__} {0.__init__}\n"
            "**Identifiant : ${identifiant}**\nMot de passe : ${mot_de_passe}")
    hostile = eleve(1, nom="{{ 7*7 }}", prenom="${mot_de_passe}", division="**<b>6A</b>**",
                    identifiant="x.${url}", mot_de_passe="<script>&amp;")
    out = pdf_dir / "injection.pdf"
    write_letters(etab, [hostile], out, today=TODAY, texts={"eleve_nouveau": body})
    text = flat(pages_text(out)[0])
    assert "{{ ''.__class__.__mro__ }} {% for x in y %} ${__import__} {0.__init__}" in text
    assert "${mot_de_passe} {{ 7*7 }}" in text  # recipient line: values printed as given
    assert "Identifiant : x.${url}" in text and "Mot de passe : <script>&amp;" in text
    assert "49" not in text and "<class" not in text


def test_r_acc_4_pdf_not_left_half_written_when_generation_fails(app, etab, pdf_dir):
    out = pdf_dir / "lot.pdf"

    def letters_then_crash():
        for n in range(150):
            yield eleve(n)
        raise RuntimeError("panne au milieu du lot")

    with pytest.raises(RuntimeError):
        write_letters(etab, letters_then_crash(), out, today=TODAY)
    assert not out.exists()
    assert list(pdf_dir.iterdir()) == []  # no temporary file left behind either


def test_r_acc_4_failed_run_keeps_previous_pdf_untouched(app, etab, pdf_dir):
    out = pdf_dir / "lot.pdf"
    write_letters(etab, [eleve(1)], out, today=TODAY)
    before = out.read_bytes()
    with pytest.raises(DomainError, match="mot de passe provisoire"):
        write_letters(etab, [eleve(2), eleve(3, mot_de_passe=None)], out, today=TODAY)
    assert out.read_bytes() == before
    assert sorted(p.name for p in pdf_dir.iterdir()) == ["lot.pdf"]


def test_r_acc_3_letter_without_identifier_is_refused(app, etab, pdf_dir):
    with pytest.raises(DomainError, match="identifiant"):
        write_letters(etab, [eleve(1, identifiant="")], pdf_dir / "x.pdf", today=TODAY)
    with pytest.raises(DomainError, match="inconnu"):
        write_letters(etab, [eleve(1, kind="parent")], pdf_dir / "x.pdf", today=TODAY)
    assert not (pdf_dir / "x.pdf").exists()


def test_r_acc_6_progress_is_reported_and_many_letters_stay_one_page_each(app, etab, pdf_dir):
    seen = []
    out = pdf_dir / "gros.pdf"
    batch = [eleve(n, continuite=n % 3 == 0) if n % 2 else responsable(n, continuite=n % 5 == 0)
             for n in range(250)]
    assert write_letters(etab, batch, out, today=TODAY, progress=seen.append) == 250
    assert seen == [100, 200, 250]
    reader = PdfReader(str(out))
    assert len(reader.pages) == 250
    last = flat(reader.pages[248].extract_text())
    assert "anne.durand248" in last and "RSP00248" in last


def test_no_letter_writes_no_file(app, etab, pdf_dir):
    out = pdf_dir / "vide.pdf"
    assert write_letters(etab, [], out, today=TODAY) == 0
    assert not out.exists() and list(pdf_dir.iterdir()) == []


def test_invariant_output_is_reproducible(app, etab, pdf_dir):
    batch = [eleve(1), responsable(2, continuite=True)]
    write_letters(etab, batch, pdf_dir / "a.pdf", today=TODAY, invariant=True)
    write_letters(etab, batch, pdf_dir / "b.pdf", today=TODAY, invariant=True)
    assert (pdf_dir / "a.pdf").read_bytes() == (pdf_dir / "b.pdf").read_bytes()


def test_r_par_4_text_longer_than_a_page_continues_on_next_page(app, etab, pdf_dir):
    long_body = "**Objet : long**\n" + "\n".join(
        f"Paragraphe {n} : ${{identifiant}} / ${{mot_de_passe}}" if n % 10 == 0
        else f"Paragraphe {n} d'un texte très long ajouté par l'établissement." for n in range(80))
    out = pdf_dir / "long.pdf"
    pages = write_letters(etab, [eleve(1), eleve(2)], out, today=TODAY,
                          texts={"eleve_nouveau": long_body})
    texts = pages_text(out)
    assert pages == len(texts) > 2
    joined = flat(" ".join(texts))
    for n in range(80):
        assert f"Paragraphe {n} " in joined
    assert "commission nationale" in texts[-1]


def test_header_line_with_empty_field_is_left_out(app, etab, pdf_dir, db):
    etab.fax = None
    db.session.flush()
    out = pdf_dir / "fax.pdf"
    write_letters(etab, [eleve(1)], out, today=TODAY)
    text = pages_text(out)[0]
    assert "Fax" not in text and "Tél : 03 20 00 00 00" in text


def test_bold_markup_in_a_value_is_not_interpreted(app, etab, pdf_dir):
    out = pdf_dir / "gras.pdf"
    write_letters(etab, [eleve(1, prenom="**Léa**")], out, today=TODAY)
    assert "**Léa** MARTIN1" in pages_text(out)[0]


# -- class lists (R-ACC-11) ----------------------------------------------------------------

def _row(nom, prenom, etat, **kw) -> ClassListRow:
    base = dict(nom=nom, prenom=prenom, division="6A", date_naissance=dt.date(2014, 3, 1),
                identifiant=f"{prenom.lower()}.{nom.lower()}", mot_de_passe="3QMS5X2P",
                etat=etat, date_notification=dt.datetime(2026, 10, 1, 9, 0),
                derniere_connexion=None)
    base.update(kw)
    return ClassListRow(**base)


def test_r_acc_11_class_list_masks_passwords_and_sorts_alphabetically(app, etab, pdf_dir):
    rows = [
        _row("Zola", "Émile", EtatCompte.NOTIFIE),
        _row("Élie", "Anne", EtatCompte.UTILISE, mot_de_passe=None, identifiant="anne.elie",
             derniere_connexion=dt.datetime(2026, 11, 20, 18, 5)),
        _row("Abel", "Jean", EtatCompte.NON_NOTIFIE, identifiant="jean.abel",
             date_notification=None),
        _row(ZOE[1], ZOE[0], EtatCompte.NOTIFIE, mot_de_passe="AB7CD9EF"),
    ]
    out = pdf_dir / "classe.pdf"
    assert write_class_list(etab, "Liste de la classe 6A", rows, out, today=TODAY) == 4
    reader = PdfReader(str(out))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    text = flat(page.extract_text())
    assert "Liste de la classe 6A" in text
    for header in ("Nom", "Division", "Date de naissance", "Identifiant",
                   "Mot de passe provisoire", "Date de notification", "État",
                   "Dernière connexion"):
        assert header in text
    assert "Compte à notifier" in text and "jean.abel" not in text
    assert "*****" in text and "anne.elie" in text
    assert "20/11/2026 18:05" in text and "01/10/2026" in text and "01/03/2014" in text
    assert "3QMS5X2P" in text and "AB7CD9EF" in text
    assert "Zoë" in text and "Œdipe-Nguyễn" in text
    order = [text.index(name) for name in ("Abel", "Élie", "Œdipe", "Zola")]
    assert order == sorted(order)
    assert text.count("3QMS5X2P") == 1  # the used account's password is never printed


def test_r_acc_11_long_class_list_repeats_the_header_on_every_page(app, etab, pdf_dir):
    rows = [_row(f"NOM{n:03d}", "Élève", EtatCompte.NOTIFIE) for n in range(90)]
    out = pdf_dir / "longue.pdf"
    write_class_list(etab, "Groupe LATIN", rows, out, today=TODAY)
    texts = [flat(t) for t in pages_text(out)]
    assert len(texts) >= 3
    for text in texts:
        assert "Identifiant" in text and "Mot de passe provisoire" in text
    assert "NOM000" in texts[0] and "NOM089" in texts[-1]


def test_r_acc_11_class_list_values_escape_markup(app, etab, pdf_dir):
    rows = [_row("<b>Dupont</b> & fils", "<i>Jean</i>", EtatCompte.NOTIFIE, division="<6A>")]
    out = pdf_dir / "escape.pdf"
    write_class_list(etab, "<Liste> & co", rows, out, today=TODAY)
    text = flat(pages_text(out)[0])
    assert "<b>Dupont</b> & fils <i>Jean</i>" in text and "<Liste> & co" in text


def test_r_acc_11_class_list_write_failure_leaves_no_file(app, etab, pdf_dir):
    out = pdf_dir / "echec.pdf"
    huge = _row("NOM " * 6000, "Trop", EtatCompte.NOTIFIE)  # a row taller than a page
    with pytest.raises(Exception, match="too large"):
        write_class_list(etab, "x", [huge], out, today=TODAY)
    assert not out.exists() and list(pdf_dir.iterdir()) == []


def test_r_acc_11_class_list_accepts_mappings(app, etab, pdf_dir):
    row = {"nom": "Petit", "prenom": "Lou", "division": "6A", "date_naissance": None,
           "identifiant": "lou.petit", "mot_de_passe": "K7M2P9QX", "etat": "notifie"}
    out = pdf_dir / "dict.pdf"
    assert write_class_list(etab, "6A", [row], out, today=TODAY) == 1
    assert "K7M2P9QX" in pages_text(out)[0]


def test_r_par_4_header_with_per_letter_field_and_shifted_body(app, etab, pdf_dir):
    """A header line using a per-letter field, and a long address block that pushes the body
    down on one letter only: every letter still carries its own values, on one page."""
    entete = "**${etablissement}**\nClasse : ${division}\n${ville}"
    tall = responsable(2, adresse=[f"Ligne d'adresse {n}" for n in range(1, 10)])
    batch = [responsable(1, division="5B"), tall, eleve(3, division="6C")]
    out = pdf_dir / "entete.pdf"
    assert write_letters(etab, batch, out, today=TODAY, texts={"entete": entete}) == 3
    first, second, third = map(flat, pages_text(out))
    assert "Classe : 5B" in first and "Classe : 6C" in third
    assert "Ligne d'adresse 9" in second and "Identifiant : anne.durand2" in second
    assert "Vous disposez d'un délai de 3 mois" in second and "Paul Marcheville" in second
    reader = PdfReader(str(out))
    # the shifted letter reuses the same drawn-once forms (placed lower), not new ones
    xobjects = reader.pages[1]["/Resources"]["/XObject"]
    assert xobjects == reader.pages[0]["/Resources"]["/XObject"]


def test_fast_layout_draws_static_text_once_as_forms(app, etab, pdf_dir):
    out = pdf_dir / "formes.pdf"
    write_letters(etab, [eleve(n) for n in range(20)], out, today=TODAY)
    reader = PdfReader(str(out))
    contents = [page.get_contents().get_data() for page in reader.pages]
    for data in contents:
        assert data.count(b" Do") >= 4  # date, header, body parts, footer: placed forms
        # only the variable lines are text on the page: name, identifier, password
        assert data.count(b"Tj") <= 4
