"""A crawl of the back-office as one staff user (issue 12 points 8 and 9): every page reachable
by links from the home page, one URL per screen (`/responsables/edit/?id=12` and `?id=13`, or
the same list sorted otherwise, are the same screen). `test_french_crawl.py` reads the pages it
returns; this module only walks and parses.

What is read is what a user perceives: the visible text (not scripts, styles, nor Flask-Admin's
hidden JSON of the filters) and the attributes a screen reader or a tooltip shows (aria-label,
title, placeholder, alt, button values). Numbers alone in a right-aligned cell (counts of a
table) are collected apart, to check their grouping.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Never followed: leaving, documents that are not pages, the families' portal, state changes.
SKIPPED = re.compile(r"^/(logout|static/|scolarite/|favicon)|/(pdf|csv|export)(/|$)"
                     r"|\.(pdf|csv|json)|/supprimer|/delete/|action=")
# Query keys that show the same screen differently (order, page, return address).
LIST_KEYS = {"url", "sort", "desc", "page", "page_size", "tri", "ordre"}
SHOWN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
HIDDEN_TAGS = {"script", "style", "template"}


class PageText(HTMLParser):
    """Visible text, shown attributes, counts in number cells, and hrefs to follow."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attributes: list[str] = []
        self.cell_numbers: list[str] = []
        self.links: list[str] = []
        self.status = 0
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, hidden, number cell)

    def _hidden(self) -> bool:
        return any(hidden for _t, hidden, _n in self._stack)

    def handle_starttag(self, tag, attrs):
        values = {k: v or "" for k, v in attrs}
        classes = values.get("class", "").split()
        hidden = (tag in HIDDEN_TAGS or "d-none" in classes or "hidden" in values
                  or values.get("id") in ("filter-groups-data", "active-filters-data"))
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if not hidden and not self._hidden():
            self.attributes.extend(values[n] for n in SHOWN_ATTRIBUTES if values.get(n))
            if tag == "input" and values.get("type") in ("submit", "button"):
                self.text.append(values.get("value", ""))
        if tag not in VOID:
            self._stack.append((tag, hidden, tag == "td" and "text-right" in classes))

    def handle_endtag(self, tag):
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break

    def handle_data(self, data):
        text = data.strip()
        if not text or self._hidden():
            return
        self.text.append(text)
        if self._stack and self._stack[-1][2] and re.fullmatch(r"[\d\s\u202f\u00a0]+", text):
            self.cell_numbers.append(text)

    @property
    def visible(self) -> str:
        return " | ".join(self.text)


def shape(url: str) -> str:
    """The screen of a URL: digits and query values folded, so each screen is read once."""
    parts = urlsplit(url)
    path = re.sub(r"\d+", "N", parts.path)
    keys = sorted({k.split("=")[0] for k in parts.query.split("&") if k} - LIST_KEYS)
    return path + ("?" + "&".join(keys) if keys else "")


def parse(response) -> PageText:
    page = PageText()
    page.feed(response.get_data(as_text=True))
    page.status = response.status_code
    return page


def crawl(client, start: str = "/", limit: int = 250) -> dict[str, PageText]:
    """GET every internal page reachable from `start` (one per shape): url -> parsed page."""
    pages: dict[str, PageText] = {}
    seen = {shape(start)}
    queue = [start]
    while queue and len(pages) < limit:
        url = queue.pop(0)
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            queue_link(urljoin(url, response.headers["Location"]), seen, queue)
            continue
        if not response.mimetype.startswith("text/html"):
            continue
        page = pages[url] = parse(response)
        for href in page.links:
            queue_link(urljoin(url, href), seen, queue)
    return pages


def queue_link(absolute: str, seen: set[str], queue: list[str]) -> None:
    parts = urlsplit(absolute)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
        return
    nxt = parts.path + (f"?{parts.query}" if parts.query else "")
    if SKIPPED.search(nxt) or shape(nxt) in seen:
        return
    seen.add(shape(nxt))
    queue.append(nxt)
