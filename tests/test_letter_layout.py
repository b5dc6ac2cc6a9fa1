"""The fast letter layout (admints/courriers/layout.py: forms drawn once and shifted, one text
object per page with cached subset codes, shared resources, pages formatted directly) prints
what ReportLab's public API prints for the same letters: every line of text, in the same font
and size, at the same place on the same page (R-ACC-3, R-ACC-5, R-PAR-3, R-PAR-4).

The reference is drawn in this file with `Canvas.drawString` only, lines wrapped with
`reportlab.lib.utils.simpleSplit`, one page per letter plus overflow pages, following the
layout of the letters (guide §3.2.1): date and header at the top, recipient block on the right,
body below both, footer (text, signature, CNIL mention) stacked up from the bottom margin.
"""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from admints.courriers import layout as L
from admints.courriers import letters, templating, wording
from admints.courriers.letters import Letter, write_letters
from admints.parametrage import versions
from admints.pdf import FONT, FONT_BOLD, register_fonts

TODAY = dt.date(2026, 11, 28)


def _fields(static: dict, letter: Letter) -> dict:
    clean = templating.clean_value
    nom, prenom = clean(letter.nom or letter.eleve_nom), clean(letter.prenom or letter.eleve_prenom)
    return dict(static, identifiant=clean(letter.identifiant),
                mot_de_passe="" if letter.continuite else clean(letter.mot_de_passe),
                civilite=wording.civilite_label(clean(letter.civilite)), nom=nom,
                prenom=prenom, eleve_nom=clean(letter.eleve_nom or letter.nom),
                eleve_prenom=clean(letter.eleve_prenom or letter.prenom),
                division=clean(letter.division))


def _lines(text: str, fields: dict, size: float, width: float) -> list:
    """(font, line) per printed line, None per blank line (letter_texts: text format)."""
    out: list = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line, font = raw.rstrip(), FONT
        if len(line) >= 4 and line.startswith("**") and line.endswith("**"):
            line, font = line[2:-2], FONT_BOLD
        if not line.strip():
            out.append(None)
            continue
        names = templating.placeholders_in(line)
        if names and not any(fields[n] for n in names):
            continue  # every field empty: the line is left out
        out += [(font, part) for part in
                simpleSplit(templating.render(line, fields), font, size, width)]
    return out


def reference_pdf(etab, batch: list[Letter], path, *, texts=None) -> None:
    register_fonts()
    static = letters.static_fields(etab, TODAY, letters.letter_type(etab.id, TODAY))
    chosen = letters.effective_texts(etab.id, TODAY, texts)
    c = Canvas(str(path), pagesize=A4)

    def flow(entries, x, y, size, leading, bottom):
        for entry in entries:
            if entry is None:
                y -= L.GAP
                continue
            if bottom is not None and y - leading < bottom:
                c.showPage()
                y = L.TOP
            c.setFont(entry[0], size)
            c.drawString(x, y - size, entry[1])
            y -= leading
        return y

    footer, y = [], L.BOTTOM  # the footer, from the bottom margin up
    for line in reversed(simpleSplit(wording.MENTION_CNIL, FONT, L.FOOT_SIZE, L.WIDTH)):
        footer.append((L.LEFT, y, FONT, L.FOOT_SIZE, line))
        y += L.FOOT_LEADING
    y += 3 * mm
    for line in reversed(wording.SIGNATURE):
        footer.append((L.RCPT_X, y, FONT_BOLD, L.SIZE, templating.render(line, static)))
        y += L.LEADING
    y += L.GAP
    for para in reversed(wording.PIED):
        for line in reversed(simpleSplit(para, FONT, L.SIZE, L.WIDTH)) if para else ():
            footer.append((L.LEFT, y, FONT, L.SIZE, line))
            y += L.LEADING
        y += 0 if para else L.GAP
    body_bottom = y + L.LEADING

    for letter in batch:
        fields = _fields(static, letter)
        c.setFont(FONT, L.SIZE)
        c.drawString(L.RCPT_X, L.TOP - L.SIZE, templating.render(wording.DATE_LINE, static))
        y_head = flow(_lines(chosen["entete"], fields, L.HEAD_SIZE, L.HEAD_W), L.LEFT, L.TOP,
                      L.HEAD_SIZE, L.HEAD_LEADING, None)
        recipient = " ".join(p for p in (fields["civilite"], fields["prenom"], fields["nom"])
                             if p)
        block = [recipient, *(templating.clean_value(a) for a in letter.adresse
                              if a and a.strip())]
        y_rcpt = flow([(FONT, part) for line in block
                       for part in simpleSplit(line, FONT, L.SIZE, L.RCPT_W)],
                      L.RCPT_X, L.RCPT_TOP, L.SIZE, L.LEADING, None)
        body = chosen[wording.body_key(letter.kind, letter.continuite)]
        flow(_lines(body, fields, L.SIZE, L.WIDTH), L.LEFT,
             min(L.BODY_TOP, y_head - 8 * mm, y_rcpt - 8 * mm), L.SIZE, L.LEADING, body_bottom)
        for x, y, font, size, line in footer:
            c.setFont(font, size)
            c.drawString(x, y, line)
        c.showPage()
    c.save()


def _apply(m, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def printed(path) -> list[list[tuple]]:
    """Per page, every piece of text as (text, base font, size, x, y) in page coordinates.

    pypdf (7.1) reads a form's text with the form's own matrix only: the page's matrix at the
    form's `Do` (the `cm` of a shifted form, ReportLab's `q … cm /Form Do Q`) is applied here,
    until the `Q` that ends it."""
    pages = []
    for page in PdfReader(str(path)).pages:
        items: list = []
        outer = [(1, 0, 0, 1, 0, 0)]

        def operator(op, args, cm, tm, outer=outer):
            if op == b"Do":
                outer[0] = tuple(cm)
            elif op == b"Q":
                outer[0] = (1, 0, 0, 1, 0, 0)

        def visit(text, cm, tm, font, size, items=items, outer=outer):
            if not text.strip():
                return
            x, y = _apply(outer[0], *_apply(cm, *_apply(tm, 0, 0)))
            base = str(font["/BaseFont"]).split("+")[-1]
            items.append((text.strip("\n"), base, float(size) * tm[3] * cm[3], x, y))

        page.extract_text(visitor_operand_before=operator, visitor_text=visit)
        pages.append(sorted(items, key=lambda i: (i[0], -i[4], i[3])))
    return pages


def assert_same_pages(fast, reference) -> None:
    assert len(fast) == len(reference)
    for n, (ours, theirs) in enumerate(zip(fast, reference, strict=True), start=1):
        assert [i[:3] for i in ours] == [i[:3] for i in theirs], f"page {n}"
        for a, b in zip(ours, theirs, strict=True):
            # both write coordinates with 2 decimals; a shifted form adds two roundings
            assert abs(a[3] - b[3]) < 0.02 and abs(a[4] - b[4]) < 0.02, (n, a, b)


def eleve(n: int, continuite: bool = False, **kw) -> Letter:
    base = dict(kind="eleve", continuite=continuite, nom=f"MARTIN{n}", prenom="Léa",
                eleve_nom=f"MARTIN{n}", eleve_prenom="Léa", division="6A",
                identifiant=f"lea.martin{n}", mot_de_passe=None if continuite else f"PWD{n:05d}")
    return Letter(**{**base, **kw})


def responsable(n: int, continuite: bool = False, **kw) -> Letter:
    base = dict(kind="responsable", continuite=continuite, civilite="MME", nom=f"DURAND{n}",
                prenom="Anne", adresse=[f"{n} rue des Lilas", "59000 LILLE"],
                eleve_nom=f"DURAND{n}", eleve_prenom="Hugo", division="5B",
                identifiant=f"anne.durand{n}", mot_de_passe=None if continuite else f"RSP{n:05d}")
    return Letter(**{**base, **kw})


BATCH = [
    responsable(1), eleve(2, continuite=True), eleve(3), responsable(4, continuite=True),
    responsable(5, prenom="Zoë", nom="Œdipe-Nguyễn", eleve_prenom="Łukasz",
                adresse=["Straße 5 – Ærø", "Şişli İstanbul"]),
    responsable(6, adresse=[f"Ligne d'adresse {n}" for n in range(1, 10)]),  # body moved down
    responsable(7, adresse=[], civilite=None), eleve(8, prenom="**Léa**", division=""),
]
LONG_BODY = "**Objet : long**\n" + "\n".join(
    f"Paragraphe {n} : ${{identifiant}} / ${{mot_de_passe}}" if n % 10 == 0
    else f"Paragraphe {n} d'un texte très long ajouté par l'établissement ${{etablissement}}."
    for n in range(80))
CASES = {
    "predefined texts": ({}, None),
    "header with a per-letter field, body with a static prefix": ({}, {
        "entete": "**${etablissement}**\nClasse : ${division}\n\n${ville}",
        "eleve_nouveau": "L'établissement ${etablissement} de ${ville} vous informe que le "
                         "compte de ${prenom} ${nom} est prêt : ${identifiant} "
                         "${mot_de_passe}.\n${mention_ent}\n**${url}**"}),
    "text longer than a page": ({}, {"eleve_nouveau": LONG_BODY}),
    "mixed ENT, no fax": ({"ent": {"type": "mixte", "url": "https://ent.exemple.fr/",
                                   "nom": "Mon ENT"}}, None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_r_acc_3_fast_layout_prints_what_reportlab_public_api_prints(app, db, etab, tmp_path,
                                                                     case):
    stored, texts = CASES[case]
    for key, value in stored.items():
        versions.set_value(etab.id, key, value, TODAY)
    if case == "mixed ENT, no fax":
        etab.fax = None
        db.session.flush()
    fast, reference = tmp_path / "fast.pdf", tmp_path / "reference.pdf"
    pages = write_letters(etab, BATCH, fast, today=TODAY, texts=texts)
    reference_pdf(etab, BATCH, reference, texts=texts)
    ours, theirs = printed(fast), printed(reference)
    assert pages == len(ours) >= len(BATCH)
    assert_same_pages(ours, theirs)
    joined = " ".join(i[0] for page in ours for i in page)
    assert "anne.durand1" in joined and "RSP00001" in joined and "Œdipe-Nguyễn" in joined


@pytest.mark.parametrize("version, ok", [("5.1.0", True), ("5.0.2", True), ("4.4.4", False),
                                         ("6.0.0", False), ("5a", False)])
def test_reportlab_version_is_checked_at_import(version, ok):
    if ok:
        L.check_reportlab(version)
    else:
        with pytest.raises(ImportError, match="ReportLab 5.x"):
            L.check_reportlab(version)
