"""Benchmark of a hostile upload (R-DAT-1, issue 9 point 1): a ~60 KB zip that inflates to
60 MB of tiny elements (`<a/>`, 15 million of them, inside a BEE_ELEVES export), posted to the
« Import SIECLE » screen of a running app (Flask test client, logged in as the head).

Prints the answer (HTTP status and message), the time the server took to answer, its resident
memory before the upload and its peak during it (VmRSS / VmHWM of /proc/self/status, the peak
reset through /proc/self/clear_refs just before the upload). The zip is written in chunks.

    .venv/bin/python bench/import_bomb.py [--mo 60] [--element a]

`--element ELEVE_ID` (11 bytes per element, dense enough to pass the density check) shows the
worst case: the bomb is refused at the element bound (SIECLE_MAX_ELEMENTS).
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

from _support import bench_app

from admints.extensions import db
from admints.models import Academie, Etablissement, StaffUser
from admints.secrets_store import hash_password

UAI = "0999001A"
PASSWORD = "motdepasse-bench"
HEAD = (b'<?xml version="1.0" encoding="ISO-8859-15"?>\n<BEE_ELEVES VERSION="3.0">'
        b"<PARAMETRES><UAJ>" + UAI.encode() + b"</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE>"
        b"</PARAMETRES><DONNEES><ELEVES>")
TAIL = b"</ELEVES></DONNEES></BEE_ELEVES>\n"


def bomb(megabytes: int, tag: str = "a") -> tuple[bytes, int, int]:
    """The zip, its inflated size and its number of elements."""
    buf = io.BytesIO()
    element = f"<{tag}/>".encode()
    chunk = element * (1024 * 1024 // len(element))  # ~1 MiB of elements
    total = megabytes * 1_000_000
    n = (total - len(HEAD) - len(TAIL)) // len(chunk)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("ElevesSansAdresses.xml", "w", force_zip64=True) as member:
            member.write(HEAD)
            for _ in range(n):
                member.write(chunk)
            rest = total - len(HEAD) - len(TAIL) - n * len(chunk)
            member.write(element * (rest // len(element)) + b" " * (rest % len(element)))
            member.write(TAIL)
    elements = n * (len(chunk) // len(element)) + rest // len(element) + 6
    return buf.getvalue(), total, elements


def memory() -> dict[str, int]:
    """VmRSS and VmHWM (peak) of this process, in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) // 1024
    return values


def reset_peak() -> bool:
    """Start VmHWM again from the current RSS (Linux ≥ 4.0), so that the peak printed is the
    upload's own, not that of building the zip."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mo", type=int, default=60, help="taille décompressée (Mo)")
    parser.add_argument("--element", default="a",
                        help="nom des éléments vides répétés (« a » : <a/>, 4 octets)")
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
            data, inflated, elements = bomb(args.mo, args.element)
            token = csrf(client, "/donnees/import/")
            print(f"zip de {len(data) / 1000:.0f} Ko → {inflated / 1e6:.0f} Mo décompressés, "
                  f"{elements:,} éléments".replace(",", " "))
            peak_before = memory()["VmHWM"]
            reset = reset_peak()
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
            print(f"mémoire (RSS) avant l'envoi {before['VmRSS']} Mo, pic pendant l'envoi "
                  f"{after['VmHWM']} Mo" + ("" if reset else " (pic depuis le lancement : "
                                            "VmHWM non remis à zéro)")
                  + f" ; pic en construisant le zip {peak_before} Mo")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
