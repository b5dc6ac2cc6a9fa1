"""How static files and pages travel (issue 13 point 8, issue 14 point 2): versioned static URLs
with a year of cache, and compressed responses.

- Every URL built for a static file (`url_for('static', …)`, Flask-Admin's `admin.static`)
  carries `?v=<12 hex of the file's sha256>` (a `url_defaults` hook: it also replaces the
  library version Flask-Admin puts there, which does not change when the file does). A change of
  the file gives a new URL.
- A static response whose `v` is the file's current version is `public, max-age=31536000,
  immutable`: a warm page load asks nothing for its assets. Any other static request (no or an
  old version) keeps Flask's `no-cache` (revalidated), so a stale URL never pins old content;
  except the files of the vendored releases (DSFR fonts and icons named by its stylesheet
  without a version): a week.
- Flask-Compress compresses HTML, CSS, JS, JSON, CSV and SVG (zstd, br or gzip, as the browser
  asks); static files are streamed, so they are compressed chunk by chunk. Pages keep the
  `Cache-Control` their views give them (`no-store` where they show personal data).
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

from flask import Flask, current_app, request
from flask_compress import Compress

IMMUTABLE = "public, max-age=31536000, immutable"
STATIC_ENDPOINTS = ("static", "admin.static")
VENDORED = ("dsfr/", "vendor/")  # fetched at a pinned release (scripts/fetch_*.py)
VENDORED_CACHE = "public, max-age=604800"
MAX_VERSIONS = 4096  # a bound: filenames come from templates, and from requests (`v` check)
COMPRESSED = ["text/html", "text/css", "text/javascript", "application/javascript",
              "application/json", "text/csv", "text/plain", "image/svg+xml"]

_versions: dict[tuple[str, str], tuple[float, int, int, str | None]] = {}
# (folder, filename) -> (checked at, mtime_ns, size, version); a page builds ~10 static URLs
_lock = threading.Lock()
RECHECK_SECONDS = 2.0  # how long a computed version is trusted before the file is stat'ed again
compress = Compress()


def _folder(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    return blueprint.static_folder if blueprint else None


def file_version(folder: str, filename: str) -> str | None:
    """12 hex digits of the file's sha256 (recomputed when its size or mtime changes);
    None for a path outside the folder or a missing file. Every page asks for about ten of
    them: a version is trusted for RECHECK_SECONDS, then the file is stat'ed again (resolving
    and stat'ing each time cost ~1 ms a page, bench/list_page.py)."""
    key = (folder, filename)
    now = time.monotonic()
    cached = _versions.get(key)
    if cached and now - cached[0] < RECHECK_SECONDS:
        return cached[3]
    root = Path(folder).resolve()
    path = (root / filename).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        version = None
        stat = None
    else:
        stat = path.stat()
        if cached and cached[1:3] == (stat.st_mtime_ns, stat.st_size):
            version = cached[3]
        else:
            version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    with _lock:
        if len(_versions) < MAX_VERSIONS or key in _versions:
            _versions[key] = (now, stat.st_mtime_ns if stat else 0, stat.st_size if stat else -1,
                              version)
    return version


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint not in STATIC_ENDPOINTS or "filename" not in values:
        return
    folder = _folder(current_app, endpoint)
    version = file_version(folder, values["filename"]) if folder else None
    if version:
        values["v"] = version


def _cache_headers(response):
    if request.endpoint not in STATIC_ENDPOINTS or response.status_code not in (200, 304):
        return response
    folder = _folder(current_app, request.endpoint)
    filename = (request.view_args or {}).get("filename", "")
    wanted = request.args.get("v")
    if folder and wanted and wanted == file_version(folder, filename):
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers.pop("Expires", None)
    elif request.endpoint == "static" and filename.startswith(VENDORED):
        # Fonts and icons that a versioned DSFR stylesheet names by a plain relative URL: they
        # only change with the pinned release, so a week without asking is safe.
        response.headers["Cache-Control"] = VENDORED_CACHE
        response.headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    """Register after the other extensions: Flask runs `after_request` hooks last-registered
    first, so the cache header is set before Flask-Compress (registered here, first) runs."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED)
    app.config.setdefault("COMPRESS_ALGORITHM", ["zstd", "br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["zstd", "br", "gzip"])
    app.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL", list(STATIC_ENDPOINTS))
    compress.init_app(app)
    app.url_defaults(_add_version)
    app.after_request(_cache_headers)

