"""R-SEC-1 tenant isolation, walked over EVERY view registered on the Flask-Admin instance,
so screens added later are covered without editing this file.

Three establishments: ours (0999001A, académie "demo"), a neighbour of the same académie
(0999002B, marker ZZVOISIN) and one of another académie (0999003C, marker ZZAUTREACA). Every
text field of the others' rows carries their marker. As the head of ours, and as the académie
administrator working on ours, each establishment view must never show a marker nor change
a row of the others, whatever id is typed in a list, details, edit (GET and POST), delete,
action, export, ajax or custom URL. Académie-wide views (area ACADEMIE_ADMIN) are walked as
the "demo" académie administrator: the other académie's marker must never appear.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import url_for
from sqlalchemy import inspect as sa_inspect

from admints import create_app, permissions
from admints.config import TestConfig
from admints.models import (
    AccesTeleservice,
    AuditEntry,
    DatePublication,
    EntAcademique,
    Etablissement,
    Evaluation,
    Job,
    LienUtile,
    Parametre,
    Teleservice,
    TipiRegie,
)
from admints.teleservices.catalogue import (
    ensure_catalogue,
    ensure_etablissement_services,
)
from admints.views.base import AreaAccessMixin, ScopedModelView

from . import factories

VOISIN, AUTRE, NOTRE = "ZZVOISIN", "ZZAUTREACA", "NOTREETAB"
FOREIGN_MARKERS = (VOISIN, AUTRE)


# ------------------------------------------------------------------ the views, at collection

def _registered_views():
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI="sqlite://", DATABASE_URL="")
    app = create_app(config)
    views = []
    for view in app.extensions["admin"][0]._views[1:]:
        academie_wide = getattr(view, "area", None) == permissions.ACADEMIE_ADMIN
        for who in (("academie",) if academie_wide else ("chef", "academie")):
            views.append(pytest.param(view.endpoint, who, id=f"{view.endpoint}-{who}"))
    return views


VIEWS = _registered_views()


# ------------------------------------------------------------------ the data set

def build_dataset(etab, marker: str) -> None:
    """One row of every establishment table, each text field carrying `marker`."""
    low = marker.lower()
    mef = factories.make_mef(etab, code=f"{low}mef"[:20], libelle=f"{marker} MEF")
    div = factories.make_division(etab, code=f"{marker}-3A")
    grp = factories.make_groupe(etab, code=f"{marker}-LATIN")
    eleve = factories.make_eleve(etab, nom=f"{marker}ELEVE", prenom=f"{marker}Prenom", mef=mef,
                                 division=div, identifiant=f"{low}.eleve",
                                 email=f"{low}@example.org")
    eleve.groupes.append(grp)
    resp = factories.make_responsable(etab, nom=f"{marker}RESP", prenom=f"{marker}Mere",
                                      email=f"{low}.resp@example.org",
                                      adresse_ligne1=f"1 rue {marker}")
    factories.link(eleve, resp, 1, identifiant=f"{low}.resp", email=f"{low}.resp@example.org")
    other = factories.make_responsable(etab, nom=f"{marker}AUTRE", prenom=f"{marker}Tante",
                                       email=None)
    factories.link(eleve, other, 0)
    ensure_catalogue()
    ensure_etablissement_services(etab)
    db = factories.db
    service = db.session.scalar(db.select(Teleservice).where(Teleservice.code == "notes"))
    db.session.add_all([
        Parametre(etablissement_id=etab.id, cle="message_accueil", valeur=f"<p>{marker}</p>",
                  effective_from=dt.date(2026, 9, 1), created_by=low),
        LienUtile(etablissement_id=etab.id, libelle=f"{marker} lien",
                  url=f"https://{low}.example.org/"),
        DatePublication(etablissement_id=etab.id, mef_id=mef.id, division_id=div.id,
                        date=dt.date(2026, 12, 15)),
        Evaluation(etablissement_id=etab.id, mef_id=mef.id, division_id=div.id,
                   matiere=f"{marker} maths", libelle=f"{marker} contrôle",
                   date_controle=dt.date(2026, 11, 2), date_saisie=dt.date(2026, 11, 3)),
        AccesTeleservice(etablissement_id=etab.id, compte_id=eleve.compte_id,
                         teleservice_id=service.id, mef_id=mef.id),
        AuditEntry(etablissement_id=etab.id, login=f"{low}.agent", action="compte.notification",
                   target=f"{marker} cible", before=f"{marker} avant", after=f"{marker} après"),
        Job(etablissement_id=etab.id, kind="notification_eleve", status="done",
            created_by=f"{low}.agent", params={"marqueur": marker},
            error=f"{marker} erreur"),
    ])
    factories.make_user(f"{low}.delegue", "delegue", etablissement=etab, droits=["eleves"])
    db.session.flush()


@pytest.fixture
def world(db, etab, other_etab):
    autre = factories.make_academie("autre", f"{AUTRE} académie")
    lointain = factories.make_etablissement(uai="0999003C", nom=f"Lycée {AUTRE}", academie=autre,
                                            with_users=False)
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    factories.make_user(f"academie.{AUTRE.lower()}", "academie", academie=autre)
    build_dataset(etab, NOTRE)
    build_dataset(other_etab, VOISIN)
    build_dataset(lointain, AUTRE)
    db.session.add_all([
        EntAcademique(academie_id=autre.id, nom=f"{AUTRE} ENT", url="https://ent.autre.example/"),
        TipiRegie(academie_id=autre.id, numero_client="999999",
                  libelle_regie=f"{AUTRE} régie"),
        Teleservice(code=f"{AUTRE.lower()}_service", libelle=f"{AUTRE} service académique",
                    categorie=f"{AUTRE}", academie_id=autre.id),
        AuditEntry(etablissement_id=None, user_id=None, login=f"academie.{AUTRE.lower()}",
                   action="academie.modification", target=f"{AUTRE} liste"),
    ])
    db.session.commit()
    return {"etab": etab, "voisin": other_etab, "lointain": lointain, "autre": autre}


def _foreign_scope(world, academie_wide: bool):
    """(etablissement ids, académie ids) whose rows the user must never reach."""
    etabs = {world["lointain"].id} | (set() if academie_wide else {world["voisin"].id})
    return etabs, {world["autre"].id}


def snapshot(db, etab_ids: set[int], academie_ids: set[int]) -> dict:
    """Every row of the foreign establishments/académies, table by table."""
    result = {}
    eleve_ids = set(db.session.scalars(db.text("SELECT id FROM eleve")).all())
    for table in db.metadata.sorted_tables:
        cols = table.c
        if "etablissement_id" in cols:
            stmt = table.select().where(cols.etablissement_id.in_(etab_ids))
        elif table.name == "etablissement":
            stmt = table.select().where(cols.id.in_(etab_ids))
        elif "academie_id" in cols:
            stmt = table.select().where(cols.academie_id.in_(academie_ids))
        elif table.name == "academie":
            stmt = table.select().where(cols.id.in_(academie_ids))
        elif "eleve_id" in cols and eleve_ids:
            foreign = set(db.session.scalars(
                db.text("SELECT id FROM eleve WHERE etablissement_id IN ({})".format(
                    ",".join(str(i) for i in etab_ids)))).all())
            stmt = table.select().where(cols.eleve_id.in_(foreign))
        else:
            continue
        rows = [tuple(repr(v) for v in row) for row in db.session.execute(stmt)]
        result[table.name] = sorted(rows)
    return result


# ------------------------------------------------------------------ helpers

def _login(auth, client, db, world, who):
    if who == "chef":
        assert auth.login("chef.0999001a").status_code == 302
    else:
        assert auth.login("academie.demo").status_code == 302
        token = auth.csrf("/")
        client.post("/etablissement", data={"etablissement_id": world["etab"].id,
                                            "csrf_token": token})


def _no_leak(response, markers, where):
    assert response.status_code < 500, (where, response.status_code)
    body = response.get_data().decode("utf-8", "replace").lower()
    for marker in markers:
        assert marker.lower() not in body, f"{marker} leaked at {where}"


def _token(client) -> str:
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def _foreign_rows(db, view, etab_ids, academie_ids):
    """The rows of the view's model that belong to the others."""
    model = view.model
    if hasattr(model, "etablissement_id"):
        clause = model.etablissement_id.in_(etab_ids)
        if hasattr(model, "academie_id"):  # staff users of an académie
            clause = clause | model.academie_id.in_(academie_ids)
    elif model is Etablissement:
        clause = Etablissement.id.in_(etab_ids)
    elif hasattr(model, "academie_id"):
        clause = model.academie_id.in_(academie_ids)
    else:
        pytest.fail(f"{view.endpoint}: no tenant column on {model.__name__}")
    rows = db.session.scalars(db.select(model).where(clause)).all()
    assert rows, (f"{view.endpoint}: the isolation data set has no foreign {model.__name__} "
                  "row; extend build_dataset")
    return rows


def _fill(rule: str, values: dict) -> list[str]:
    """Concrete URLs for a Flask-Admin rule, one per candidate value of its arguments."""
    args = re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule)
    if not args:
        return [rule]
    urls = [rule]
    for arg in args:
        pattern = re.compile(r"<(?:[a-z]+:)?" + arg + ">")
        candidates = values.get(arg) or values["*"]
        urls = [pattern.sub(str(v), u) for u in urls for v in candidates]
    return urls


# ------------------------------------------------------------------ the walk

@pytest.mark.parametrize("endpoint, who", VIEWS)
def test_r_sec_1_no_view_leaks_or_changes_foreign_rows(app, db, client, auth, world, endpoint,
                                                       who):
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    assert isinstance(view, AreaAccessMixin), f"{endpoint} is not access-controlled"
    academie_wide = view.area == permissions.ACADEMIE_ADMIN
    etab_ids, academie_ids = _foreign_scope(world, academie_wide)
    markers = (AUTRE,) if academie_wide else FOREIGN_MARKERS
    before = snapshot(db, etab_ids, academie_ids)
    _login(auth, client, db, world, who)
    token = _token(client)
    with app.test_request_context():
        base = url_for(f"{endpoint}.{view._default_view}")
    base = base.rstrip("/")

    foreign_ids: list[str] = []
    if isinstance(view, ScopedModelView):
        for row in _foreign_rows(db, view, etab_ids, academie_ids):
            foreign_ids.append(str(view.get_pk_value(row)))
    all_foreign_ints = []
    typed: dict[str, str] = {}  # division=…, division_id=…, compte_id=…: a foreign row each
    for table in db.metadata.sorted_tables:
        if "etablissement_id" in table.c and "id" in table.c:
            found = db.session.scalars(
                table.select().with_only_columns(table.c.id)
                .where(table.c.etablissement_id.in_(etab_ids)).order_by(table.c.id)).all()
            all_foreign_ints += found
            if found:
                short = {"date_publication": "date", "lien_utile": "lien"}.get(table.name,
                                                                                table.name)
                typed[short] = typed[f"{short}_id"] = str(found[0])
    all_foreign_ints = sorted(set(all_foreign_ints))[:40]
    ids = foreign_ids or [str(i) for i in all_foreign_ints]

    checked = 0
    listing = client.get(f"{base}/")
    assert listing.status_code in (200, 302), (endpoint, listing.status_code)
    _no_leak(listing, markers, f"{base}/")
    checked += 1
    for marker in markers:
        # A prefix: the page echoes the search, which must not count as a leak.
        _no_leak(client.get(f"{base}/", query_string={"search": marker[:5]}), markers, "search")

    if isinstance(view, ScopedModelView):
        for oid in foreign_ids[:3]:
            for sub in ("details/", "edit/"):
                response = client.get(f"{base}/{sub}", query_string={"id": oid})
                _no_leak(response, markers, f"GET {sub}?id={oid}")
                if response.status_code == 200 and sub == "edit/":
                    pytest.fail(f"{endpoint}: edit form of a foreign row {oid}")
            form = {"csrf_token": token, "nom": "PIRATE", "libelle": "PIRATE", "code": "PIRATE",
                    "actif": "", "url": "https://pirate.example/", "uai": "0999009Z"}
            _no_leak(client.post(f"{base}/edit/?id={oid}", data=form), markers, f"POST edit {oid}")
            _no_leak(client.post(f"{base}/delete/", data={"id": oid, "csrf_token": token,
                                                          "confirme": "1"}),
                     markers, f"delete {oid}")
            for name, _label in getattr(view, "_actions", None) or []:
                response = client.post(f"{base}/action/", data={
                    "action": name, "rowid": oid, "csrf_token": token, "confirme": "1",
                    "mode": "papier", "sujet": "PIRATE", "texte": "PIRATE"})
                _no_leak(response, markers, f"action {name} {oid}")
            for name in getattr(view, "column_editable_list", None) or []:
                _no_leak(client.post(f"{base}/ajax/update/", data={
                    "list_form_pk": oid, name: "PIRATE", "csrf_token": token}),
                    markers, f"ajax update {name}")
            checked += 1
        if getattr(view, "can_export", False):
            _no_leak(client.get(f"{base}/export/csv/"), markers, "export csv")
        for name in (getattr(view, "_form_ajax_refs", None) or {}):
            for marker in markers:
                _no_leak(client.get(f"{base}/ajax/lookup/", query_string={
                    "name": name, "query": marker[:5]}), markers, f"ajax lookup {name}")

    # Every other URL the view exposes, with the foreign ids typed in.
    values = {"*": ids or ["1"], "export_type": ["csv"], "op": [
        "renotifier", "renotifier_reinit", "activation", "ecrire", "nouveau", "simuler"],
        "key": ["entete", "responsable_nouveau"], "table": ["mef", "division", "eleves"]}
    standard = {"/", "/new/", "/edit/", "/details/", "/delete/", "/action/", "/ajax/lookup/",
                "/ajax/update/", "/export/<export_type>/"}
    for rule, _name, methods in view._urls:
        if isinstance(view, ScopedModelView) and rule in standard:
            continue
        for url in _fill(rule, values):
            full = base + url if url.startswith("/") else f"{base}/{url}"
            if "GET" in (methods or ("GET",)):
                for oid in ids[:8] if "<" not in rule else [None]:
                    query = {**typed, "id": oid} if oid else typed
                    _no_leak(client.get(full, query_string=query), markers, f"GET {full} {query}")
            if "POST" in (methods or ()):
                for oid in ids[:8]:
                    data = {**typed, "csrf_token": token, "id": oid, "rowid": oid,
                            "pk": oid, "confirme": "1", "etablissement_id": oid}
                    _no_leak(client.post(full, data=data), markers, f"POST {full} id={oid}")
            checked += 1
    assert checked
    db.session.rollback()
    db.session.expire_all()
    assert snapshot(db, etab_ids, academie_ids) == before, f"{endpoint} changed a foreign row"


# ------------------------------------------------------------------ direct checks

def test_r_sec_1_academie_switcher_refuses_another_academie(client, auth, db, world):
    auth.login("academie.demo")
    token = auth.csrf("/")
    response = client.post("/etablissement", data={"etablissement_id": world["lointain"].id,
                                                   "csrf_token": token})
    assert response.status_code == 302
    with client.session_transaction() as sess:
        assert sess.get("etablissement_id") != world["lointain"].id
    page = client.get("/").get_data(as_text=True)
    assert "Établissement inaccessible." in page
    assert AUTRE.lower() not in page.lower()
    # Forging the session value does not help either: it is re-checked on every request.
    with client.session_transaction() as sess:
        sess["etablissement_id"] = world["lointain"].id
    page = client.get("/journal/").get_data(as_text=True)
    assert AUTRE.lower() not in page.lower()
    assert "0999003C" not in page


def test_r_sec_1_switcher_lists_only_own_academie(client, auth, db, world):
    auth.login("academie.demo")
    page = client.get("/").get_data(as_text=True)
    assert "0999002B" in page and "0999001A" in page
    assert "0999003C" not in page


def test_r_sec_1_switch_changes_the_scope(client, auth, db, world):
    auth.login("academie.demo")
    token = auth.csrf("/")
    client.post("/etablissement", data={"etablissement_id": world["voisin"].id,
                                        "csrf_token": token})
    page = client.get("/journal/").get_data(as_text=True)
    assert VOISIN.lower() in page.lower() and NOTRE.lower() not in page.lower()


def test_r_sec_1_chef_cannot_use_the_switcher(client, auth, db, world):
    auth.login("chef.0999001a")
    token = auth.csrf("/")
    client.post("/etablissement", data={"etablissement_id": world["voisin"].id,
                                        "csrf_token": token})
    page = client.get("/journal/").get_data(as_text=True)
    assert VOISIN.lower() not in page.lower() and NOTRE.lower() in page.lower()


def test_r_sec_1_walk_covers_the_scoped_views():
    """The parametrised walk found the screens (a broken collection would test nothing)."""
    endpoints = {p.values[0] for p in VIEWS}
    assert {"journal", "journal_academique", "etablissements", "utilisateurs",
            "utilisateurs_etablissement"} <= endpoints
    assert len(endpoints) >= 10


def test_r_sec_1_user_rows_of_the_dataset_exist(db, world):
    """Sanity of the data set: each establishment has its marked rows."""
    for etab, marker in ((world["voisin"], VOISIN), (world["lointain"], AUTRE)):
        names = db.session.scalars(db.select(LienUtile.libelle).where(
            LienUtile.etablissement_id == etab.id)).all()
        assert names == [f"{marker} lien"]
    assert sa_inspect(world["etab"]).persistent


def test_r_sec_1_bulk_delete_removes_only_own_ticked_rows(client, auth, db, world):
    """Ticking a foreign row with an own one: only the own row goes (and ids bind as integers,
    which PostgreSQL requires)."""
    own = db.session.scalar(db.select(LienUtile).where(
        LienUtile.etablissement_id == world["etab"].id))
    foreign = db.session.scalar(db.select(LienUtile).where(
        LienUtile.etablissement_id == world["voisin"].id))
    own_id, foreign_id = own.id, foreign.id
    auth.login("chef.0999001a")
    token = auth.csrf("/")
    response = client.post("/parametrage/liens/action/", data={
        "action": "delete", "rowid": [str(own_id), str(foreign_id), "x"], "csrf_token": token,
        "confirme": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(LienUtile, own_id) is None
    assert db.session.get(LienUtile, foreign_id) is not None


def test_r_sec_1_ajax_loaders_and_relation_fields_are_scoped(app, db, world):
    """A view declaring `form_ajax_refs` or relation select boxes sees only its
    establishment's rows, for lookups and for a submitted id."""
    from flask_login import login_user

    from admints.models import Division, Eleve, StaffUser
    from admints.views.base import TenantModelView

    class _Probe(TenantModelView):
        area = permissions.ELEVES
        can_edit = True
        form_columns = ("nom", "division", "mef")
        form_ajax_refs = {"division": {"fields": ("code",)}}

    view = _Probe(Eleve, db, endpoint="probe_isolation", url="/probe-isolation")
    foreign_div = db.session.scalar(db.select(Division).where(
        Division.etablissement_id == world["voisin"].id))
    own_div = db.session.scalar(db.select(Division).where(
        Division.etablissement_id == world["etab"].id))
    chef = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "chef.0999001a"))
    with app.test_request_context():
        login_user(chef)
        loader = view._form_ajax_refs["division"]
        found = loader.get_list("3A", 0, 50)
        assert own_div in found and foreign_div not in found
        assert loader.get_one(str(foreign_div.id)) is None
        assert loader.get_one(str(own_div.id)) == own_div
        form = view.create_form()
        mef_choices = [str(m) for _pk, m in form.mef._get_object_list()]
        assert mef_choices and not any(VOISIN in c or AUTRE in c for c in mef_choices)
