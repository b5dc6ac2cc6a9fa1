"""`flask admints notify` and `flask admints purge-expired` (issue 3 points 8 and 9)."""

from __future__ import annotations

import datetime as dt
import json

from pypdf import PdfReader

from admints.models import Compte, EtatCompte

from . import factories


def setup_eleves(db, etab):
    d6a, d6b = factories.make_division(etab, "6A"), factories.make_division(etab, "6B")
    a = factories.make_eleve(etab, "ALPHA", "A", division=d6a, identifiant="a.alpha")
    b = factories.make_eleve(etab, "BETA", "B", division=d6b, identifiant="b.beta")
    c = factories.make_eleve(etab, "GAMMA", "C", division=d6a, etat=EtatCompte.UTILISE,
                             identifiant="c.gamma")
    db.session.commit()
    return a, b, c


def test_r_acc_5_cli_notify_division_and_state_json(runner, db, etab, tmp_path):
    a, b, c = setup_eleves(db, etab)
    out = tmp_path / "n.pdf"
    res = runner.invoke(args=["admints", "notify", "--uai", "0999001a", "--kind", "eleve",
                              "--division", "6A", "--etat", "non_notifie", "--out", str(out),
                              "--today", "2026-11-28", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout.strip().splitlines()[-1])
    assert data["notified"] == 1 and data["failed"] == [] and data["unchanged"] == 0
    assert len(PdfReader(str(out)).pages) == 1
    assert "a.alpha" in PdfReader(str(out)).pages[0].extract_text()
    db.session.expire_all()
    assert db.session.get(Compte, a.compte_id).etat == EtatCompte.NOTIFIE
    assert db.session.get(Compte, b.compte_id).etat == EtatCompte.NON_NOTIFIE


def test_r_acc_4_cli_notify_responsables_courriel_recap_text(runner, db, etab, smtp, tmp_path):
    div = factories.make_division(etab, "6A")
    for i, email in enumerate(["x@example.org", None]):
        factories.link(factories.make_eleve(etab, f"E{i}", "E", division=div),
                       factories.make_responsable(etab, f"R{i}", "R", email=email), 1,
                       identifiant=f"r.r{i}")
    db.session.commit()
    res = runner.invoke(args=["admints", "notify", "--uai", "0999001A", "--kind", "responsable",
                              "--mode", "courriel", "--out", str(tmp_path / "r.pdf")])
    assert res.exit_code == 0, res.output
    assert "1 compte(s) notifié(s) sur 2" in res.stdout
    assert "r.r1" in res.stdout and "Aucune adresse" in res.stdout
    assert [m.rcpt_tos for m in smtp.messages] == [["x@example.org"]]


def test_cli_notify_bad_input_french_errors(runner, db, etab, tmp_path):
    setup_eleves(db, etab)
    res = runner.invoke(args=["admints", "notify", "--uai", "0000000X", "--kind", "eleve",
                              "--out", str(tmp_path / "x.pdf")])
    assert res.exit_code == 1 and "Établissement inconnu" in res.output
    res = runner.invoke(args=["admints", "notify", "--uai", "0999001A", "--kind", "eleve",
                              "--division", "9Z", "--out", str(tmp_path / "x.pdf")])
    assert res.exit_code == 1 and "Division(s) inconnue(s) : 9Z" in res.output
    res = runner.invoke(args=["admints", "notify", "--uai", "0999001A", "--kind", "eleve",
                              "--mode", "courriel", "--out", str(tmp_path / "x.pdf")])
    assert res.exit_code == 1 and "papier uniquement" in res.output
    assert not (tmp_path / "x.pdf").exists()
    assert db.session.scalar(db.select(db.func.count(Compte.id)).where(
        Compte.etat == EtatCompte.NOTIFIE)) == 0


def test_r_acc_10_cli_purge_expired(runner, db, etab):
    e = factories.make_eleve(etab, "OLD", "Notif", etat=EtatCompte.NOTIFIE,
                             identifiant="notif.old",
                             date_notification=dt.datetime(2026, 6, 1, 9, 0))
    db.session.commit()
    old_id = e.compte_id
    res = runner.invoke(args=["admints", "purge-expired", "--today", "2026-11-28", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["expired"] == 1 and data["accounts"][0]["identifiant"] == "notif.old"
    res = runner.invoke(args=["admints", "purge-expired", "--today", "2026-11-28"])
    assert res.exit_code == 0 and "0 compte(s) expiré(s)" in res.stdout
    db.session.expire_all()
    assert db.session.get(Compte, old_id) is None
    assert db.session.get(Compte, e.compte_id).etat == EtatCompte.NON_NOTIFIE
