"""A crawl of the back-office as one staff user (issue 12 points 8 and 9): every page reachable
by links from the home page, one URL per shape (`/responsables/edit/?id=12` and `?id=13` are
the same screen), plus the error pages. The tests of `test_french_crawl.py` read the pages it
returns; it only walks.

The visible text and the attributes a screen reader or a tooltip shows (aria-label, title,
placeholder, alt) are what the tests check: scripts, styles and other attributes are not read.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Never followed: leaving, documents that are not pages, the families' portal, state changes.
SKIPPED = re.compile(r"^/(logout|static/|scolarite/|favicon)|/(pdf|csv|export)(/|$)|\.(pdf|csv|json)"
                     r"|/supprimer|/delete/|action=")
# Query keys that show the same screen differently (order, page, return address).
LIST_KEYS = {"url", "sort", "desc", "page", "page_size", "tri", "ordre"}
SHOWN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


class PageText(HTMLParser):
    """Visible text and the shown attributes of one page; hrefs to follow."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attributes: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name in SHOWN_ATTRIBUTES:
            if values.get(name):
                self.attributes.append(values[name])
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.text.append(values["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def shape(url: str) -> str:
    """The screen of a URL: digits and query values folded, so each screen is read once."""
    parts = urlsplit(url)
    path = re.sub(r"\d+", "N", parts.path)
    keys = sorted(k.split("=")[0] for k in parts.query.split("&") if k)
    keys = [k for k in keys if k not in LIST_KEYS]
    return path + ("?" + "&".join(keys) if keys else "")


def crawl(client, start: str = "/", limit: int = 250) -> dict[str, PageText]:
    """GET every internal page reachable from `start` (one per shape): url -> parsed page."""
    pages: dict[str, PageText] = {}
    seen = {shape(start)}
    queue = [start]
    while queue and len(pages) < limit:
        url = queue.pop(0)
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            target = urlsplit(urljoin(url, response.headers["Location"]))
            nxt = target.path + (f"?{target.query}" if target.query else "")
            if shape(nxt) not in seen and not SKIPPED.search(nxt):
                seen.add(shape(nxt))
                queue.append(nxt)
            continue
        if not response.mimetype.startswith("text/html"):
            continue
        page = PageText()
        page.feed(response.get_data(as_text=True))
        page.status = response.status_code
        pages[url] = page
        for href in page.links:
            absolute = urlsplit(urljoin(url, href))
            if absolute.scheme not in ("", "http") or absolute.netloc not in ("", "localhost"):
                continue
            nxt = absolute.path + (f"?{absolute.query}" if absolute.query else "")
            if SKIPPED.search(nxt) or shape(nxt) in seen:
                continue
            seen.add(shape(nxt))
            queue.append(nxt)
    return pages
