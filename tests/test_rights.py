"""Rights inside an establishment (FEATURES §1, R-SEC-1, R-SEC-5; issue 9 point 3).

A notification document belongs to the menu of its kind (élèves / responsables) on every job URL
(page, state, PDF, deletion); the helpdesk reaches neither the establishment's mass letters nor
the class lists, only the letter of its own individual help, and has no « Nouveau compte ».
Every refusal is a 403 in French that changes nothing and leaves the PDF on disk.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from admints.models import Job

from . import factories
from .comptes_helpers import csrf_of, school
from .db_snapshot import db_snapshot

FORBIDDEN = "Vous n&#39;avez pas accès à cette page."
PDF_BYTES = b"%PDF-1.4\n% identifiants et mots de passe provisoires\n%%EOF\n"


@pytest.fixture
def staff(db, etab):
    factories.make_user("delegue.eleves", "delegue", etablissement=etab, droits=["eleves"])
    factories.make_user("delegue.resp", "delegue", etablissement=etab, droits=["responsables"])
    db.session.commit()


def make_job(app, db, etab, kind: str, *, created_by="chef.0999001a", comptes=3) -> Job:
    """A finished notification job of `kind` (eleve / responsable) with its PDF on disk."""
    out = Path(app.config["OUTPUT_DIR"]) / "jobs" / str(etab.id)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"notification_{kind}_{uuid.uuid4().hex}.pdf"
    path.write_bytes(PDF_BYTES)
    job = Job(etablissement_id=etab.id, kind=f"notification_{kind}", status="done",
              total=comptes, done=comptes, created_by=created_by, file_path=str(path),
              params={"kind": kind, "compte_ids": list(range(1, comptes + 1)), "mode": "papier"},
              result={"notified": comptes})
    db.session.add(job)
    db.session.commit()
    return job


def walk(client, job) -> dict[str, object]:
    """Every URL of a job: page, state, PDF (GET) and deletion (POST with a valid token)."""
    urls = {"page": f"/taches/{job.id}/", "etat": f"/taches/{job.id}/etat.json",
            "pdf": f"/taches/{job.id}/pdf"}
    answers = {name: client.get(url) for name, url in urls.items()}
    token = csrf_of(client, "/")
    answers["supprimer"] = client.post(f"/taches/{job.id}/supprimer/",
                                       data={"csrf_token": token, "confirme": "1"})
    return answers


REFUSED = [
    ("delegue.eleves", "responsable", {}),
    ("delegue.resp", "eleve", {}),
    ("assistance.0999001a", "eleve", {}),  # the establishment's mass letters
    ("assistance.0999001a", "responsable", {}),
    ("assistance.0999001a", "eleve", {"comptes": 1}),  # someone else's individual letter
]


@pytest.mark.parametrize("login, kind, options", REFUSED)
def test_r_sec_5_job_of_another_menu_refused_on_every_url(app, client, auth, db, etab, staff,
                                                          login, kind, options):
    """R-SEC-5 / FEATURES §1: 403 in French on page, state, PDF and deletion; nothing changed,
    the PDF still on disk, and the job not listed."""
    job = make_job(app, db, etab, kind, **options)
    assert auth.login(login).status_code == 302
    before = db_snapshot(db)
    answers = walk(client, job)
    for name, response in answers.items():
        assert response.status_code == 403, (name, response.status_code)
        if name != "etat":
            assert FORBIDDEN in response.get_data(as_text=True), name
    assert answers["pdf"].data != PDF_BYTES
    assert Path(job.file_path).read_bytes() == PDF_BYTES
    assert db_snapshot(db) == before
    listing = client.get("/taches/").get_data(as_text=True)
    assert f'href="/taches/{job.id}/"' not in listing


@pytest.mark.parametrize("login, kind", [("delegue.eleves", "eleve"),
                                         ("delegue.resp", "responsable"),
                                         ("chef.0999001a", "eleve"),
                                         ("chef.0999001a", "responsable")])
def test_r_sec_5_job_of_its_own_menu_open_pdf_no_store(app, client, auth, db, etab, staff,
                                                       login, kind):
    """Positive control: the menu's users open, download (no-store) and delete its PDF."""
    job = make_job(app, db, etab, kind)
    auth.login(login)
    assert f'href="/taches/{job.id}/"' in client.get("/taches/").get_data(as_text=True)
    assert client.get(f"/taches/{job.id}/").status_code == 200
    assert client.get(f"/taches/{job.id}/etat.json").get_json()["status"] == "done"
    pdf = client.get(f"/taches/{job.id}/pdf")
    assert pdf.status_code == 200 and pdf.data == PDF_BYTES
    assert pdf.headers["Cache-Control"] == "no-store"
    token = csrf_of(client, "/")
    assert client.post(f"/taches/{job.id}/supprimer/",
                       data={"csrf_token": token, "confirme": "1"}).status_code == 302
    assert not Path(job.file_path).exists()


def test_r_sec_5_delegue_lists_only_its_menu_jobs(app, client, auth, db, etab, staff):
    mine = make_job(app, db, etab, "eleve")
    theirs = make_job(app, db, etab, "responsable")
    auth.login("delegue.eleves")
    listing = client.get("/taches/").get_data(as_text=True)
    assert f'href="/taches/{mine.id}/"' in listing
    assert f'href="/taches/{theirs.id}/"' not in listing


def test_r_sec_5_helpdesk_reaches_the_letter_of_its_own_individual_help(app, client, auth, db,
                                                                        etab):
    """FEATURES §1: the helpdesk renotifies one account (individual help) and prints that
    letter; it is the only job it sees."""
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    mass = make_job(app, db, etab, "eleve")
    auth.login("assistance.0999001a")
    eleve = s["eleves"][0]
    token = csrf_of(client, f"/eleves/compte/{eleve.id}/")
    response = client.post(f"/eleves/compte/{eleve.id}/renotifier/",
                           data={"csrf_token": token, "mode": "papier"})
    assert response.status_code == 302 and "/taches/" in response.headers["Location"]
    job = db.session.scalar(db.select(Job).where(Job.created_by == "assistance.0999001a"))
    assert job is not None and job.status == "done"
    assert client.get(f"/taches/{job.id}/").status_code == 200
    pdf = client.get(f"/taches/{job.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "no-store"
    listing = client.get("/taches/").get_data(as_text=True)
    assert f'href="/taches/{job.id}/"' in listing
    assert f'href="/taches/{mass.id}/"' not in listing


# ------------------------------------------------------------------ class lists

@pytest.fixture
def classe(db, etab):
    div = factories.make_division(etab, "3A")
    for i in range(3):
        factories.make_eleve(etab, nom=f"NOM{i}", division=div)
    db.session.commit()
    return div


def test_r_sec_5_helpdesk_cannot_open_class_lists(client, auth, db, etab, classe):
    """The class lists carry temporary passwords: not for the helpdesk (403 in French, not in
    the menu), on the page and on both files."""
    auth.login("assistance.0999001a")
    assert 'href="/eleves/listes/"' not in client.get("/").get_data(as_text=True)
    before = db_snapshot(db)
    for url in ("/eleves/listes/", f"/eleves/listes/?division={classe.id}",
                f"/eleves/listes/pdf?division={classe.id}",
                f"/eleves/listes/csv?division={classe.id}"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert FORBIDDEN in response.get_data(as_text=True)
    assert db_snapshot(db) == before


@pytest.mark.parametrize("login", ["delegue.eleves", "chef.0999001a"])
def test_r_sec_5_class_lists_sent_no_store(client, auth, etab, staff, classe, login):
    auth.login(login)
    for url in (f"/eleves/listes/?division={classe.id}", f"/eleves/listes/pdf?division={classe.id}",
                f"/eleves/listes/csv?division={classe.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    assert client.get("/eleves/listes/").headers["Cache-Control"] == "no-store"


def test_r_sec_5_delegue_responsables_cannot_open_class_lists(client, auth, etab, staff, classe):
    auth.login("delegue.resp")
    assert client.get(f"/eleves/listes/csv?division={classe.id}").status_code == 403


# ------------------------------------------------------------------ « Nouveau compte »

def test_features_1_helpdesk_has_no_new_account(client, auth, db, etab):
    """« Créer un nouveau compte » is the establishment's (guide §4.2/§5.2): the helpdesk has
    no button, and the POST is refused (403, nothing changed)."""
    s = school(etab, n_6a=1, n_6b=0, with_guardians=True)
    eleve = s["eleves"][0]
    auth.login("assistance.0999001a")
    page = client.get(f"/eleves/compte/{eleve.id}/").get_data(as_text=True)
    assert "Renotifier" in page and "Nouveau compte" not in page
    token = csrf_of(client, f"/eleves/compte/{eleve.id}/")
    before = db_snapshot(db)
    for base in ("/eleves/", "/responsables/"):
        row_id = eleve.id if base == "/eleves/" else s["liens"][0].id
        response = client.post(f"{base}compte/{row_id}/nouveau/",
                               data={"csrf_token": token, "confirme": "1"})
        assert response.status_code == 403, base
        assert FORBIDDEN in response.get_data(as_text=True)
    assert db_snapshot(db) == before


def test_features_1_delegue_of_the_menu_creates_a_new_account(client, auth, db, etab, staff):
    s = school(etab, n_6a=1, n_6b=0, with_guardians=False)
    eleve = s["eleves"][0]
    old = eleve.compte_id
    auth.login("delegue.eleves")
    assert "Nouveau compte" in client.get(f"/eleves/compte/{eleve.id}/").get_data(as_text=True)
    token = csrf_of(client, f"/eleves/compte/{eleve.id}/")
    response = client.post(f"/eleves/compte/{eleve.id}/nouveau/",
                           data={"csrf_token": token, "confirme": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(eleve), eleve.id).compte_id != old


def test_r_srv_1_activation_permission_is_a_domain_rule(db, etab):
    """R-SRV-1 (guide §1.3/§1.4): only the head or the académie may activate the services;
    the rule is `permissions.can_activate_services`, asked directly, not through the page."""
    from admints import permissions

    users = {role: factories.make_user(f"{role}.activation", role, etablissement=etab,
                                       droits=["eleves"] if role == "delegue" else None)
             for role in ("chef", "academie", "delegue", "comptable", "assistance")}
    allowed = {role for role, user in users.items() if permissions.can_activate_services(user)}
    assert allowed == {"chef", "academie"}
    assert not permissions.can_activate_services(None)
