"""Issue 13 (RGAA 4.1 AA) on the account screens, in Chromium: the whole mass notification of a
division's guardians by keyboard only — filter, « Sélectionner les N comptes correspondant aux
filtres », notify on paper, follow the job, download the PDF — and « Gérer le compte » of one
guardian, with a visible focus indicator at every key press (R-ACC-4, R-ACC-5, R-ACC-6, R-ACC-8);
axe-core (no critical, serious or moderate violation) on the lists, « Gérer le compte », the
confirmation page, the job page running and finished and the class lists; no page-level
sideways scroll at 390 px.

The keyboard walk never clicks nor fills an element: it presses Tab / Shift+Tab / Enter /
Space / arrows and types into the focused field (`keyboard.type`)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from pypdf import PdfReader

from admints.comptes import notification
from admints.extensions import db
from admints.models import Division, Eleve, Etablissement, ResponsableEleve

from .. import factories as f
from .conftest import PHONE, login

UAI, PASSWORD = "0999777K", "Demo-Orage-Tilleul-17"
CHEF = "chef.0999777k"
BLOCKING = ("critical", "serious", "moderate")

# Is the focused element's focus visible? Its own outline or box-shadow (or its ::before, as the
# DSFR draws it on « enlarged » links), or — DSFR checkboxes and radios, whose box is drawn by
# their label — the label's ::before.
_FOCUS_JS = r"""() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: 'BODY', visible: false, name: ''};
  const shows = (s) => (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
    || (s.boxShadow && s.boxShadow !== 'none');
  let visible = shows(getComputedStyle(el)) || shows(getComputedStyle(el, '::before'));
  if (!visible && el.matches('input[type=checkbox], input[type=radio]') && el.id) {
    const label = document.querySelector('label[for="' + el.id + '"]');
    visible = !!label && shows(getComputedStyle(label, '::before'));
  }
  const name = (el.getAttribute('aria-label') || el.textContent || el.value || el.id || '')
    .replace(/\s+/g, ' ').trim().slice(0, 100);
  return {tag: el.tagName, id: el.id, visible: visible, name: name,
          cls: el.className || '', type: el.getAttribute('type') || ''};
}"""


class Walk:
    """Key presses on one page, each followed by the visible-focus check; counts the keys."""

    def __init__(self, page):
        self.page = page
        self.keys = 0
        self.steps: list[tuple[str, int]] = []

    def focused(self) -> dict:
        return self.page.evaluate(_FOCUS_JS)

    def press(self, key: str, navigates: bool = False) -> dict:
        if navigates:
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
            self.page.wait_for_load_state()
        else:
            self.page.keyboard.press(key)
        self.keys += 1
        info = self.focused()
        if info["tag"] != "BODY":
            assert info["visible"], f"no visible focus after {key}: {info}"
        return info

    def tab_to(self, test, *, back: bool = False, limit: int = 120) -> dict:
        """Tab (or Shift+Tab) until `test(focused)` holds."""
        trail = []
        for _ in range(limit):
            info = self.press("Shift+Tab" if back else "Tab")
            if test(info):
                return info
            trail.append(info["name"] or info.get("id", ""))
        raise AssertionError(f"never reached the element ({'Shift+' if back else ''}Tab): "
                             f"{trail[:40]}")

    def step(self, name: str) -> None:
        done = sum(n for _, n in self.steps)
        self.steps.append((name, self.keys - done))


def _by_id(id_):
    return lambda i: i["id"] == id_


def _by_name(pattern: str):
    return lambda i: re.search(pattern, i["name"]) is not None


def _axe(page, what: str) -> list:
    """axe-core's blocking violations on `page` (printed per page for the note)."""
    results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    print(f"axe {what}: {len(results.response['violations'])} violation(s), "
          f"{len(blocking)} critical/serious/moderate")
    return blocking


def _no_sideways_scroll(page) -> tuple[int, int]:
    return tuple(page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))


@pytest.fixture
def demo(app):
    """The demo establishment (a college of 120 pupils, activated), with one division topped
    up to more than a page of guardians so that « Sélectionner les N comptes » is offered."""
    loader_report = _load_demo()
    division = db.session.scalars(db.select(Division).order_by(Division.code)).first()
    etab = db.session.get(Etablissement, division.etablissement_id)
    for i in range(30):
        eleve = f.make_eleve(etab, nom=f"AJOUT{i:02d}", prenom="Clavier", division=division)
        resp = f.make_responsable(etab, nom=f"AJOUT{i:02d}", prenom="Parent",
                                  email=f"parent{i:02d}@example.org")
        f.link(eleve, resp, niveau=1)
    db.session.commit()
    rows = db.session.scalar(
        db.select(db.func.count(ResponsableEleve.id)).join(Eleve)
        .where(Eleve.division_id == division.id, ResponsableEleve.niveau.in_((1, 2))))
    assert rows > 50, loader_report
    return division, rows


def _load_demo():
    from admints.demo import loader

    report = loader.load_demo(UAI, 120, "college", 3, PASSWORD, dt.date(2026, 11, 28))
    db.session.commit()
    return report


def _keyboard_login(walk: Walk, base: str) -> None:
    page = walk.page
    page.goto(f"{base}/login")
    walk.tab_to(_by_id("login"))
    page.keyboard.type(CHEF)
    walk.tab_to(lambda i: i["type"] == "password")
    page.keyboard.type(PASSWORD)
    walk.press("Enter", navigates=True)
    assert page.url.rstrip("/") == base
    walk.step("connexion")


def test_r_acc_6_keyboard_only_mass_notification_and_gerer_le_compte_issue_13(
        app, page, live_server, demo, monkeypatch, tmp_path):
    """Issue 13 point 5 (RGAA 12.x keyboard, 10.7 visible focus): R-ACC-4/5/6/8 by keyboard only;
    axe clean on the list, the confirmation, the running and finished job, Gérer le compte."""
    division, rows = demo
    app.config["JOB_THRESHOLD"] = 0  # the job runs in the background: its page is followed
    real = notification.notify_job

    def slow_notify_job(ctx, progress):
        progress(1, 2, force=True)  # half-way for a moment: the running page is checked
        time.sleep(3)
        return real(ctx, progress)

    monkeypatch.setattr(notification, "notify_job", slow_notify_job)
    walk = Walk(page)
    _keyboard_login(walk, live_server)

    # Menu « Accès des responsables › Notifier / gérer les comptes » (skip link « Aller au menu »).
    page.wait_for_function("document.documentElement.getAttribute('data-fr-js') === 'true'")
    walk.tab_to(_by_name("^Accès des responsables$"))
    menu = walk.page.evaluate("document.activeElement.getAttribute('aria-controls')")
    walk.press("Enter")  # opens the sub-menu (aria-expanded)
    # The DSFR unfolds it with a transition: its links are reachable once it is shown (a user
    # sees it open before pressing Tab; no key is pressed while waiting).
    page.locator(f"#{menu} a").first.wait_for(state="visible")
    walk.tab_to(_by_name("^Notifier / gérer les comptes$"))
    walk.press("Enter", navigates=True)
    page.wait_for_selector("[data-testid=comptes]")
    assert "/responsables/" in page.url
    walk.step("menu › Accès des responsables")
    assert _axe(page, "Accès des responsables (liste)") == []

    # Filter one division: the native multiple select, then « Rechercher ».
    walk.tab_to(_by_id("flt0_division"))
    for _ in range(40):
        if page.evaluate("[...document.getElementById('flt0_division').selectedOptions]"
                         ".map(o => o.text).join(',')") == division.code:
            break
        walk.press("ArrowDown")
    else:
        raise AssertionError("division never selected with the arrows")
    walk.tab_to(lambda i: i["name"] == "Rechercher")
    walk.press("Enter", navigates=True)
    assert "flt0_division=" in page.url
    actifs = page.inner_text("[data-testid=filtres-actifs]")
    assert f"Division : {division.code}" in actifs and "Effacer" in actifs
    assert f"sur {rows}" in page.inner_text("[data-testid=selection-count]")
    walk.step(f"filtre division {division.code}")

    # Tick the page, then « Sélectionner les N comptes correspondant aux filtres ».
    walk.tab_to(_by_id("rowtoggle"))
    walk.press("Space")
    count = page.inner_text("[data-testid=selection-count]")
    assert "50 compte(s) sélectionné(s)" in count
    assert page.get_attribute("[data-testid=selection-count]", "aria-live") == "polite"
    walk.tab_to(_by_name(f"Sélectionner les {rows} comptes"), back=True)
    info = walk.press("Enter")
    # Focus lands on the action chooser (described by the announced counter), not lost.
    assert info["id"] == "action", info
    assert f"{rows} compte(s) sélectionné(s) sur {rows}" in page.inner_text(
        "[data-testid=selection-count]")
    walk.step("tout sélectionner")
    for _ in range(10):
        if page.evaluate("document.getElementById('action').value") == "notifier":
            break
        walk.press("ArrowDown")
    assert page.evaluate("document.getElementById('action').value") == "notifier"
    walk.tab_to(_by_name("^Appliquer à la sélection$"))
    walk.press("Enter", navigates=True)
    walk.step("action Notifier")

    # Confirmation page: « Papier seul » with the arrows, then « Confirmer ».
    assert str(rows) in page.inner_text("[data-testid=confirmation-count]")
    assert _axe(page, "confirmation (Notifier les comptes)") == []
    walk.tab_to(lambda i: i["type"] == "radio")
    for _ in range(5):
        if page.evaluate("document.getElementById('mode-papier').checked"):
            break
        walk.press("ArrowDown")
    assert page.evaluate("document.getElementById('mode-papier').checked")
    walk.tab_to(_by_name("^Confirmer$"))
    walk.press("Enter", navigates=True)
    page.wait_for_url("**/taches/*/")
    walk.step("confirmation papier")

    # The job page: a named progress bar while it runs, then the end announced in place.
    bar = page.locator("progress[data-testid=job-bar]")
    assert page.inner_text("#job-progress-label") == "Progression de la notification"
    assert bar.get_attribute("aria-labelledby") == "job-progress-label"
    assert _axe(page, "tâche en cours") == []
    page.wait_for_selector("[data-testid=job-annonce-pdf]", timeout=60000)
    annonce = page.inner_text("[data-testid=job-annonce]")
    assert annonce.startswith("Terminé : ") and "courrier" in annonce, annonce
    assert page.get_attribute("[data-testid=job-annonce]", "role") == "status"
    assert page.locator("[data-testid=job-done]").is_visible()
    # Focus was on nothing (a fresh page): it went to the announcement, not to the top.
    assert walk.focused()["id"] == "job-annonce"
    assert _axe(page, "tâche terminée") == []
    letters = int(page.inner_text("[data-testid=recap] .recap-courrier"))
    walk.tab_to(_by_name("^Télécharger le PDF$"))
    with page.expect_download() as info:
        walk.press("Enter")
    walk.step("suivi de la tâche, PDF")
    path = tmp_path / "notification.pdf"
    info.value.save_as(path)
    assert len(PdfReader(str(path)).pages) == letters > 0

    # Back to the list, « Gérer le compte » of the first guardian, its actions.
    walk.tab_to(_by_name("^Retourner à la liste$"))
    walk.press("Enter", navigates=True)
    first = walk.tab_to(_by_name("^Gérer le compte de "))
    walk.press("Enter", navigates=True)
    assert page.title().startswith("Gérer le compte – ") and "Accès des responsables" in \
        page.title()
    assert first["name"].startswith("Gérer le compte")
    walk.step("Gérer le compte")
    assert _axe(page, "Gérer le compte") == []
    walk.tab_to(_by_name("^Renotifier$"))
    walk.tab_to(_by_name("^Envoyer$"))
    walk.step("actions du compte")
    print("parcours clavier :", walk.steps, "total", walk.keys)


def test_r_acc_5_account_screens_axe_clean_issue_13(page, live_server, demo):
    """Issue 13 point 2: axe on « Accès des élèves » (filtered), the class lists and the jobs
    list; R-ACC-5 / R-ACC-11."""
    division, _rows = demo
    login(page, live_server, CHEF, PASSWORD)
    checked = {}
    for what, url in (
            ("Accès des élèves (liste filtrée)", f"/eleves/?flt0_division={division.id}"),
            ("Accès des responsables (filtre actif)", "/responsables/?flt0_etat=notifie"),
            ("Listes de classes", f"/eleves/listes/?division={division.id}"),
            ("Tâches", "/taches/")):
        page.goto(live_server + url)
        checked[what] = _axe(page, what)
    assert checked == {what: [] for what in checked}


def test_r_acc_8_lists_and_gerer_le_compte_on_a_phone_issue_13(phone, live_server, demo):
    """Issue 13 point 6: at 390 px the lists and « Gérer le compte » do not scroll sideways (the
    table scrolls in its own region), the filter bar stacks, tap targets are at least 24 px."""
    login(phone, live_server, CHEF, PASSWORD)
    lien = db.session.scalars(db.select(ResponsableEleve).where(
        ResponsableEleve.compte_id.is_not(None)).order_by(ResponsableEleve.id)).first()
    for url in ("/responsables/", "/eleves/", f"/responsables/compte/{lien.id}/"):
        phone.goto(live_server + url)
        assert _no_sideways_scroll(phone)[0] <= PHONE["width"], url
        # Links inside a sentence are exempt (WCAG 2.5.8); so is the shell's breadcrumb.
        small = phone.evaluate("""() => [...document.querySelectorAll(
            '#contenu a, #contenu button, #contenu select, #contenu input:not([type=hidden])')]
          .filter(e => e.offsetParent !== null || e.matches('input'))
          .filter(e => !e.matches('.fr-breadcrumb *, .fr-link, [href^="mailto:"]'))
          .map(e => { const r = e.getBoundingClientRect();
                      return [e.outerHTML.slice(0, 80), r.width, r.height]; })
          .filter(([, w, h]) => w < 24 || h < 24)""")
        assert small == [], (url, small[:5])
    phone.goto(live_server + "/responsables/")
    scroller = phone.locator("#table-comptes .fr-table__container")
    assert phone.evaluate("(el) => el.scrollWidth > el.clientWidth", scroller.element_handle())
    boxes = [phone.locator(sel).bounding_box() for sel in ("#flt0_division", "#flt1_mef")]
    assert boxes[1]["y"] > boxes[0]["y"]  # the filter bar stacks
