"""« Listes de classes » (R-ACC-11): by division or group (only groups with pupils, name
filter), masking of identifier and password by state, alphabetical PDF, neutralised CSV,
isolation."""

from __future__ import annotations

import datetime as dt
import json

from admints import secrets_store
from admints.extensions import db
from admints.models import AuditEntry, EtatCompte

from . import factories as f
from .comptes_helpers import pdf_text

BASE = "/eleves/listes/"


def _classe(etab):
    div = f.make_division(etab, "3B")
    latin = f.make_groupe(etab, "G-LATIN")
    f.make_groupe(etab, "G-VIDE")  # no pupil: never offered
    notifie = f.make_eleve(etab, nom="ÉMERY", prenom="Zoë", division=div,
                           etat=EtatCompte.NOTIFIE, identifiant="zoe.emery",
                           date_notification=dt.datetime(2026, 9, 5),
                           mot_de_passe_provisoire_chiffre=secrets_store.encrypt_secret("3QMS5X2P"))
    utilise = f.make_eleve(etab, nom="ADAM", prenom="Léo", division=div, etat=EtatCompte.UTILISE,
                           identifiant="leo.adam",
                           mot_de_passe_provisoire_chiffre=secrets_store.encrypt_secret("ZZZZ9999"))
    nouveau = f.make_eleve(etab, nom="=HYPERLINK(\"http://x\")", prenom="Max", division=div,
                           identifiant="max.hyper")
    notifie.groupes.append(latin)
    db.session.commit()
    return {"div": div, "latin": latin, "notifie": notifie, "utilise": utilise,
            "nouveau": nouveau}


def test_r_acc_11_division_list_masking(client, auth, etab):
    c = _classe(etab)
    auth.login("chef.0999001a")
    html = client.get(f"{BASE}?division={c['div'].id}").get_data(as_text=True)
    assert "Division 3B" in html and "(3 élève(s))" in html
    assert "3QMS5X2P" in html  # Notifié: temporary password re-printable
    assert "ZZZZ9999" not in html and "*****" in html  # Utilisé: never shown
    assert "Compte à notifier" in html and "max.hyper" not in html  # Non notifié
    # alphabetical: ADAM before ÉMERY (accents ignored)
    assert html.index("ADAM") < html.index("ÉMERY")


def test_r_acc_11_only_groups_with_pupils_and_name_filter(client, auth, etab):
    c = _classe(etab)
    f.make_groupe(etab, "G-ANGLAIS")
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get(BASE).get_data(as_text=True)
    assert "G-LATIN" in html and "G-VIDE" not in html and "G-ANGLAIS" not in html
    html = client.get(f"{BASE}?nom_groupe=lat").get_data(as_text=True)
    assert "G-LATIN" in html
    html = client.get(f"{BASE}?nom_groupe=zzz").get_data(as_text=True)
    assert "G-LATIN" not in html and "Aucun groupe comportant des élèves" in html
    html = client.get(f"{BASE}?groupe={c['latin'].id}").get_data(as_text=True)
    assert "Groupe G-LATIN" in html and "(1 élève(s))" in html and "ÉMERY" in html


def test_r_acc_11_pdf_alphabetical_and_audited(client, auth, etab):
    c = _classe(etab)
    auth.login("chef.0999001a")
    resp = client.get(f"{BASE}pdf?division={c['div'].id}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pages, text = pdf_text(resp.data)
    assert pages >= 1
    assert text.index("ADAM") < text.index("ÉMERY")
    assert "3QMS5X2P" in text and "ZZZZ9999" not in text and "Compte à notifier" in text
    assert db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "eleve.liste_classe_pdf")) is not None


def test_r_acc_11_csv_bom_and_neutralised(client, auth, etab):
    c = _classe(etab)
    auth.login("chef.0999001a")
    resp = client.get(f"{BASE}csv?division={c['div'].id}")
    body = resp.data.decode("utf-8")
    assert body.startswith("\ufeff")
    assert "'=HYPERLINK(" in body
    assert "\n=HYPERLINK" not in body and ";=HYPERLINK" not in body
    assert "ZZZZ9999" not in body and "*****" in body


def test_r_acc_11_bad_and_foreign_class_ids(client, auth, etab, other_etab):
    _classe(etab)
    autre_div = f.make_division(other_etab, "3Z")
    f.make_eleve(other_etab, nom="ETRANGER", division=autre_div)
    db.session.commit()
    auth.login("chef.0999001a")
    html = client.get(f"{BASE}?division={autre_div.id}").get_data(as_text=True)
    assert "Division inconnue" in html and "ETRANGER" not in html
    html = client.get(f"{BASE}?division=abc").get_data(as_text=True)
    assert "Classe inconnue" in html
    assert client.get(f"{BASE}pdf?division={autre_div.id}").status_code == 404
    assert client.get(f"{BASE}csv?division={autre_div.id}").status_code == 404
    assert client.get(f"{BASE}csv").status_code == 404


def test_r_acc_11_comptable_may_not_open_class_lists(client, auth, etab, db):
    c = _classe(etab)
    f.make_user("compta.0999001a", "comptable", etablissement=etab)
    db.session.commit()
    auth.login("compta.0999001a")
    assert client.get(f"{BASE}?division={c['div'].id}").status_code == 403


def test_r_acc_11_r_sec_3_class_list_operations_audit_themselves(app, etab, other_etab,
                                                                tmp_path):
    """R-ACC-11 / R-SEC-3: called directly (no view), the class is resolved against the
    establishment (never both a division and a group) and each file operation writes its
    own audit entry."""
    import pytest

    from admints.comptes import class_lists, exports
    from admints.errors import DomainError

    c = _classe(etab)
    foreign = f.make_division(other_etab, "3Z")
    db.session.commit()
    assert class_lists.resolve_class(etab.id, None, None) is None
    with pytest.raises(DomainError, match="pas les deux"):
        class_lists.resolve_class(etab.id, c["div"].id, c["latin"].id)
    with pytest.raises(DomainError, match="Division inconnue"):
        class_lists.resolve_class(etab.id, foreign.id, None)
    ref = class_lists.resolve_class(etab.id, c["div"].id, None)
    assert ref.title == "Division 3B"
    out_dir = tmp_path / "classes_direct"
    data = class_lists.class_list_pdf(etab.id, ref, out_dir=out_dir, today=dt.date(2026, 11, 28),
                                     by="chef.test")
    assert data.startswith(b"%PDF") and not list(out_dir.iterdir())  # nothing left on disk
    text = exports.class_list_csv_for(etab.id, class_lists.resolve_class(
        etab.id, None, c["latin"].id), by="chef.test")
    assert "zoe.emery" in text and "leo.adam" not in text
    csv_ids = [c["notifie"].compte_id]
    exports.export_accounts_csv(etab.id, "eleve", csv_ids, by="chef.test")
    entries = {e.action: e for e in db.session.scalars(db.select(AuditEntry))}
    assert json.loads(entries["eleve.liste_classe_pdf"].after) == {"eleves": 3}
    assert entries["eleve.liste_classe_csv"].target == "Groupe G-LATIN"
    assert entries["eleve.export_csv"].login == "chef.test"
    assert str(csv_ids[0]) in str(entries["eleve.export_csv"].rows)
