"""The fast paths of `admints.mailing` (issue 3 point 10b) give exactly what the libraries
they shortcut give: addresses, base64 bodies, template rendering, the whole message."""

import base64
import email
from email import policy

import pytest
from flask_mail import sanitize_address

from admints import mailing

ADDRESSES = [
    "marie.dupont@example.org", "o'brien@example.fr", "a+b@sub.example.com",
    "Zoé Dupont <zoe@example.org>", "\"quoted name\"@example.org", "jean@exämple.fr",
    "x@localhost",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_r_acc_4_fast_address_equals_flask_mail(address):
    assert mailing._address(address) == sanitize_address(address)


@pytest.mark.parametrize("size", [0, 1, 56, 57, 58, 114, 1000, 4097])
def test_r_acc_4_base64_lines_equal_encodebytes(size):
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    expected = base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")
    assert mailing._base64_lines(data) == expected


@pytest.mark.parametrize("name", ["notification", "activation", "libre"])
def test_r_acc_4_render_equals_jinja_render(app, etab, name):
    ctx = {"etab": etab, "etablissement": etab, "identifiant": "zoe.dupont",
           "password": "3QMS5X2P", "url": "https://teleservices.localhost/",
           "link": "https://teleservices.localhost/valider?t=<x>", "subject": "Sujet",
           "text": "Bonjour <b>&</b>\nLigne 2", "continuite": False}
    for ext in ("txt", "html"):
        template = app.jinja_env.get_template(f"emails/{name}.{ext}")
        assert mailing._render(f"emails/{name}.{ext}", ctx) == template.render(**ctx)


def test_r_acc_4_fast_message_parses_back(app, etab):
    message = mailing.free_message(etab, "marie.dupont@example.org",
                                   subject="Réunion parents–professeurs « 3e B »",
                                   text="Bonjour,\nÀ bientôt.")
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["To"] == "marie.dupont@example.org"
    assert str(parsed["Subject"]) == "Réunion parents–professeurs « 3e B »"
    bodies = [part.get_content() for part in parsed.iter_parts()]
    assert "À bientôt." in bodies[0].replace("\r\n", "\n")
    assert parsed.get_content_type() == "multipart/alternative"
