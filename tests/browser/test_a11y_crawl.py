"""Issue 13 (R-A11Y-1): every back-office page passes axe-core under the strict CSP, for every
staff role, in the system Chromium.

For each role — chef, délégué (all menus), assistance, académie — on the demo establishment of
tests/test_french_crawl.py: the login page, every page reachable from the menu (the crawl of
tests/crawl_helpers.py, so the create / edit / details pages the lists link to and « Gérer le
compte » too), a mass action's confirmation page and the job page it leads to (roles that see
the pupils' accounts), and an error page (404). On each: axe-core (impacts critical, serious,
moderate), the CSP violations the browser reports (a `securitypolicyviolation` listener and
the console), and the structure — `lang="fr"`, one <h1>, a <title> unique per screen, <main>,
<header>, <nav>, <footer>, a skip link whose target exists.

The per-page totals are printed (`pytest -s`), and appended to $ADMINTS_AXE_REPORT when set
(the « before / after » figures of the issue's note).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from admints.models import Eleve

from ..crawl_helpers import crawl, shape
from ..factories import PASSWORD
from ..test_french_crawl import LOGINS, school  # noqa: F401 - fixture
from .conftest import login

IMPACTS = ("critical", "serious", "moderate")
# Screens that one template renders for several addresses: one address of each is enough.
SAME_SCREEN = (
    (re.compile(r"^/aide/(?!quoi-de-neuf$)[^/?]+$"), "/aide/<sujet>"),
    (re.compile(r"^/parametrage/courriers/modifier/[^/?]+$"),
     "/parametrage/courriers/modifier/<c>"),
)
ERROR_URL = "/nexiste-pas/"
CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(
    `${e.violatedDirective} ${e.blockedURI || ''} ${e.sourceFile || ''}:${e.lineNumber}`);
});
"""
STRUCTURE = """() => {
  const skip = [...document.querySelectorAll('a[href^="#"]')]
    .filter(a => /^Aller au/.test(a.textContent.trim()));
  return {
    lang: document.documentElement.lang,
    h1: document.querySelectorAll('h1').length,
    title: document.title,
    main: document.querySelectorAll('main').length,
    header: document.querySelectorAll('header').length,
    nav: document.querySelectorAll('nav').length,
    footer: document.querySelectorAll('footer').length,
    skip: skip.map(a => a.getAttribute('href')),
    skipOk: skip.length > 0
      && skip.every(a => document.getElementById(a.getAttribute('href').slice(1))),
    csp: window.__csp || [],
  };
}"""
AXE = Axe()


class Crawl:
    """One role's browser page, and what each visited page showed."""

    def __init__(self, page, base: str, role: str):
        self.page, self.base, self.role = page, base, role
        self.rows: list[dict] = []
        self.console_csp: list[str] = []
        page.add_init_script(CSP_LISTENER)
        page.on("console", lambda m: "Content Security Policy" in m.text
                and self.console_csp.append(m.text))

    def check(self, label: str) -> None:
        """axe-core, CSP and structure of the page now shown."""
        page = self.page
        try:  # the DSFR script ran (menus, collapses): what a user sees
            page.wait_for_function("document.documentElement.dataset.frJs === 'true'",
                                   timeout=3000)
        except Exception:  # a page without the DSFR is reported by axe anyway
            pass
        results = AXE.run(page)
        violations = [v for v in results.response["violations"] if v["impact"] in IMPACTS]
        facts = page.evaluate(STRUCTURE)
        problems = []
        if facts["lang"] != "fr":
            problems.append(f"lang={facts['lang']!r}")
        if facts["h1"] != 1:
            problems.append(f"{facts['h1']} h1")
        for landmark in ("main", "header", "nav", "footer"):
            if not facts[landmark]:
                problems.append(f"pas de <{landmark}>")
        if not facts["skipOk"]:
            problems.append(f"lien d'évitement {facts['skip']}")
        csp = facts["csp"] + self.console_csp
        self.console_csp = []
        counts = Counter(v["impact"] for v in violations)
        self.rows.append({
            "label": label, "url": urlsplit(page.url).path, "title": facts["title"],
            "counts": counts, "rules": sorted({f"{v['id']}({v['impact'][0]})" for v in violations}),
            "nodes": sum(len(v["nodes"]) for v in violations), "csp": csp, "problems": problems,
        })

    def visit(self, url: str, label: str | None = None) -> None:
        self.page.goto(self.base + url, wait_until="load")
        self.check(label or url)

    def post_form(self, action: str, fields: list[tuple[str, str]]) -> None:
        """Submit a form built in the page (as the list's « Avec la sélection » menu does), with
        the CSRF token the page holds."""
        with self.page.expect_navigation(wait_until="load"):
            self.page.evaluate("""([action, fields]) => {
                const form = document.createElement('form');
                form.method = 'post'; form.action = action;
                const token = document.querySelector('input[name=csrf_token]').value;
                for (const [name, value] of [['csrf_token', token], ...fields]) {
                    const input = document.createElement('input');
                    input.type = 'hidden'; input.name = name; input.value = value;
                    form.appendChild(input);
                }
                document.body.appendChild(form);
                form.submit();
            }""", [action, fields])

    def table(self) -> str:
        lines = [f"== axe-core, rôle {self.role} : {len(self.rows)} pages "
                 f"(critical / serious / moderate, nœuds, CSP)"]
        for row in self.rows:
            c = row["counts"]
            lines.append(f"{self.role:10} {row['label'][:60]:60} {c['critical']:3} "
                         f"{c['serious']:3} {c['moderate']:3} {row['nodes']:4} "
                         f"{len(row['csp']):3}  {' '.join(row['rules'])}")
        total = Counter()
        for row in self.rows:
            total.update(row["counts"])
        lines.append(f"{self.role:10} {'TOTAL':60} {total['critical']:3} {total['serious']:3} "
                     f"{total['moderate']:3} "
                     f"{sum(r['nodes'] for r in self.rows):4} "
                     f"{sum(len(r['csp']) for r in self.rows):3}")
        return "\n".join(lines)

    def failures(self) -> list[str]:
        found = []
        titles: dict[str, set[str]] = {}
        for row in self.rows:
            if row["rules"]:
                found.append(f"{row['label']} : axe {' '.join(row['rules'])}")
            if row["csp"]:
                found.append(f"{row['label']} : CSP {row['csp'][:3]}")
            if row["problems"]:
                found.append(f"{row['label']} : structure {', '.join(row['problems'])}")
            titles.setdefault(row["title"], set()).add(shape(row["label"]))
        for title, shapes in titles.items():
            if len(shapes) > 1:
                found.append(f"titre « {title} » partagé par {sorted(shapes)}")
        return found


def _pages_of(client, auth, role: str, etab_id: int) -> list[str]:
    """The role's menu pages and the pages they link to, found by the test client's crawl."""
    assert auth.login(LOGINS[role]).status_code == 302
    if role == "academie":
        client.post("/etablissement", data={"etablissement_id": etab_id,
                                            "csrf_token": auth.csrf("/")})
    pages = crawl(client)
    urls, screens = [], set()
    for url, page in pages.items():
        screen = next((name for pattern, name in SAME_SCREEN if pattern.match(url)), url)
        if page.status == 200 and screen not in screens:
            screens.add(screen)
            urls.append(url)
    return urls


def _report(text: str) -> None:
    print("\n" + text)
    path = os.environ.get("ADMINTS_AXE_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(text + "\n")


@pytest.mark.parametrize("role", list(LOGINS))
def test_r_a11y_1_every_page_passes_axe_without_csp_violation(browser, app, client, auth,
                                                               live_server, school, db,  # noqa: F811
                                                               role):
    urls = _pages_of(client, auth, role, school.id)
    assert len(urls) >= {"chef": 25, "delegue": 20, "assistance": 4, "academie": 25}[role]
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    started = time.monotonic()
    try:
        run = Crawl(context.new_page(), live_server, role)
        run.page.set_default_timeout(15000)
        run.visit("/login", "/login (connexion)")
        login(run.page, live_server, LOGINS[role], PASSWORD)
        if role == "academie":
            run.page.select_option("#etab-switch", str(school.id))
            with run.page.expect_navigation():
                run.page.get_by_role("button", name="Changer").click()
        for url in urls:
            run.visit(url)
        run.visit(ERROR_URL, f"{ERROR_URL} (404)")
        if "/eleves/" in urls:
            pupil = db.session.scalar(select(Eleve.id).where(Eleve.etablissement_id == school.id)
                                      .order_by(Eleve.id))
            fields = [("action", "notifier"), ("url", "/eleves/"), ("select_all", "0"),
                      ("rowid", str(pupil))]
            run.page.goto(live_server + "/eleves/")
            run.post_form("/eleves/action/", fields)
            run.check("/eleves/action/ (confirmation)")
            # The helpdesk sees the accounts but may not notify (R-SEC-5): refused, no job.
            if role != "assistance":
                run.post_form("/eleves/action/", fields + [("mode", "papier"), ("confirme", "1")])
                assert "/taches/" in run.page.url
                run.check(f"{urlsplit(run.page.url).path} (tâche)")
                # A large export (issue 14) as a job: its page once the CSV is ready, then the
                # confirmation of the file's deletion.
                app.config["EXPORT_JOB_MIN_ROWS"] = 0
                run.page.goto(live_server + "/eleves/")
                run.post_form("/eleves/action/", [("action", "exporter"), *fields[1:]])
                assert "/taches/" in run.page.url
                run.page.wait_for_selector("[data-testid=job-csv]")
                job_path = urlsplit(run.page.url).path
                run.check(f"{job_path} (export)")
                run.post_form(f"{job_path}csv/supprimer/", [])
                run.check(f"{job_path}csv/supprimer/ (confirmation)")
        elapsed = time.monotonic() - started
    finally:
        context.close()
    _report(run.table() + f"\n{role:10} durée {elapsed:.0f} s")
    failures = run.failures()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/login", "/", "/responsables/"])
def test_r_a11y_1_no_sideways_scroll_on_a_phone_and_establishment_visible(phone, live_server,
                                                                          school,  # noqa: F811
                                                                          path):
    """Issue 13 point 6: at 390 px the login page, home and a list page scroll only
    vertically; once logged in, the establishment's name is in view in the header."""
    if path != "/login":
        login(phone, live_server, LOGINS["chef"], PASSWORD)
    phone.goto(live_server + path, wait_until="load")
    phone.wait_for_function("document.documentElement.dataset.frJs === 'true'")
    width = phone.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"{path} : {width} px de large"
    if path != "/login":
        name = phone.locator("[data-testid=etablissement]")
        assert name.is_visible() and school.nom in name.inner_text()
        box = name.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
