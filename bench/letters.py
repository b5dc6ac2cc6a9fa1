"""Benchmark of the notification letters (issue 3 point 10a, R-ACC-5/6).

Loads a demo establishment of 2,000 pupils (`admints.demo.loader.load_demo`) into a temporary SQLite
database, builds one `Letter` per pupil account (new accounts get a temporary password, used or
continuity accounts the identifier only), then in the same run:

1. renders them with `admints.courriers.letters.write_letters` (forms + variable lines);
2. renders the same letters with a plain ReportLab platypus `SimpleDocTemplate` (one Paragraph
   per block of the same texts, values escaped, one page per letter, same embedded font) — the
   baseline;
3. when `admints.comptes.bulk.notify` is present, times the end-to-end notification of all the
   pupils (state, temporary passwords, PDF, flush) for reference.

Prints the rates (letters/s) and the ratio write_letters / baseline. Goal: ratio ≥ 5
(about 3,500 letters/s on the 2-core machine).

    .venv/bin/python bench/letters.py [--eleves 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from _support import bench_app, load_demo_school

from admints.comptes.identifiers import generate_temporary_password
from admints.courriers import letters, templating, wording
from admints.extensions import db
from admints.models import Compte, Eleve, Etablissement, EtatCompte
from admints.pdf import FONT, accelerated, register_fonts

UAI = "0999998W"
TODAY = dt.date(2026, 11, 28)


def build_letters(etab_id: int) -> list[letters.Letter]:
    rows = db.session.execute(
        db.select(Eleve, Compte).join(Compte, Eleve.compte_id == Compte.id)
        .where(Eleve.etablissement_id == etab_id).order_by(Eleve.nom, Eleve.prenom)).all()
    out = []
    for eleve, compte in rows:
        continuite = compte.etat == EtatCompte.UTILISE or bool(compte.continuite)
        out.append(letters.Letter(
            kind="eleve", continuite=continuite, nom=eleve.nom, prenom=eleve.prenom,
            adresse=[], eleve_nom=eleve.nom, eleve_prenom=eleve.prenom,
            division=eleve.division.code if eleve.division else "",
            identifiant=compte.identifiant,
            mot_de_passe=None if continuite else generate_temporary_password()))
    return out


def platypus_baseline(etab, batch: list[letters.Letter], path: Path) -> None:
    """The straightforward way: every page laid out by platypus, one Paragraph per block of
    text (lines joined by <br/>, bold lines in <b>), values escaped, a PageBreak per letter."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    ent = letters.letter_type(etab.id, TODAY)
    static = letters.static_fields(etab, TODAY, ent)
    texts = letters.effective_texts(etab.id, TODAY)
    normal = ParagraphStyle("n", fontName=FONT, fontSize=10, leading=12.5, spaceAfter=6)
    small = ParagraphStyle("s", parent=normal, fontSize=7, leading=8.5)
    story = []

    def blocks(text: str, fields: dict) -> None:
        for block in text.split("\n\n"):
            lines = []
            for line in block.split("\n"):
                bold = len(line) >= 4 and line.startswith("**") and line.endswith("**")
                value = escape(templating.render(line[2:-2] if bold else line, fields))
                lines.append(f"<b>{value}</b>" if bold else value)
            story.append(Paragraph("<br/>".join(lines), normal))

    for letter in batch:
        fields = dict(static, identifiant=letter.identifiant,
                      mot_de_passe="" if letter.continuite else letter.mot_de_passe,
                      nom=letter.nom, prenom=letter.prenom, eleve_nom=letter.eleve_nom,
                      eleve_prenom=letter.eleve_prenom, division=letter.division, civilite="")
        blocks(texts["entete"], fields)
        recipient = [templating.render(wording.DATE_LINE, fields), "",
                     f"{letter.prenom} {letter.nom}", *letter.adresse]
        story.append(Paragraph("<br/>".join(escape(r) for r in recipient), normal))
        story.append(Spacer(1, 15 * mm))
        blocks(texts[wording.body_key(letter.kind, letter.continuite)], fields)
        story.append(Spacer(1, 10 * mm))
        blocks("\n".join((*wording.PIED, "", *wording.SIGNATURE)), fields)
        story.append(Paragraph(escape(wording.MENTION_CNIL), small))
        story.append(PageBreak())
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                      topMargin=15 * mm, bottomMargin=12 * mm).build(story)


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): on a shared machine the CPU figure is
    the steadier one."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eleves", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for each renderer")
    args = parser.parse_args()
    register_fonts()
    print(f"rl-accel active: {accelerated()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        app = bench_app(f"sqlite:///{tmp_path / 'bench.sqlite'}", tmp_path, screens=False)
        with app.app_context():
            db.create_all()
            report = load_demo_school(UAI, args.eleves, TODAY)
            etab = db.session.get(Etablissement, report.etablissement_id)
            batch = build_letters(etab.id)
            n = len(batch)
            used = sum(1 for b in batch if b.continuite)
            print(f"letters: {n} ({n - used} new accounts, {used} used/continuity)")

            fast = [timed(lambda: letters.write_letters(
                etab, batch, tmp_path / "fast.pdf", today=TODAY)) for _ in range(args.repeat)]
            base = [timed(lambda: platypus_baseline(etab, batch, tmp_path / "base.pdf"))
                    for _ in range(max(1, args.repeat - 1))]
            f_wall, f_cpu = min(w for w, _ in fast), min(c for _, c in fast)
            b_wall, b_cpu = min(w for w, _ in base), min(c for _, c in base)
            size_fast = (tmp_path / "fast.pdf").stat().st_size / 1e6
            size_base = (tmp_path / "base.pdf").stat().st_size / 1e6
            print(f"write_letters : {n / f_wall:8.0f} letters/s wall, {n / f_cpu:8.0f} /s CPU"
                  f"  ({f_wall:.2f} s, {size_fast:.1f} MB)")
            print(f"platypus      : {n / b_wall:8.0f} letters/s wall, {n / b_cpu:8.0f} /s CPU"
                  f"  ({b_wall:.2f} s, {size_base:.1f} MB)")
            print(f"ratio         : {b_wall / f_wall:8.1f}x wall, {b_cpu / f_cpu:8.1f}x CPU"
                  "   (goal >= 5x, ~3,500 letters/s)")

            try:
                from admints.comptes import notification
            except ImportError:
                return
            ids = list(db.session.scalars(db.select(Compte.id).where(
                Compte.etablissement_id == etab.id, Compte.kind == "eleve")))
            start, cpu = time.perf_counter(), time.process_time()
            recap = notification.notify(etab.id, "eleve", ids, mode="papier", reset_used=True,
                                   today=TODAY, out_path=tmp_path / "notify.pdf")
            db.session.commit()
            took, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(f"end-to-end notify (state + passwords + PDF + commit): "
                  f"{len(ids) / took:8.0f} accounts/s wall, {len(ids) / cpu:8.0f} /s CPU  "
                  f"({took:.2f} s, {getattr(recap, 'pages', '?')} pages)")


if __name__ == "__main__":
    main()
