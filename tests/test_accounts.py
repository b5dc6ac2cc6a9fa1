"""Account rules of one account (admints/comptes/lifecycle.py): R-ACC-3, R-ACC-8, R-ACC-10, R-POR-1,
the email format check of R-ACC-4, and the CSV exports (R-ACC-11, formula injection)."""

from __future__ import annotations

import datetime as dt

import pytest

from admints import secrets_store
from admints.comptes import bulk, class_lists, exports, lifecycle, portal
from admints.email_syntax import email_status, is_valid_email
from admints.errors import DomainError
from admints.models import AuditEntry, Compte, Eleve, EtatCompte, ResponsableEleve

from . import factories

TODAY = dt.date(2026, 11, 28)
NEW_PASSWORD = "Gravier-Hibou-Lanterne-42"  # meets the password rule (password_policy)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day)


# ---------------------------------------------------------------- R-ACC-3 notification

def test_r_acc_3_prepare_keeps_notifie_password_and_generates_for_new(db, etab):
    e1 = factories.make_eleve(etab, etat=EtatCompte.NOTIFIE)
    e1.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("ABCD2345")
    e2 = factories.make_eleve(etab)
    p1 = lifecycle.prepare_notification(e1.compte)
    p2 = lifecycle.prepare_notification(e2.compte)
    assert (p1.password, p1.new_password, p1.continuite) == ("ABCD2345", False, False)
    assert p2.new_password and len(p2.password) == 8 and not p2.continuite
    # Preparing changes nothing.
    assert e2.compte.mot_de_passe_provisoire_chiffre is None
    assert e2.compte.etat == EtatCompte.NON_NOTIFIE
    lifecycle.apply_notification(e2.compte, p2, mode="courrier", today=TODAY)
    assert e2.compte.etat == EtatCompte.NOTIFIE
    assert secrets_store.decrypt_secret(e2.compte.mot_de_passe_provisoire_chiffre) == p2.password
    assert e2.compte.date_notification.date() == TODAY
    assert e2.compte.mode_notification == "courrier"


def test_r_acc_3_utilise_identifier_only_unless_reset(db, etab):
    e = factories.make_eleve(etab, etat=EtatCompte.UTILISE, mot_de_passe_hash="h")
    plain = lifecycle.prepare_notification(e.compte)
    assert plain.password is None and plain.continuite
    lifecycle.apply_notification(e.compte, plain, mode="courrier", today=TODAY)
    assert e.compte.etat == EtatCompte.UTILISE and e.compte.mot_de_passe_hash == "h"
    reset = lifecycle.prepare_notification(e.compte, reset=True)
    assert reset.password and reset.new_password
    lifecycle.apply_notification(e.compte, reset, mode="courrier", today=TODAY)
    assert e.compte.etat == EtatCompte.NOTIFIE and e.compte.mot_de_passe_hash is None


def test_r_acc_3_en_cours_activation_gets_new_password(db, etab):
    resp = factories.make_responsable(etab)
    lien = factories.link(factories.make_eleve(etab), resp, 1,
                          etat=EtatCompte.EN_COURS_ACTIVATION)
    lien.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("OLDP2345")
    p = lifecycle.prepare_notification(lien.compte)
    assert p.new_password and p.password != "OLDP2345"


def test_r_acc_3_bad_mode_and_closed_account_refused(db, etab):
    e = factories.make_eleve(etab)
    p = lifecycle.prepare_notification(e.compte)
    with pytest.raises(DomainError, match="Mode"):
        lifecycle.apply_notification(e.compte, p, mode="pigeon", today=TODAY)
    e.compte.ferme_le = at("2026-11-01")
    with pytest.raises(DomainError, match="fermé"):
        lifecycle.prepare_notification(e.compte)


def test_r_sec_2_temporary_password_never_for_utilise(db, etab):
    e = factories.make_eleve(etab, etat=EtatCompte.UTILISE)
    e.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("ABCD2345")
    assert lifecycle.temporary_password(e.compte) is None


def test_reset_password_back_to_non_notifie_and_audited(db, etab):
    e = factories.make_eleve(etab, etat=EtatCompte.UTILISE, mot_de_passe_hash="h")
    n = bulk.reset_passwords(etab.id, "eleve", [e.compte_id], today=TODAY)
    db.session.commit()
    compte = db.session.get(Compte, e.compte_id)
    assert n == 1 and compte.etat == EtatCompte.NON_NOTIFIE and compte.mot_de_passe_hash is None
    assert len(secrets_store.decrypt_secret(compte.mot_de_passe_provisoire_chiffre)) == 8
    assert db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "eleve.reinitialiser")).rows == [e.compte_id]


def test_r_sec_1_reset_passwords_ignores_other_establishment(db, etab, other_etab):
    theirs = factories.make_eleve(other_etab, etat=EtatCompte.UTILISE)
    assert bulk.reset_passwords(etab.id, "eleve", [theirs.compte_id], today=TODAY) == 0
    assert theirs.compte.etat == EtatCompte.UTILISE


# ---------------------------------------------------------------- R-ACC-8 new account

def test_r_acc_8_new_eleve_account_old_deleted(db, etab):
    factories.make_compte(etab, "eleve", identifiant="zoe.oedipe")
    e = factories.make_eleve(etab, "ŒDIPE", "Zoë", etat=EtatCompte.UTILISE, identifiant="x.y")
    old_id = e.compte_id
    new = lifecycle.create_new_account(e.compte, today=TODAY)
    db.session.commit()
    assert new.identifiant == "zoe.oedipe2" and new.etat == EtatCompte.NON_NOTIFIE
    assert db.session.get(Compte, old_id) is None
    assert db.session.get(Eleve, e.id).compte_id == new.id
    assert lifecycle.temporary_password(new)


def test_r_acc_8_new_responsable_account_old_closed_when_other_child(db, etab):
    resp = factories.make_responsable(etab, "MARTIN", "Anne-Sophie")
    l1 = factories.link(factories.make_eleve(etab, prenom="A"), resp, 1,
                        identifiant="anne-sophie.martin")
    l2 = factories.link(factories.make_eleve(etab, prenom="B"), resp, 1, compte=l1.compte)
    old = l1.compte
    new = lifecycle.create_new_account(old, lien=l1, today=TODAY)
    db.session.commit()
    assert new.identifiant == "anne-sophie.martin2"
    assert db.session.get(ResponsableEleve, l1.id).compte_id == new.id
    assert db.session.get(ResponsableEleve, l2.id).compte_id == old.id
    old = db.session.get(Compte, old.id)
    assert old.ferme_le is not None and old.remplace_par_id == new.id
    # Alone now: a second new account deletes it.
    newer = lifecycle.create_new_account(old, lien=db.session.get(ResponsableEleve, l2.id),
                                        today=TODAY)
    db.session.commit()
    assert db.session.get(Compte, old.id) is None and newer.identifiant == "anne-sophie.martin3"
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "compte.nouveau"))


def test_r_acc_8_new_account_refuses_wrong_pair(db, etab):
    resp = factories.make_responsable(etab)
    l1 = factories.link(factories.make_eleve(etab), resp, 1)
    l2 = factories.link(factories.make_eleve(etab), resp, 2)
    with pytest.raises(DomainError, match="ne correspond pas"):
        lifecycle.create_new_account(l1.compte, lien=l2, today=TODAY)


# ---------------------------------------------------------------- R-ACC-10 expiry

def test_r_acc_10_not_activated_three_months_after_notification(db, etab):
    e = factories.make_eleve(etab, "PETIT", "Jean", etat=EtatCompte.NOTIFIE,
                             date_notification=at("2026-08-28 10:00"), identifiant="jean.petit")
    assert lifecycle.expiry_reason(e.compte, dt.date(2026, 11, 28)) is None  # the anniversary
    done = lifecycle.purge_expired(today=dt.date(2026, 11, 29))
    db.session.commit()
    assert [d["identifiant"] for d in done] == ["jean.petit"]
    eleve = db.session.get(Eleve, e.id)
    assert eleve.compte.etat == EtatCompte.NON_NOTIFIE and eleve.compte.identifiant == "jean.petit"
    assert eleve.compte.mot_de_passe_provisoire_chiffre is None
    assert lifecycle.purge_expired(today=dt.date(2026, 11, 29)) == []  # safe daily


def test_r_acc_10_unused_for_a_year_and_fresh_accounts_kept(db, etab):
    resp = factories.make_responsable(etab)
    old = factories.link(factories.make_eleve(etab), resp, 1, etat=EtatCompte.UTILISE,
                         derniere_connexion=at("2025-11-27 08:00"))
    recent = factories.link(factories.make_eleve(etab), resp, 2, etat=EtatCompte.UTILISE,
                            derniere_connexion=at("2026-01-10 08:00"))
    never = factories.make_eleve(etab, etat=EtatCompte.NON_NOTIFIE)
    done = lifecycle.purge_expired(today=TODAY)
    db.session.commit()
    assert [d["reason"] for d in done] == ["non utilisé depuis un an"]
    assert db.session.get(ResponsableEleve, old.id).compte.etat == EtatCompte.NON_NOTIFIE
    assert db.session.get(ResponsableEleve, recent.id).compte.etat == EtatCompte.UTILISE
    assert db.session.get(Eleve, never.id).compte.etat == EtatCompte.NON_NOTIFIE
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "compte.expire"))


def test_r_acc_10_add_months_end_of_month():
    assert lifecycle.add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert lifecycle.add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)


# ---------------------------------------------------------------- R-POR-1 portal side

def test_r_por_1_eleve_activation(db, etab):
    e = factories.make_eleve(etab, etat=EtatCompte.NOTIFIE, naissance=dt.date(2014, 3, 1))
    e.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("ABCD2345")
    with pytest.raises(portal.WrongBirthDate, match="naissance"):
        portal.activate_eleve(e.compte, password="ABCD2345", birth_date=dt.date(2014, 3, 2),
                                new_password=NEW_PASSWORD, today=TODAY)
    with pytest.raises(DomainError, match="incorrect"):
        portal.activate_eleve(e.compte, password="WRONG234", birth_date=dt.date(2014, 3, 1),
                                new_password=NEW_PASSWORD, today=TODAY)
    with pytest.raises(DomainError, match="12 caractères"):  # the password rule
        portal.activate_eleve(e.compte, password="ABCD2345", birth_date=dt.date(2014, 3, 1),
                                new_password="nouveau", today=TODAY)
    portal.activate_eleve(e.compte, password="ABCD2345", birth_date=dt.date(2014, 3, 1),
                            new_password=NEW_PASSWORD, today=TODAY)
    assert e.compte.etat == EtatCompte.UTILISE and e.compte.mot_de_passe_provisoire_chiffre is None
    assert secrets_store.verify_password(e.compte.mot_de_passe_hash, NEW_PASSWORD)


def test_r_por_1_responsable_activation_then_email_link(db, etab):
    lien = factories.link(factories.make_eleve(etab), factories.make_responsable(etab), 1,
                          etat=EtatCompte.NOTIFIE)
    compte = lien.compte
    compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("ABCD2345")
    with pytest.raises(DomainError, match="invalide"):
        portal.activate_responsable(compte, password="ABCD2345", birth_date=dt.date(2014, 3, 1),
                                    new_password=NEW_PASSWORD, email="pas-une-adresse",
                                    today=TODAY)
    with pytest.raises(portal.WrongBirthDate):  # a child's birth date
        portal.activate_responsable(compte, password="ABCD2345", birth_date=dt.date(1980, 3, 1),
                                    new_password=NEW_PASSWORD, email="a@b.fr", today=TODAY)
    token = portal.activate_responsable(compte, password="ABCD2345",
                                        birth_date=dt.date(2014, 3, 1),
                                        new_password=NEW_PASSWORD, email="a@b.fr", today=TODAY)
    assert compte.etat == EtatCompte.EN_COURS_ACTIVATION and not compte.email_valide
    with pytest.raises(DomainError, match="pas valide"):
        portal.validate_email(token + "x", today=TODAY)
    portal.validate_email(token, today=TODAY)
    assert compte.etat == EtatCompte.UTILISE and compte.email_valide
    assert compte.mot_de_passe_provisoire_chiffre is None
    with pytest.raises(portal.LinkUsed, match="déjà servi"):
        portal.validate_email(token, today=TODAY)


def test_r_acc_8_set_account_email_only_en_cours(db, etab):
    lien = factories.link(factories.make_eleve(etab), factories.make_responsable(etab), 1,
                          etat=EtatCompte.NOTIFIE)
    with pytest.raises(DomainError, match="En cours d'activation"):
        portal.set_account_email(lien.compte, "a@b.fr", today=TODAY)
    lien.compte.etat = EtatCompte.EN_COURS_ACTIVATION
    with pytest.raises(DomainError, match="invalide"):
        portal.set_account_email(lien.compte, "a@b", today=TODAY)
    portal.set_account_email(lien.compte, " new@example.org ", today=TODAY)
    assert lien.compte.email == "new@example.org"


# ---------------------------------------------------------------- R-ACC-4 email format

@pytest.mark.parametrize("address,ok", [
    ("marie.dupont@example.org", True), ("a+b@sub.ac-lille.fr", True),
    ("jean@", False), ("marie.dupont@gmail", False), ("a b@x.fr", False), ("", False),
    (None, False), ("x@-bad.fr", False), ("@x.fr", False),
])
def test_r_acc_4_email_format(address, ok):
    assert is_valid_email(address) is ok


def test_r_acc_4_email_status():
    assert [email_status(a) for a in (None, "x@", "x@y.fr")] == ["absent", "invalide", "valide"]


# ---------------------------------------------------------------- exports

def test_csv_neutralises_formulas_and_has_bom(db, etab):
    div = factories.make_division(etab, "=cmd")
    e = factories.make_eleve(etab, "=HYPERLINK(\"http://x\")", "+1", division=div)
    text = exports.export_csv(etab.id, "eleve", [e.compte_id])
    assert text.startswith("\ufeff")
    assert "'=HYPERLINK" in text and ";'+1;" in text and "'=cmd" in text
    assert all(not cell.startswith(("=", "+", "-", "@"))
               for line in text.lstrip("\ufeff").splitlines() for cell in line.split(";"))


def test_r_sec_1_export_csv_scoped(db, etab, other_etab):
    theirs = factories.make_eleve(other_etab, "SECRET", "Autre")
    assert "SECRET" not in exports.export_csv(etab.id, "eleve", [theirs.compte_id])


def test_r_acc_11_class_list_masking(db, etab):
    div = factories.make_division(etab, "4C")
    used = factories.make_eleve(etab, "BETA", "B", division=div, etat=EtatCompte.UTILISE,
                                identifiant="b.beta")
    used.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("LEAK2345")
    notified = factories.make_eleve(etab, "ALPHA", "A", division=div, etat=EtatCompte.NOTIFIE,
                                    identifiant="a.alpha")
    notified.compte.mot_de_passe_provisoire_chiffre = secrets_store.encrypt_secret("SHOW2345")
    factories.make_eleve(etab, "GAMMA", "G", division=div)
    rows = class_lists.class_list_rows(etab.id, division_id=div.id)
    assert [r.nom for r in rows] == ["ALPHA", "BETA", "GAMMA"]
    text = exports.class_list_csv(rows)
    assert "SHOW2345" in text and "LEAK2345" not in text and "*****" in text
    assert "Compte à notifier" in text
    with pytest.raises(DomainError):
        class_lists.class_list_rows(etab.id)


def test_r_sec_1_class_list_of_other_establishment_refused(db, etab, other_etab):
    div = factories.make_division(other_etab, "3Z")
    with pytest.raises(DomainError, match="inconnue"):
        class_lists.class_list_rows(etab.id, division_id=div.id)


def test_r_acc_11_only_groups_with_pupils(db, etab):
    g1, g2 = factories.make_groupe(etab, "G-LATIN"), factories.make_groupe(etab, "G-GREC")
    e = factories.make_eleve(etab)
    e.groupes.append(g1)
    db.session.flush()
    assert [g.code for g in exports.groupes_with_pupils(etab.id)] == ["G-LATIN"]
    assert exports.groupes_with_pupils(etab.id, "grec") == []
    assert [r.nom for r in class_lists.class_list_rows(etab.id, groupe_id=g1.id)] == [e.nom]
    assert g2.id


def test_r_acc_10_month_end_boundary_through_sql_prefilter(db, etab):
    """Notified on 31 August: 3 months end on 30 November; deleted from 1 December."""
    # stored in UTC: 21:30 UTC is 23:30 on 31 August in Paris (summer time)
    factories.make_eleve(etab, "FIN", "Mois", etat=EtatCompte.NOTIFIE,
                         date_notification=at("2026-08-31 21:30"), identifiant="mois.fin")
    factories.make_eleve(etab, "AN", "Un", etat=EtatCompte.UTILISE,
                         date_activation=at("2025-12-01 08:00"), identifiant="un.an")
    assert lifecycle.purge_expired(today=dt.date(2026, 11, 30)) == []
    assert [d["identifiant"] for d in lifecycle.purge_expired(today=dt.date(2026, 12, 1))] == \
        ["mois.fin"]
    assert [d["identifiant"] for d in lifecycle.purge_expired(today=dt.date(2026, 12, 2))] == \
        ["un.an"]
