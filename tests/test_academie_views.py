"""Menu « Académie »: Établissements (académie role, its académie only, UAI validated) and
Utilisateurs (académie-wide, and per establishment for the head: DELEG-CE délégués, comptables,
helpdesk; argon2id passwords; never a hash on screen). docs/REGLES.md §1, R-SEC-1/2/3."""

from __future__ import annotations

import pytest

from admints.models import AuditEntry, Etablissement, StaffUser

from . import factories

SECRET = "un-secret-assez-long"


@pytest.fixture
def academie(db, etab, other_etab):
    autre = factories.make_academie("autre", "Autre")
    lointain = factories.make_etablissement(uai="0999003C", nom="Lycée Lointain", academie=autre)
    factories.make_user("academie.demo", "academie", academie=etab.academie)
    factories.make_user("academie.autre", "academie", academie=autre)
    db.session.commit()
    return {"etab": etab, "voisin": other_etab, "lointain": lointain}


def _count(db, model):
    return db.session.scalar(db.select(db.func.count(model.id)))


def _post(client, auth, url, data, page=None):
    token = auth.csrf(page or url)
    return client.post(url, data={**data, "csrf_token": token})


# ------------------------------------------------------------------ Établissements

def test_etablissements_lists_own_academie_only(client, auth, academie):
    auth.login("academie.demo")
    page = client.get("/etablissements/").get_data(as_text=True)
    assert "0999001A" in page and "0999002B" in page and "0999003C" not in page


@pytest.mark.parametrize("uai, message", [
    ("123", "UAI invalide"), ("09990011", "UAI invalide"), ("0999 01A", "UAI invalide"),
    ("A999001A", "UAI invalide"), ("0999001A", "existe déjà"), ("0999003C", "existe déjà"),
])
def test_etablissement_bad_uai_refused_nothing_created(client, auth, db, academie, uai, message):
    auth.login("academie.demo")
    before = _count(db, Etablissement)
    response = _post(client, auth, "/etablissements/new/", {
        "uai": uai, "nom": "Collège Test", "type": "college", "annee_scolaire": "2026"})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(db, Etablissement) == before


def test_etablissement_bad_email_refused(client, auth, db, academie):
    auth.login("academie.demo")
    response = _post(client, auth, "/etablissements/new/", {
        "uai": "0999444D", "nom": "Collège Test", "type": "college", "annee_scolaire": "2026",
        "emails_texte": "ce.0999444d@ac-demo.fr\npas-une-adresse"})
    assert "Adresse électronique invalide : « pas-une-adresse »" in response.get_data(as_text=True)
    assert not db.session.scalar(db.select(Etablissement).where(Etablissement.uai == "0999444D"))


def test_etablissement_created_lower_case_uai_with_services(client, auth, db, academie):
    auth.login("academie.demo")
    response = _post(client, auth, "/etablissements/new/", {
        "uai": " 0999444d ", "nom": "Collège Neuf", "type": "lycee", "annee_scolaire": "2026",
        "emails_texte": "a@ac-demo.fr\nb@ac-demo.fr", "ville": "Douai"})
    assert response.status_code == 302
    new = db.session.scalar(db.select(Etablissement).where(Etablissement.uai == "0999444D"))
    assert new.academie_id == academie["etab"].academie_id
    assert new.emails == ["a@ac-demo.fr", "b@ac-demo.fr"] and new.type == "lycee"
    from admints.models import TeleserviceEtablissement

    assert db.session.scalar(db.select(db.func.count(TeleserviceEtablissement.id)).where(
        TeleserviceEtablissement.etablissement_id == new.id)) > 0


def test_etablissement_edit_keeps_uai_and_audits(client, auth, db, academie):
    auth.login("academie.demo")
    etab = academie["voisin"]
    page = client.get(f"/etablissements/edit/?id={etab.id}").get_data(as_text=True)
    assert "ce.0999002b@ac-demo.fr" in page and 'name="uai"' not in page
    response = _post(client, auth, f"/etablissements/edit/?id={etab.id}", {
        "uai": "0999999Z", "nom": "Collège Jean-Moulin (rénové)", "type": "college",
        "annee_scolaire": "2026", "emails_texte": "ce.0999002b@ac-demo.fr"},
        page=f"/etablissements/edit/?id={etab.id}")
    assert response.status_code == 302
    db.session.refresh(etab)
    assert etab.uai == "0999002B" and etab.nom == "Collège Jean-Moulin (rénové)"
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "etablissement.modification"))
    assert "rénové" in entry.after and "Jean-Moulin" in entry.before
    assert entry.etablissement_id == etab.id


def test_etablissement_of_another_academie_not_editable(client, auth, db, academie):
    auth.login("academie.demo")
    lointain = academie["lointain"]
    assert client.get(f"/etablissements/edit/?id={lointain.id}").status_code == 302
    assert client.get(f"/etablissements/details/?id={lointain.id}").status_code == 302
    _post(client, auth, f"/etablissements/edit/?id={lointain.id}", {
        "nom": "PIRATE", "type": "college", "annee_scolaire": "2026"}, page="/etablissements/")
    db.session.refresh(lointain)
    assert lointain.nom == "Lycée Lointain"


def test_chef_has_no_etablissements_screen(client, auth, academie):
    auth.login("chef.0999001a")
    assert client.get("/etablissements/").status_code == 403
    assert client.get("/utilisateurs/").status_code == 403


# ------------------------------------------------------------------ Utilisateurs (académie)

def test_academie_users_of_its_academie_only(client, auth, academie):
    auth.login("academie.demo")
    page = client.get("/utilisateurs/").get_data(as_text=True)
    assert "chef.0999001a" in page and "chef.0999002b" in page and "academie.demo" in page
    assert "chef.0999003c" not in page and "academie.autre" not in page
    assert "$argon2" not in page


def test_academie_creates_a_chef_for_its_establishment(client, auth, db, academie):
    auth.login("academie.demo")
    response = _post(client, auth, "/utilisateurs/new/", {
        "login": "chef2.0999002b", "role": "chef", "etablissement_id": academie["voisin"].id,
        "password": SECRET, "confirmation": SECRET})
    assert response.status_code == 302
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "chef2.0999002b"))
    assert user.etablissement_id == academie["voisin"].id and user.role == "chef"


def test_academie_cannot_create_user_in_another_academie(client, auth, db, academie):
    auth.login("academie.demo")
    before = _count(db, StaffUser)
    response = _post(client, auth, "/utilisateurs/new/", {
        "login": "chef2.0999003c", "role": "chef", "etablissement_id": academie["lointain"].id,
        "password": SECRET, "confirmation": SECRET})
    assert "Choisissez un établissement de votre académie." in response.get_data(as_text=True)
    assert _count(db, StaffUser) == before


def test_academie_cannot_edit_user_of_another_academie(client, auth, db, academie):
    auth.login("academie.demo")
    other = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "chef.0999003c"))
    assert client.get(f"/utilisateurs/edit/?id={other.id}").status_code == 302
    _post(client, auth, f"/utilisateurs/edit/?id={other.id}", {"nom": "PIRATE", "actif": ""},
          page="/utilisateurs/")
    _post(client, auth, "/utilisateurs/action/", {"action": "desactiver", "rowid": other.id},
          page="/utilisateurs/")
    db.session.refresh(other)
    assert other.actif and other.nom is None


# ------------------------------------------------------------------ Utilisateurs (chef, DELEG-CE)

def _create(client, auth, **data):
    form = {"login": "delegue.ent", "nom": "Admin ENT", "role": "delegue",
            "droits": ["eleves"], "password": SECRET, "confirmation": SECRET}
    form.update(data)
    return _post(client, auth, "/utilisateurs-etablissement/new/", form)


def test_chef_creates_delegue_with_granted_menus(client, auth, db, etab):
    auth.login("chef.0999001a")
    assert _create(client, auth, droits=["eleves", "statistiques"]).status_code == 302
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "delegue.ent"))
    assert user.role == "delegue" and user.droits == ["eleves", "statistiques"]
    assert user.etablissement_id == etab.id and user.password_hash.startswith("$argon2id$")
    page = client.get("/utilisateurs-etablissement/").get_data(as_text=True)
    assert "delegue.ent" in page and "Accès des élèves, Statistiques" in page
    assert "$argon2" not in page
    details = client.get(f"/utilisateurs-etablissement/details/?id={user.id}")
    assert "$argon2" not in details.get_data(as_text=True)
    # The délégué sees exactly its menus.
    auth.logout()
    assert auth.login("delegue.ent", SECRET).status_code == 302
    assert client.get("/eleves/").status_code != 403
    assert client.get("/journal/").status_code == 403
    assert client.get("/utilisateurs-etablissement/").status_code == 403


@pytest.mark.parametrize("data, message", [
    ({"role": "chef"}, "Vous ne pouvez pas créer un utilisateur de ce rôle."),
    ({"role": "academie"}, "Vous ne pouvez pas créer un utilisateur de ce rôle."),
    ({"role": "pirate"}, "Vous ne pouvez pas créer un utilisateur de ce rôle."),
    ({"password": "court", "confirmation": "court"}, "au moins 12 caractères"),
    ({"confirmation": "autre-chose-long"}, "Les deux mots de passe ne sont pas identiques."),
    ({"login": "chef.0999001a"}, "existe déjà"),
    ({"login": "été"}, "Identifiant invalide"),
    ({"droits": ["journal"]}, "Droits inconnus"),
])
def test_chef_bad_user_input_french_error_nothing_created(client, auth, db, etab, data, message):
    auth.login("chef.0999001a")
    before = _count(db, StaffUser), _count(db, AuditEntry)
    response = _create(client, auth, **data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert (_count(db, StaffUser), _count(db, AuditEntry)) == before
    assert SECRET not in response.get_data(as_text=True)


def test_chef_creates_comptable_and_assistance_without_rights(client, auth, db, etab):
    auth.login("chef.0999001a")
    assert _create(client, auth, login="compta.x", role="comptable").status_code == 302
    assert _create(client, auth, login="assist.x", role="assistance").status_code == 302
    for login in ("compta.x", "assist.x"):
        user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == login))
        assert user.droits == [] and user.etablissement_id == etab.id


def test_chef_changes_password_and_deactivates(client, auth, db, etab):
    auth.login("chef.0999001a")
    _create(client, auth)
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "delegue.ent"))
    url = f"/utilisateurs-etablissement/edit/?id={user.id}"
    response = _post(client, auth, url, {"nom": "Admin ENT", "droits": ["eleves"], "actif": "y",
                                         "password": "nouveau-secret-long",
                                         "confirmation": "nouveau-secret-long"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "utilisateur.mot_de_passe", AuditEntry.target == "delegue.ent"))
    _post(client, auth, "/utilisateurs-etablissement/action/",
          {"action": "desactiver", "rowid": user.id}, page="/utilisateurs-etablissement/")
    db.session.refresh(user)
    assert not user.actif
    assert db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "utilisateur.desactivation"))
    auth.logout()
    assert auth.login("delegue.ent", "nouveau-secret-long").status_code == 200  # deactivated


def test_chef_cannot_change_itself_or_another_chef(client, auth, db, etab):
    chef = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "chef.0999001a"))
    auth.login("chef.0999001a")
    response = _post(client, auth, f"/utilisateurs-etablissement/edit/?id={chef.id}",
                     {"nom": "X", "actif": "", "password": "", "confirmation": ""})
    assert "Vous ne pouvez pas modifier cet utilisateur" in response.get_data(as_text=True)
    _post(client, auth, "/utilisateurs-etablissement/action/",
          {"action": "desactiver", "rowid": chef.id}, page="/utilisateurs-etablissement/")
    db.session.refresh(chef)
    assert chef.actif and chef.nom is None


def test_chef_cannot_touch_users_of_another_establishment(client, auth, db, etab, other_etab):
    auth.login("chef.0999001a")
    other = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "assistance.0999002b"))
    assert client.get(f"/utilisateurs-etablissement/edit/?id={other.id}").status_code == 302
    _post(client, auth, "/utilisateurs-etablissement/action/",
          {"action": "desactiver", "rowid": other.id}, page="/utilisateurs-etablissement/")
    db.session.refresh(other)
    assert other.actif
    page = client.get("/utilisateurs-etablissement/").get_data(as_text=True)
    assert "assistance.0999002b" not in page


def test_academie_creates_another_academie_administrator(client, auth, db, academie):
    auth.login("academie.demo")
    response = _post(client, auth, "/utilisateurs/new/", {
        "login": "academie.adjoint", "role": "academie", "etablissement_id": "",
        "password": SECRET, "confirmation": SECRET})
    assert response.status_code == 302
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "academie.adjoint"))
    assert user.role == "academie" and user.etablissement_id is None
    assert user.academie_id == academie["etab"].academie_id


def test_academie_cannot_deactivate_itself(client, auth, db, academie):
    me = db.session.scalar(db.select(StaffUser).where(StaffUser.login == "academie.demo"))
    auth.login("academie.demo")
    response = _post(client, auth, f"/utilisateurs/edit/?id={me.id}",
                     {"nom": "Moi", "actif": "", "password": "", "confirmation": ""},
                     page=f"/utilisateurs/edit/?id={me.id}")
    assert "Vous ne pouvez pas désactiver votre propre compte." in response.get_data(as_text=True)
    db.session.refresh(me)
    assert me.actif


# ------------------------------------------------------------------ « existe déjà », bulk delete

@pytest.mark.parametrize("creator, url, data", [
    ("academie.demo", "/utilisateurs/new/", {"role": "chef", "etablissement_id": "ETAB"}),
    ("chef.0999001a", "/utilisateurs-etablissement/new/", {"role": "assistance"}),
])
def test_r_sec_1_taken_login_of_another_academie_not_revealed(client, auth, db, academie,
                                                              creator, url, data):
    """A login held in another académie: « not available », never « existe déjà »; a login of
    one's own académie still says « existe déjà »."""
    auth.login(creator)
    data = {k: (str(academie["etab"].id) if v == "ETAB" else v) for k, v in data.items()}
    before = _count(db, StaffUser), _count(db, AuditEntry)
    for login, message in (("assistance.0999003c", "n&#39;est pas disponible"),
                           ("chef.0999002b", "existe déjà")):
        response = _post(client, auth, url, {"login": login, "nom": "", "password": SECRET,
                                             "confirmation": SECRET, **data})
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and message in page, login
        if login == "assistance.0999003c":
            assert "existe déjà" not in page
    assert (_count(db, StaffUser), _count(db, AuditEntry)) == before


def test_bulk_delete_that_deleted_nothing_says_so(client, auth, db, etab, other_etab):
    """Ticking only rows out of reach deletes nothing, and the message says so (not
    « L'objet a bien été détruit »); an own row gives the count."""
    from admints.models import LienUtile

    own = LienUtile(etablissement_id=etab.id, libelle="Nôtre", url="https://a.example/")
    foreign = LienUtile(etablissement_id=other_etab.id, libelle="Voisin",
                        url="https://b.example/")
    db.session.add_all([own, foreign])
    db.session.commit()
    own_id, foreign_id = own.id, foreign.id
    auth.login("chef.0999001a")
    for rowid in ([str(foreign_id)], ["x", "9" * 30]):
        token = auth.csrf("/parametrage/liens/")
        client.post("/parametrage/liens/action/",
                    data={"action": "delete", "rowid": rowid, "csrf_token": token,
                          "confirme": "1"})
        page = client.get("/parametrage/liens/").get_data(as_text=True)
        assert "Aucun élément n&#39;a été supprimé" in page and "détruit" not in page
    assert db.session.get(LienUtile, foreign_id) is not None
    token = auth.csrf("/parametrage/liens/")
    client.post("/parametrage/liens/action/",
                data={"action": "delete", "rowid": [str(own_id)], "csrf_token": token,
                      "confirme": "1"})
    assert "1 élément(s) supprimé(s)" in client.get("/parametrage/liens/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(LienUtile, own_id) is None


def test_r_sec_3_academie_list_operations_apply_rules_and_audit(db, academie):
    """R-SEC-3 (and R-SRV-5, R-PAR-3): the académie's list operations, called without any view,
    apply their rules and write `academie.<table>.<what>` themselves."""
    import datetime as dt

    from admints.errors import DomainError
    from admints.models import (
        EntAcademique,
        Teleservice,
        TeleserviceEtablissement,
        TipiRegie,
    )
    from admints.parametrage import portal_links
    from admints.teleservices import opening, paiement

    aid = academie["etab"].academie_id
    service = Teleservice(libelle="Cantine en ligne", categorie="Vie scolaire")
    db.session.add(service)
    opening.save_academic_service(aid, service, created=True, by="academie.demo")
    assert service.code.startswith("aca_") and service.position == 100
    assert db.session.scalar(db.select(TeleserviceEtablissement).where(
        TeleserviceEtablissement.teleservice_id == service.id,
        TeleserviceEtablissement.etablissement_id == academie["etab"].id)) is not None
    factories.make_acces(academie["etab"], service, dt.datetime(2026, 11, 2))
    with pytest.raises(DomainError, match="déjà été consulté"):
        opening.delete_academic_service(aid, service, by="academie.demo")
    regie = TipiRegie(numero_client=" 12 34 56 ", libelle_regie="Régie du collège")
    db.session.add(regie)
    paiement.save_regie(aid, regie, created=True, by="academie.demo")
    db.session.flush()
    assert regie.numero_client == "123456" and regie.academie_id == aid
    twin = TipiRegie(numero_client="123456", libelle_regie="Doublon")
    db.session.add(twin)
    with pytest.raises(DomainError, match="existe déjà"):
        paiement.save_regie(aid, twin, created=True, by="academie.demo")
    db.session.expunge(twin)
    ent = EntAcademique(nom="ENT HDF", url="javascript:alert(1)")
    with pytest.raises(DomainError, match="http"):
        portal_links.save_ent_academique(aid, ent, created=True, by="academie.demo")
    ent.url = "https://enthdf.fr"
    portal_links.save_ent_academique(aid, ent, created=True, by="academie.demo")
    portal_links.delete_ent_academique(aid, ent, by="academie.demo")
    actions = [e.action for e in db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.login == "academie.demo").order_by(AuditEntry.id))]
    assert actions == ["academie.teleservice.creation", "academie.tipi_regie.creation",
                       "academie.ent_academique.creation", "academie.ent_academique.suppression"]
