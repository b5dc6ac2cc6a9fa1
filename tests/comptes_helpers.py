"""Helpers of the account-list view tests: build a small establishment, post a list action the
way the page does (action form posted to `/action/?<list query string>`)."""

from __future__ import annotations

import io
import re

from flask import g
from pypdf import PdfReader

from admints.extensions import db
from admints.models import Compte, EtatCompte

from . import factories as f


def school(etab, *, n_6a=3, n_6b=2, with_guardians=True):
    """Pupils in 6A and 6B (+ one guardian pair each, légal 1) of `etab`. Returns a dict."""
    mef = f.make_mef(etab)
    d_a, d_b = f.make_division(etab, "6A"), f.make_division(etab, "6B")
    eleves, liens = [], []
    for i in range(n_6a + n_6b):
        div = d_a if i < n_6a else d_b
        e = f.make_eleve(etab, nom=f"NOM{i:03d}", prenom=f"Prénom{i}", mef=mef, division=div,
                         identifiant=f"eleve.{etab.uai.lower()}.{i}")
        eleves.append(e)
        if with_guardians:
            r = f.make_responsable(etab, nom=f"PARENT{i:03d}", prenom="Marie",
                                   email=f"parent{i}.{etab.uai.lower()}@example.org")
            liens.append(f.link(e, r, 1, identifiant=f"resp.{etab.uai.lower()}.{i}"))
    db.session.commit()
    return {"mef": mef, "6A": d_a, "6B": d_b, "eleves": eleves, "liens": liens}


def csrf_of(client, path: str) -> str:
    # The `app` fixture keeps one app context for the whole test, so Flask-WTF's per-request
    # token cache (`g.csrf_token`) outlives the session cleared at login: drop it first.
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_action(client, base: str, action: str, *, query: str = "", rowids=(),
                select_all=False, token: str | None = None, **extra):
    """POST to `<base>action/?<query>` like the list page's action form."""
    token = token or csrf_of(client, f"{base}?{query}" if query else base)
    data = {"csrf_token": token, "action": action, "url": f"{base}?{query}",
            "select_all": "1" if select_all else "0", **extra}
    data["rowid"] = [str(i) for i in rowids]
    url = f"{base}action/" + (f"?{query}" if query else "")
    return client.post(url, data=data)


def etats(ids) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Compte, i).etat for i in ids]


def all_state(ids, etat=EtatCompte.NON_NOTIFIE) -> bool:
    return all(e == etat for e in etats(ids))


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() or "" for p in reader.pages)
