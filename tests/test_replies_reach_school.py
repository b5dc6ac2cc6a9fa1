"""Replies reach the school (issue 12 point 3): emails to families — notification, « Écrire à
plusieurs responsables », « Écrire un courriel », activation — leave with `Reply-To` = the
establishment's address of its Fiche and the establishment as the sender's display name (the
From address stays the configured sender), headers encoded for accents; read back from a real
aiosmtpd server with the `email` package. Addresses on back-office screens are `mailto:` links;
the screens say that notification emails use a fixed text (R-PAR-4 choice)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.header import decode_header, make_header

import pytest

from admints.comptes import mailing, notification, writing
from admints.extensions import db
from admints.parametrage import fiche

from . import factories as f
from .settings_helpers import text

TODAY = dt.date(2026, 11, 28)
NAMES = ["Collège Victor-Hugo",
         "Lycée polyvalent « Les Iris » – Saint-Étienne-du-Rouvray, cité scolaire d'Élbeuf"]


def _responsables(etab, emails):
    div = f.make_division(etab, "6A")
    liens = []
    for i, address in enumerate(emails):
        eleve = f.make_eleve(etab, f"ELEVE{i:02d}", "Zoé", division=div)
        resp = f.make_responsable(etab, f"PARENT{i:02d}", "Anne", email=address)
        liens.append(f.link(eleve, resp, 1, identifiant=f"anne.parent{i:02d}"))
    db.session.commit()
    return liens


def _check_headers(app, received, etab):
    """The From display name is the establishment, its address the configured sender; the
    Reply-To the Fiche's address; every header line ASCII (RFC 2047 words for the accents)."""
    msg = received.message
    sender = msg["From"].addresses[0]
    assert sender.addr_spec == app.config["MAIL_DEFAULT_SENDER"]
    # Decoded as mail readers do (RFC 2047 §6.2: blanks between encoded words are dropped;
    # Python's address parser inserts a space there, so it is not the reference).
    raw = email.message_from_bytes(received.data, policy=email.policy.compat32)["From"]
    assert str(make_header(decode_header(raw))) == \
        f"{etab.nom} <{app.config['MAIL_DEFAULT_SENDER']}>"
    assert received.mail_from == app.config["MAIL_DEFAULT_SENDER"]  # envelope unchanged
    assert [a.addr_spec for a in msg["Reply-To"].addresses] == [fiche.courriel(etab)]
    head = received.data.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # raises on a raw accent
    assert b"=?utf-8?" in head.split(b"From:", 1)[1].split(b"\r\nTo:", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))


@pytest.mark.parametrize("nom", NAMES)
def test_issue12_notification_email_reply_to_and_display_name(app, db, etab, smtp, tmp_path,
                                                              nom):
    etab.nom = nom
    fiche.update_fiche(etab, {"courriel": "secretariat.0999001a@ac-lille.fr"})
    liens = _responsables(etab, ["anne0@example.org"])
    notification.notify(etab.id, "responsable", [liens[0].compte_id], mode="courriel",
                        today=TODAY, out_path=tmp_path / "r.pdf")
    db.session.commit()
    [received] = smtp.messages
    _check_headers(app, received, etab)
    assert "secretariat.0999001a@ac-lille.fr" in received.text()
    assert "répondez à ce message" in received.text()
    assert 'href="mailto:secretariat.0999001a@ac-lille.fr"' in received.html()


def test_issue12_write_to_several_responsables_reply_to(app, db, etab, smtp):
    """« Écrire à plusieurs responsables » (R-ACC-7)."""
    liens = _responsables(etab, ["anne0@example.org", "anne1@example.org"])
    recap = writing.write_to_responsables(etab.id, [lien.compte_id for lien in liens],
                                          subject="Réunion « 6A » – élèves", body="Bonjour,",
                                          today=TODAY)
    assert recap["sent"] == 2 and len(smtp.messages) == 2
    for received in smtp.messages:
        _check_headers(app, received, etab)
        assert received.subject == "Réunion « 6A » – élèves"


def test_issue12_write_one_email_reply_to(app, db, etab, smtp):
    """« Écrire un courriel » from « Gérer le compte »."""
    liens = _responsables(etab, ["anne0@example.org"])
    writing.write_to_account(etab.id, "responsable", liens[0].compte_id, subject="Objet",
                             body="Texte", today=TODAY)
    [received] = smtp.messages
    _check_headers(app, received, etab)


def test_issue12_activation_email_reply_to(app, db, etab, smtp):
    message = mailing.activation_message(etab, "anne0@example.org", identifiant="anne.p",
                                         link="https://teleservices.localhost/valider?t=x")
    assert mailing.send_batch([message])[0].ok
    _check_headers(app, smtp.messages[0], etab)


def test_issue12_no_valid_contact_address_no_reply_to(app, db, etab):
    """Without a valid address in the Fiche, no Reply-To (and the footer says not to reply)
    rather than a broken header; a name with quotes or line breaks stays one header line."""
    etab.emails = ["pas-une-adresse"]
    etab.nom = 'Collège "Les Tilleuls"\r\nBcc: x@example.org'
    message = mailing.free_message(etab, "a@example.org", subject="Objet", text="Texte")
    assert message.reply_to is None
    assert message.sender_name == 'Collège "Les Tilleuls" Bcc: x@example.org'
    assert message.sender == "ne-pas-repondre@admints.localhost"
    data = message.as_bytes()
    assert b"Reply-To" not in data and b"\r\nBcc:" not in data


# --- screens -------------------------------------------------------------------------------------

def test_issue12_addresses_on_screens_are_mailto_links(client, auth, etab):
    liens = _responsables(etab, ["anne0@example.org", "jean@"])
    auth.login("chef.0999001a")
    page = text(client.get("/responsables/"))
    assert '<a href="mailto:anne0@example.org">anne0@example.org</a>' in page
    assert 'href="mailto:jean@"' not in page  # an invalid address is not a link
    page = text(client.get(f"/responsables/compte/{liens[0].id}/"))
    assert 'href="mailto:anne0@example.org"' in page


def test_issue12_academie_detail_emails_are_links(client, auth, etab):
    f.make_user("academie.demo", "academie", academie=etab.academie)
    db.session.commit()
    auth.login("academie.demo")
    page = text(client.get(f"/etablissements/details/?id={etab.id}"))
    assert 'href="mailto:ce.0999001a@ac-demo.fr"' in page


def test_issue12_r_par_4_screens_say_emails_use_a_fixed_text(client, auth, etab):
    """R-PAR-4 choice: the notification email keeps a fixed text; the letter editor and the
    notification confirmation say so plainly."""
    auth.login("chef.0999001a")
    page = " ".join(text(client.get("/parametrage/courriers/")).split())
    assert "Les courriels de notification utilisent un texte fixe" in page
    liens = _responsables(etab, ["anne0@example.org"])
    from .comptes_helpers import post_action
    resp = post_action(client, "/responsables/", "notifier", rowids=[liens[0].id])
    page = " ".join(text(resp).split())
    assert resp.status_code == 200 and "utilisent un texte fixe" in page
