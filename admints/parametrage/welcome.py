"""Message d'accueil (R-PAR-2): counting, checking and sanitising the staff's rich text.

The limit counts the TEXT families read (entities decoded, a line break counts one), not the
markup, exactly like the editor's live counter (static/parametrage.js). Dangerous content —
script-like elements, event handlers, links other than http/https/mailto — is refused with a
French message; everything else goes through an nh3 allow-list on save (b, i, u, links, line
breaks), so nothing outside it can reach a family's page. Effective at once (guide §3.1).
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import nh3

from ..errors import DomainError
from . import versions

KEY = "message_accueil"
MAX_CHARS = 2000
# The stored HTML, markup included: 2000 characters of text with ordinary formatting fit;
# 100,000 empty tags (no text at all) do not.
MAX_HTML_CHARS = 20_000
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "a", "br", "p", "div"}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
_FORBIDDEN_ELEMENTS = {"script", "style", "iframe", "object", "embed", "svg", "math", "form",
                       "input", "button", "img", "link", "meta", "base", "frame", "frameset",
                       "textarea", "select", "template", "video", "audio"}
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "srcset", "background"}


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.length = 0
        self.problems: list[str] = []

    def handle_data(self, data):
        self.length += len(data)

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.length += 1
        if tag in _FORBIDDEN_ELEMENTS:
            self.problems.append(f"la balise <{tag}> est interdite")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"l'attribut « {name} » (script) est interdit")
            elif name in _URL_ATTRS and value is not None:
                scheme = _scheme(value)
                if scheme not in ALLOWED_SCHEMES:  # relative or « //host » links too
                    self.problems.append(
                        f"le lien « {value[:60]} » est interdit (seuls les liens http, https "
                        "et mailto sont autorisés)")
            elif name == "style" and re.search(r"expression|url\s*\(|javascript", value or "",
                                               re.I):
                self.problems.append("le style contient du code interdit")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def _scheme(url: str) -> str | None:
    # Browsers ignore control characters and spaces inside a scheme (« java\tscript: »).
    compact = re.sub(r"[\x00-\x20\x7f]+", "", url).lower()
    match = re.match(r"([a-z][a-z0-9+.\-]*):", compact)
    return match.group(1) if match else None


def inspect(html: str) -> tuple[int, list[str]]:
    parser = _Inspector()
    parser.feed(html or "")
    parser.close()
    return parser.length, parser.problems


def text_length(html: str) -> int:
    """Characters of text families read (what the 2000 limit counts)."""
    return inspect(html)[0]


def sanitise(html: str) -> str:
    """The nh3 allow-list applied on every save."""
    return nh3.clean(
        html or "", tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
        url_schemes=ALLOWED_SCHEMES, link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def check(html: str) -> str:
    """Refuse dangerous or too long content; returns the sanitised HTML to store."""
    if len(html or "") > MAX_HTML_CHARS:
        raise DomainError("Le message d'accueil, mise en forme comprise, est limité à "
                          f"{MAX_HTML_CHARS} caractères ({len(html)} reçus).")
    length, problems = inspect(html)
    if problems:
        raise DomainError("Message refusé : " + " ; ".join(dict.fromkeys(problems)) + ".")
    if length > MAX_CHARS:
        raise DomainError(f"Le message d'accueil est limité à {MAX_CHARS} caractères "
                          f"({length} saisis).")
    clean = sanitise(html)
    if text_length(clean) > MAX_CHARS:  # entities re-encoded by nh3 never change the text
        raise DomainError(f"Le message d'accueil est limité à {MAX_CHARS} caractères.")
    if len(clean) > MAX_HTML_CHARS:  # nh3 re-encodes entities and adds link attributes
        raise DomainError("Le message d'accueil, mise en forme comprise, est limité à "
                          f"{MAX_HTML_CHARS} caractères.")
    return clean


def save(etablissement_id: int, html: str, *, today: dt.date, by: str | None = None) -> dt.date:
    return versions.set_value(etablissement_id, KEY, check(html), today, by=by)
