"""Issue 12 point 7 (R-PAR-4, guide §3.2): the letter editor's live preview, its « Gras » /
« Italique » marks (an unbalanced mark is refused in French at save, never printed as typed) and
« Visualiser en-tête » (the header alone)."""

from __future__ import annotations

import io

import pytest
from flask import g
from pypdf import PdfReader

from admints.courriers import editor, letters, markup, wording
from admints.errors import DomainError
from admints.extensions import db

from .db_snapshot import db_snapshot
from .settings_helpers import TODAY, post, text

BOLD_BODY = wording.DEFAULTS["responsable_nouveau"]


def _pdf(data_or_path) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data_or_path) if isinstance(data_or_path, bytes)
                       else str(data_or_path))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def _fonts(path) -> set[str]:
    reader = PdfReader(str(path))
    names = set()
    for page in reader.pages:
        resources = page["/Resources"]
        objects = [resources]
        xobjects = resources.get("/XObject") or {}
        objects += [xobjects[k].get_object()["/Resources"] for k in xobjects
                    if "/Resources" in xobjects[k].get_object()]
        for res in objects:
            for font in (res.get("/Font") or {}).values():
                names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.mark.parametrize("line, expected", [
    ("**Identifiant : ${identifiant}**", ("Identifiant : ${identifiant}", markup.BOLD)),
    ("__Permanence le mercredi__", ("Permanence le mercredi", markup.ITALIC)),
    ("Mot de passe * : 3QMS", ("Mot de passe * : 3QMS", markup.NORMAL)),
    ("${__import__} {0.__init__}", ("${__import__} {0.__init__}", markup.NORMAL)),
    ("Votre **identifiant** est", ("Votre identifiant est", markup.NORMAL)),  # stray: dropped
])
def test_r_par_4_marks_read_on_whole_lines(line, expected):
    assert markup.parse_line(line) == expected


@pytest.mark.parametrize("line", ["**Identifiant : ${identifiant}", "Identifiant**",
                                  "Votre **identifiant** est", "__Permanence le mercredi",
                                  "Permanence__", "__", "**"])
def test_r_par_4_unbalanced_mark_refused_in_french(etab, line):
    body = BOLD_BODY + "\n" + line
    with pytest.raises(DomainError, match=r"Texte refusé : ligne \d+ : la marque d.*(gras|ital)"):
        editor.check_text("responsable_nouveau", body)


def test_r_par_4_default_texts_and_code_like_lines_pass_the_mark_check():
    for key in wording.KEYS:
        assert markup.check(wording.DEFAULTS[key]) == []
    assert markup.check("${__import__} {{ ''.__class__ }}") == []


def test_r_par_4_italic_line_printed_in_oblique_and_marks_never_printed(etab, tmp_path):
    body = BOLD_BODY + "\n__Permanence le mercredi__\nVotre **rendez-vous** est fixé"
    out = tmp_path / "l.pdf"
    letters.write_letters(etab, [editor.sample_letter("responsable_nouveau")], out, today=TODAY,
                          texts={"responsable_nouveau": body})  # as if stored before the check
    _, content = _pdf(out)
    assert "Permanence le mercredi" in content and "rendez-vous" in content
    assert "**" not in content and "__Permanence" not in content
    assert any("DejaVuSans-Oblique" in name for name in _fonts(out))


def test_r_par_4_live_preview_lines_follow_the_pdf_rules(etab):
    lines = editor.preview_lines(etab, "responsable_nouveau",
                                 BOLD_BODY + "\n__En italique__\nENT : ${mention_ent}",
                                 today=TODAY)
    styled = [line for line in lines if line is not None]
    assert ("bold", "Identifiant : dominique.exemple") in styled
    assert ("italic", "En italique") in styled
    # « Téléservices » letter: no ENT mention, so the line is left out as in the PDF.
    assert not any(text.startswith("ENT") for _, text in styled)
    assert None in lines  # empty lines are vertical spaces


def _token(auth, path="/parametrage/courriers/modifier/entete") -> str:
    g.pop("csrf_token", None)
    return auth.csrf(path)


def test_r_par_4_live_preview_endpoint(client, auth, etab):
    auth.login("chef.0999001a")
    url = "/parametrage/courriers/apercu-direct/entete"
    before = db_snapshot(db)
    resp = client.post(url, data={"csrf_token": _token(auth),
                                  "texte": wording.DEFAULTS["entete"] + "\n__Permanence__"})
    assert resp.status_code == 200 and resp.is_json
    data = resp.get_json()
    assert data["ok"] is True
    assert {"style": "bold", "texte": "Collège Victor-Hugo"} in data["lignes"]
    assert {"style": "italic", "texte": "Permanence"} in data["lignes"]
    # A refused text says why, in French (nothing saved).
    resp = client.post(url, data={"csrf_token": _token(auth), "texte": "**Permanence"})
    assert resp.status_code == 400 and "la marque de gras" in resp.get_json()["erreur"]
    assert db_snapshot(db) == before


@pytest.mark.parametrize("key, data, status", [
    ("entete", {"texte": "x" * 100_000}, 400),
    ("entete", {"texte": "<script>alert(1)</script>"}, 200),
    ("entete", {}, 400),
    ("mention_cnil", {"texte": "x"}, 404),
    ("..%2F..", {"texte": "x"}, 404),
])
def test_r_par_4_live_preview_hostile_input(client, auth, etab, key, data, status):
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    resp = client.post(f"/parametrage/courriers/apercu-direct/{key}",
                       data={"csrf_token": _token(auth), **data})
    assert resp.status_code == status
    if status == 200:  # markup is data, sent as JSON text, never as HTML
        assert resp.get_json()["lignes"][0]["texte"] == "<script>alert(1)</script>"
    assert db_snapshot(db) == before


def test_r_par_4_live_preview_needs_csrf_and_the_menu(client, auth, etab):
    auth.login("chef.0999001a")
    resp = client.post("/parametrage/courriers/apercu-direct/entete", data={"texte": "x"})
    assert resp.status_code == 400


def test_r_par_4_save_refuses_unbalanced_mark(client, auth, etab):
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    resp = post(client, auth, "/parametrage/courriers/modifier/entete",
                {"texte": wording.DEFAULTS["entete"] + "\n**Permanence le mercredi"})
    assert resp.status_code == 400
    assert "la marque de gras" in text(resp) and "« Gras »" in text(resp)
    assert editor.stored_text(etab.id, "entete") is None
    assert db_snapshot(db) == before


def test_r_par_4_visualiser_en_tete_shows_the_header_alone(client, auth, etab):
    auth.login("chef.0999001a")
    index = text(client.get("/parametrage/courriers/"))
    assert "Visualiser en-tête" in index
    resp = client.get("/parametrage/courriers/entete.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pages, content = _pdf(resp.data)
    assert pages == 1
    assert "Victor-Hugo" in content and "Académie" in content
    assert "Objet" not in content and "commission nationale" not in content
    assert "Identifiant" not in content


def test_r_par_4_editor_page_has_labelled_buttons_and_polite_preview(client, auth, etab):
    auth.login("chef.0999001a")
    page = text(client.get("/parametrage/courriers/modifier/responsable_nouveau"))
    assert 'aria-live="polite"' in page and 'id="apercu"' in page
    assert 'data-mark="**"' in page and 'data-mark="__"' in page
    assert 'aria-label="Insérer le champ Identifiant du compte"' in page
    assert "courrier_editor.js" in page and "<script>" not in page.split("courrier_editor.js")[1]
