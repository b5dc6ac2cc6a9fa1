"""Letter template editor (R-PAR-4): required fields, allow-listed placeholders only, injection
payloads as plain text, the real PDF preview, reset, fixed CNIL mention, roles and CSRF."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from admints.courriers import editor, wording
from admints.errors import DomainError
from admints.parametrage import versions

from . import factories
from .settings_helpers import TODAY, post, text

INJECTIONS = ["{{ ''.__class__.__mro__ }}", "{% for x in range(3) %}boucle{% endfor %}",
              "{0.__init__.__globals__}", "$$ et $identifiant"]


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _compact(s: str) -> str:
    return "".join(s.split())


def test_r_par_4_new_account_body_requires_identifier_and_password(etab):
    body = wording.DEFAULTS["responsable_nouveau"].replace("${mot_de_passe}", "")
    with pytest.raises(DomainError, match=r"Mot de passe provisoire.*\$\{mot_de_passe\}"):
        editor.save_text(etab.id, "responsable_nouveau", body, today=TODAY)
    body = wording.DEFAULTS["eleve_nouveau"].replace("${identifiant}", "")
    with pytest.raises(DomainError, match=r"Identifiant du compte.*\$\{identifiant\}"):
        editor.save_text(etab.id, "eleve_nouveau", body, today=TODAY)
    assert editor.stored_text(etab.id, "responsable_nouveau") is None
    assert editor.stored_text(etab.id, "eleve_nouveau") is None


def test_r_par_4_unknown_placeholder_refused(etab):
    body = wording.DEFAULTS["eleve_continuite"] + "\n${__import__}"
    with pytest.raises(DomainError, match=r"champ inconnu \$\{__import__\}"):
        editor.save_text(etab.id, "eleve_continuite", body, today=TODAY)
    with pytest.raises(DomainError, match="Courrier inconnu"):
        editor.save_text(etab.id, "mention_cnil", "x", today=TODAY)
    with pytest.raises(DomainError, match="vide"):
        editor.save_text(etab.id, "entete", "   ", today=TODAY)


def test_r_par_4_saved_at_once_then_reset(etab):
    body = wording.DEFAULTS["eleve_continuite"] + "\nBonne année scolaire !"
    assert editor.save_text(etab.id, "eleve_continuite", body, today=TODAY) == TODAY
    assert versions.get(etab.id, "courrier.eleve_continuite", TODAY) == body
    assert editor.current_text(etab.id, "eleve_continuite") == body
    editor.reset_text(etab.id, "eleve_continuite", today=TODAY)
    assert editor.stored_text(etab.id, "eleve_continuite") is None
    assert editor.current_text(etab.id, "eleve_continuite") == \
        wording.DEFAULTS["eleve_continuite"]


def test_r_par_4_injection_payloads_print_as_plain_text(etab, tmp_path):
    body = wording.DEFAULTS["eleve_nouveau"] + "\n" + "\n".join(INJECTIONS)
    editor.save_text(etab.id, "eleve_nouveau", body, today=TODAY)
    path = tmp_path / "apercu.pdf"
    assert editor.preview(etab, "eleve_nouveau", body, path, today=TODAY) >= 1
    content = _compact(_pdf_text(path.read_bytes()))
    for payload in INJECTIONS:
        assert _compact(payload) in content
    assert "camille.exemple" in content and "3QMS5X2P" in content
    assert "<class" not in content and "boucleboucle" not in content


def test_r_par_4_screen_edit_preview_cancel_reset(client, auth, etab):
    auth.login("chef.0999001a")
    html = text(client.get("/parametrage/courriers/"))
    assert "En-tête (tous les courriers)" in html and "Prédéfini" in html
    page = text(client.get("/parametrage/courriers/modifier/entete"))
    assert "Insérer un champ" in page and "${etablissement}" in page
    assert "commission nationale de l'informatique et des libertés" in page  # shown, fixed
    header = wording.DEFAULTS["entete"] + "\nPermanence le mercredi"
    # Preview: the real PDF with the edited header, nothing saved.
    resp = post(client, auth, "/parametrage/courriers/apercu/entete", {"texte": header},
                page="/parametrage/courriers/modifier/entete")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    content = _compact(_pdf_text(resp.data))
    assert "Permanencelemercredi" in content and "Collège Victor-Hugo".replace(" ", "") in content
    assert "commissionnationaledel'informatique" in content  # CNIL mention always printed
    assert editor.stored_text(etab.id, "entete") is None
    # Validate.
    resp = post(client, auth, "/parametrage/courriers/modifier/entete", {"texte": header},
                follow_redirects=True)
    assert "En-tête (tous les courriers) » enregistré" in text(resp)
    assert editor.stored_text(etab.id, "entete") == header
    assert "Personnalisé" in text(client.get("/parametrage/courriers/"))
    # « Visualiser le courrier »: the text in force.
    resp = client.get("/parametrage/courriers/apercu/entete")
    assert "Permanencelemercredi" in _compact(_pdf_text(resp.data))
    # Reset.
    resp = post(client, auth, "/parametrage/courriers/reinitialiser/entete", {"confirme": "1"},
                page="/parametrage/courriers/", follow_redirects=True)
    assert "texte prédéfini rétabli" in text(resp)
    assert editor.stored_text(etab.id, "entete") is None


def test_r_par_4_screen_refuses_missing_field_and_injection(client, auth, etab):
    auth.login("chef.0999001a")
    body = wording.DEFAULTS["responsable_nouveau"].replace("${identifiant}", "")
    resp = post(client, auth, "/parametrage/courriers/modifier/responsable_nouveau",
                {"texte": body})
    assert resp.status_code == 400
    assert "Identifiant du compte" in text(resp) and "${identifiant}" in text(resp)
    resp = post(client, auth, "/parametrage/courriers/apercu/responsable_nouveau",
                {"texte": body}, page="/parametrage/courriers/modifier/responsable_nouveau")
    assert resp.status_code == 400 and "Identifiant du compte" in text(resp)
    payload = wording.DEFAULTS["responsable_nouveau"] + "\n${__import__('os')}\n${config}"
    resp = post(client, auth, "/parametrage/courriers/modifier/responsable_nouveau",
                {"texte": payload})
    assert resp.status_code == 400 and "champ inconnu" in text(resp)
    assert editor.stored_text(etab.id, "responsable_nouveau") is None
    assert client.get("/parametrage/courriers/modifier/mention_cnil").status_code == 404


def test_r_par_4_roles_and_csrf(client, auth, etab, db):
    factories.make_user("deleg.eleves", "delegue", etablissement=etab, droits=["eleves"])
    db.session.commit()
    auth.login("deleg.eleves")
    assert client.get("/parametrage/courriers/").status_code == 403
    body = wording.DEFAULTS["entete"] + "\nPirate"
    assert post(client, auth, "/parametrage/courriers/modifier/entete", {"texte": body},
                page="/login").status_code == 403
    assert post(client, auth, "/parametrage/courriers/reinitialiser/entete", {},
                page="/login").status_code == 403
    assert editor.stored_text(etab.id, "entete") is None
    token_less = client.post("/parametrage/courriers/modifier/entete", data={"texte": body})
    assert token_less.status_code == 400
    assert editor.stored_text(etab.id, "entete") is None
