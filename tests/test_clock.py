"""One clock (admints/clock.py): « today » is the date in Europe/Paris, timestamps are stored in
naive UTC, and R-ACC-10 expiry counts from the Paris day of the notification or the last use,
also in the hours when Paris is already on the next day (23:30 UTC on 31/12 is 00:30 on 01/01
in Paris, 22:30 UTC on 30/06 is 00:30 on 01/07)."""

from __future__ import annotations

import datetime as dt

import pytest

from admints import clock, secrets_store
from admints.comptes import lifecycle, portal
from admints.models import AuditEntry, EtatCompte
from admints.parametrage import versions

from . import factories
from .settings_helpers import post, text

UTC = dt.UTC
NEW_YEAR_EVE = dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 01/01/2027 00:30 in Paris


@pytest.mark.parametrize("moment, paris_day", [
    (NEW_YEAR_EVE, dt.date(2027, 1, 1)),  # winter: UTC+1
    (dt.datetime(2027, 6, 30, 22, 30, tzinfo=UTC), dt.date(2027, 7, 1)),  # summer: UTC+2
    (dt.datetime(2027, 6, 30, 21, 30, tzinfo=UTC), dt.date(2027, 6, 30)),
    (dt.datetime(2026, 12, 31, 22, 59, tzinfo=UTC), dt.date(2026, 12, 31)),
])
def test_r_acc_10_today_is_the_date_in_paris(set_clock, moment, paris_day):
    set_clock(moment)
    assert clock.today() == paris_day
    assert clock.now() == moment and clock.now().tzinfo == clock.PARIS
    assert clock.utcnow() == moment.replace(tzinfo=None)  # what the columns store
    assert clock.local_date(clock.utcnow()) == paris_day


def test_r_acc_10_clock_refuses_a_naive_moment_and_goes_back_to_the_system(set_clock):
    with pytest.raises(ValueError):
        set_clock(dt.datetime(2027, 1, 1))
    set_clock(NEW_YEAR_EVE)
    set_clock(None)
    real = dt.datetime.now(clock.PARIS)
    assert abs((clock.now() - real).total_seconds()) < 60
    assert clock.today() in (real.date(), (real + dt.timedelta(minutes=1)).date())


def test_r_acc_10_stamp_compares_paris_dates(set_clock):
    """`lifecycle.stamp` gives now for the Paris day, midnight for any other day: at 23:30 UTC
    on 31/12 the real day is 01/01, and 31/12 is already yesterday."""
    set_clock(NEW_YEAR_EVE)
    assert lifecycle.stamp(dt.date(2027, 1, 1)) == dt.datetime(2026, 12, 31, 23, 30)
    assert lifecycle.stamp(dt.date(2026, 12, 31)) == dt.datetime(2026, 12, 31, 0, 0)
    assert clock.local_date(lifecycle.stamp(dt.date(2026, 12, 31))) == dt.date(2026, 12, 31)


def test_r_acc_10_notified_at_half_past_midnight_in_paris_expires_from_that_day(db, etab,
                                                                               set_clock):
    """Notified at 00:30 on 01/01/2027 in Paris (23:30 UTC the day before): three months run
    from 01/01, so the account is kept on 01/04 and expires on 02/04."""
    set_clock(NEW_YEAR_EVE)
    eleve = factories.make_eleve(etab)
    prepared = lifecycle.prepare_notification(eleve.compte)
    lifecycle.apply_notification(eleve.compte, prepared, mode="courrier", today=clock.today())
    db.session.flush()
    assert eleve.compte.date_notification == dt.datetime(2026, 12, 31, 23, 30)  # UTC, stored
    set_clock(dt.datetime(2027, 4, 1, 12, 0, tzinfo=UTC))
    assert lifecycle.expiry_reason(eleve.compte, dt.date(2027, 4, 1)) is None
    assert lifecycle.purge_expired(today=clock.today()) == []
    set_clock(dt.datetime(2027, 4, 2, 12, 0, tzinfo=UTC))
    done = lifecycle.purge_expired(today=clock.today())
    assert [d["reason"] for d in done] == ["non activé 3 mois après sa notification"]


def test_r_acc_10_last_use_late_in_the_evening_counts_on_its_paris_day(db, etab, set_clock):
    """Last used at 00:30 on 01/01/2028 in Paris (stored 23:30 UTC on 31/12/2027): a year runs
    from 01/01/2028, so the account is kept on 01/01/2029 and expires on 02/01/2029."""
    eleve = factories.make_eleve(etab, etat=EtatCompte.UTILISE, mot_de_passe_hash="h")
    eleve.compte.derniere_connexion = dt.datetime(2027, 12, 31, 23, 30)
    db.session.flush()
    assert lifecycle.expiry_reason(eleve.compte, dt.date(2029, 1, 1)) is None
    assert lifecycle.purge_expired(today=dt.date(2029, 1, 1)) == []
    assert lifecycle.expiry_reason(eleve.compte, dt.date(2029, 1, 2)) == "non utilisé depuis un an"
    assert len(lifecycle.purge_expired(today=dt.date(2029, 1, 2))) == 1


def test_r_acc_10_first_login_after_midnight_in_paris_is_stamped_now(db, etab, set_clock):
    """The portal passes the Paris day: the activation keeps the real time, not a midnight."""
    set_clock(NEW_YEAR_EVE)
    eleve = factories.make_eleve(etab, etat=EtatCompte.NOTIFIE)
    eleve.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("ABCD2345")
    portal.activate_eleve(eleve.compte, password="ABCD2345", birth_date=eleve.date_naissance,
                            new_password="Gravier-Hibou-Lanterne-42", today=clock.today())
    assert eleve.compte.date_activation == dt.datetime(2026, 12, 31, 23, 30)


def test_r_acc_10_cli_purge_uses_the_paris_day(runner, db, etab, set_clock):
    set_clock(NEW_YEAR_EVE)
    result = runner.invoke(args=["admints", "purge-expired"])
    assert result.exit_code == 0, result.output
    assert "au 01/01/2027" in result.output


def test_r_acc_10_column_defaults_come_from_the_clock(db, etab, set_clock):
    set_clock(NEW_YEAR_EVE)
    entry = AuditEntry(action="test.horloge", login="test")
    db.session.add(entry)
    db.session.flush()
    assert entry.at == dt.datetime(2026, 12, 31, 23, 30)


def test_r_par_1_screens_use_the_paris_day(client, auth, etab, set_clock):
    """A view asks the clock: at 23:30 UTC on 31/12 a welcome message saved now is in force
    from 01/01/2027, the day it is in Paris."""
    set_clock(NEW_YEAR_EVE)
    auth.login("chef.0999001a")
    resp = post(client, auth, "/parametrage/message/", {"message": "Bonne année"},
                follow_redirects=True)
    assert "visible par les familles à partir du 01/01/2027" in text(resp)
    assert versions.get(etab.id, "message_accueil", dt.date(2027, 1, 1)) == "Bonne année"
