"""Account rules of issue 12 point 5: « Créer un nouveau compte » leaves the new account
*Notifié* when its letter or email is produced in the same step (R-ACC-8, guide §1.5.2), else
says what remains; the élève state filter has no *En cours d'activation* (R-ACC-1, guide §5.2
note 2); a guardian account shared by siblings shows each child on « Gérer le compte » and gets
ONE letter (or email) naming every child (R-ACC-3, docs/REGLES.md « accounts of siblings may
be grouped on one account »)."""

from __future__ import annotations

import datetime as dt

import pytest

from admints.comptes import notification, notification_jobs
from admints.errors import DomainError
from admints.extensions import db
from admints.models import Compte, Eleve, EtatCompte, KindCompte, ResponsableEleve

from . import factories as f
from .comptes_helpers import csrf_of, pdf_text, school
from .db_snapshot import db_snapshot

TODAY = dt.date(2026, 10, 5)


def _new(client, base, row_id, **data):
    page = f"{base}compte/{row_id}/"
    token = csrf_of(client, page)
    return client.post(f"{page}nouveau/", data={"csrf_token": token, "confirme": "1", **data})


def test_r_acc_8_new_account_with_its_letter_is_notifie(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    e = s["eleves"][0]
    old = e.compte_id
    auth.login("chef.0999001a")
    page = client.post(f"/eleves/compte/{e.id}/nouveau/",
                       data={"csrf_token": csrf_of(client, f"/eleves/compte/{e.id}/")})
    html = page.get_data(as_text=True)
    assert 'value="papier" checked' in html and "Notifier plus tard" in html
    resp = _new(client, "/eleves/", e.id, notification="papier")
    assert resp.status_code == 302 and "/taches/" in resp.headers["Location"]
    db.session.expire_all()
    new = db.session.get(Eleve, e.id).compte
    assert new.id != old and db.session.get(Compte, old) is None
    assert new.etat == EtatCompte.NOTIFIE and new.date_notification is not None
    job_page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Nouveau compte créé et notifié" in job_page and "Notifié" in job_page
    pdf = client.get(resp.headers["Location"] + "pdf")
    pages, text = pdf_text(pdf.data)
    assert pages == 1 and new.identifiant in text


def test_r_acc_8_new_guardian_account_by_email_is_notifie(client, auth, etab, smtp):
    s = school(etab, n_6a=1, n_6b=0)
    lien = s["liens"][0]
    auth.login("chef.0999001a")
    resp = _new(client, "/responsables/", lien.id, notification="courriel")
    assert resp.status_code == 302
    db.session.expire_all()
    new = db.session.get(ResponsableEleve, lien.id).compte
    assert new.etat == EtatCompte.NOTIFIE and new.mode_notification == "courriel"
    [mail] = smtp.to("parent0.0999001a@example.org")
    assert new.identifiant in mail.text()


def test_r_acc_8_new_account_later_says_what_remains(client, auth, etab):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    e = s["eleves"][0]
    auth.login("chef.0999001a")
    resp = _new(client, "/eleves/", e.id, notification="")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"compte/{e.id}/")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "il reste à le notifier" in html
    db.session.expire_all()
    assert db.session.get(Eleve, e.id).compte.etat == EtatCompte.NON_NOTIFIE


def test_r_acc_8_new_account_email_failure_says_what_remains(app, db, etab, tmp_path):
    """« Courriel seul » for a guardian without address: created, not notified, said so."""
    e = f.make_eleve(etab, "SEUL", "Ana")
    lien = f.link(e, f.make_responsable(etab, "SANSMAIL", "Léa", email=None), 1)
    db.session.commit()
    done = notification_jobs.new_account(etab.id, lien.compte, lien=lien, mode="courriel",
                                         today=TODAY, by="chef", out_dir=tmp_path)
    db.session.commit()
    assert done.compte.etat == EtatCompte.NON_NOTIFIE
    assert "n'a pas pu être notifié" in done.remaining and "Renotifier" in done.remaining


@pytest.mark.parametrize("value", ["fax", "courriel", "<script>", "papier\x00", "x" * 300])
def test_r_acc_8_hostile_new_account_mode_refused_nothing_changed(client, auth, etab, value):
    """Pupils are notified on paper only; a guardian without address has no email mode."""
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    e = s["eleves"][0]
    lien = f.link(e, f.make_responsable(etab, "SANSMAIL", "Léa", email=None), 1)
    db.session.commit()
    auth.login("chef.0999001a")
    before = db_snapshot(db)
    for base, row_id in (("/eleves/", e.id), ("/responsables/", lien.id)):
        resp = _new(client, base, row_id, notification=value)
        if resp.status_code == 400:  # a NUL byte: refused before the view
            continue
        assert resp.status_code == 302
        assert "Mode de transmission invalide" in client.get(
            resp.headers["Location"]).get_data(as_text=True)
    assert db_snapshot(db) == before


def test_r_acc_8_new_account_domain_refuses_other_establishment(db, etab, other_etab,
                                                               tmp_path):
    o = school(other_etab, n_6a=1, n_6b=0, with_guardians=False)
    compte = db.session.get(Compte, o["eleves"][0].compte_id)
    with pytest.raises(DomainError):
        notification_jobs.new_account(etab.id, compte, mode="papier", today=TODAY, by="x",
                                      out_dir=tmp_path)


def test_r_acc_1_eleve_state_filter_has_no_en_cours_activation(client, auth, etab):
    school(etab, n_6a=1, n_6b=0)
    auth.login("chef.0999001a")
    eleves = client.get("/eleves/").get_data(as_text=True)
    responsables = client.get("/responsables/").get_data(as_text=True)
    assert 'value="en_cours_activation"' not in eleves and 'value="notifie"' in eleves
    assert 'value="en_cours_activation"' in responsables
    # A crafted URL asking for it on the pupils' list: no 500, no row.
    resp = client.get("/eleves/?flt0_etat=en_cours_activation")
    assert resp.status_code == 200 and "sur 0" in resp.get_data(as_text=True)


@pytest.fixture
def siblings(db, etab):
    """Marie DURAND, légal 1 of Jeanne (6A) and Paul (5B), with ONE shared account."""
    d6, d5 = f.make_division(etab, "6A"), f.make_division(etab, "5B")
    jeanne = f.make_eleve(etab, "DURAND", "Jeanne", division=d6)
    paul = f.make_eleve(etab, "DURAND", "Paul", division=d5)
    marie = f.make_responsable(etab, "DURAND", "Marie", email="marie.durand@example.org")
    first = f.link(jeanne, marie, 1, identifiant="marie.durand")
    second = f.link(paul, marie, 1, compte=first.compte)
    alone = f.link(f.make_eleve(etab, "MARTIN", "Luc", division=d6),
                   f.make_responsable(etab, "MARTIN", "Eve"), 1)
    db.session.commit()
    return first, second, alone


def test_r_acc_8_shared_guardian_account_shows_each_child(client, auth, siblings):
    first, second, alone = siblings
    auth.login("chef.0999001a")
    for lien in (first, second):
        html = client.get(f"/responsables/compte/{lien.id}/").get_data(as_text=True)
        block = html.split('data-testid="enfants-compte"')[1].split("</ul>")[0]
        assert "DURAND Paul (5B)" in block and "DURAND Jeanne (6A)" in block
    html = client.get(f"/responsables/compte/{alone.id}/").get_data(as_text=True)
    assert 'data-testid="enfants-compte"' not in html


def test_r_acc_3_one_letter_names_every_child_of_a_shared_account(db, etab, siblings,
                                                                  tmp_path):
    first, _second, alone = siblings
    out = tmp_path / "r.pdf"
    recap = notification.notify(etab.id, KindCompte.RESPONSABLE,
                                [first.compte_id, alone.compte_id], mode="papier",
                                today=TODAY, out_path=out)
    assert len(recap.notified) == 2
    pages, text = pdf_text(out.read_bytes())
    assert pages == 2  # one letter for the shared account, one for Luc's guardian
    flat = " ".join(text.split())
    assert "Paul DURAND et Jeanne DURAND" in flat  # the letters' order: division 5B first
    assert flat.count("marie.durand") == 1


def test_r_acc_3_one_email_names_every_child_of_a_shared_account(db, etab, siblings, smtp,
                                                                 tmp_path):
    first, _second, _alone = siblings
    notification.notify(etab.id, KindCompte.RESPONSABLE, [first.compte_id], mode="courriel",
                        today=TODAY, out_path=tmp_path / "r.pdf")
    [mail] = smtp.to("marie.durand@example.org")
    assert "Paul DURAND et Jeanne DURAND" in " ".join(mail.text().split())
