#!/usr/bin/env python3
"""Fetch the DSFR (Système de design de l'État) release files that the families' portal and the
back-office (issue 13) use.

Owns: the pinned version and sha512 integrity of the npm package `@gouvfr/dsfr` (the one place
to change on an upgrade), the download of its tarball from the npm registry (`npm pack` when npm
is present, else a plain HTTPS download of the same tarball), the integrity check (done here, in
Python, whatever fetched the bytes), and the choice of the few files kept from `dist/` in the
git-ignored folder `admints/static/dsfr/`: the core stylesheet (every component) and scripts,
the fonts, and the icons that the templates of both UIs (and the views' Python formatters)
name with a `fr-icon-*` class. Never a CDN at run time: the pages load these copies.

Stdlib only: `make run` / `make test` call it before the virtualenv exists. Idempotent: when the
stamp file in the folder names the same version, integrity and icon set, it does nothing.

Upgrade: `npm view @gouvfr/dsfr@X dist.integrity`, then change VERSION and INTEGRITY below.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import io
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

PACKAGE = "@gouvfr/dsfr"
VERSION = "1.15.3"
INTEGRITY = (
    "sha512-R9AALZc1LfZjtytWZMOaUIOHWTkllBZ/sZlsL8TpKZVgF3qUKXt/uNYh+L1D1Fh4p92ZqWxbtNcebsigBZe5pQ=="
)

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "admints" / "static" / "dsfr"
TEMPLATES = ROOT / "templates" / "portail"
# Everything scanned for `fr-icon-*` names: the portal, the back-office's templates (the shell,
# Flask-Admin's overrides, login, errors) and the Python code that builds HTML (formatters).
ICON_SOURCES = (
    TEMPLATES,
    ROOT / "templates" / "admints",
    ROOT / "templates" / "admin",
    ROOT / "templates" / "auth",
    ROOT / "templates" / "errors",
    ROOT / "admints",
)
SCANNED_SUFFIXES = (".html", ".py")
STAMP = ".stamp.json"

# The files of dist/ the base layout loads; the icons and fonts they point to are added below.
CORE_FILES = (
    "dsfr.min.css",
    "dsfr.module.min.js",
    "dsfr.nomodule.min.js",
    "utility/icons/icons.min.css",
)
ICONS_CSS = "utility/icons/icons.min.css"
DIST = "package/dist/"
MAX_TARBALL = 64 * 1024 * 1024  # the 1.15 tarball is 23 MB; anything far larger is not it

_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")
_ICON_CLASS = re.compile(r"\bfr-icon-([a-z0-9][a-z0-9-]*)")


class FetchError(Exception):
    """The tarball could not be had, or is not the one pinned: nothing was changed."""


def tarball_url(version: str = VERSION, package: str = PACKAGE) -> str:
    """The registry's tarball URL of an npm package (scoped or not): also used by
    scripts/fetch_plotly.py, so both vendored packages come by the one mechanism."""
    registry = os.environ.get("npm_config_registry") or "https://registry.npmjs.org/"
    return f"{registry.rstrip('/')}/{package}/-/{package.rsplit('/', 1)[-1]}-{version}.tgz"


def check_integrity(data: bytes, integrity: str, name: str = "DSFR") -> None:
    """Refuse bytes whose sha512 is not the pinned Subresource-Integrity-style value."""
    algo, _, expected = integrity.partition("-")
    if algo != "sha512" or not expected:
        raise FetchError(f"Empreinte non prise en charge : {integrity!r} (sha512 attendu).")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if not hmac.compare_digest(actual, expected):
        raise FetchError(
            f"Empreinte sha512 du paquet {name} incorrecte : attendu {expected}, obtenu {actual}. "
            "Rien n'a été modifié."
        )


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            data = response.read(MAX_TARBALL + 1)
    except OSError as exc:
        raise FetchError(f"Téléchargement impossible de {url} : {exc}") from exc
    if len(data) > MAX_TARBALL:
        raise FetchError(f"{url} dépasse {MAX_TARBALL} octets : ce n'est pas le paquet attendu.")
    return data


def _npm_pack(version: str, package: str = PACKAGE) -> bytes:
    """`npm pack` into a temporary folder (npm's own cache makes a second fetch cheap)."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            out = subprocess.run(
                ["npm", "pack", f"{package}@{version}", "--json", "--pack-destination", tmp],
                check=True, capture_output=True, text=True, timeout=300,
            ).stdout
            filename = json.loads(out)[0]["filename"]
        except (OSError, subprocess.SubprocessError, ValueError, KeyError, IndexError) as exc:
            raise FetchError(f"npm pack {package}@{version} a échoué : {exc}") from exc
        return (Path(tmp) / filename).read_bytes()


def fetch_tarball(version: str = VERSION, url: str | None = None,
                  package: str = PACKAGE) -> bytes:
    """The tarball's bytes: from `url` when given, else `npm pack` when npm is present, else
    the registry's tarball URL. Not yet checked: the caller checks the integrity."""
    if url is None and shutil.which("npm"):
        return _npm_pack(version, package)
    return _download(url or tarball_url(version, package))


def template_icons(templates: Path | tuple[Path, ...] = ICON_SOURCES) -> list[str]:
    """Names of the `fr-icon-*` classes that the templates (and Python files) under the given
    folder(s) use; a missing folder is skipped."""
    folders = (templates,) if isinstance(templates, Path) else tuple(templates)
    names: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix in SCANNED_SUFFIXES and path.is_file():
                names.update(_ICON_CLASS.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


def _css_refs(css_path: str, css: str) -> set[str]:
    """dist-relative paths of the files a stylesheet points to (data: URIs aside)."""
    refs = set()
    base = posixpath.dirname(css_path)
    for ref in _URL.findall(css):
        if ref.startswith("data:"):
            continue
        path = posixpath.normpath(posixpath.join(base, ref.split("#")[0].split("?")[0]))
        if not path.startswith("../"):
            refs.add(path)
    return refs


def _icon_svg(icons_css: str, name: str) -> str:
    match = re.search(
        r"\.fr-icon-" + re.escape(name) + r":(?:after|before)[^{]*\{[^}]*?url\(([^)]+)\)", icons_css
    )
    if not match:
        raise FetchError(f"Icône DSFR inconnue dans les gabarits : fr-icon-{name}")
    path = posixpath.normpath(posixpath.join(posixpath.dirname(ICONS_CSS), match.group(1)))
    return path


def _safe(rel: str) -> bool:
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and ".." not in parts and "" not in parts


def select_files(data: bytes, icons: list[str]) -> dict[str, bytes]:
    """The kept files of dist/ (path relative to dist/ → bytes), read from the tarball without
    extracting it: regular files only, no path leaving the folder."""
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise FetchError(f"Archive DSFR illisible : {exc}") from exc
    with tar:
        members = {
            m.name[len(DIST):]: m
            for m in tar.getmembers()
            if m.isfile() and m.name.startswith(DIST) and _safe(m.name[len(DIST):])
        }

        def read(rel: str) -> bytes:
            if rel not in members:
                raise FetchError(f"Fichier absent du paquet DSFR : dist/{rel}")
            return tar.extractfile(members[rel]).read()

        kept = {rel: read(rel) for rel in CORE_FILES}
        # Component icons of the core stylesheet; fonts in woff2 only (every browser the
        # portal supports reads it, so the .woff fallbacks are never requested).
        wanted = {r for r in _css_refs("dsfr.min.css", kept["dsfr.min.css"].decode("utf-8"))
                  if r.endswith(".svg")}
        wanted |= {rel for rel in members
                   if (rel.startswith("fonts/") and rel.endswith(".woff2"))
                   or rel.startswith("favicon/")}
        icons_css = kept[ICONS_CSS].decode("utf-8")
        wanted |= {_icon_svg(icons_css, name) for name in icons}
        for rel in sorted(wanted):
            kept[rel] = read(rel)
    return kept


def stamp_for(version: str, integrity: str, icons: list[str]) -> dict:
    return {"version": version, "integrity": integrity, "icons": icons}


def is_current(dest: Path, stamp: dict) -> bool:
    try:
        return json.loads((dest / STAMP).read_text(encoding="utf-8")) == stamp
    except (OSError, ValueError):
        return False


def install(dest: Path, files: dict[str, bytes], stamp: dict) -> None:
    """Write the files beside `dest`, then swap the folders (the stamp is written last, so an
    interrupted run is redone)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".dsfr-", dir=dest.parent))
    try:
        for rel, content in files.items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        (tmp / STAMP).write_text(json.dumps(stamp, indent=1) + "\n", encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def ensure(dest: Path = DEST, *, version: str = VERSION, integrity: str = INTEGRITY,
           url: str | None = None, templates: Path | tuple[Path, ...] = ICON_SOURCES,
           force: bool = False) -> dict:
    """Make `dest` hold the kept files of that version; a summary of what was done."""
    icons = template_icons(templates)
    stamp = stamp_for(version, integrity, icons)
    if not force and is_current(dest, stamp):
        return {"fetched": False, "version": version}
    data = fetch_tarball(version, url)
    check_integrity(data, integrity)
    files = select_files(data, icons)
    install(dest, files, stamp)
    return {
        "fetched": True, "version": version, "tarball_bytes": len(data),
        "kept_files": len(files), "kept_bytes": sum(len(c) for c in files.values()),
    }


def run_cli(argv, *, name: str, description: str, default_dest: Path, ensure_fn, report) -> int:
    """The command line of a fetch script: `--dest`, `--force`, a French error on stderr (exit 1),
    `report(done)` printed when something was fetched."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dest", type=Path, default=default_dest)
    parser.add_argument("--force", action="store_true", help="refaire même si le tampon correspond")
    args = parser.parse_args(argv)
    try:
        done = ensure_fn(args.dest, force=args.force)
    except FetchError as exc:
        print(f"{name} : {exc}", file=sys.stderr)
        return 1
    if done["fetched"]:
        print(report(done))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        argv, name="fetch_dsfr", default_dest=DEST, ensure_fn=ensure,
        description="Récupère les fichiers du DSFR gardés par le portail et l'administration.",
        report=lambda done: (
            f"DSFR {done['version']} : {done['kept_files']} fichiers gardés, "
            f"{done['kept_bytes']} octets (archive de {done['tarball_bytes']} octets vérifiée)."))


if __name__ == "__main__":
    sys.exit(main())
