"""Helpers of the portal tests: a family's browser (`Family`: the portal's forms posted the way
the pages do, CSRF token read from the page), and accounts notified through the real
notification (paper letter read back with pypdf, email received by aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import html
import re

from flask import g
from pypdf import PdfReader

from admints.clock import PARIS
from admints.comptes import notification
from admints.extensions import db
from admints.models import Compte

from . import factories

TODAY = dt.date(2026, 11, 28)
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
NEW_PASSWORD = "Gravier-Hibou-Lanterne-42"  # meets the password rule
BIRTH = dt.date(2013, 9, 5)
TEMP = re.compile(r"\b[A-HJKMNP-Z2-9]{8}\b")
LINK = re.compile(r"/scolarite/activation/([A-Za-z0-9_.\-]+)")


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Family:
    """One browser on the portal (a Flask test client)."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path: str) -> str:
        g.pop("csrf_token", None)  # Flask-WTF's per-request cache outlives the test's request
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return csrf_from(response.get_data(as_text=True))

    def post(self, path: str, data: dict, *, token_from: str | None = None):
        response = self.client.post(path, data={**data,
                                                "csrf_token": self.csrf(token_from or path)})
        # A server closes every response once sent (which runs its call_on_close work: the
        # self-help emails); the test client leaves that to the caller.
        response.get_data()
        response.close()
        return response

    def login(self, login: str, password: str):
        return self.post("/scolarite/connexion", {"login": login, "password": password})

    def first_login(self, birth: str, password: str = NEW_PASSWORD, confirmation=None,
                    courriel: str | None = None):
        data = {"date_naissance": birth, "nouveau_mot_de_passe": password,
                "confirmation": password if confirmation is None else confirmation}
        if courriel is not None:
            data["courriel"] = courriel
        return self.post("/scolarite/premiere-connexion", data)

    def forgot(self, courriel: str, demande: str = "mot_de_passe"):
        return self.post("/scolarite/oubli/", {"courriel": courriel, "demande": demande})

    def home(self):
        return self.client.get("/scolarite/")


def body(response) -> str:
    """The page's text with HTML entities decoded (« n&#39;a » → « n'a »)."""
    return html.unescape(response.get_data(as_text=True))


def location(response) -> str:
    return response.headers.get("Location", "")


def pupil(etab, identifiant="lea.martin", **kw):
    division = kw.pop("division", None) or factories.make_division(etab, "6A")
    return factories.make_eleve(etab, "MARTIN", "Léa", division=division,
                                identifiant=identifiant, naissance=BIRTH, **kw)


def notify_pupil_on_paper(etab, eleve, tmp_path) -> str:
    """R-ACC-5: the pupil's letter, read back from the PDF: its temporary password."""
    out = tmp_path / "lettres.pdf"
    recap = notification.notify(etab.id, "eleve", [eleve.compte_id], mode="papier",
                                today=TODAY, out_path=out)
    db.session.commit()
    assert recap.notified == [eleve.compte_id]
    text = "\n".join(p.extract_text() for p in PdfReader(str(out)).pages)
    assert eleve.compte.identifiant in text
    return TEMP.search(text.split("Mot de passe", 1)[1]).group(0)


def guardian(etab, email="marie.martin@example.org", identifiant="marie.martin"):
    """A pupil (born BIRTH) and its guardian (légal 1) with a SIECLE address."""
    eleve = pupil(etab, identifiant=f"eleve.{identifiant}")
    resp = factories.make_responsable(etab, "MARTIN", "Marie", email=email)
    return factories.link(eleve, resp, 1, identifiant=identifiant)


def notify_guardian_by_email(etab, lien, smtp, tmp_path) -> str:
    """R-ACC-4 by email: the temporary password read from the message received."""
    recap = notification.notify(etab.id, "responsable", [lien.compte_id], mode="courriel",
                                today=TODAY, out_path=tmp_path / "resp.pdf")
    db.session.commit()
    assert recap.notified == [lien.compte_id]
    text = smtp.messages[-1].text()
    return TEMP.search(text.split("Mot de passe", 1)[1]).group(0)


def link_in(message) -> str:
    return "/scolarite/activation/" + LINK.search(message.text()).group(1)


def account(compte_id: int) -> Compte:
    db.session.expire_all()
    return db.session.get(Compte, compte_id)
