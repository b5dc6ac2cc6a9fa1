"""Audit trail (R-SEC-3): who, when (UTC), IP, establishment, action, target; the « Journal »
is read-only, filterable, sorted newest first, scoped to the establishment."""

from __future__ import annotations

import datetime as dt

import pytest

from admints import audit
from admints.clock import utcnow
from admints.models import AuditEntry, Etablissement, StaffUser

from . import factories
from .conftest import PASSWORD


def _entries(db, action=None):
    stmt = db.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return db.session.scalars(stmt).all()


def test_r_sec_3_login_writes_who_when_ip_where(client, auth, db, etab):
    start = utcnow()
    auth.login("chef.0999001a")
    (entry,) = _entries(db, "connexion")
    chef = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "chef.0999001a"))
    assert entry.login == "chef.0999001a" and entry.user_id == chef.id
    assert entry.ip == "127.0.0.1" and entry.etablissement_id == etab.id
    # Stored in UTC (naive): between the start of the test and now, both UTC.
    assert start - dt.timedelta(seconds=1) <= entry.at <= utcnow() + dt.timedelta(seconds=1)
    assert chef.last_login is not None


def test_r_sec_3_failed_login_is_audited_without_password(client, auth, db, etab):
    auth.login("chef.0999001a", "Mauvais-Secret-77")
    auth.login("inconnu.total", "Mauvais-Secret-78")
    known, unknown = _entries(db, "connexion.echec")
    assert known.login == "chef.0999001a" and known.etablissement_id == etab.id
    assert known.user_id is None and known.ip == "127.0.0.1"
    assert unknown.login == "inconnu.total" and unknown.etablissement_id is None
    for entry in _entries(db):
        assert "Mauvais-Secret" not in f"{entry.target}{entry.before}{entry.after}{entry.login}"


def test_r_sec_3_logout_and_switch_are_audited(client, auth, db, etab, other_etab):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    auth.login("academie.demo")
    token = auth.csrf("/")
    client.post("/etablissement", data={"etablissement_id": other_etab.id, "csrf_token": token})
    auth.logout()
    (switch,) = _entries(db, "etablissement.choix")
    assert switch.etablissement_id == other_etab.id and switch.login == "academie.demo"
    assert _entries(db, "deconnexion")[0].login == "academie.demo"


def test_record_outside_a_request_says_cli(app, db, etab):
    entry = audit.record("essai", etablissement_id=etab.id, target="x", before={"a": 1},
                         after="b" * 5000)
    db.session.commit()
    assert entry.login == "cli" and entry.ip is None
    assert entry.before == '{"a": 1}' and len(entry.after) == 2000 and entry.after.endswith("…")


# ------------------------------------------------------------------ the Journal screen

@pytest.fixture
def journal(db, etab, other_etab):
    base = dt.datetime(2026, 11, 20, 8, 0)
    rows = [
        ("connexion", "chef.0999001a", "chef.0999001a", etab, base),
        ("compte.notification", "delegue.a", "DUPONT Jeanne", etab, base + dt.timedelta(days=1)),
        ("parametre.modification", "chef.0999001a", "message_accueil", etab,
         base + dt.timedelta(days=3)),
        ("compte.notification", "chef.0999002b", "VOISINCIBLE", other_etab,
         base + dt.timedelta(days=2)),
    ]
    for action, login, target, e, at in rows:
        db.session.add(AuditEntry(action=action, login=login, target=target,
                                  etablissement_id=e.id, at=at, ip="10.1.2.3"))
    db.session.commit()


def _filter_arg(app, endpoint, label, operation):
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    for index, flt in enumerate(view._filters):
        if str(flt.name) == label and str(flt.operation()) == operation:
            return view.get_filter_arg(index, flt)
    raise AssertionError(f"no filter {label} / {operation}: "
                         f"{[(str(f.name), str(f.operation())) for f in view._filters]}")


def test_r_sec_3_journal_lists_own_entries_newest_first(client, auth, journal):
    auth.login("chef.0999001a")
    page = client.get("/journal/").get_data(as_text=True)
    assert "VOISINCIBLE" not in page
    # Stored in UTC, shown in Paris time (issue 12 point 9): 08:00 UTC is 09:00 in November.
    positions = [page.index(t) for t in ("message_accueil", "DUPONT Jeanne", "20/11/2026 09:00")]
    assert positions == sorted(positions)
    assert "Date et heure" in page and "(UTC)" not in page and "10.1.2.3" in page


def test_r_sec_3_journal_filters(app, client, auth, journal):
    auth.login("chef.0999001a")
    arg = _filter_arg(app, "journal", "Action", "contient")
    page = client.get(f"/journal/?flt0_{arg}=notification").get_data(as_text=True)
    assert "DUPONT Jeanne" in page and "message_accueil" not in page
    assert "VOISINCIBLE" not in page
    arg = _filter_arg(app, "journal", "Utilisateur", "vaut")
    page = client.get(f"/journal/?flt0_{arg}=delegue.a").get_data(as_text=True)
    assert "DUPONT Jeanne" in page and "message_accueil" not in page
    arg = _filter_arg(app, "journal", "Date", "entre (JJ/MM/AAAA au JJ/MM/AAAA)")
    page = client.get(f"/journal/?flt0_{arg}=21/11/2026 au 21/11/2026").get_data(as_text=True)
    assert "DUPONT Jeanne" in page and "message_accueil" not in page
    assert "20/11/2026 09:00" not in page
    arg = _filter_arg(app, "journal", "Cible", "contient")
    page = client.get(f"/journal/?flt0_{arg}=accueil").get_data(as_text=True)
    assert "message_accueil" in page and "DUPONT Jeanne" not in page
    # The action filter's options are this establishment's actions only.
    page = client.get("/journal/").get_data(as_text=True)
    assert "Paramétrage : modification" in page


def test_r_sec_3_journal_sortable_and_searchable(client, auth, journal):
    auth.login("chef.0999001a")
    page = client.get("/journal/?sort=0").get_data(as_text=True)  # by date, ascending
    assert page.index("20/11/2026 09:00") < page.index("message_accueil")
    page = client.get("/journal/?search=DUPONT").get_data(as_text=True)
    assert "DUPONT Jeanne" in page and "message_accueil" not in page


def test_r_sec_3_journal_is_read_only(client, auth, db, journal, etab):
    auth.login("chef.0999001a")
    token = auth.csrf("/")
    own = db.session.scalar(db.select(AuditEntry).where(AuditEntry.target == "DUPONT Jeanne"))
    count = db.session.scalar(db.select(db.func.count(AuditEntry.id)))
    before = (own.action, own.target, own.login, own.at)
    assert client.get("/journal/new/").status_code == 302
    client.post("/journal/new/", data={"action": "faux", "target": "FAUX", "csrf_token": token})
    assert client.get(f"/journal/edit/?id={own.id}").status_code == 302
    client.post(f"/journal/edit/?id={own.id}", data={"target": "MODIFIE", "csrf_token": token})
    client.post("/journal/delete/", data={"id": own.id, "csrf_token": token, "confirme": "1"})
    client.post("/journal/action/", data={"action": "delete", "rowid": own.id,
                                          "csrf_token": token, "confirme": "1"})
    db.session.expire_all()
    own = db.session.get(AuditEntry, own.id)
    assert own is not None and (own.action, own.target, own.login, own.at) == before
    assert not db.session.scalar(db.select(AuditEntry).where(AuditEntry.target == "FAUX"))
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == count
    page = client.get(f"/journal/details/?id={own.id}").get_data(as_text=True)
    assert "DUPONT Jeanne" in page


def test_r_sec_3_journal_details_of_another_establishment_refused(client, auth, db, journal):
    auth.login("chef.0999001a")
    other = db.session.scalar(db.select(AuditEntry).where(AuditEntry.target == "VOISINCIBLE"))
    response = client.get(f"/journal/details/?id={other.id}")
    assert response.status_code == 302
    assert "VOISINCIBLE" not in client.get("/journal/").get_data(as_text=True)


@pytest.mark.parametrize("login, status", [
    ("chef.0999001a", 200), ("assistance.0999001a", 403), ("delegue.tout", 403),
])
def test_journal_access_by_role(client, auth, db, etab, login, status):
    factories.make_user("delegue.tout", "delegue", etablissement=etab,
                        droits=["services", "parametrage", "responsables", "eleves",
                                "statistiques"])
    db.session.commit()
    auth.login(login)
    assert client.get("/journal/").status_code == status


def test_academie_journal_covers_its_establishments_only(client, auth, db, journal, etab):
    autre = factories.make_academie("autre", "Autre")
    lointain = factories.make_etablissement(uai="0999003C", nom="Lycée Lointain", academie=autre)
    db.session.add(AuditEntry(action="connexion", login="chef.0999003c", target="LOINTAIN",
                              etablissement_id=lointain.id))
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    auth.login("academie.demo", "Essai-Rate-01")
    auth.login("academie.autre", "Essai-Rate-02")  # unknown login here: nobody's entry
    auth.login("academie.demo")
    page = client.get("/journal-academique/").get_data(as_text=True)
    assert "Échec de connexion" in page and "academie.autre" not in page
    assert "VOISINCIBLE" in page and "DUPONT Jeanne" in page
    assert "LOINTAIN" not in page
    # Its own login (no establishment) is there too.
    assert "academie.demo" in page
    other = db.session.scalar(db.select(AuditEntry).where(AuditEntry.target == "LOINTAIN"))
    assert client.get(f"/journal-academique/details/?id={other.id}").status_code == 302
    # The chef has no académie journal.
    auth.logout()
    auth.login("chef.0999001a")
    assert client.get("/journal-academique/").status_code == 403


# ------------------------------------------------------------------ audited changes

def test_r_sec_3_user_changes_are_audited(client, auth, db, etab):
    auth.login("chef.0999001a")
    token = auth.csrf("/utilisateurs-etablissement/new/")
    response = client.post("/utilisateurs-etablissement/new/", data={
        "login": "delegue.ent", "nom": "Admin ENT", "role": "delegue",
        "droits": ["eleves", "responsables"], "password": "un-secret-assez-long",
        "confirmation": "un-secret-assez-long", "csrf_token": token})
    assert response.status_code == 302
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "delegue.ent"))
    assert user.etablissement_id == etab.id and user.droits == ["responsables", "eleves"]
    assert user.password_hash.startswith("$argon2id$")
    (created,) = _entries(db, "utilisateur.creation")
    assert created.login == "chef.0999001a" and created.target == "delegue.ent"
    client.post(f"/utilisateurs-etablissement/edit/?id={user.id}", data={
        "nom": "Admin ENT", "droits": ["eleves"], "actif": "y", "password": "",
        "confirmation": "", "csrf_token": token})
    db.session.refresh(user)
    assert user.droits == ["eleves"]
    (changed,) = _entries(db, "utilisateur.modification")
    assert "responsables" in changed.before and "responsables" not in changed.after
    for entry in _entries(db):
        assert "un-secret" not in f"{entry.before}{entry.after}{entry.target}"


def test_r_sec_3_etablissement_creation_is_audited(client, auth, db, etab):
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    auth.login("academie.demo")
    token = auth.csrf("/etablissements/new/")
    client.post("/etablissements/new/", data={
        "uai": "0999777h", "nom": "Collège Neuf", "type": "college", "annee_scolaire": "2026",
        "emails_texte": "ce.0999777h@ac-demo.fr", "csrf_token": token})
    new = db.session.scalar(db.select(Etablissement).where(Etablissement.uai == "0999777H"))
    assert new is not None and new.academie_id == etab.academie_id
    (entry,) = _entries(db, "etablissement.creation")
    assert entry.etablissement_id == new.id and entry.login == "academie.demo"
    assert PASSWORD not in (entry.after or "")


def test_r_sec_3_journal_export_is_scoped_and_neutralised(client, auth, db, journal, etab):
    """CSV export of the journal: this establishment's entries only, formulas neutralised."""
    db.session.add(AuditEntry(action="essai", login="chef.0999001a", target="=HYPERLINK(1)",
                              etablissement_id=etab.id))
    db.session.commit()
    auth.login("chef.0999001a")
    response = client.get("/journal/export/csv/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "DUPONT Jeanne" in text and "message_accueil" in text
    assert "VOISINCIBLE" not in text
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
    assert client.get("/journal-academique/export/csv/").status_code == 403


def test_r_sec_3_generic_changes_through_model_forms_are_audited(client, auth, db, etab):
    """TenantModelView audits create/edit/delete made through Flask-Admin's own forms."""
    from admints.models import LienUtile

    auth.login("chef.0999001a")
    token = auth.csrf("/parametrage/liens/new/")
    response = client.post("/parametrage/liens/new/", data={
        "libelle": "CDI du collège", "url": "https://cdi.example.org/", "csrf_token": token})
    assert response.status_code == 302
    lien = db.session.scalar(db.select(LienUtile).where(LienUtile.libelle == "CDI du collège"))
    assert lien.etablissement_id == etab.id
    created = _entries(db, "lien_utile.creation")
    assert created and created[0].etablissement_id == etab.id
    assert created[0].login == "chef.0999001a" and created[0].target == "CDI du collège"
    client.post("/parametrage/liens/delete/", data={"id": lien.id, "csrf_token": token,
                                                    "confirme": "1"})
    assert db.session.get(LienUtile, lien.id) is None
    deleted = _entries(db, "lien_utile.suppression")
    assert deleted and deleted[0].rows == [lien.id]
