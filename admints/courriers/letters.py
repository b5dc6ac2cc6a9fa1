"""Notification letters as one PDF (R-ACC-3/5, R-ACC-9, R-PAR-3/4; guide §3.2.1, §3.2.2).

Owns the `Letter` record, the resolution of the texts in force (argument, then settings
`courrier.<key>`, then `wording.DEFAULTS`), the letter type and its URL (settings `ent`),
the fields of each letter and the atomic PDF write. The page layout (forms drawn once, variable
lines per page) is `admints.courriers.layout`. Account states, passwords and sorting belong to the
caller (`admints.comptes.bulk`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from ..errors import DomainError
from ..parametrage import fiche, versions
from ..pdf import FONT, SharedResourcesCanvas, atomic_output, register_fonts
from . import templating, wording
from .layout import (
    BODY_TOP,
    HEAD_LEADING,
    HEAD_SIZE,
    HEAD_W,
    LEADING,
    LEFT,
    RCPT_TOP,
    RCPT_W,
    RCPT_X,
    SIZE,
    TOP,
    WIDTH,
    Layout,
    wrap,
)

PROGRESS_EVERY = 100


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
    # A guardian account shared by siblings: the other children (« Prénom NOM »), so that ONE
    # letter names every child — « ${eleve_prenom} ${eleve_nom} » reads « Jeanne DUPONT et
    # Paul DUPONT » (the standard and custom texts stay as they are).
    autres_enfants: list[str] = field(default_factory=list)


def portal_url() -> str:
    """The Scolarité services address (config `PORTAL_URL`)."""
    from flask import current_app, has_app_context

    from ..config import Config
    return current_app.config.get("PORTAL_URL", Config.PORTAL_URL) if has_app_context() \
        else Config.PORTAL_URL


def letter_type(etablissement_id: int, today: dt.date) -> dict[str, str]:
    """R-PAR-3: `{"type", "url", "mention_ent"}` from the settings key `ent` in force."""
    ent = versions.get(etablissement_id, "ent", today)
    ent = ent if isinstance(ent, dict) else {}
    kind = ent.get("type") or "teleservices"
    nom = (ent.get("nom") or "").strip()
    if kind == "ent":
        url = (ent.get("url") or "").strip()
        if not url.startswith(("https://", "http://")):
            raise DomainError("Le type de courrier « ENT seul » demande l'adresse internet de "
                              "l'ENT : complétez « ENT et courrier de notification ».")
        return {"type": kind, "url": url, "mention_ent": ""}
    mention = wording.MENTION_ENT_MIXTE.format(nom=f" « {nom} »" if nom else "") \
        if kind == "mixte" else ""
    return {"type": kind, "url": portal_url(), "mention_ent": mention}


def effective_texts(etablissement_id: int, today: dt.date,
                    texts: Mapping[str, str] | None = None) -> dict[str, str]:
    """The texts in force: `texts` (editor preview), else stored `courrier.<key>`, else default."""
    result = {}
    for key in wording.KEYS:
        value = (texts or {}).get(key)
        if value is None:
            value = versions.get(etablissement_id, f"courrier.{key}", today)
        result[key] = value if isinstance(value, str) and value.strip() \
            else wording.DEFAULTS[key]
    return result


def static_fields(etab, today: dt.date, ent: Mapping[str, str]) -> dict[str, str]:
    academie = getattr(etab, "academie", None)
    return {k: templating.clean_value(v) for k, v in {
        "url": ent["url"], "mention_ent": ent["mention_ent"],
        "academie": academie.nom if academie is not None else "",
        "etablissement": etab.nom, "adresse_etablissement": etab.adresse,
        "code_postal": etab.code_postal, "ville": etab.ville, "telephone": etab.telephone,
        "fax": etab.fax, "courriel": fiche.courriel(etab),
        "date": f"{today:%d/%m/%Y}", "chef": etab.chef_nom,
        "chef_titre": fiche.signature_title(etab),
    }.items()}


def letter_fields(static: Mapping[str, str], letter: Letter) -> dict[str, str]:
    """Every field of one letter: the establishment's (`static`) and the account's."""
    clean = templating.clean_value
    fields = dict(static)
    fields.update(
        identifiant=clean(letter.identifiant),
        # R-ACC-3: a used or continuity account's chosen password is never communicated.
        mot_de_passe="" if letter.continuite else clean(letter.mot_de_passe),
        civilite=wording.civilite_label(clean(letter.civilite)),
        nom=clean(letter.nom or letter.eleve_nom),
        prenom=clean(letter.prenom or letter.eleve_prenom),
        # A guardian account shared by siblings: one letter naming every child (issue 12).
        eleve_nom=wording.names_list([clean(letter.eleve_nom or letter.nom),
                                      *(clean(n) for n in letter.autres_enfants)]),
        eleve_prenom=clean(letter.eleve_prenom or letter.prenom),
        division=clean(letter.division))
    return fields


def _check(letter: Letter) -> None:
    if letter.kind not in ("eleve", "responsable"):
        raise DomainError(f"Type de courrier inconnu : {letter.kind!r}.")
    if not letter.identifiant:
        raise DomainError("Un compte sans identifiant ne peut pas être notifié.")
    if not letter.continuite and not letter.mot_de_passe:
        raise DomainError(f"Le compte {letter.identifiant} n'a pas de mot de passe "
                          "provisoire : son courrier ne peut pas être produit.")


def _draw(layout: Layout, letter: Letter) -> None:
    """One letter: fixed forms, header, recipient block, body, footer; then the page ends."""
    _check(letter)
    body = layout.compile(wording.body_key(letter.kind, letter.continuite),
                          WIDTH, SIZE, LEADING)
    head = layout.compile("entete", HEAD_W, HEAD_SIZE, HEAD_LEADING)
    clean = templating.clean_value
    fields = letter_fields(layout.static, letter)
    civilite, prenom, nom = fields["civilite"], fields["prenom"], fields["nom"]
    layout.place("date")
    y_head = layout.flow(head, LEFT, TOP, HEAD_W, HEAD_SIZE, HEAD_LEADING, fields, None)
    y_rcpt = RCPT_TOP
    recipient = " ".join(p for p in (civilite, prenom, nom) if p)
    for line in (recipient, *(clean(a) for a in letter.adresse if a and a.strip())):
        for part in wrap(line, FONT, SIZE, RCPT_W):
            layout.text(RCPT_X, y_rcpt - SIZE, FONT, SIZE, part)
            y_rcpt -= LEADING
    y = min(BODY_TOP, y_head - 8 * mm, y_rcpt - 8 * mm)
    layout.flow(body, LEFT, y, WIDTH, SIZE, LEADING, fields, layout.body_bottom)
    layout.place("footer")
    layout.end_page()


def write_letters(etab, letters: Iterable[Letter], path, *, today: dt.date,
                  texts: Mapping[str, str] | None = None,
                  progress: Callable[[int], None] | None = None,
                  invariant: bool = False, specimen: bool = False) -> int:
    """Write every letter into one PDF at `path`, atomically; return the number of pages.

    One page per letter unless an edited text is longer than a page. With no letter at all,
    nothing is written and 0 is returned. Raises `DomainError` (and leaves `path` untouched)
    on a letter without identifier or, for a new account, without temporary password, on a
    text that lost a required field, or an « ENT seul » type without ENT address.
    `invariant=True` gives byte-identical output for identical input (tests). A letter is never
    printed with a hole in its header (Fiche établissement); only the editor's specimen
    (`specimen=True`) shows the holes, so that the head sees what is missing.
    """
    if not specimen:
        fiche.require_letter_header(etab)
    register_fonts()
    ent = letter_type(etab.id, today)
    static = static_fields(etab, today, ent)
    chosen = effective_texts(etab.id, today, texts)
    count = 0
    try:
        with atomic_output(path) as tmp:
            canvas = SharedResourcesCanvas(tmp, pagesize=A4, invariant=1 if invariant else 0)
            try:
                canvas.setTitle("Courriers de notification")
                canvas.setAuthor(templating.clean_value(etab.nom))
                layout = Layout(canvas, static, chosen)
                for letter in letters:
                    _draw(layout, letter)
                    count += 1
                    if progress is not None and count % PROGRESS_EVERY == 0:
                        progress(count)
                if count == 0:
                    raise _NoLetter
                canvas.save()
            finally:
                canvas.close()
    except _NoLetter:
        return 0
    if progress is not None and count % PROGRESS_EVERY:
        progress(count)
    return layout.pages


def write_header(etab, path, *, today: dt.date, texts: Mapping[str, str] | None = None) -> int:
    """« Visualiser en-tête » (guide §3.2): the header alone (date line and establishment block)
    on one page, with the text in force or `texts["entete"]`."""
    register_fonts()
    static = static_fields(etab, today, letter_type(etab.id, today))
    chosen = effective_texts(etab.id, today, texts)
    with atomic_output(path) as tmp:
        canvas = SharedResourcesCanvas(tmp, pagesize=A4)
        try:
            canvas.setTitle("En-tête des courriers de notification")
            layout = Layout(canvas, static, chosen)
            head = layout.compile("entete", HEAD_W, HEAD_SIZE, HEAD_LEADING)
            layout.place("date")
            layout.flow(head, LEFT, TOP, HEAD_W, HEAD_SIZE, HEAD_LEADING, dict(static), None)
            layout.end_page()
            canvas.save()
        finally:
            canvas.close()
    return 1


class _NoLetter(Exception):
    """Internal: nothing to print, so the temporary file is discarded."""


__all__ = [
    "Letter",
    "write_letters",
    "write_header",
    "letter_fields",
    "letter_type",
    "effective_texts",
    "portal_url",
]
