"""Notification letters as one PDF (R-ACC-3/5, R-ACC-9, R-PAR-3/4; guide §3.2.1, §3.2.2).

Owns the `Letter` record, the resolution of the texts in force (argument, then settings
`courrier.<key>`, then `letter_texts.DEFAULTS`), the letter type and its URL (settings `ent`),
and the fast ReportLab layout. Account states, passwords and sorting belong to the caller.

Speed: thousands of letters share almost all their ink. Each text is compiled once per PDF: its
lines are split into field references (`templating.split`), lines that use only establishment
fields are rendered, wrapped and drawn ONCE into a PDF form (XObject), and every page merely
places those forms (`/Form Do`) and writes its few variable lines (recipient, identifier,
password, pupil's name) in one text object. Text is drawn, never parsed as markup, so a value
cannot inject anything; fields are filled through the allow-list of `admints.templating`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from . import letter_texts, settings, templating
from .errors import DomainError
from .pdf_utils import FONT, FONT_BOLD, atomic_output, register_fonts

PAGE_W, PAGE_H = A4
LEFT = 20 * mm
RIGHT = PAGE_W - 20 * mm
WIDTH = RIGHT - LEFT
TOP = PAGE_H - 15 * mm
HEAD_W, HEAD_SIZE, HEAD_LEADING = 85 * mm, 9, 11.0
RCPT_X, RCPT_TOP = 110 * mm, PAGE_H - 45 * mm
BODY_TOP = PAGE_H - 90 * mm
SIZE, LEADING, GAP = 10, 12.5, 6.0
FOOT_SIZE, FOOT_LEADING = 7, 8.5
BOTTOM = 12 * mm
PROGRESS_EVERY = 100

# Fields that are the same on every letter of a PDF: lines using only these are drawn once.
STATIC_FIELDS = frozenset({"url", "mention_ent", "academie", "etablissement",
                           "adresse_etablissement", "code_postal", "ville", "telephone", "fax",
                           "courriel", "date", "chef"})


@dataclass(slots=True)
class Letter:
    """One letter. `continuite=True`: identifier only (account used, or continuity, R-ACC-9)."""

    kind: str  # "eleve" | "responsable"
    continuite: bool
    civilite: str | None = None
    nom: str = ""
    prenom: str = ""
    adresse: list[str] = field(default_factory=list)  # empty: no address block
    eleve_nom: str = ""
    eleve_prenom: str = ""
    division: str = ""
    identifiant: str = ""
    mot_de_passe: str | None = None


def portal_url() -> str:
    """The Scolarité services address (config `PORTAL_URL`)."""
    from flask import current_app, has_app_context

    from .config import Config
    return current_app.config.get("PORTAL_URL", Config.PORTAL_URL) if has_app_context() \
        else Config.PORTAL_URL


def letter_type(etablissement_id: int, today: dt.date) -> dict[str, str]:
    """R-PAR-3: `{"type", "url", "mention_ent"}` from the settings key `ent` in force."""
    ent = settings.get(etablissement_id, "ent", today)
    ent = ent if isinstance(ent, dict) else {}
    kind = ent.get("type") or "teleservices"
    nom = (ent.get("nom") or "").strip()
    if kind == "ent":
        url = (ent.get("url") or "").strip()
        if not url.startswith(("https://", "http://")):
            raise DomainError("Le type de courrier « ENT seul » demande l'adresse internet de "
                              "l'ENT : complétez « ENT et courrier de notification ».")
        return {"type": kind, "url": url, "mention_ent": ""}
    mention = letter_texts.MENTION_ENT_MIXTE.format(nom=f" « {nom} »" if nom else "") \
        if kind == "mixte" else ""
    return {"type": kind, "url": portal_url(), "mention_ent": mention}


def effective_texts(etablissement_id: int, today: dt.date,
                    texts: Mapping[str, str] | None = None) -> dict[str, str]:
    """The texts in force: `texts` (editor preview), else stored `courrier.<key>`, else default."""
    result = {}
    for key in letter_texts.KEYS:
        value = (texts or {}).get(key)
        if value is None:
            value = settings.get(etablissement_id, f"courrier.{key}", today)
        result[key] = value if isinstance(value, str) and value.strip() \
            else letter_texts.DEFAULTS[key]
    return result


def static_fields(etab, today: dt.date, ent: Mapping[str, str]) -> dict[str, str]:
    emails = etab.emails or []
    academie = getattr(etab, "academie", None)
    return {k: templating.clean_value(v) for k, v in {
        "url": ent["url"], "mention_ent": ent["mention_ent"],
        "academie": academie.nom if academie is not None else "",
        "etablissement": etab.nom, "adresse_etablissement": etab.adresse,
        "code_postal": etab.code_postal, "ville": etab.ville, "telephone": etab.telephone,
        "fax": etab.fax, "courriel": emails[0] if emails else "",
        "date": f"{today:%d/%m/%Y}", "chef": etab.chef_nom,
    }.items()}


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    if stringWidth(text, font, size) <= width:
        return [text]
    return simpleSplit(text, font, size, width) or [""]


class _SharedResourcesCanvas(Canvas):
    """A canvas whose pages all point to ONE resource dictionary (fonts + every form).

    ReportLab writes an inline resource dictionary into each page; for thousands of pages of
    the same forms that is most of the time spent in `save()`. Listing every form in a single
    shared dictionary is valid PDF (a page may ignore resources it does not use). Relies on
    ReportLab 5's `_setXObjects` hook (pinned in requirements.txt; the tests read the PDF).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._all_forms: list[str] = []
        self._page_resources = pdfdoc.PDFResourceDictionary()
        self._page_resources.basicFonts()
        self._page_resources_ref = self._doc.Reference(self._page_resources)

    def beginForm(self, name, *args, **kwargs) -> None:  # noqa: N802 (ReportLab's name)
        self._all_forms.append(name)
        super().beginForm(name, *args, **kwargs)

    def _setXObjects(self, thing) -> None:  # noqa: N802
        if isinstance(thing, pdfdoc.PDFPage):
            thing.XObjects = None
            thing.Resources = self._page_resources_ref
        else:
            super()._setXObjects(thing)

    def save(self) -> None:
        self._page_resources.XObject = self._doc.xobjDict(self._all_forms).dict
        super().save()


class _Run:
    """Consecutive lines and gaps that use establishment fields only: one form."""

    __slots__ = ("entries", "height", "name")

    def __init__(self) -> None:
        self.entries: list[tuple[str, str] | None] = []  # (font, line) or None for a gap
        self.height = 0.0
        self.name = ""


class _Var:
    """A line with per-letter fields, filled and wrapped for each letter."""

    __slots__ = ("font", "names", "parts")

    def __init__(self, parts: list, font: str) -> None:
        self.parts, self.font = parts, font
        self.names = [p[0] for p in parts if isinstance(p, tuple)]


def _parse_line(line: str) -> tuple[str, str]:
    """Bold markup is read on the text, before substitution: a value can never set it."""
    if len(line) >= 4 and line.startswith("**") and line.endswith("**"):
        return line[2:-2], FONT_BOLD
    return line, FONT


class _Writer:
    def __init__(self, canvas: Canvas, static: dict[str, str], texts: dict[str, str]) -> None:
        self.c = canvas
        self.static = static
        self.texts = texts
        self.compiled: dict[str, list] = {}
        self.pending: list[tuple[float, float, str, float, str]] = []
        self.pages = 0
        self.body_bottom = BOTTOM
        self._define_fixed_forms()

    # -- compilation (once per text and PDF) -------------------------------------------------
    def compile(self, key: str, width: float, size: float, leading: float) -> list:
        if key in self.compiled:
            return self.compiled[key]
        text = self.texts[key]
        missing = templating.missing_required(text, letter_texts.REQUIRED.get(key, ()))
        if missing:
            fields = ", ".join("${%s}" % m for m in missing)
            raise DomainError(f"Le texte « {letter_texts.LABELS.get(key, key)} » ne contient "
                              f"plus le(s) champ(s) obligatoire(s) {fields}.")
        items: list = []
        for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            line, font = _parse_line(raw.rstrip())
            if not line.strip():
                self._static(items).entries.append(None)
                continue
            parts = templating.split(line)
            var = _Var(parts, font)
            if any(n not in STATIC_FIELDS for n in var.names):
                items.append(var)
                continue
            filled = self._fill(var, self.static)
            if filled is not None:
                run = self._static(items)
                run.entries.extend((font, w) for w in _wrap(filled, font, size, width))
        for n, item in enumerate(items):
            if isinstance(item, _Run):
                item.height = sum(leading if e else GAP for e in item.entries)
                item.name = f"{key}-{n}"
                self._run_form(item, width, size, leading)
        self.compiled[key] = items
        return items

    @staticmethod
    def _static(items: list) -> _Run:
        if not items or not isinstance(items[-1], _Run):
            items.append(_Run())
        return items[-1]

    @staticmethod
    def _fill(var: _Var, fields: Mapping[str, str]) -> str | None:
        """The line filled in; None when it has fields and they all came out empty."""
        if var.names and not any(fields.get(n) for n in var.names):
            return None
        return "".join(p if isinstance(p, str) else fields.get(p[0], "") for p in var.parts)

    def _run_form(self, run: _Run, width: float, size: float, leading: float) -> None:
        c = self.c
        c.beginForm(run.name, -2, -size, width + 2, run.height + 2)
        y = run.height
        for entry in run.entries:
            if entry is None:
                y -= GAP
                continue
            c.setFont(entry[0], size)
            c.drawString(0, y - size, entry[1])
            y -= leading
        c.endForm()

    def _define_fixed_forms(self) -> None:
        """Date line (top right) and footer (bottom): identical on every letter."""
        c, render = self.c, templating.render
        c.beginForm("date")
        c.setFont(FONT, SIZE)
        c.drawString(RCPT_X, TOP - SIZE, render(letter_texts.DATE_LINE, self.static))
        c.endForm()
        c.beginForm("footer")
        y = BOTTOM
        cnil = _wrap(letter_texts.MENTION_CNIL, FONT, FOOT_SIZE, WIDTH)
        c.setFont(FONT, FOOT_SIZE)
        for line in reversed(cnil):
            c.drawString(LEFT, y, line)
            y += FOOT_LEADING
        y += 3 * mm
        sig = [render(s, self.static) for s in letter_texts.SIGNATURE]
        c.setFont(FONT_BOLD, SIZE)
        for line in reversed(sig):
            c.drawString(RCPT_X, y, line)
            y += LEADING
        y += GAP
        c.setFont(FONT, SIZE)
        for para in reversed(letter_texts.PIED):
            if not para:
                y += GAP
                continue
            for line in reversed(_wrap(para, FONT, SIZE, WIDTH)):
                c.drawString(LEFT, y, line)
                y += LEADING
        c.endForm()
        self.body_bottom = y + LEADING

    # -- per letter ------------------------------------------------------------------------
    def _text(self, x: float, y: float, font: str, size: float, line: str) -> None:
        self.pending.append((x, y, font, size, line))

    def _flush(self) -> None:
        if not self.pending:
            return
        t = self.c.beginText()
        current = None
        for x, y, font, size, line in self.pending:
            if (font, size) != current:
                t.setFont(font, size)
                current = (font, size)
            t.setTextOrigin(x, y)
            t.textOut(line)
        self.c.drawText(t)
        self.pending.clear()

    def _new_page(self) -> float:
        self._flush()
        self.c.showPage()
        self.pages += 1
        return TOP

    def _flow(self, items: list, x: float, y: float, width: float, size: float,
              leading: float, fields: Mapping[str, str], bottom: float | None) -> float:
        c = self.c
        for item in items:
            if isinstance(item, _Run):
                if bottom is None or y - item.height >= bottom:
                    c.saveState()
                    c.translate(x, y - item.height)
                    c.doForm(item.name)
                    c.restoreState()
                    y -= item.height
                    continue
                for entry in item.entries:  # rare: an edited text longer than a page
                    if entry is None:
                        y -= GAP
                        continue
                    if y - leading < bottom:
                        y = self._new_page()
                    self._text(x, y - size, entry[0], size, entry[1])
                    y -= leading
                continue
            filled = self._fill(item, fields)
            if filled is None:
                continue
            for line in _wrap(filled, item.font, size, width):
                if bottom is not None and y - leading < bottom:
                    y = self._new_page()
                self._text(x, y - size, item.font, size, line)
                y -= leading
        return y

    def letter(self, letter: Letter) -> None:
        if letter.kind not in ("eleve", "responsable"):
            raise DomainError(f"Type de courrier inconnu : {letter.kind!r}.")
        if not letter.identifiant:
            raise DomainError("Un compte sans identifiant ne peut pas être notifié.")
        if not letter.continuite and not letter.mot_de_passe:
            raise DomainError(f"Le compte {letter.identifiant} n'a pas de mot de passe "
                              "provisoire : son courrier ne peut pas être produit.")
        key = letter_texts.body_key(letter.kind, letter.continuite)
        body = self.compile(key, WIDTH, SIZE, LEADING)
        head = self.compile("entete", HEAD_W, HEAD_SIZE, HEAD_LEADING)
        clean = templating.clean_value
        nom = clean(letter.nom or letter.eleve_nom)
        prenom = clean(letter.prenom or letter.eleve_prenom)
        civilite = letter_texts.civilite_label(clean(letter.civilite))
        fields = dict(self.static)
        fields.update(
            identifiant=clean(letter.identifiant),
            # R-ACC-3: a used or continuity account's chosen password is never communicated.
            mot_de_passe="" if letter.continuite else clean(letter.mot_de_passe),
            civilite=civilite, nom=nom, prenom=prenom,
            eleve_nom=clean(letter.eleve_nom or letter.nom),
            eleve_prenom=clean(letter.eleve_prenom or letter.prenom),
            division=clean(letter.division))
        c = self.c
        c.doForm("date")
        y_head = self._flow(head, LEFT, TOP, HEAD_W, HEAD_SIZE, HEAD_LEADING, fields, None)
        y_rcpt = RCPT_TOP
        recipient = " ".join(p for p in (civilite, prenom, nom) if p)
        for line in [recipient, *(clean(a) for a in letter.adresse if a and a.strip())]:
            for part in _wrap(line, FONT, SIZE, RIGHT - RCPT_X):
                self._text(RCPT_X, y_rcpt - SIZE, FONT, SIZE, part)
                y_rcpt -= LEADING
        y = min(BODY_TOP, y_head - 8 * mm, y_rcpt - 8 * mm)
        self._flow(body, LEFT, y, WIDTH, SIZE, LEADING, fields, self.body_bottom)
        c.doForm("footer")
        self._new_page()


def write_letters(etab, letters: Iterable[Letter], path, *, today: dt.date,
                  texts: Mapping[str, str] | None = None,
                  progress: Callable[[int], None] | None = None,
                  invariant: bool = False) -> int:
    """Write every letter into one PDF at `path`, atomically; return the number of pages.

    One page per letter unless an edited text is longer than a page. With no letter at all,
    nothing is written and 0 is returned. Raises `DomainError` (and leaves `path` untouched)
    on a letter without identifier or, for a new account, without temporary password, on a
    text that lost a required field, or an « ENT seul » type without ENT address.
    `invariant=True` gives byte-identical output for identical input (tests).
    """
    register_fonts()
    ent = letter_type(etab.id, today)
    static = static_fields(etab, today, ent)
    chosen = effective_texts(etab.id, today, texts)
    count = 0
    try:
        with atomic_output(path) as tmp:
            canvas = _SharedResourcesCanvas(tmp, pagesize=A4, invariant=1 if invariant else 0)
            canvas.setTitle("Courriers de notification")
            canvas.setAuthor(templating.clean_value(etab.nom))
            writer = _Writer(canvas, static, chosen)
            for letter in letters:
                writer.letter(letter)
                count += 1
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(count)
            if count == 0:
                raise _NoLetter
            canvas.save()
    except _NoLetter:
        return 0
    if progress is not None and count % PROGRESS_EVERY:
        progress(count)
    return writer.pages


class _NoLetter(Exception):
    """Internal: nothing to print, so the temporary file is discarded."""


from .class_list import ClassListRow, class_list_values, write_class_list  # noqa: E402

__all__ = ["Letter", "write_letters", "write_class_list", "ClassListRow", "class_list_values",
           "letter_type", "effective_texts", "portal_url"]
