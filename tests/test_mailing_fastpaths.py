"""The fast paths of `admints.comptes.mailing` (issue 3 point 10b, kept by issue 10 point 5) give
what the libraries they shortcut give: the address cache gives Flask-Mail's addresses, the base64
lines `base64.encodebytes`, and `FastMessage` the message Flask-Mail writes, over a matrix of
subjects, bodies and addresses; what it does not handle goes to Flask-Mail, never dropped (R-ACC-4,
R-ACC-7)."""

import base64
import email
import email.header
import email.utils
import itertools
from email import policy

import pytest
from flask_mail import Attachment, Message, sanitize_address

from admints.comptes import mailing

ADDRESSES = [
    "marie.dupont@example.org", "o'brien@example.fr", "a+b@sub.example.com",
    "Zoé Dupont <zoe@example.org>", "\"quoted name\"@example.org", "jean@exämple.fr",
    "x@localhost",
]

SUBJECTS = [
    "", "Bonjour", " Espaces  doubles et au bord ", "Vos accès à Scolarité services – Collège",
    "Réunion parents–professeurs « 3e B » " * 6, "mot " * 40, "x" * 120,
    "Fête 🎉 de fin d'année", "e\u0301" * 60, "Œdipe Ł ễ " + "é" * 90,
]
BODIES = [
    ("Bonjour,\nÀ bientôt.", "<p>Bonjour <b>Zoë</b></p>"),
    ("", ""),
    ("Lignes\r\nWindows\r\n", "<p>a</p>\r\n<p>b</p>"),
    ("une très longue ligne " * 200, "<p>" + "é" * 3000 + "</p>"),
]
RECIPIENTS = [
    ["marie.dupont@example.org"],
    ["Zoé Dupont <zoe@example.org>", ("Anne Ñúñez", "anne@example.org")],
    ["a@example.org", "a@example.org", "b@example.org"],  # Flask-Mail writes each once
    [f"responsable.numero{n}@etablissement-scolaire.example.org" for n in range(6)],
]
SENDERS = ["ne-pas-repondre@admints.localhost", ("Collège Victor-Hugo", "ce.0999001a@ac.fr")]


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=policy.default)


def _leaves(parsed) -> list[tuple]:
    return [(p.get_content_type(), p.get_content_charset(),
             p.get_content().replace("\r\n", "\n"))
            for p in parsed.walk() if not p.is_multipart()]


def _flask_mail_bytes(message: Message) -> bytes:
    """Flask-Mail's serialisation; a FastMessage's `sender_name` given as Flask-Mail takes a
    display name (a tuple)."""
    name = getattr(message, "sender_name", None)
    if not name:
        return Message.as_bytes(message)
    address, message.sender = message.sender, (name, message.sender)
    try:
        return Message.as_bytes(message)
    finally:
        message.sender = address


def _same_as_flask_mail(message: Message) -> bytes:
    """Both serialisations of `message`, read back: same headers, same leaf parts."""
    message.date = 1_800_000_000
    data = message.as_bytes()
    ours, theirs = _parse(data), _parse(_flask_mail_bytes(message))
    for name in ("From", "Date", "Message-ID", "Reply-To"):
        assert str(ours[name]) == str(theirs[name]), name
    assert {(a.display_name, a.addr_spec) for a in ours["To"].addresses} == \
        {(a.display_name, a.addr_spec) for a in theirs["To"].addresses}
    # Flask-Mail's folding may lose the spaces between its encoded words; ours keeps them.
    subject = str(ours["Subject"] or "")
    assert subject.split() == str(theirs["Subject"] or "").split()
    assert subject == (message.subject or "").lstrip()
    assert _leaves(ours) == _leaves(theirs)
    return data


@pytest.mark.parametrize("address", ADDRESSES)
def test_r_acc_4_fast_address_equals_flask_mail(address):
    assert mailing._address(address) == sanitize_address(address)


@pytest.mark.parametrize("size", [0, 1, 56, 57, 58, 114, 1000, 4097])
def test_r_acc_4_base64_lines_equal_encodebytes(size):
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    expected = base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")
    assert mailing._base64_lines(data) == expected


@pytest.mark.parametrize("subject", SUBJECTS)
def test_r_acc_4_fast_message_equals_flask_mail_over_a_matrix(app, subject):
    """Every subject × body × recipients × sender: the fast path is taken (its boundary), reads
    back as Flask-Mail's message, and folds: no line over 78 characters, encoded-word lines
    within 76 (RFC 5322 §2.1.1, RFC 2047 §2)."""
    for (body, html), recipients, sender in itertools.product(BODIES, RECIPIENTS, SENDERS):
        message = mailing.FastMessage(subject=subject, recipients=recipients, body=body,
                                      html=html, sender=sender)
        data = _same_as_flask_mail(message)
        assert b"==admints_" in data
        head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        assert all(len(line) <= 78 for line in data.split(b"\r\n")), subject
        assert all(len(line) <= 76 for line in head if b"=?utf-8?" in line)
        assert all(line[:1] != b" " or line.strip() for line in head)  # no blank fold


@pytest.mark.parametrize("case", [
    "charset", "alternative", "no_html", "no_body", "cc", "bcc", "extra_headers",
    "attachment", "encoded_word_lookalike", "folded_subject", "long_display_name",
])
def test_r_acc_7_unhandled_shapes_go_to_flask_mail_nothing_dropped(app, case):
    kw = dict(subject="Réunion « 3e B »", recipients=["marie@example.org"],
              body="Bonjour Zoë,\nà bientôt.", html="<p>Bonjour Zoë</p>")
    kw.update({
        "charset": dict(charset="iso-8859-1"),
        "alternative": dict(alts={"html": "<p>h</p>", "x-watch-html": "<b>montre</b>"}),
        "no_html": dict(html=None),
        "no_body": dict(body=None),
        "cc": dict(cc=["cc@example.org"]),
        "bcc": dict(bcc=["bcc@example.org"]),
        "extra_headers": dict(extra_headers={"X-Etablissement": "0999001A"}),
        "attachment": dict(attachments=[Attachment("a.txt", "text/plain", b"piece jointe")]),
        "encoded_word_lookalike": dict(subject="Objet =?utf-8?q?x?= tel quel"),
        "folded_subject": dict(subject="Objet\r\n  plié"),
        "long_display_name": dict(sender=("Établissement " * 8, "ce@example.org")),
    }[case])
    message = mailing.FastMessage(**kw)
    message.date = 1_800_000_000
    data = message.as_bytes()
    assert b"==admints_" not in data  # Flask-Mail wrote it
    ours, theirs = _parse(data), _parse(Message.as_bytes(message))
    assert _leaves(ours) == _leaves(theirs)
    for name in ("Subject", "From", "To", "Cc", "Reply-To", "X-Etablissement"):
        assert str(ours[name]) == str(theirs[name]), name
    leaves = _leaves(ours)
    if case == "charset":
        assert leaves[0][1] == "iso-8859-1" and "Zoë" in leaves[0][2]
    if case == "alternative":
        assert ("text/x-watch-html", "utf-8", "<b>montre</b>") in leaves
    if case == "attachment":
        assert any(p.get_filename() == "a.txt" for p in ours.walk())
    if case == "extra_headers":
        assert ours["X-Etablissement"] == "0999001A"


def test_r_acc_4_address_flask_mail_cannot_write_fails_the_same_way(app):
    """A non-ASCII local part: Flask-Mail refuses it, so does the fast path (send_batch then
    fails that message only, with its reason)."""
    message = mailing.FastMessage(subject="Objet", recipients=["zoë@example.org"],
                                  body="texte", html="<p>texte</p>")
    with pytest.raises(UnicodeEncodeError):
        Message.as_bytes(message)
    with pytest.raises(UnicodeEncodeError):
        message.as_bytes()


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


@pytest.mark.parametrize("name", ["notification", "activation", "libre"])
def test_r_acc_4_builders_take_the_fast_path_and_equal_flask_mail(app, etab, name):
    builders = {
        "notification": lambda: mailing.notification_message(
            etab, "zoe@example.org", identifiant="zoe.dupont", password="3QMS5X2P",
            civilite="Madame", nom="DUPONT", prenom="Zoé", eleve="Léa DUPONT",
            url="https://teleservices.localhost/"),
        "activation": lambda: mailing.activation_message(
            etab, "zoe@example.org", identifiant="zoe.dupont",
            link="https://teleservices.localhost/valider?t=<x>"),
        "libre": lambda: mailing.free_message(etab, "zoe@example.org", subject="Sujet",
                                              text="Bonjour <b>&</b>\nLigne 2"),
    }
    assert b"==admints_" in _same_as_flask_mail(builders[name]())


REPLY_TOS = [
    "ce.0999001a@ac-lille.fr", ("Collège Victor-Hugo", "ce.0999001a@ac-lille.fr"),
    ("Lycée « Les Iris », Saint-Étienne", "secretariat@lycee-les-iris.example.org"),
    ("Ecole O'Brien, Paris", "ce@example.org"), "Zoé Dupont <zoe@example.org>",
]
ETAB_SENDERS = [
    ("Collège Victor-Hugo", "ne-pas-repondre@admints.localhost"),
    ("Collège Évariste-Galois de Sartrouville", "ne-pas-repondre@teleservices.ac-versailles.fr"),
    ("LYCEE POLYVALENT \"JEAN MOULIN\"", "ne-pas-repondre@admints.localhost"),
]


@pytest.mark.parametrize("reply_to", REPLY_TOS)
def test_issue12_reply_to_and_display_name_fast_path_equals_flask_mail(app, reply_to):
    """Issue 12 pt 3: Reply-To (the establishment's address) and a From with the
    establishment's name as display name stay on the fast path, read back as Flask-Mail's, and
    keep every header line within 78 characters (folded at a space)."""
    for sender, (body, html) in itertools.product(ETAB_SENDERS, BODIES[:2]):
        message = mailing.FastMessage(subject="Vos accès à Scolarité services", body=body,
                                      html=html, recipients=["marie@example.org"],
                                      sender=sender, reply_to=reply_to)
        data = _same_as_flask_mail(message)
        assert b"==admints_" in data
        assert all(len(line) <= 78 for line in data.split(b"\r\n"))
        parsed = _parse(data)
        # Flask-Mail drops the double quotes of a display name (both paths agree); the
        # builders take them out of an establishment's name beforehand.
        assert parsed["From"].addresses[0].display_name == sender[0].replace('"', "")
        expected = reply_to if isinstance(reply_to, tuple) else \
            email.utils.parseaddr(reply_to)
        assert (parsed["Reply-To"].addresses[0].display_name,
                parsed["Reply-To"].addresses[0].addr_spec) == expected


def test_issue12_reply_to_with_line_break_goes_to_flask_mail(app):
    """A Reply-To that cannot be one header line is never written by the fast path."""
    message = mailing.FastMessage(subject="Objet", recipients=["a@example.org"], body="t",
                                  html="<p>t</p>", reply_to=("Nom " * 30, "ce@example.org"))
    message.date = 1_800_000_000
    assert b"==admints_" not in message.as_bytes()


SENDER_NAMES = [
    "Collège Victor-Hugo", "College Jean Moulin", 'Lycée "Les Iris", Saint-Étienne',
    "Lycée polyvalent « Les Iris » – Saint-Étienne-du-Rouvray, cité scolaire d'Élbeuf",
    "É" * 120, "Ecole =?utf-8?q?x?= tel quel",
]


@pytest.mark.parametrize("name", SENDER_NAMES)
def test_issue12_establishment_display_name_any_length_on_fast_path(app, name):
    """Issue 12 pt 3: the establishment as the From display name (`sender_name`), the address
    the configured sender: fast path at any length, lines within 78, decoded by RFC 2047 as
    the name; where Flask-Mail's own output reads back right (short names), the same."""
    message = mailing.FastMessage(subject="Objet", recipients=["a@example.org"], body="t",
                                  html="<p>t</p>", sender="ne-pas-repondre@admints.localhost",
                                  reply_to="ce.0999001a@ac-lille.fr")
    message.sender_name = name
    message.date = 1_800_000_000
    data = message.as_bytes()
    assert b"==admints_" in data
    head = data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    raw = email.message_from_bytes(data, policy=policy.compat32)["From"]
    decoded = str(email.header.make_header(email.header.decode_header(raw)))
    assert decoded == f"{name} <ne-pas-repondre@admints.localhost>"
    assert message.sender == "ne-pas-repondre@admints.localhost"  # the envelope sender
    if len(name.encode()) <= 39 and "=?" not in name:  # else Flask-Mail writes it raw
        _same_as_flask_mail(message)


def test_issue12_display_name_kept_when_flask_mail_writes_the_message(app):
    """An attachment sends the message to Flask-Mail: the display name is still there."""
    message = mailing.FastMessage(subject="Objet", recipients=["a@example.org"], body="t",
                                  html="<p>t</p>", sender="ne-pas-repondre@admints.localhost",
                                  attachments=[Attachment("a.txt", "text/plain", b"x")])
    message.sender_name = "Collège Victor-Hugo"
    parsed = _parse(message.as_bytes())
    assert parsed["From"].addresses[0].display_name == "Collège Victor-Hugo"
    assert message.sender == "ne-pas-repondre@admints.localhost"
