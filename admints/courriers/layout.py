"""Page layout engine of the notification letters (used by `admints.courriers.letters`).

Thousands of letters share almost all their ink, so each text is compiled once per PDF:
- its lines are split into literals and field references (`templating.split`);
- lines that use only establishment fields (« static ») are filled, wrapped and drawn ONCE into
  a PDF form (XObject) the first time they are placed; later pages just say `/Form Do`, and only
  when a letter's variable lines moved the text is the form shifted (`translate`);
- in a paragraph with per-letter fields, the wrapped lines that come before the first such field
  are static too (greedy wrapping: they do not depend on what follows) and join the form.
Per page only the variable lines are written, in one text object. Text is drawn, never parsed as
markup: no value can inject anything. The canvas is `pdf.SharedResourcesCanvas`.
"""

from __future__ import annotations

from collections.abc import Mapping

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.pdfgen.canvas import Canvas

from ..errors import DomainError
from ..pdf import FONT, FONT_BOLD, FONT_ITALIC
from . import markup, templating, wording

# The fast path uses ReportLab internals (`Canvas._doc`, `TTFont.splitString` and
# `getSubsetInternalName`, `_setXObjects`, `PDFPage` formatting in pdf_utils): checked against
# drawing through the public API by tests/test_letter_layout.py on the version pinned in
# requirements.txt. Another major version must pass those tests before it is allowed here.
REPORTLAB_MAJOR = 5


def check_reportlab(version: str) -> None:
    """Refuse, at import, a ReportLab whose internals this module was not tested against."""
    major = version.split(".", 1)[0]
    if not major.isdigit() or int(major) != REPORTLAB_MAJOR:
        raise ImportError(f"admints.courriers.layout needs ReportLab {REPORTLAB_MAJOR}.x "
                          f"(pinned in requirements.txt), found {version}: "
                          "run tests/test_letter_layout.py on the new version before changing "
                          "REPORTLAB_MAJOR.")


check_reportlab(reportlab.Version)

PAGE_W, PAGE_H = A4
LEFT = 20 * mm
RIGHT = PAGE_W - 20 * mm
WIDTH = RIGHT - LEFT
TOP = PAGE_H - 15 * mm
HEAD_W, HEAD_SIZE, HEAD_LEADING = 85 * mm, 9, 11.0
RCPT_X, RCPT_TOP = 110 * mm, PAGE_H - 45 * mm
RCPT_W = RIGHT - RCPT_X
BODY_TOP = PAGE_H - 88 * mm
SIZE, LEADING, GAP = 10, 12.5, 6.0
FOOT_SIZE, FOOT_LEADING = 7, 8.5
BOTTOM = 12 * mm

# Fields that are the same on every letter of a PDF: lines using only these are drawn once.
STATIC_FIELDS = frozenset({"url", "mention_ent", "academie", "etablissement",
                           "adresse_etablissement", "code_postal", "ville", "telephone", "fax",
                           "courriel", "date", "chef", "chef_titre"})


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line (a long URL) is cut between characters."""
    if stringWidth(text, font, size) <= width:
        return [text]
    space = stringWidth(" ", font, size)
    lines: list[str] = []
    words: list[str] = []
    used = -space
    for word in text.split():
        w = stringWidth(word, font, size)
        if w > width:
            if words:
                lines.append(" ".join(words))
            piece = ""
            for ch in word:
                if piece and stringWidth(piece + ch, font, size) > width:
                    lines.append(piece)
                    piece = ""
                piece += ch
            words, used = [piece], stringWidth(piece, font, size)
        elif not words or used + space + w <= width:
            words.append(word)
            used += space + w
        else:
            lines.append(" ".join(words))
            words, used = [word], w
    if words:
        lines.append(" ".join(words))
    return lines or [""]


class _Run:
    """Consecutive static lines and gaps: one form, drawn at `top` the first time."""

    __slots__ = ("entries", "height", "name", "top", "x")

    def __init__(self) -> None:
        self.entries: list[tuple[str, str] | None] = []  # (font, line), None = a gap
        self.height = 0.0
        self.name = ""
        self.top: float | None = None


class _Var:
    """A line with per-letter fields, filled and wrapped for each letter."""

    __slots__ = ("font", "names", "parts")

    def __init__(self, parts: list, font: str) -> None:
        self.parts, self.font = parts, font
        self.names = [p[0] for p in parts if isinstance(p, tuple)]

    def fill(self, fields: Mapping[str, str]) -> str | None:
        """The line filled in; None when it has fields and they all came out empty."""
        if self.names and not any(fields.get(n) for n in self.names):
            return None
        return templating.join(self.parts, fields)


_FONTS = {markup.NORMAL: FONT, markup.BOLD: FONT_BOLD, markup.ITALIC: FONT_ITALIC}


def _parse_line(line: str) -> tuple[str, str]:
    """Marks are read on the text, before substitution: a value can never set them."""
    text, style = markup.parse_line(line)
    return text, _FONTS[style]


def _run(items: list) -> _Run:
    if not items or not isinstance(items[-1], _Run):
        items.append(_Run())
    return items[-1]


class Layout:
    """Writes letters page by page onto a `SharedResourcesCanvas`."""

    def __init__(self, canvas: Canvas, static: dict[str, str], texts: dict[str, str]) -> None:
        self.c = canvas
        self.static = static
        self.texts = texts
        self.compiled: dict[str, list] = {}
        self.pending: list[tuple[float, float, str, float, str]] = []
        self.pages = 0
        self.body_bottom = BOTTOM
        self._codes: dict[str, dict[str, tuple[int, int]]] = {}
        self._subset_names: dict[tuple[str, int], str] = {}
        self._define_fixed_forms()

    # -- compilation (once per text and PDF) -------------------------------------------------
    def compile(self, key: str, width: float, size: float, leading: float) -> list:
        if key in self.compiled:
            return self.compiled[key]
        text = self.texts[key]
        missing = templating.missing_required(text, wording.REQUIRED.get(key, ()))
        if missing:
            fields = ", ".join(f"${{{m}}}" for m in missing)
            raise DomainError(f"Le texte « {wording.LABELS.get(key, key)} » ne contient "
                              f"plus le(s) champ(s) obligatoire(s) {fields}.")
        items: list = []
        for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            line, font = _parse_line(raw.rstrip())
            if not line.strip():
                _run(items).entries.append(None)
                continue
            var = _Var(templating.split(line), font)
            if all(n in STATIC_FIELDS for n in var.names):
                filled = var.fill(self.static)
                if filled is not None:
                    _run(items).entries.extend((font, w) for w in wrap(filled, font, size, width))
                continue
            items.append(self._split_stable_prefix(var, items, size, width))
        for n, item in enumerate(items):
            if isinstance(item, _Run):
                item.height = sum(leading if e else GAP for e in item.entries)
                item.name = f"{key}-{n}"
        self.compiled[key] = items
        return items

    def _split_stable_prefix(self, var: _Var, items: list, size: float, width: float) -> _Var:
        """Move the lines before the first per-letter field into the preceding static run."""
        prefix_parts = []
        for part in var.parts:
            if isinstance(part, tuple) and part[0] not in STATIC_FIELDS:
                break
            prefix_parts.append(part)
        rest = var.parts[len(prefix_parts):]
        prefix = "".join(p if isinstance(p, str) else self.static.get(p[0], "")
                         for p in prefix_parts)
        if not prefix or not prefix[-1].isspace():
            return var
        lines = wrap(prefix, var.font, size, width)[:-1]
        words = prefix.split()
        taken = sum(len(line.split()) for line in lines)
        if not lines or " ".join(lines).split() != words[:taken]:
            return var  # a word was cut between characters: keep the general path
        remainder = " ".join(words[taken:]) + " "
        _run(items).entries.extend((var.font, line) for line in lines)
        tail = _Var([remainder, *rest], var.font)
        tail.names = []  # a paragraph of several lines of text is never left out
        return tail

    def _define_run_form(self, run: _Run, x: float, top: float, size: float,
                         leading: float) -> None:
        c = self.c
        c.beginForm(run.name)
        y = top
        for entry in run.entries:
            if entry is None:
                y -= GAP
                continue
            c.setFont(entry[0], size)
            c.drawString(x, y - size, entry[1])
            y -= leading
        c.endForm()
        run.top = top

    def _define_fixed_forms(self) -> None:
        """Date line (top right) and footer (bottom): identical on every letter."""
        c, render = self.c, templating.render
        c.beginForm("date")
        c.setFont(FONT, SIZE)
        c.drawString(RCPT_X, TOP - SIZE, render(wording.DATE_LINE, self.static))
        c.endForm()
        c.beginForm("footer")
        y = BOTTOM
        c.setFont(FONT, FOOT_SIZE)
        for line in reversed(wrap(wording.MENTION_CNIL, FONT, FOOT_SIZE, WIDTH)):
            c.drawString(LEFT, y, line)
            y += FOOT_LEADING
        y += 3 * mm
        c.setFont(FONT_BOLD, SIZE)
        for line in reversed(wording.SIGNATURE):
            c.drawString(RCPT_X, y, render(line, self.static))
            y += LEADING
        y += GAP
        c.setFont(FONT, SIZE)
        for para in reversed(wording.PIED):
            if not para:
                y += GAP
                continue
            for line in reversed(wrap(para, FONT, SIZE, WIDTH)):
                c.drawString(LEFT, y, line)
                y += LEADING
        c.endForm()
        self.body_bottom = y + LEADING

    # -- per page ----------------------------------------------------------------------------
    def text(self, x: float, y: float, font: str, size: float, line: str) -> None:
        self.pending.append((x, y, font, size, line))

    def _flush(self) -> None:
        """Write the page's variable lines as ONE text object (`BT … ET`).

        Same operators as ReportLab's text object for a subsetted TrueType font (`/F1+0 10 Tf`,
        `Tm`, `(…) Tj`), but each character's subset code is looked up in a per-font cache
        filled through the font's own `splitString`, instead of re-running it on every string.
        """
        if not self.pending:
            return
        ops = ["BT"]
        current = None
        for x, y, font, size, line in self.pending:
            ops.append(f"1 0 0 1 {fp_str(x, y)} Tm")
            for subset, data in self._encode(font, line):
                if (font, subset, size) != current:
                    ops.append(f"{self._subset_name(font, subset)} {fp_str(size)} Tf")
                    current = (font, subset, size)
                ops.append(f"({escapePDF(data)}) Tj")
        ops.append("ET")
        self.c.addLiteral(" ".join(ops))
        self.pending.clear()

    def _subset_name(self, font: str, subset: int) -> str:
        key = (font, subset)
        name = self._subset_names.get(key)
        if name is None:
            name = self._subset_names[key] = getFont(font).getSubsetInternalName(
                subset, self.c._doc)
        return name

    def _encode(self, font: str, line: str) -> list[tuple[int, bytes]]:
        """`line` as (subset, bytes) chunks, exactly as `TTFont.splitString` cuts it."""
        table = self._codes.get(font)
        if table is None:
            table = self._codes[font] = {}
        if not table.keys() >= set(line):
            doc, ttf = self.c._doc, getFont(font)
            for ch in set(line) - table.keys():
                # one character at a time gives the same code as within the string
                (subset, data), = ttf.splitString(ch, doc)
                table[ch] = (subset, data[0])
        codes = [table[ch] for ch in line]
        chunks: list[tuple[int, bytes]] = []
        start = 0
        for i in range(1, len(codes) + 1):
            if i == len(codes) or codes[i][0] != codes[start][0]:
                chunks.append((codes[start][0], bytes(c[1] for c in codes[start:i])))
                start = i
        return chunks

    def end_page(self) -> float:
        self._flush()
        self.c.showPage()
        self.pages += 1
        return TOP

    def place(self, name: str) -> None:
        self.c.doForm(name)

    def flow(self, items: list, x: float, y: float, width: float, size: float,
             leading: float, fields: Mapping[str, str], bottom: float | None) -> float:
        """Lay `items` out from `y` down; with `bottom`, continue on a new page below it."""
        c = self.c
        for item in items:
            if isinstance(item, _Run):
                if bottom is None or y - item.height >= bottom:
                    if item.top is None:
                        self._define_run_form(item, x, y, size, leading)
                    if item.top == y:
                        c.doForm(item.name)
                    else:  # variable lines above took more or less room than the first time
                        c.saveState()
                        c.translate(0, y - item.top)
                        c.doForm(item.name)
                        c.restoreState()
                    y -= item.height
                    continue
                for entry in item.entries:  # rare: an edited text longer than the page
                    if entry is None:
                        y -= GAP
                        continue
                    if y - leading < bottom:
                        y = self.end_page()
                    self.text(x, y - size, entry[0], size, entry[1])
                    y -= leading
                continue
            filled = item.fill(fields)
            if filled is None:
                continue
            for line in wrap(filled, item.font, size, width):
                if bottom is not None and y - leading < bottom:
                    y = self.end_page()
                self.text(x, y - size, item.font, size, line)
                y -= leading
        return y
