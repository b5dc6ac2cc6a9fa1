"""The production WSGI app of `make serve` (gunicorn): the app of `create_app()` behind
WhiteNoise, which serves the static files itself — gzip-compressed, with `Cache-Control`
(STATIC_MAX_AGE seconds), ETag and Last-Modified — without entering Flask.

`collect()` (run once by `make serve`, before gunicorn: `python -m admints.serving`) copies every
static folder of the app (`/static/`, Flask-Admin's `/static/admin/`) into STATIC_ROOT, laid out
by URL, and writes a `.gz` beside each file worth compressing; the workers then only read.
`make run` and the tests keep Flask's own static route (the embedded default is unchanged).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask

from . import create_app
from .security_headers import CSP

_STAMP = ".collected"


def static_folders(app: Flask) -> dict[str, Path]:
    """URL prefix (without the leading /) → folder, for the app and each blueprint."""
    folders = {"static/": Path(app.static_folder)}
    for bp in app.blueprints.values():
        if bp.static_folder and bp.static_url_path:
            folders[bp.static_url_path.strip("/") + "/"] = Path(bp.static_folder)
    return folders


def collect(app: Flask) -> Path:
    """Copy and compress the static files into STATIC_ROOT (replaced whole); returns it."""
    from whitenoise.compress import Compressor

    root = Path(app.config["STATIC_ROOT"])
    if root.exists():
        shutil.rmtree(root)
    for prefix, folder in sorted(static_folders(app).items()):
        target = root / prefix
        shutil.copytree(folder, target, dirs_exist_ok=True)
    compressor = Compressor(use_brotli=False, quiet=True)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if compressor.should_compress(path.name):
            for _ in compressor.compress(str(path)):
                pass
    (root / _STAMP).write_text("ok")
    return root


def _headers(headers, path: str, url: str) -> None:
    """The security headers of `security_headers` on static files too."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Security-Policy"] = CSP


def production_app() -> Flask:
    """`gunicorn "admints.serving:production_app()"`: static files from STATIC_ROOT (collected
    by `make serve`) through WhiteNoise, everything else through Flask."""
    from whitenoise import WhiteNoise

    app = create_app()
    root = Path(app.config["STATIC_ROOT"])
    if not (root / _STAMP).exists():  # gunicorn started without `make serve`
        import fcntl

        root.parent.mkdir(parents=True, exist_ok=True)
        with open(root.parent / f".{root.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one worker collects, the others wait
            if not (root / _STAMP).exists():
                collect(app)
    app.wsgi_app = WhiteNoise(app.wsgi_app, root=str(root), prefix="/",
                              max_age=app.config["STATIC_MAX_AGE"], allow_all_origins=False,
                              add_headers_function=_headers)
    return app


if __name__ == "__main__":
    print(f"static files collected and compressed in {collect(create_app())}")
