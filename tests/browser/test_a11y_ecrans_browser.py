"""Issue 13 (R-A11Y-1, R-STA-1..3, R-PAR-*, R-SRV-*): the statistics and settings screens in
the system Chromium — axe-core finds nothing critical, serious or moderate; at 390 px the page
never scrolls sideways (wide tables scroll in their own region); the charts are drawn (an SVG)
under the strict CSP; the settings screens as the head, « Services obligatoires » as the
académie."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from admints.models import Etablissement
from admints.teleservices.catalogue import ensure_etablissement_services

from .. import factories as f
from ..factories import PASSWORD
from ..test_stats import known  # noqa: F401 - fixture
from .conftest import login

IMPACTS = ("critical", "serious", "moderate")
STATS = ("/statistiques/eleves/", "/statistiques/responsables/",
         "/statistiques/acces/?du=2026-09-01&au=2026-11-28")
SETTINGS = ("/parametrage/contact/", "/parametrage/courriers/",
            "/parametrage/courriers/modifier/entete", "/parametrage/ent/",
            "/parametrage/fiche/", "/parametrage/message/",
            "/services/ouverture/", "/services/paiement/", "/services/notes/", "/donnees/import/")
ACADEMIE = ("/academie/obligatoires/", "/academie/rattacher/")
# Our screens drawn inside Flask-Admin's generic list (admin/model/list.html, whose DSFR version
# and script-free actions are on branch a11y-fa): (login, url).
LIST_SCREENS = (("chef.0999001a", "/parametrage/liens/"),
                ("chef.0999001a", "/services/notes/dates/"), ("academie.demo", "/academie/tipi/"))
AXE = Axe()
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def problems(page) -> list[str]:
    """axe violations of the impacts the issue forbids, as « rule: target » lines."""
    found = AXE.run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in found if v["impact"] in IMPACTS]


def csp_watch(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text
            and seen.append(f"{page.url}: {m.text[:90]}"))
    page.on("pageerror", lambda exc: seen.append(f"{page.url}: {exc}"))
    return seen


def sweep(page, phone, live_server, user: str, urls) -> None:
    """Each of `urls`, as `user`, on a desktop and at 390 px: one h1, no axe violation of the
    forbidden impacts, no sideways scroll, no CSP violation nor script error."""
    found: dict[str, list[str]] = {}
    for browser_page, width in ((page, "desktop"), (phone, "390px")):
        errors = csp_watch(browser_page)
        login(browser_page, live_server, user, PASSWORD)
        for url in urls:
            browser_page.goto(f"{live_server}{url}")
            assert browser_page.locator("h1").count() == 1, url
            issues = problems(browser_page)
            if browser_page.evaluate(SIDEWAYS) > 0:
                issues.append("page scrolls sideways")
            if issues:
                found[f"{width} {url}"] = issues
        assert errors == [], "\n".join(errors)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


@pytest.fixture
def screens(db, known):  # noqa: F811
    etab = known["etab"]
    ensure_etablissement_services(etab)
    f.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    return known


@pytest.mark.parametrize("device", ["page", "phone"])
def test_r_a11y_1_statistics_axe_clean_charts_drawn_no_sideways_scroll(
        request, device, live_server, screens):
    """R-STA-1..3: each statistics page, on a desktop and at 390 px."""
    page = request.getfixturevalue(device)
    errors = csp_watch(page)
    login(page, live_server, "chef.0999001a", PASSWORD)
    for url in STATS:
        page.goto(f"{live_server}{url}")
        page.wait_for_selector(".admints-chart[data-ready='1'] svg.main-svg")
        charts = page.locator(".admints-chart")
        for i in range(charts.count()):
            chart = charts.nth(i)
            name = chart.get_attribute("aria-label")
            assert chart.get_attribute("role") == "group" and name.startswith("Graphique : ")
            drawing = chart.locator("svg.main-svg[role=img]")
            assert drawing.count() == 1 and drawing.get_attribute("aria-label") == name, url
        assert page.locator(".admints-table-scroll table").count() >= 1
        assert page.evaluate(SIDEWAYS) <= 0, f"{url}: page scrolls sideways"
        assert problems(page) == [], url
    assert errors == [], "\n".join(errors)


def test_r_a11y_1_settings_screens_axe_clean_as_head(page, phone, live_server, screens):
    """R-PAR-*, R-SRV-*, R-DAT-1: every settings screen of the head passes axe; at 390 px the
    page does not scroll sideways."""
    sweep(page, phone, live_server, "chef.0999001a", SETTINGS)


def test_r_a11y_1_mandatory_services_labelled_as_academie(page, live_server, screens, db):
    """R-SRV-*: the académie's screens; every checkbox of « Services obligatoires » has its
    own label in a fieldset with a legend (9 unlabelled checkboxes before)."""
    errors = csp_watch(page)
    login(page, live_server, "academie.demo", PASSWORD)
    for url in ACADEMIE:
        page.goto(f"{live_server}{url}")
        assert problems(page) == [], url
    page.goto(f"{live_server}/academie/obligatoires/")
    boxes = page.locator("fieldset input[type=checkbox]")
    assert boxes.count() >= 1
    for i in range(boxes.count()):
        box = boxes.nth(i)
        label = page.locator(f"label[for='{box.get_attribute('id')}']")
        assert label.count() == 1 and label.inner_text().strip()
    assert page.locator("fieldset legend").first.inner_text().strip()
    assert errors == [], "\n".join(errors)


def test_r_a11y_1_activation_page_axe_clean(page, live_server, db):
    """R-SRV-1: the activation page of an establishment not yet activated."""
    etab = f.make_etablissement(uai="0999009J", nom="Collège Pas-Encore", active_le=None)
    db.session.commit()
    assert db.session.get(Etablissement, etab.id).active_le is None
    login(page, live_server, "chef.0999009j", PASSWORD)
    page.goto(f"{live_server}/")
    assert page.locator("#activation").is_visible()
    assert problems(page) == []


@pytest.mark.parametrize(("user", "url"), LIST_SCREENS)
def test_r_a11y_1_list_based_settings_screens_axe_clean(page, live_server, screens, user, url):
    """R-PAR-6 (liens), R-SRV-4 (dates de publication), R-SRV-5 (TIPI): our blocks in the
    generic list; axe-clean and no CSP violation once the list itself is."""
    errors = csp_watch(page)
    login(page, live_server, user, PASSWORD)
    page.goto(f"{live_server}{url}")
    assert problems(page) == [], url
    assert errors == [], "\n".join(errors)


def test_r_a11y_1_job_pages_axe_clean_no_sideways_scroll(page, phone, live_server, screens, app,
                                                        db):
    """R-ACC-6/7, R-ACC-4: the « Tâches » pages — the list, a notification with its PDF, an
    export with its CSV, a mass email, an interrupted notification — pass axe on a desktop and
    at 390 px, where they do not scroll sideways."""
    from pathlib import Path

    from admints.models import Job

    from ..test_rights import make_job

    etab = screens["etab"]
    letters = make_job(app, db, etab, "responsable")
    interrupted = make_job(app, db, etab, "eleve")
    interrupted.status, interrupted.done = "interrupted", 1
    interrupted.error = "Le processus qui menait la tâche s'est arrêté."
    csv = Path(letters.file_path).with_name("export_responsable_ecrans.csv")
    csv.write_text("\ufeffidentifiant;nom\r\nresp.x;DUPONT\r\n", encoding="utf-8")
    export = Job(etablissement_id=etab.id, kind="export_responsable", status="done", total=1,
                 done=1, created_by="chef.0999001a", file_path=str(csv),
                 params={"kind": "responsable", "compte_ids": [1]}, result={"rows": 1})
    email = Job(etablissement_id=etab.id, kind="ecriture_responsables", status="done", total=2,
                done=2, created_by="chef.0999001a", params={"compte_ids": [1, 2]},
                result={"sent": 1, "failed": [],
                        "without_address": [{"compte_id": 2, "identifiant": "resp.y"}]})
    db.session.add_all([export, email])
    db.session.commit()
    urls = ["/taches/", *(f"/taches/{job.id}/" for job in (letters, export, email, interrupted))]
    sweep(page, phone, live_server, "chef.0999001a", urls)
