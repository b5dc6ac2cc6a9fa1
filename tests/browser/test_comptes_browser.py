"""Accès des élèves in Chromium (issue 2 point 10, issue 3): filter a division, select every
matching account (more than one page), notify on paper, watch the progress bar, download the
PDF and read it back."""

from __future__ import annotations

import time

from pypdf import PdfReader

from admints.comptes import notification
from admints.extensions import db
from admints.models import Compte, EtatCompte

from .. import factories as f
from ..factories import PASSWORD
from .conftest import login


def _pupils(etab, n_6a: int, n_6b: int):
    d_a, d_b = f.make_division(etab, "6A"), f.make_division(etab, "6B")
    out = []
    for i in range(n_6a + n_6b):
        out.append(f.make_eleve(etab, nom=f"ELEVE{i:03d}", prenom="Test",
                                division=d_a if i < n_6a else d_b,
                                identifiant=f"test.eleve{i:03d}"))
    db.session.commit()
    return out


def _open_eleves_filtered(page, base: str, division: str) -> None:
    page.click("button.fr-nav__btn:has-text('Accès des élèves')")
    page.click("a:has-text('Notifier / gérer les comptes') >> visible=true")
    page.wait_for_selector("[data-testid=comptes]")
    page.select_option("select[name=flt0_division]", label=division)
    page.click("[data-testid=rechercher]")
    page.wait_for_url("**/eleves/?*flt0_division=*")


def test_r_acc_5_smoke_head_filters_one_division(page, live_server, etab):
    """Issue 2 point 10: log in as the head, open Accès des élèves, filter one division."""
    _pupils(etab, 3, 2)
    login(page, live_server, "chef.0999001a", PASSWORD)
    _open_eleves_filtered(page, live_server, "6B")
    rows = page.locator("[data-testid=comptes] tbody tr")
    assert rows.count() == 2
    texts = rows.all_inner_texts()
    assert all("6B" in t for t in texts)
    assert any("ELEVE003" in t for t in texts) and not any("ELEVE000" in t for t in texts)
    assert "sur 2" in page.inner_text("[data-testid=selection-count]")


def test_r_acc_5_smoke_demo_head_filters_one_division(page, live_server, app):
    """Issue 2 point 10 on the demo establishment: the head filters one division and sees
    exactly that division's pupils."""
    import datetime as dt

    from admints.demo import loader
    from admints.models import Division, Eleve

    loader.load_demo("0999777K", 120, "college", 3, "Demo-Orage-Tilleul-17", dt.date(2026, 11, 28))
    db.session.commit()
    division = db.session.scalars(db.select(Division).join(Eleve, Eleve.division_id == Division.id)
                                  .order_by(Division.code)).first()
    expected = db.session.scalar(db.select(db.func.count(Eleve.id))
                                 .where(Eleve.division_id == division.id))
    login(page, live_server, "chef.0999777k", "Demo-Orage-Tilleul-17")
    _open_eleves_filtered(page, live_server, division.code)
    rows = page.locator("[data-testid=comptes] tbody tr")
    assert rows.count() == min(expected, 50)
    cells = page.locator("[data-testid=comptes] tbody tr td:nth-child(3)").all_inner_texts()
    assert set(cells) == {division.code}
    assert f"sur {expected}" in page.inner_text("[data-testid=selection-count]")


def test_r_acc_6_select_all_matching_notify_paper_progress_and_pdf(app, page, live_server, etab,
                                                                   monkeypatch, tmp_path):
    """Issue 3: 60 pupils in 6A (a page shows 50), 2 in 6B. 60 accounts are fewer than
    JOB_THRESHOLD (they would run inline, within the request): the threshold is lowered so
    that this selection runs in the background and the progress bar can be watched."""
    app.config["JOB_THRESHOLD"] = 0
    eleves = _pupils(etab, 60, 2)
    real = notification.notify_job

    def slow_notify_job(ctx, progress):
        # Hold the job at 50 % for a moment so that the test can see the bar move.
        progress(30, 60, force=True)
        time.sleep(2.5)
        return real(ctx, progress)

    monkeypatch.setattr(notification, "notify_job", slow_notify_job)
    login(page, live_server, "chef.0999001a", PASSWORD)
    _open_eleves_filtered(page, live_server, "6A")
    assert page.locator("[data-testid=comptes] tbody tr").count() == 50
    page.check("input.action-rowtoggle", force=True)  # DSFR: the box is drawn by its label
    assert "50 compte(s) sélectionné(s) sur 60" in page.inner_text("[data-testid=selection-count]")
    page.click("[data-testid=select-all-matching]")
    assert "60 compte(s) sélectionné(s) sur 60" in page.inner_text("[data-testid=selection-count]")
    page.select_option("#action", label="Notifier (papier)")
    page.click("[data-testid=appliquer]")
    # Server-side confirmation page
    assert "60" in page.inner_text("[data-testid=confirmation-count]")
    page.check("#reset_used-0", force=True)
    page.click("[data-testid=confirmer]")
    page.wait_for_url("**/taches/*/")
    page.wait_for_function(
        "() => { const b = document.querySelector('#job-progress progress');"
        " return b && parseInt(b.getAttribute('aria-valuenow'), 10) >= 50; }")
    assert "50 %" in page.inner_text("#job-progress .job-percent")
    page.wait_for_selector("[data-testid=job-done]", timeout=30000)
    assert "60" in page.inner_text("[data-testid=recap] .recap-notified")
    with page.expect_download() as info:
        page.click("[data-testid=job-pdf]")
    path = tmp_path / "notification.pdf"
    info.value.save_as(path)
    reader = PdfReader(str(path))
    assert len(reader.pages) == 60
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "test.eleve000" in text and "test.eleve059" in text and "test.eleve060" not in text
    db.session.expire_all()
    states = [db.session.get(Compte, e.compte_id).etat for e in eleves]
    assert states[:60] == [EtatCompte.NOTIFIE] * 60
    assert states[60:] == [EtatCompte.NON_NOTIFIE] * 2
