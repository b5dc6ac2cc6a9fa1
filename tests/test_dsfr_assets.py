"""DSFR release files (R-POR-2, RGAA): scripts/fetch_dsfr.py only installs a tarball whose sha512
matches the pinned integrity, keeps only the files the portal uses, reads no path outside dist/,
and the real folder that `make test` fetched holds them.

Fake tarballs are served by a real HTTP server on 127.0.0.1; the script is also run as a real
subprocess without npm on its PATH, as on a machine that lacks it."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "fetch_dsfr.py"

_spec = importlib.util.spec_from_file_location("fetch_dsfr", SCRIPT)
fetch_dsfr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fetch_dsfr)

CORE_CSS = (
    "@font-face{src:url(fonts/Marianne-Regular.woff2) format('woff2'),"
    "url(fonts/Marianne-Regular.woff) format('woff')}"
    ".fr-btn--close:after{mask-image:url(icons/system/close-line.svg)}"
    ".fr-x{background:url(\"data:image/svg+xml;charset=utf8,%3Csvg%3E\")}"
)
ICONS_CSS = (
    ".fr-icon-account-line:after,.fr-icon-account-line:before"
    "{mask-image:url(../../icons/user/account-circle-line.svg)}"
    ".fr-icon-bank-line:after,.fr-icon-bank-line:before{mask-image:url(../../icons/buildings/bank-line.svg)}"
)


def _tarball(extra: dict[str, bytes] | None = None, symlink: str | None = None) -> bytes:
    files = {
        "package/package.json": b"{}",
        "package/dist/README.md": b"readme",
        "package/dist/dsfr.min.css": CORE_CSS.encode(),
        "package/dist/dsfr.min.css.map": b"map",
        "package/dist/dsfr.module.min.js": b"export{};",
        "package/dist/dsfr.nomodule.min.js": b";",
        "package/dist/utility/icons/icons.min.css": ICONS_CSS.encode(),
        "package/dist/fonts/Marianne-Regular.woff2": b"woff2",
        "package/dist/fonts/Marianne-Regular.woff": b"woff",
        "package/dist/favicon/favicon.svg": b"<svg/>",
        "package/dist/icons/system/close-line.svg": b"<svg id='close'/>",
        "package/dist/icons/user/account-circle-line.svg": b"<svg id='account'/>",
        "package/dist/icons/buildings/bank-line.svg": b"<svg id='bank'/>",
        "package/dist/component/alert/alert.min.css": b".fr-alert{}",
    }
    files.update(extra or {})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        if symlink:
            info = tarfile.TarInfo(symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
    return buf.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


class _Registry:
    """A real HTTP server on 127.0.0.1 serving fixed bytes at fixed paths, counting requests."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.hits = files, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(self.path)
                body = outer.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def templates(tmp_path):
    folder = tmp_path / "templates" / "portail"
    folder.mkdir(parents=True)
    (folder / "page.html").write_text(
        '<a class="fr-btn fr-icon-account-line fr-icon--sm">Mon compte</a>', encoding="utf-8")
    return folder


@pytest.fixture
def installed(tmp_path):
    """A folder already holding another version (what a refused fetch must leave untouched)."""
    dest = tmp_path / "static" / "dsfr"
    dest.mkdir(parents=True)
    (dest / "dsfr.min.css").write_text("/* version précédente */", encoding="utf-8")
    (dest / fetch_dsfr.STAMP).write_text(json.dumps({"version": "1.0.0"}), encoding="utf-8")
    return dest


def test_r_por_2_fetch_refuses_a_tarball_whose_sha512_does_not_match(tmp_path, installed,
                                                                     templates):
    good = _tarball()
    tampered = _tarball({"package/dist/dsfr.module.min.js": b"fetch('//ailleurs.example')"})
    before = _tree(installed)
    with _Registry({"/dsfr.tgz": tampered}) as registry:
        with pytest.raises(fetch_dsfr.FetchError,
                           match="Empreinte sha512 du paquet DSFR incorrecte"):
            fetch_dsfr.ensure(installed, version="9.9.9", integrity=_integrity(good),
                              url=f"{registry.base}/dsfr.tgz", templates=templates)
        assert registry.hits == ["/dsfr.tgz"]
    assert _tree(installed) == before
    assert [p.name for p in installed.parent.iterdir()] == ["dsfr"]  # no temporary folder left


def test_r_por_2_fetch_refuses_other_digest_algorithms():
    data = _tarball()
    sha256 = "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()
    with pytest.raises(fetch_dsfr.FetchError, match="sha512 attendu"):
        fetch_dsfr.check_integrity(data, sha256)
    fetch_dsfr.check_integrity(data, _integrity(data))  # the right one passes


def test_r_por_2_fetch_keeps_only_the_used_files_and_is_idempotent(tmp_path, installed, templates):
    data = _tarball()
    with _Registry({"/dsfr.tgz": data}) as registry:
        kwargs = dict(version="9.9.9", integrity=_integrity(data), url=f"{registry.base}/dsfr.tgz",
                      templates=templates)
        done = fetch_dsfr.ensure(installed, **kwargs)
        again = fetch_dsfr.ensure(installed, **kwargs)
        assert registry.hits == ["/dsfr.tgz"]  # the second run downloaded nothing
    assert done["fetched"] is True and again["fetched"] is False
    assert done["tarball_bytes"] == len(data)
    kept = _tree(installed)
    assert set(kept) == {
        "dsfr.min.css", "dsfr.module.min.js", "dsfr.nomodule.min.js", "utility/icons/icons.min.css",
        "fonts/Marianne-Regular.woff2", "favicon/favicon.svg",
        "icons/system/close-line.svg",  # used by the core stylesheet
        "icons/user/account-circle-line.svg",  # fr-icon-account-line in a portal template
        fetch_dsfr.STAMP,
    }
    assert done["kept_files"] == len(kept) - 1
    assert json.loads(kept[fetch_dsfr.STAMP]) == {
        "version": "9.9.9", "integrity": _integrity(data), "icons": ["account-line"]}


def test_r_por_2_a_new_icon_in_a_template_triggers_a_new_fetch(tmp_path, templates):
    dest = tmp_path / "dsfr"
    data = _tarball()
    with _Registry({"/dsfr.tgz": data}) as registry:
        kwargs = dict(version="9.9.9", integrity=_integrity(data), url=f"{registry.base}/dsfr.tgz",
                      templates=templates)
        fetch_dsfr.ensure(dest, **kwargs)
        (templates / "autre.html").write_text('<span class="fr-icon-bank-line"></span>')
        assert fetch_dsfr.ensure(dest, **kwargs)["fetched"] is True
        assert len(registry.hits) == 2
    assert (dest / "icons/buildings/bank-line.svg").read_bytes() == b"<svg id='bank'/>"


def test_r_por_2_unknown_icon_in_a_template_is_refused(tmp_path, installed, templates):
    (templates / "faute.html").write_text('<span class="fr-icon-n-existe-pas"></span>')
    data = _tarball()
    before = _tree(installed)
    with _Registry({"/dsfr.tgz": data}) as registry:
        with pytest.raises(fetch_dsfr.FetchError, match="fr-icon-n-existe-pas"):
            fetch_dsfr.ensure(installed, version="9.9.9", integrity=_integrity(data),
                              url=f"{registry.base}/dsfr.tgz", templates=templates)
    assert _tree(installed) == before


def test_r_por_2_hostile_tarball_paths_and_links_are_never_written(tmp_path, templates):
    """A member leaving dist/ with `..`, or a symbolic link among the kept folders, is ignored."""
    data = _tarball(
        {"package/dist/fonts/../../../../evil.woff2": b"evil",
         "package/dist/favicon/../../../evil.txt": b"evil"},
        symlink="package/dist/favicon/passwd.png",
    )
    dest = tmp_path / "a" / "b" / "dsfr"
    with _Registry({"/dsfr.tgz": data}) as registry:
        fetch_dsfr.ensure(dest, version="9.9.9", integrity=_integrity(data),
                          url=f"{registry.base}/dsfr.tgz", templates=templates)
    assert not list(tmp_path.rglob("evil*"))
    assert not (dest / "favicon" / "passwd.png").exists()
    assert sorted(p.name for p in (dest / "favicon").iterdir()) == ["favicon.svg"]


def test_r_por_2_script_without_npm_downloads_the_registry_tarball_and_refuses_a_bad_one(tmp_path):
    """The CLI as `make` runs it, on a PATH without npm: it downloads the registry's tarball URL
    (here a fake registry on 127.0.0.1), refuses it (not the pinned integrity), exits 1."""
    dest = tmp_path / "dsfr"
    path = f"/@gouvfr/dsfr/-/dsfr-{fetch_dsfr.VERSION}.tgz"
    with _Registry({path: _tarball()}) as registry:
        env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_")}
        env.update(PATH=str(tmp_path / "sans-npm"), npm_config_registry=registry.base + "/")
        proc = subprocess.run([sys.executable, str(SCRIPT), "--dest", str(dest)],
                              env=env, capture_output=True, text=True, timeout=60)
        assert registry.hits == [path]
    assert proc.returncode == 1
    assert "Empreinte sha512 du paquet DSFR incorrecte" in proc.stderr
    assert "Rien n'a été modifié" in proc.stderr
    assert not dest.exists()


# --- The real folder, fetched by `make test` (make dsfr) before pytest runs -----------------------

def _real_folder() -> Path:
    dest = fetch_dsfr.DEST
    stamp = fetch_dsfr.stamp_for(fetch_dsfr.VERSION, fetch_dsfr.INTEGRITY,
                                 fetch_dsfr.template_icons())
    assert fetch_dsfr.is_current(dest, stamp), (
        f"{dest} ne contient pas le DSFR {fetch_dsfr.VERSION} attendu : lancez `make dsfr`.")
    return dest


def test_r_por_2_real_dsfr_folder_holds_the_pinned_version_and_only_used_files():
    dest = _real_folder()
    assert re.fullmatch(r"1\.15\.\d+", fetch_dsfr.VERSION)
    for rel in fetch_dsfr.CORE_FILES:
        assert (dest / rel).stat().st_size > 10_000, rel
    assert sorted(p.name for p in (dest / "fonts").iterdir()) == sorted(
        f"{n}.woff2" for n in ("Marianne-Bold", "Marianne-Bold_Italic", "Marianne-Light",
                               "Marianne-Light_Italic", "Marianne-Medium", "Marianne-Medium_Italic",
                               "Marianne-Regular", "Marianne-Regular_Italic", "Spectral-ExtraBold",
                               "Spectral-Regular"))
    assert (dest / "favicon" / "favicon.svg").is_file()
    files = [p for p in dest.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in (".map", ".woff", ".md", ".scss")]
    assert sum(p.stat().st_size for p in files) < 3_000_000  # of a 23 MB tarball


def test_r_por_2_every_file_the_stylesheets_and_portal_templates_point_to_is_kept():
    dest = _real_folder()
    css = (dest / "dsfr.min.css").read_text(encoding="utf-8")
    svgs = {r for r in fetch_dsfr._css_refs("dsfr.min.css", css) if r.endswith(".svg")}
    woff2 = {r for r in fetch_dsfr._css_refs("dsfr.min.css", css) if r.endswith(".woff2")}
    assert len(svgs) > 20 and len(woff2) == 10
    icons_css = (dest / fetch_dsfr.ICONS_CSS).read_text(encoding="utf-8")
    svgs |= {fetch_dsfr._icon_svg(icons_css, name) for name in fetch_dsfr.template_icons()}
    missing = [rel for rel in sorted(svgs | woff2) if not (dest / rel).is_file()]
    assert missing == []


# --- Issue 13: the back-office uses the same DSFR folder --------------------------------------

def test_r_a11y_13_icons_of_back_office_templates_and_formatters_are_collected(tmp_path):
    """The icons of the back-office's templates (shell, Flask-Admin overrides, login, errors)
    and of the Python formatters that build HTML are kept as well as the portal's; a folder
    that does not exist is skipped; `fr-icon--sm` (a size modifier) is no icon."""
    portail, admints, admin_fa, code = (tmp_path / n for n in ("portail", "admints", "admin", "py"))
    for folder in (portail, admints, admin_fa, code):
        folder.mkdir()
    (portail / "a.html").write_text('<span class="fr-icon-account-line fr-icon--sm"></span>')
    (admints / "shell.html").write_text('<button class="fr-btn fr-icon-logout-box-r-line">')
    (admin_fa / "list.html").write_text('<a class="fr-icon-edit-line">Modifier</a>')
    (code / "formatters.py").write_text('ICON = "fr-icon-refresh-line"  # continuité\n')
    (code / "notes.txt").write_text('fr-icon-ignored-line')
    names = fetch_dsfr.template_icons((portail, admints, admin_fa, code, tmp_path / "absent"))
    assert names == ["account-line", "edit-line", "logout-box-r-line", "refresh-line"]
    assert fetch_dsfr.template_icons(portail) == ["account-line"]  # one folder still accepted


def test_r_a11y_13_default_sources_cover_the_back_office_folders():
    sources = {p.relative_to(fetch_dsfr.ROOT).as_posix() for p in fetch_dsfr.ICON_SOURCES}
    assert sources >= {"templates/portail", "templates/admints", "templates/admin",
                       "templates/auth", "templates/errors", "admints"}


def test_r_a11y_13_real_folder_holds_the_shells_icons():
    """The shell's « Se déconnecter » and user icons are in the real folder, with everything the
    back-office's templates name (the test above checks every one of them)."""
    dest = _real_folder()
    names = fetch_dsfr.template_icons()
    assert {"logout-box-r-line", "account-circle-line"} <= set(names)
    icons_css = (dest / fetch_dsfr.ICONS_CSS).read_text(encoding="utf-8")
    for name in ("logout-box-r-line", "account-circle-line"):
        assert (dest / fetch_dsfr._icon_svg(icons_css, name)).is_file(), name
