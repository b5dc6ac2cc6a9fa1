"""Static files and pages on the wire (issue 13 point 8, issue 14 point 2; R-SEC-5 for pages
with personal data): versioned static URLs with a year of cache, compressed responses, pages
still never stored, and the pinned partial plotly.js bundle."""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

import brotli
import pytest
from plotly.offline import get_plotlyjs_version

from admints import static_delivery
from admints.static_delivery import IMMUTABLE
from admints.statistiques import figures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import fetch_plotly  # noqa: E402 - the stdlib script, imported from its folder

VERSIONED = re.compile(r'(?:src|href)="(/static/[^"?]+)\?v=([0-9a-f]{12})"')


def static_urls(html: str) -> dict[str, str]:
    return dict(VERSIONED.findall(html))


def test_issue13_static_urls_carry_a_content_version(client, auth, etab):
    """Every script and stylesheet of a back-office page, ours and Flask-Admin's, carries the
    12-hex version of its content; that URL gets a year of immutable cache."""
    auth.login("chef.0999001a")
    html = client.get("/statistiques/eleves/").get_data(as_text=True)
    urls = static_urls(html)
    assert "/static/admints.css" in urls and "/static/admints-charts.js" in urls
    assert not re.search(r'(?:src|href)="/static/[^"?]+"', html), "unversioned static URL"
    for path, version in urls.items():
        response = client.get(f"{path}?v={version}")
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == IMMUTABLE, path
        assert "Expires" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", ""), path


def test_issue13_flask_admin_static_urls_versioned_by_content(app):
    """Flask-Admin puts its library's version in `v`; the hook replaces it with the file's."""
    with app.test_request_context():
        from flask import url_for

        url = url_for("admin.static", filename="admin/js/helpers.js", v="1.0.0")
    assert re.fullmatch(r"/static/admin/admin/js/helpers\.js\?v=[0-9a-f]{12}", url)


def test_issue13_stale_or_missing_version_is_revalidated(client):
    """A URL without the current version is never pinned for a year: Flask's no-cache."""
    for url in ("/static/admints.css", "/static/admints.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", ""), url
        assert "no-cache" in response.headers["Cache-Control"], url


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_issue13_static_file_compressed_when_asked(client, encoding):
    with client.application.test_request_context():
        from flask import url_for

        url = url_for("static", filename="admints.css")
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    response = client.get(url, headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert response.headers["Cache-Control"] == IMMUTABLE
    body = response.get_data()
    decoded = gzip.decompress(body) if encoding == "gzip" else brotli.decompress(body)
    assert decoded == plain.get_data()
    assert "Accept-Encoding" in response.headers["Vary"]


def test_issue13_html_page_compressed_and_not_cached(client, auth, etab):
    """R-SEC-5: a page with temporary passwords stays `no-store` once compressed; any page is
    compressed and never given a long cache."""
    auth.login("chef.0999001a")
    listes = client.get("/eleves/listes/", headers={"Accept-Encoding": "gzip"})
    assert listes.status_code == 200
    assert listes.headers["Content-Encoding"] == "gzip"
    assert listes.headers["Cache-Control"] == "no-store"
    assert "Listes" in gzip.decompress(listes.get_data()).decode("utf-8")
    page = client.get("/statistiques/eleves/", headers={"Accept-Encoding": "br"})
    assert page.headers["Content-Encoding"] == "br"
    assert "max-age" not in page.headers.get("Cache-Control", "")
    assert "Synthèse comptes élèves" in brotli.decompress(page.get_data()).decode("utf-8")


def test_issue13_changed_file_gets_a_new_url(app, tmp_path, monkeypatch):
    """A change of content gives a new version (so a new URL) once the version's trust window
    has passed; the old one is not immutable."""
    monkeypatch.setattr(static_delivery, "RECHECK_SECONDS", 0.0)
    folder = tmp_path / "static"
    folder.mkdir()
    target = folder / "x.js"
    target.write_text("var a = 1;\n", encoding="utf-8")
    first = static_delivery.file_version(str(folder), "x.js")
    target.write_text("var a = 2; // changed\n", encoding="utf-8")
    second = static_delivery.file_version(str(folder), "x.js")
    assert first and second and first != second
    assert static_delivery.file_version(str(folder), "../x.js") is None
    assert static_delivery.file_version(str(folder), "absent.js") is None

    css = Path(app.static_folder) / "admints-ecrans.css"
    original = css.read_bytes()
    client = app.test_client()
    with app.test_request_context():
        from flask import url_for

        before = url_for("static", filename="admints-ecrans.css")
        try:
            css.write_bytes(original + b"\n/* changed */\n")
            after = url_for("static", filename="admints-ecrans.css")
            assert after != before
            assert client.get(after).headers["Cache-Control"] == IMMUTABLE
            assert "immutable" not in client.get(before).headers["Cache-Control"]
        finally:
            css.write_bytes(original)


def test_issue14_static_version_trusted_for_a_window_then_rechecked(tmp_path, monkeypatch):
    """A page builds ~10 static URLs: within RECHECK_SECONDS the version is not recomputed
    (no stat), after it a changed file gets its new version."""
    folder = tmp_path / "static"
    folder.mkdir()
    target = folder / "y.js"
    target.write_text("var b = 1;\n", encoding="utf-8")
    monkeypatch.setattr(static_delivery, "RECHECK_SECONDS", 3600.0)
    first = static_delivery.file_version(str(folder), "y.js")
    target.write_text("var b = 2; // changed\n", encoding="utf-8")
    assert static_delivery.file_version(str(folder), "y.js") == first  # trusted
    monkeypatch.setattr(static_delivery, "RECHECK_SECONDS", 0.0)
    second = static_delivery.file_version(str(folder), "y.js")
    assert second and second != first
    target.unlink()
    assert static_delivery.file_version(str(folder), "y.js") is None


def test_issue13_plotly_bundle_pinned_to_the_python_package(app):
    """The fetched partial bundle is the plotly.js version that plotly.py's figures target, it
    draws every trace type the statistics use, and it is much lighter than the full bundle."""
    assert fetch_plotly.VERSION == get_plotlyjs_version()
    path = Path(app.static_folder) / "vendor" / "plotly" / fetch_plotly.FILENAME
    head = path.read_bytes()[:200].decode("utf-8")
    assert f"plotly.js (basic - minified) v{fetch_plotly.VERSION}" in head
    assert path.stat().st_size < 1_500_000
    drawn = [figures.bar(["a"], [1], "t"),
             figures.stacked(["a"], [("notifies", "Notifiés", [1])], "t")]
    used = {trace["type"] for figure in drawn for trace in figure["data"]}
    assert used and used <= fetch_plotly.TRACE_TYPES


def test_issue13_plotly_fetch_refuses_a_wrong_tarball(tmp_path):
    """Same integrity check as the DSFR: a tarball whose sha512 differs changes nothing."""
    bogus = tmp_path / "bogus.tgz"
    bogus.write_bytes(b"not the package")
    dest = tmp_path / "plotly"
    with pytest.raises(fetch_plotly.FetchError, match="sha512"):
        fetch_plotly.ensure(dest, url=bogus.as_uri())
    assert not dest.exists()
