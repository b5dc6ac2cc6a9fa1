"""Activation first (R-SRV-1, guide §2.1, issue 12 point 1): until the establishment's
téléservices are activated, no notification, no password reset, no new account and no class
list with passwords — refused by the operations themselves, so the screens, the action POSTs
and the CLI get the same French message; the pages say why and link to the activation screen."""

from __future__ import annotations

import datetime as dt

import pytest

from admints.comptes import activation, bulk, class_lists, lifecycle, notification
from admints.comptes.class_lists import ClassRef
from admints.extensions import db
from admints.models import Compte, EtatCompte
from admints.teleservices import opening

from . import factories as f
from .comptes_helpers import csrf_of, post_action, school
from .db_snapshot import db_snapshot

TODAY = dt.date(2026, 10, 5)


@pytest.fixture
def inactive(db):
    """A collège whose head has not activated the téléservices yet, with pupils and guardians."""
    etab = f.make_etablissement(uai="0999003C", nom="Collège Neuf", active_le=None)
    db.session.commit()
    s = school(etab, n_6a=2, n_6b=1)
    return etab, s


def test_r_srv_1_factory_establishments_are_activated_unless_asked(db, etab, inactive):
    assert opening.is_activated(etab)
    assert not opening.is_activated(inactive[0])
    assert activation.blocked_reason(etab.id) is None
    assert "pas encore activés" in activation.blocked_reason(inactive[0].id)


def test_r_srv_1_domain_operations_refuse_before_activation(db, inactive, tmp_path):
    etab, s = inactive
    eleve_ids = [e.compte_id for e in s["eleves"]]
    resp_ids = [lien.compte_id for lien in s["liens"]]
    before = db_snapshot(db)
    refusals = [
        lambda: notification.notify(etab.id, "eleve", eleve_ids, mode="papier", today=TODAY,
                                    out_path=tmp_path / "e.pdf"),
        lambda: notification.notify(etab.id, "responsable", resp_ids, mode="papier",
                                    today=TODAY, out_path=tmp_path / "r.pdf"),
        lambda: bulk.reset_passwords(etab.id, "eleve", eleve_ids, today=TODAY),
        lambda: lifecycle.create_new_account(db.session.get(Compte, eleve_ids[0]),
                                             today=TODAY),
        lambda: class_lists.class_list_rows(etab.id, division_id=s["6A"].id),
        lambda: class_lists.class_list_pdf(etab.id, ClassRef(s["6A"].id, None, "Division 6A"),
                                           out_dir=tmp_path, today=TODAY, by="x"),
    ]
    for call in refusals:
        with pytest.raises(activation.NotActivated) as err:
            call()
        assert "Activer les téléservices" in err.value.message
        db.session.rollback()
    assert db_snapshot(db) == before
    assert not list(tmp_path.glob("*.pdf"))


def test_r_srv_1_after_activation_notification_works(db, inactive, tmp_path):
    etab, s = inactive
    opening.activate(etab, today=TODAY, by="chef")
    db.session.commit()
    recap = notification.notify(etab.id, "eleve", [s["eleves"][0].compte_id], mode="papier",
                                today=TODAY, out_path=tmp_path / "e.pdf")
    assert len(recap.notified) == 1


def test_r_srv_1_cli_notify_refused_in_french(runner, db, inactive, tmp_path):
    etab, _s = inactive
    before = db_snapshot(db)
    out = tmp_path / "n.pdf"
    res = runner.invoke(args=["admints", "notify", "--uai", etab.uai, "--kind", "responsable",
                              "--out", str(out), "--today", "2026-10-05"])
    assert res.exit_code == 1
    assert "pas encore activés" in res.output and "Traceback" not in res.output
    assert f"admints activer --uai {etab.uai}" in res.output
    assert not out.exists()
    assert db_snapshot(db) == before


def test_r_srv_1_lists_say_why_and_offer_no_password_action(client, auth, inactive):
    etab, s = inactive
    auth.login("chef.0999003c")
    for base in ("/responsables/", "/eleves/"):
        html = client.get(base).get_data(as_text=True)
        assert 'data-testid="activation-requise"' in html and "pas encore activés" in html
        assert 'data-testid="lien-activation"' in html and 'href="/"' in html
        assert '<option value="notifier">' not in html
        assert '<option value="reinitialiser">' not in html
        assert '<option value="exporter">' in html  # what stays possible is still offered


def test_r_srv_1_activated_list_offers_the_actions(client, auth, etab):
    school(etab, n_6a=1, n_6b=0)
    auth.login("chef.0999001a")
    html = client.get("/eleves/").get_data(as_text=True)
    assert '<option value="notifier">' in html and 'data-testid="activation-requise"' not in html


@pytest.mark.parametrize("action", ["notifier", "reinitialiser"])
@pytest.mark.parametrize("base", ["/responsables/", "/eleves/"])
def test_r_srv_1_hostile_action_post_refused_nothing_changed(client, auth, inactive, action,
                                                              base):
    etab, s = inactive
    auth.login("chef.0999003c")
    rows = [lien.id for lien in s["liens"]] if base == "/responsables/" \
        else [e.id for e in s["eleves"]]
    before = db_snapshot(db)
    # The crafted confirmed POST (the page offers no such action) and the first POST alike.
    for extra in ({}, {"confirme": "1", "mode": "papier"}):
        resp = post_action(client, base, action, rowids=rows, **extra)
        assert resp.status_code == 302
        flashed = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert "pas encore activés" in flashed
    assert db_snapshot(db) == before


def test_r_srv_1_gerer_le_compte_offers_no_renotification(client, auth, inactive):
    etab, s = inactive
    auth.login("chef.0999003c")
    lien = s["liens"][0]
    page = f"/responsables/compte/{lien.id}/"
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="activation-requise"' in html
    assert 'data-testid="renotifier"' not in html and "Nouveau compte" not in html
    token = csrf_of(client, page)
    before = db_snapshot(db)
    for op in ("renotifier", "renotifier_reinit"):
        resp = client.post(f"{page}{op}/", data={"csrf_token": token, "mode": "papier"})
        assert resp.status_code == 302
        assert "pas encore activés" in client.get(resp.headers["Location"]).get_data(
            as_text=True)
    for confirme in ("", "1"):  # no confirmation page either
        resp = client.post(f"{page}nouveau/", data={"csrf_token": token, "confirme": confirme,
                                                     "notification": "papier"})
        assert resp.status_code == 302
    assert db_snapshot(db) == before
    assert db.session.get(Compte, lien.compte_id).etat == EtatCompte.NON_NOTIFIE


def test_r_srv_1_class_lists_refused_page_pdf_csv(client, auth, inactive):
    etab, s = inactive
    auth.login("chef.0999003c")
    div = s["6A"].id
    html = client.get(f"/eleves/listes/?division={div}").get_data(as_text=True)
    assert 'data-testid="activation-requise"' in html
    assert 'data-testid="liste-classe"' not in html and 'data-testid="liste-pdf"' not in html
    before = db_snapshot(db)
    for fmt in ("pdf", "csv"):
        resp = client.get(f"/eleves/listes/{fmt}?division={div}")
        assert resp.status_code == 302
        assert resp.mimetype == "text/html"
        assert "pas encore activés" in client.get(resp.headers["Location"]).get_data(
            as_text=True)
    assert db_snapshot(db) == before
