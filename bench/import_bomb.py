"""Benchmark of a hostile upload (R-DAT-1, issue 9 point 1): a ~60 KB zip that inflates to
60 MB of tiny elements (`<a/>`, 15 million of them, inside a BEE_ELEVES export), posted to the
« Import SIECLE » screen of a running app (Flask test client, logged in as the head).

Prints the answer (HTTP status and message), the time the server took to answer, its resident
memory before the upload and its peak during it (VmRSS / VmHWM of /proc/self/status). The zip is
written in chunks so that building it does not raise the peak itself.

    .venv/bin/python bench/import_bomb.py [--mo 60]
"""

from __future__ import annotations

import argparse
import html
import io
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _support import bench_app  # noqa: E402
from admints.extensions import db  # noqa: E402
from admints.models import Academie, Etablissement, StaffUser  # noqa: E402
from admints.secrets_store import hash_password  # noqa: E402

UAI = "0999001A"
PASSWORD = "motdepasse-bench"
HEAD = (b'<?xml version="1.0" encoding="ISO-8859-15"?>\n<BEE_ELEVES VERSION="3.0">'
        b"<PARAMETRES><UAJ>" + UAI.encode() + b"</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE>"
        b"</PARAMETRES><DONNEES><ELEVES>")
TAIL = b"</ELEVES></DONNEES></BEE_ELEVES>\n"


def bomb(megabytes: int) -> tuple[bytes, int, int]:
    """The zip, its inflated size and its number of elements."""
    buf = io.BytesIO()
    chunk = b"<a/>" * (256 * 1024)  # 1 MiB of elements
    total = megabytes * 1_000_000
    n = (total - len(HEAD) - len(TAIL)) // len(chunk)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("ElevesSansAdresses.xml", "w", force_zip64=True) as member:
            member.write(HEAD)
            for _ in range(n):
                member.write(chunk)
            rest = total - len(HEAD) - len(TAIL) - n * len(chunk)
            member.write(b"<a/>" * (rest // 4) + b" " * (rest % 4))
            member.write(TAIL)
    elements = n * 256 * 1024 + rest // 4 + 6
    return buf.getvalue(), total, elements


def memory() -> dict[str, int]:
    """VmRSS and VmHWM (peak) of this process, in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) // 1024
    return values


def csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mo", type=int, default=60, help="taille décompressée (Mo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(f"sqlite:///{Path(tmp) / 'bomb.sqlite'}", tmp,
                        LOGIN_RATE_LIMIT="1000 per minute")
        with app.app_context():
            db.create_all()
            aca = Academie(code="bench", nom="Bench")
            db.session.add(aca)
            db.session.flush()
            etab = Etablissement(uai=UAI, nom="Collège Bench", academie_id=aca.id)
            db.session.add(etab)
            db.session.flush()
            db.session.add(StaffUser(login="chef.bench", role="chef", etablissement_id=etab.id,
                                     academie_id=aca.id, password_hash=hash_password(PASSWORD)))
            db.session.commit()
            client = app.test_client()
            client.post("/login", data={"login": "chef.bench", "password": PASSWORD,
                                        "csrf_token": csrf(client, "/login")})
            data, inflated, elements = bomb(args.mo)
            token = csrf(client, "/donnees/import/")
            print(f"zip de {len(data) / 1000:.0f} Ko → {inflated / 1e6:.0f} Mo décompressés, "
                  f"{elements:,} éléments".replace(",", " "))
            before = memory()
            start = time.perf_counter()
            response = client.post("/donnees/import/", content_type="multipart/form-data",
                                   data={"csrf_token": token,
                                         "fichiers": [(io.BytesIO(data), "export.zip")]})
            took = time.perf_counter() - start
            after = memory()
            page = response.get_data(as_text=True)
            found = re.search(r'id="import-(?:erreur|resume)"[^>]*>(.*?)</div>', page, re.S)
            answer = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split()) \
                if found else page[:200]
            print(f"réponse HTTP {response.status_code} en {took:.2f} s : {answer[:160]}")
            print(f"mémoire (RSS) avant l'envoi {before['VmRSS']} Mo, pic pendant l'import "
                  f"{after['VmHWM']} Mo (pic avant l'envoi {before['VmHWM']} Mo)")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
