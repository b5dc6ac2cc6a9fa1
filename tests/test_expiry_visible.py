"""Expiry visible (R-ACC-10, guide §1.4 step 12, issue 12 point 4): « expire le JJ/MM/AAAA » on
the lists and « Gérer le compte », computed by ONE function (`lifecycle.expires_on`, the rule
`purge-expired` applies), the filter « Expire dans les 30 jours » in the one selection query
(count, select-all and CLI agree), and the daily expiry through `make purge-expired`."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest

from admints import clock
from admints.comptes import lifecycle, selection
from admints.comptes.selection import AccountFilters
from admints.extensions import db
from admints.models import Compte, EtatCompte, KindCompte

from . import factories as f
from .comptes_helpers import post_action
from .db_snapshot import db_snapshot

ROOT = Path(__file__).resolve().parent.parent
PARIS = clock.PARIS
TODAY = dt.date(2026, 12, 4)


def _utc(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def test_r_acc_10_expires_on_the_day_after_three_months():
    notified = _utc(dt.date(2026, 10, 5))
    assert lifecycle.expires_on(EtatCompte.NOTIFIE, notified) == dt.date(2027, 1, 6)
    assert lifecycle.expires_on(EtatCompte.EN_COURS_ACTIVATION, notified) == dt.date(2027, 1, 6)
    # 23:30 UTC on 30/11 is already 01/12 in Paris; 30/11 + 3 months is clamped to 28/02.
    assert lifecycle.expires_on(EtatCompte.NOTIFIE, dt.datetime(2026, 11, 30, 23, 30)) \
        == dt.date(2027, 3, 2)
    assert lifecycle.expires_on(EtatCompte.NOTIFIE, _utc(dt.date(2026, 11, 30))) \
        == dt.date(2027, 3, 1)
    for etat in (EtatCompte.NON_NOTIFIE, EtatCompte.UTILISE):
        assert lifecycle.expires_on(etat, notified) is None
    assert lifecycle.expires_on(EtatCompte.NOTIFIE, None) is None


def test_r_acc_10_expires_on_is_the_day_purge_expired_deletes():
    """The date shown and the rule applied are one: expired from that day, not the day before."""
    start = dt.date(2026, 8, 25)
    for offset in range(0, 400, 3):
        for hour in (0, 12, 22, 23):
            compte = Compte(etat=EtatCompte.NOTIFIE,
                            date_notification=_utc(start + dt.timedelta(days=offset), hour))
            due = lifecycle.expires_on(compte.etat, compte.date_notification)
            assert lifecycle.expiry_reason(compte, due - dt.timedelta(days=1)) is None
            assert lifecycle.expiry_reason(compte, due) is not None


def test_r_acc_10_sql_cutoff_agrees_with_expires_on():
    """`notified_before_expiry_by` (the filter's SQL bound) selects exactly the accounts whose
    `expires_on` is on or before the day, across month ends and daylight-saving changes."""
    stamps = [dt.datetime(2026, 9, 1) + dt.timedelta(hours=7 * i) for i in range(1600)]
    for last_day in (dt.date(2027, 1, 3), dt.date(2027, 2, 28), dt.date(2027, 3, 1),
                     dt.date(2027, 3, 31), dt.date(2027, 4, 1), dt.date(2027, 5, 31),
                     dt.date(2027, 11, 1)):
        cutoff = lifecycle.notified_before_expiry_by(last_day)
        for stamp in stamps:
            due = lifecycle.expires_on(EtatCompte.NOTIFIE, stamp)
            assert (stamp < cutoff) == (due <= last_day), (last_day, stamp, due)


def _population(etab):
    """Six pupils: two expiring within 30 days of TODAY (one already due), one later, one
    Utilisé, one Non notifié, one En cours (not a pupil state, guards the filter's states)."""
    div = f.make_division(etab, "6A")
    spec = [("SOON", EtatCompte.NOTIFIE, dt.date(2026, 9, 20)),     # expires 21/12/2026
            ("DUE", EtatCompte.NOTIFIE, dt.date(2026, 8, 30)),      # expired 01/12/2026
            ("LATER", EtatCompte.NOTIFIE, dt.date(2026, 11, 2)),    # expires 03/02/2027
            ("USED", EtatCompte.UTILISE, dt.date(2026, 9, 20)),
            ("NEW", EtatCompte.NON_NOTIFIE, None),
            ("EDGE", EtatCompte.NOTIFIE, dt.date(2026, 10, 2))]     # expires 03/01/2027
    eleves = {}
    for nom, etat, notified in spec:
        eleves[nom] = f.make_eleve(etab, nom, "Test", division=div, etat=etat,
                                   identifiant=f"{nom.lower()}.test",
                                   date_notification=_utc(notified) if notified else None)
    db.session.commit()
    return eleves


def test_r_acc_10_filter_in_the_selection_query(db, etab):
    e = _population(etab)
    filters = AccountFilters(expire_le=TODAY + dt.timedelta(days=30))  # 03/01/2027
    ids = set(selection.compte_ids(selection.select_accounts(etab.id, KindCompte.ELEVE,
                                                             filters)))
    assert ids == {e["SOON"].compte_id, e["DUE"].compte_id, e["EDGE"].compte_id}
    # Twice in a URL: the nearer day applies.
    both = AccountFilters.of([("expire_le", TODAY + dt.timedelta(days=30)),
                              ("expire_le", TODAY + dt.timedelta(days=20))])
    assert both.expire_le == TODAY + dt.timedelta(days=20)
    assert set(selection.compte_ids(selection.select_accounts(etab.id, KindCompte.ELEVE,
                                                              both))) \
        == {e["SOON"].compte_id, e["DUE"].compte_id}


@pytest.fixture
def paris_today(set_clock):
    set_clock(dt.datetime(2026, 12, 4, 9, 0, tzinfo=PARIS))


def test_r_acc_10_lists_show_expiry_and_filter_count_select_all_agree(client, auth, etab,
                                                                      paris_today):
    e = _population(etab)
    auth.login("chef.0999001a")
    html = client.get("/eleves/").get_data(as_text=True)
    assert "expire le 21/12/2026" in html and "expire le 03/02/2027" in html
    assert html.count("expire le") == 4  # SOON, DUE, LATER, EDGE; not USED nor NEW
    assert "Expire dans les 30 jours" in html
    html = client.get("/eleves/?flt0_expire=1").get_data(as_text=True)
    assert "sur 3" in html and "LATER" not in html and "USED" not in html
    # « Sélectionner les M comptes correspondant aux filtres » acts on those three.
    resp = post_action(client, "/eleves/", "notifier", query="flt0_expire=1", select_all=True)
    assert "<strong>3</strong> compte(s)" in resp.get_data(as_text=True)
    resp = post_action(client, "/eleves/", "notifier", query="flt0_expire=1", select_all=True,
                       confirme="1", mode="papier")
    assert resp.status_code == 302
    db.session.expire_all()
    renotified = {n for n, el in e.items()
                  if (db.session.get(Compte, el.compte_id).date_notification
                      or dt.datetime.min).date() == TODAY}
    assert renotified == {"SOON", "DUE", "EDGE"}


def test_r_acc_10_guardian_list_filter_and_gerer_le_compte(client, auth, etab, paris_today):
    div = f.make_division(etab, "6B")
    el = f.make_eleve(etab, "ENFANT", "Un", division=div)
    resp = f.make_responsable(etab, "PARENT", "Une")
    lien = f.link(el, resp, 1, etat=EtatCompte.EN_COURS_ACTIVATION,
                  date_notification=_utc(dt.date(2026, 9, 20)))
    autre = f.link(f.make_eleve(etab, "AUTRE", "Deux", division=div),
                   f.make_responsable(etab, "LOIN", "Trois"), 1, etat=EtatCompte.NOTIFIE,
                   date_notification=_utc(dt.date(2026, 11, 20)))
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get("/responsables/?flt0_expire=1").get_data(as_text=True)
    assert "sur 1" in html and "PARENT" in html and "LOIN" not in html
    html = client.get(f"/responsables/compte/{lien.id}/").get_data(as_text=True)
    assert 'data-testid="expire-le">expire le 21/12/2026<' in html
    html = client.get(f"/responsables/compte/{autre.id}/").get_data(as_text=True)
    assert "expire le 21/02/2027" in html


@pytest.mark.parametrize("value", ["0", "oui", "30", "<script>", "1" * 500, "%00"])
def test_r_acc_10_hostile_expiry_filter_values_ignored(client, auth, etab, paris_today, value):
    _population(etab)
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    resp = client.get("/eleves/", query_string={"flt0_expire": value})
    assert resp.status_code == 200
    assert "sur 6" in resp.get_data(as_text=True)  # an invalid value filters nothing
    assert db_snapshot(db) == before


def test_r_acc_10_cli_notify_expire_dans_selects_the_same(runner, db, etab, tmp_path):
    e = _population(etab)
    res = runner.invoke(args=["admints", "notify", "--uai", etab.uai, "--kind", "eleve",
                              "--expire-dans", "30", "--today", TODAY.isoformat(),
                              "--out", str(tmp_path / "n.pdf"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout.strip().splitlines()[-1])["total"] == 3
    res = runner.invoke(args=["admints", "notify", "--uai", etab.uai, "--kind", "eleve",
                              "--expire-dans", "-1", "--out", str(tmp_path / "x.pdf")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    db.session.expire_all()
    assert db.session.get(Compte, e["LATER"].compte_id).date_notification.date() \
        == dt.date(2026, 11, 2)


def test_r_acc_10_make_purge_expired_runs_the_daily_expiry(app, db, etab):
    """The documented cron entry (README « Daily expiry »): `make purge-expired`, a real
    subprocess on the test's database."""
    e = _population(etab)
    due_id = e["DUE"].compte_id
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY=app.config["SECRET_KEY"], DATA_KEYS=app.config["DATA_KEYS"],
               OUTPUT_DIR=app.config["OUTPUT_DIR"])
    proc = subprocess.run(["make", "-s", "purge-expired",
                           f"PURGE_ARGS=--today {TODAY.isoformat()} --json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [a["identifiant"] for a in data["accounts"]] == ["due.test"]
    db.session.expire_all()
    assert db.session.get(Compte, due_id) is None
    fresh = db.session.get(Compte, e["DUE"].compte_id)  # the pupil's fresh account
    assert fresh.id != due_id and fresh.etat == EtatCompte.NON_NOTIFIE
    assert db.session.get(Compte, e["SOON"].compte_id).etat == EtatCompte.NOTIFIE
