"""Bytes a browser transfers for a back-office page (issue 13 point 8): « Synthèse comptes
élèves » and the other pages given, on a cold load (empty browser cache) and a warm load (the
same page again, as a user coming back to it). Prints requests and bytes per page.

    .venv/bin/python bench/page_weight.py [--eleves 300] [--path /statistiques/eleves/ ...]

The app runs on a temporary SQLite database with one demo establishment, served by werkzeug in
a thread; the system Chromium (Playwright) counts through the DevTools protocol the bytes that
came over the network (`Network.loadingFinished.encodedDataLength`: headers and body as sent,
compressed when the server compressed). Requests served from the browser's memory or disk cache
without a network round trip do not count: that is what a warm load should look like.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import socket
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import bench_app, load_demo_school
from werkzeug.serving import make_server

from admints.extensions import db

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "Bench-Orage-Tilleul-17"  # the demo password of _support.load_demo_school
UAI = "0999001A"
TODAY = dt.date(2026, 11, 28)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Meter:
    """Bytes and requests seen on the network by one page, through a CDP session."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.requestWillBeSent", self._request)
        self.urls: dict[str, str] = {}
        self.seen: list[tuple[str, int]] = []
        self.bytes = 0
        self.requests = 0
        self.cached = 0

    def _response(self, event) -> None:
        response = event["response"]
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self.cached += 1

    def _request(self, event) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event) -> None:
        length = event.get("encodedDataLength", 0)
        if length:
            self.requests += 1
            self.bytes += length
            self.seen.append((self.urls.get(event["requestId"], "?"), length))

    def reset(self) -> None:
        self.bytes = self.requests = self.cached = 0
        self.seen = []


def measure(base: str, paths: list[str], verbose: bool = False) -> list:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        for path in paths:
            context = browser.new_context(locale="fr-FR")
            page = context.new_page()
            meter = Meter(page)
            page.goto(f"{base}/login")
            page.fill("input[name=login]", f"chef.{UAI.lower()}")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            meter.cdp.send("Network.clearBrowserCache")
            for label in ("cold", "warm"):
                meter.reset()
                page.goto(f"{base}{path}", wait_until="load")
                page.wait_for_timeout(300)
                rows.append((path, label, meter.requests, meter.bytes))
                if verbose:
                    for url, size in meter.seen:
                        print(f"  {label} {size:9d} {url.removeprefix(base)}")
            context.close()
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eleves", type=int, default=300)
    parser.add_argument("--verbose", action="store_true", help="list each request")
    parser.add_argument("--path", action="append",
                        help="page to measure (default: the three statistics pages)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    paths = args.path or ["/statistiques/eleves/", "/statistiques/responsables/",
                          "/statistiques/acces/"]
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(f"sqlite:///{tmp}/weight.db", Path(tmp) / "out",
                        LOGIN_RATE_LIMIT="1000 per minute",
                        LOGIN_ACCOUNT_RATE_LIMIT="1000 per hour", TESTING=False)
        with app.app_context():
            db.create_all()
            load_demo_school(UAI, args.eleves, TODAY)
        port = _free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            rows = measure(f"http://127.0.0.1:{port}", paths, args.verbose)
        finally:
            server.shutdown()
    print(f"{'page':32} {'load':5} {'requests':>8} {'bytes':>10}")
    for path, label, requests, size in rows:
        print(f"{path:32} {label:5} {requests:8d} {size:10d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
