#!/usr/bin/env python3
"""Fetch the partial plotly.js bundle that draws the statistics charts (issue 13 point 8).

Owns: the pinned version and sha512 integrity of the npm package `plotly.js-basic-dist-min`
(bar, pie and scatter traces: the statistics figures, admints/statistiques/figures.py, only draw
bars), and the one file kept from it, `admints/static/vendor/plotly/plotly-basic.min.js`
(git-ignored). The full bundle of the Python package is 4.8 MB; this one about 1 MB.
The download, the integrity check and the install are scripts/fetch_dsfr.py's (one mechanism
for every vendored npm package).

VERSION must be the plotly.js version the Python `plotly` package pins (the figures are its
JSON): `python -c "from plotly.offline import get_plotlyjs_version as v; print(v())"`.
tests/test_static_delivery.py checks it. Upgrade: `npm view plotly.js-basic-dist-min@X
dist.integrity`, then change VERSION and INTEGRITY below.

Stdlib only, idempotent (stamp file), like fetch_dsfr.py.
"""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fetch_dsfr import (  # the sibling script, imported from its folder
    FetchError,
    check_integrity,
    fetch_tarball,
    install,
    is_current,
    run_cli,
)

PACKAGE = "plotly.js-basic-dist-min"
VERSION = "4.1.1"
INTEGRITY = (
    "sha512-1oNF8PeQx2hv/y7tqEVWKD3JGwn/MGEMQ8mL9HUwsaqG9FGy/OU5FHUHvzqbqxN4mnwZGI9abTiE775C4kkjMQ=="
)
MEMBER = "package/plotly-basic.min.js"
FILENAME = "plotly-basic.min.js"
TRACE_TYPES = frozenset({"bar", "pie", "scatter"})  # what the basic bundle draws

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "admints" / "static" / "vendor" / "plotly"


def select_file(data: bytes) -> bytes:
    """The bundle's one file, read from the tarball without extracting it."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            member = tar.getmember(MEMBER)
            if not member.isfile():
                raise FetchError(f"{MEMBER} n'est pas un fichier.")
            return tar.extractfile(member).read()
    except KeyError as exc:
        raise FetchError(f"Fichier absent du paquet {PACKAGE} : {MEMBER}") from exc
    except (tarfile.TarError, OSError) as exc:
        raise FetchError(f"Archive {PACKAGE} illisible : {exc}") from exc


def ensure(dest: Path = DEST, *, version: str = VERSION, integrity: str = INTEGRITY,
           url: str | None = None, force: bool = False) -> dict:
    stamp = {"package": PACKAGE, "version": version, "integrity": integrity}
    if not force and is_current(dest, stamp):
        return {"fetched": False, "version": version}
    data = fetch_tarball(version, url, package=PACKAGE)
    check_integrity(data, integrity, "plotly.js")
    content = select_file(data)
    install(dest, {FILENAME: content}, stamp)
    return {"fetched": True, "version": version, "bytes": len(content)}


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        argv, name="fetch_plotly", default_dest=DEST, ensure_fn=ensure,
        description="Récupère plotly.js (lot « basic ») vérifié.",
        report=lambda done: (
            f"plotly.js {done['version']} ({PACKAGE}) : {done['bytes']} octets vérifiés."))


if __name__ == "__main__":
    sys.exit(main())
