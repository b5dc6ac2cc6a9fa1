"""Uploads kept on the server: waiting for a confirmation (R-DAT-3) or for their import job
(issue 14). When an import would take away more than the threshold of an establishment's pupils
or guardians, the upload screen shows the plan and keeps the files, so that the confirmation is
one more POST, not a second upload; an upload above SIECLE_JOB_MIN_BYTES is kept here (no plan
yet) for the background job that imports it (`import_job`), which reads it back by its token.

The files are kept under OUTPUT_DIR/imports_en_attente/<token>/ (private to the server's user,
like the other generated files) with a manifest: who sent them, for which establishment, when,
and the plan that was shown (none before a job's first run) — the confirmation applies the
import only while its departures stay within that plan. A pending import is for its sender and
establishment only, lasts one hour from its upload or from the plan shown, and is deleted once
imported, refused, cancelled or expired.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from pathlib import Path

from flask import current_app

from ..errors import DomainError
from .departures import Departures
from .stream import Upload

TTL_SECONDS = 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
GONE = ("Cet import en attente n'existe plus (confirmé, annulé, ou déposé il y a plus d'une "
        "heure) : déposez à nouveau les fichiers.")


def _root() -> Path:
    return Path(current_app.config["OUTPUT_DIR"]) / "imports_en_attente"


def _dir(token: str) -> Path:
    if not _TOKEN.match(token or ""):
        raise DomainError(GONE)
    return _root() / token


def purge(now: float | None = None) -> None:
    """Forget the pending imports older than an hour."""
    now = time.time() if now is None else now
    root = _root()
    if not root.is_dir():
        return
    for path in root.iterdir():
        try:
            created = json.loads((path / "manifest.json").read_text())["created"]
        except (OSError, ValueError, KeyError):
            created = 0
        if now - created > TTL_SECONDS:
            shutil.rmtree(path, ignore_errors=True)


def save(payload: list[tuple[str, Upload]], *, etablissement_id: int, user_id: int,
         departures: Departures | None) -> str:
    """Keep the files; `departures`: the plan shown, or None (a job's files, no plan yet)."""
    purge()
    token = secrets.token_hex(16)
    path = _root() / token
    path.mkdir(parents=True, mode=0o700)
    for i, (_name, data) in enumerate(payload):
        target = path / f"f{i}"
        with open(target, "wb") as out:
            target.chmod(0o600)  # pupils' and families' personal data
            if isinstance(data, bytes | bytearray):
                out.write(data)
            else:  # an upload spooled to disk: copied by blocks, never whole in memory
                data.seek(0)
                shutil.copyfileobj(data, out, 1024 * 1024)
    _write_manifest(path, {"etablissement_id": etablissement_id, "user_id": user_id,
                           "created": time.time(), "names": [n for n, _ in payload],
                           "departures": departures.as_dict() if departures else None})
    return token


def _write_manifest(path: Path, manifest: dict) -> None:
    (path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))


def _manifest(token: str, etablissement_id: int, user_id: int) -> tuple[Path, dict]:
    path = _dir(token)
    try:
        manifest = json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise DomainError(GONE) from exc
    if (manifest.get("etablissement_id") != etablissement_id
            or manifest.get("user_id") != user_id
            or time.time() - manifest.get("created", 0) > TTL_SECONDS):
        raise DomainError(GONE)
    return path, manifest


def load(token: str, *, etablissement_id: int,
         user_id: int) -> tuple[list[tuple[str, Upload]], Departures | None]:
    """The files (their paths: read as parsed) and the plan shown (None: none yet), for their
    sender and establishment only."""
    path, manifest = _manifest(token, etablissement_id, user_id)
    try:
        payload = [(name, path / f"f{i}") for i, name in enumerate(manifest["names"])]
        if not all(p.is_file() for _n, p in payload):
            raise OSError("kept file missing")
    except (OSError, KeyError) as exc:
        raise DomainError(GONE) from exc
    plan = manifest.get("departures")
    return payload, Departures.from_dict(plan) if plan is not None else None


def size(token: str, *, etablissement_id: int, user_id: int) -> int:
    """Bytes kept under `token` (what decides whether its import runs as a job)."""
    payload, _plan = load(token, etablissement_id=etablissement_id, user_id=user_id)
    return sum(path.stat().st_size for _name, path in payload)


def replan(token: str, *, etablissement_id: int, user_id: int, departures: Departures) -> None:
    """A plan to show: the first one of a job's import, or a new one when the import changed
    since the plan was shown (another import ran). The hour to confirm starts again."""
    path, manifest = _manifest(token, etablissement_id, user_id)
    manifest["departures"] = departures.as_dict()
    manifest["created"] = time.time()
    _write_manifest(path, manifest)


def discard(token: str) -> None:
    if _TOKEN.match(token or ""):
        shutil.rmtree(_root() / token, ignore_errors=True)
