"""Issue 12 points 8 and 9 — French everywhere, readable dates and numbers (R-A11Y-1: the
screens are in French, the language they declare; R-SEC-3 for the Journal).

Every page reachable from the menu is crawled as each role — chef, délégué (all menus),
assistance, académie — on a demo establishment with more than a thousand journal entries and
visits, with the create/edit/details screens the lists link to, a refused form and the error
pages. The crawl fails on English words in the visible text or in aria-label / title /
placeholder / alt, on raw ISO timestamps, and on counts of four digits or more written without
a thousands separator.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import insert, select

from admints.demo import loader
from admints.models import AccesTeleservice, AuditEntry, Etablissement, Teleservice

from . import factories
from .crawl_helpers import crawl, parse

UAI = "0999777K"
LOGINS = {
    "chef": f"chef.{UAI.lower()}",
    "delegue": "delegue.tout",
    "assistance": f"assistance.{UAI.lower()}",
    "academie": "academie.demo",
}
# Seen on the screens before issue 12 (Flask-Admin, the date picker, Plotly, Werkzeug), and
# the usual words of an untranslated screen. Whole words, case as written.
ENGLISH = (
    "Toggle navigation", "items", "item", "Export", "Failed", "record", "Record", "records",
    "successfully", "Apply", "Cancel", "Save", "Delete", "Edit", "View", "Details", "Search",
    "Add Filter", "Reset", "Share", "chart", "Produced with", "Download", "Are you sure",
    "Please", "true", "false", "True", "False", "None", "Submit", "Next", "Previous", "Home",
    "List", "Create", "New", "Select", "Method Not Allowed", "Not Found", "Forbidden",
    "Bad Request", "Internal Server Error", "Su Mo Tu", "FROM", "From", "To", "Yes", "No",
    "with selected", "With selected", "Loading", "Close", "Filter",
)
ENGLISH_RE = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:")
# A count written without grouping: « (1129) », « 1129 comptes », or alone in a number cell.
UNGROUPED = re.compile(r"\(\d{4,}\)|(?<![\d/])\d{4,} (comptes?|élèves?|responsables?|accès|lignes?"
                       r"|éléments?|entrées?)\b")
ERROR_PAGES = ("/nexiste-pas/", "/logout", "/responsables/action/", "/taches/999999/")


@pytest.fixture
def school(app, db, set_clock):
    set_clock(dt.datetime(2026, 12, 2, 15, 35, tzinfo=dt.UTC))
    report = loader.load_demo(UAI, 40, "college", 3, factories.PASSWORD, dt.date(2026, 11, 28))
    etab = db.session.get(Etablissement, report.etablissement_id)
    factories.make_user("delegue.tout", "delegue", etablissement=etab, droits=[
        "services", "parametrage", "responsables", "eleves", "statistiques"])
    # More than a thousand journal entries and visits: four-digit counts to group.
    at = dt.datetime(2026, 10, 5, 7, 30)
    db.session.execute(insert(AuditEntry), [
        {"etablissement_id": etab.id, "action": "responsable.notifier", "login": "chef",
         "target": f"{i % 50} compte(s)", "at": at, "after": '{"mode": "papier", "comptes": 3}'}
        for i in range(1200)])
    service = db.session.scalar(select(Teleservice.id).order_by(Teleservice.id))
    db.session.execute(insert(AccesTeleservice), [
        {"etablissement_id": etab.id, "teleservice_id": service, "visited_at": at}
        for _ in range(1100)])
    db.session.commit()
    return etab


def _problems(url, page) -> list[str]:
    found = []
    for where, texts in (("texte", page.text), ("attribut", page.attributes)):
        for text in texts:
            for match in ENGLISH_RE.finditer(text):
                found.append(f"{url} [{where}] anglais « {match.group(1)} » dans « {text[:80]} »")
            if ISO_MOMENT.search(text):
                found.append(f"{url} [{where}] horodatage brut « {text[:80]} »")
            if where == "texte" and UNGROUPED.search(text):
                found.append(f"{url} nombre non groupé « {text[:80]} »")
    found += [f"{url} nombre non groupé dans une cellule « {n} »" for n in page.cell_numbers
              if re.fullmatch(r"\d{4,}", n)]
    return found


def _refused_form(client, auth, role):
    """A create form sent empty: Flask-Admin's and WTForms' messages."""
    url = "/etablissements/new/" if role == "academie" else "/parametrage/liens/new/"
    if role in ("assistance",):
        return None, None
    token = auth.csrf(url)
    return url, client.post(url, data={"csrf_token": token})


@pytest.mark.parametrize("role", list(LOGINS))
def test_r_a11y_1_every_screen_french_with_readable_dates_and_numbers(client, auth, school,
                                                                        role):
    """Issue 12 pts 8–9: no English, no raw timestamp, no ungrouped count on any screen."""
    assert auth.login(LOGINS[role]).status_code == 302
    if role == "academie":
        token = auth.csrf("/")
        client.post("/etablissement", data={"etablissement_id": school.id, "csrf_token": token})
    pages = crawl(client)
    assert len(pages) >= {"chef": 25, "delegue": 20, "assistance": 4, "academie": 40}[role]
    for url in ERROR_PAGES:
        pages[url] = parse(client.get(url))
    url, response = _refused_form(client, auth, role)
    if url:
        assert response.status_code == 200
        pages[f"POST {url}"] = parse(response)
        assert "L'élément n'a pas été créé." in pages[f"POST {url}"].visible
    problems = [p for url, page in pages.items() for p in _problems(url, page)]
    assert not problems, "\n".join(problems[:40])
    statuses = {pages[u].status for u in ERROR_PAGES}
    assert {404, 405} <= statuses, statuses
    if role in ("chef", "academie"):
        journal = next(p for u, p in pages.items() if u.startswith("/journal/"))
        # 1 200 entries and the demo's own: « Liste (1 2xx) » with a narrow no-break space.
        assert re.search(r"Liste \(1\u202f2\d\d\)", journal.visible), journal.visible[:300]
        assert "Notification de responsables" in journal.visible
