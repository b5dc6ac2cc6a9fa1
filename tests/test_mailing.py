"""mailing.send_batch over a real aiosmtpd server (R-ACC-4/7): one connection, per-message
results, refused recipient, reconnection, server stopped mid-batch or down, TLS and timeout
settings, escaping of the staff's text, no password in logs."""

from __future__ import annotations

import datetime as dt
import logging

from flask_mail import Message

from admints.comptes import identifiers, mailing, notification, writing
from admints.models import AuditEntry

from . import factories
from .smtp_server import free_port


def messages(n: int, prefix: str = "p") -> list[Message]:
    return [Message(subject=f"Sujet {i}", recipients=[f"{prefix}{i}@example.org"],
                    body=f"Corps {i}", html=f"<p>Corps {i}</p>") for i in range(n)]


def test_r_acc_4_batch_all_delivered_in_order(app, smtp):
    results = mailing.send_batch(messages(5), keys=list("abcde"))
    assert [r.key for r in results] == list("abcde") and all(r.ok for r in results)
    assert [m.rcpt_tos[0] for m in smtp.messages] == [f"p{i}@example.org" for i in range(5)]
    assert smtp.messages[2].subject == "Sujet 2"
    assert smtp.messages[0].mail_from == app.config["MAIL_DEFAULT_SENDER"]


def test_r_acc_4_refused_recipient_fails_only_that_message(app, smtp):
    smtp.handler.refuse = {"p1@example.org"}
    results = mailing.send_batch(messages(3))
    assert [r.ok for r in results] == [True, False, True]
    assert "refusée" in results[1].error and "550" in results[1].error
    assert len(smtp.messages) == 2


def test_reconnects_after_server_disconnect(app, smtp):
    smtp.handler.hangup_every = 2
    results = mailing.send_batch(messages(6))
    assert all(r.ok for r in results), [r.error for r in results]
    assert len(smtp.messages) == 6


def test_r_acc_4_server_stopped_mid_batch_rest_fails_no_exception(app, smtp):
    smtp.handler.die_after = 3
    results = mailing.send_batch(messages(8))
    assert [r.ok for r in results] == [True] * 3 + [False] * 5
    assert all(r.error for r in results[3:])
    assert len(smtp.messages) == 3


def test_server_down_every_message_fails_with_reason(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    app.extensions["mail"].suppress = False
    results = mailing.send_batch(messages(3))
    assert [r.ok for r in results] == [False] * 3
    assert all("injoignable" in r.error for r in results), results[0].error


def test_starttls_required_but_unsupported_fails_cleanly(app, smtp):
    app.config["MAIL_USE_TLS"] = True
    results = mailing.send_batch(messages(2))
    assert not any(r.ok for r in results) and all(r.error for r in results)
    assert smtp.messages == []


def test_connection_has_timeout(app, smtp):
    app.config["MAIL_TIMEOUT"] = 3
    with mailing.connect() as conn:
        assert conn.host.timeout == 3


def test_r_acc_7_free_message_escaped_and_separate_emails(app, db, etab, smtp):
    liens = []
    for i, email in enumerate(["a@example.org", "b@example.org", None]):
        resp = factories.make_responsable(etab, f"R{i}", "X", email=email)
        liens.append(factories.link(factories.make_eleve(etab), resp, 1))
    db.session.commit()
    recap = writing.write_to_responsables(
        etab.id, [lien.compte_id for lien in liens], subject="Réunion parents",
        body="Bonjour,\n<script>alert(1)</script>\n\nÀ bientôt", today=None)
    db.session.commit()
    assert recap["sent"] == 2 and len(recap["without_address"]) == 1
    assert sorted(m.rcpt_tos for m in smtp.messages) == [["a@example.org"], ["b@example.org"]]
    html = smtp.messages[0].html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Réunion parents" == smtp.messages[0].subject
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action ==
                                                         "responsable.ecrire")).rows


def test_r_acc_7_subject_header_injection_refused(app, db, etab):
    import pytest

    from admints.errors import DomainError

    with pytest.raises(DomainError, match="une ligne"):
        writing.write_to_responsables(etab.id, [], subject="a\nBcc: x@y.fr", body="t",
                                      today=None)


def test_r_sec_2_no_password_in_logs(app, db, etab, smtp, tmp_path, caplog, monkeypatch):
    resp = factories.make_responsable(etab, email="refuse@example.org")
    lien = factories.link(factories.make_eleve(etab), resp, 1)
    db.session.commit()
    smtp.handler.refuse = {"refuse@example.org"}
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(identifiers, "generate_temporary_password", lambda: "ZQ7XK4MP")
    recap = notification.notify(etab.id, "responsable", [lien.compte_id], mode="courriel",
                           today=dt.date(2026, 11, 28), out_path=tmp_path / "x.pdf")
    assert recap.failed
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("admints"))
    assert "ZQ7XK4MP" not in ours + str(recap.as_dict())


def test_fast_serialisation_equivalent_to_flask_mail(app):
    """FastMessage (direct serialisation, for R-ACC-6 speed) parses to the same message."""
    import email
    import email.policy

    kw = dict(subject="Accès à Scolarité services – Collège Zoë Œdipe " * 3,
              recipients=["Anne Ñúñez <anne@example.org>"], sender="ne-pas-repondre@x.fr",
              body="Bonjour Zoë,\nIdentifiant : zoe.oedipe\n" * 20,
              html="<p>Bonjour <b>Zoë</b></p>\n" * 20)
    fast, slow = mailing.FastMessage(**kw), Message(**kw)
    fast.date = slow.date = 1_800_000_000
    parsed = [email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
              for m in (fast, slow)]
    # Flask-Mail's own folding loses spaces between encoded words; ours keeps the subject.
    assert str(parsed[0]["subject"]) == kw["subject"].strip() or \
        str(parsed[0]["subject"]) == kw["subject"]
    for field in ("to", "from", "date"):
        assert str(parsed[0][field]) == str(parsed[1][field]), field
    for kind in ("plain", "html"):
        assert parsed[0].get_body((kind,)).get_content() == \
            parsed[1].get_body((kind,)).get_content()
    assert all(len(line) <= 998 for line in fast.as_bytes().split(b"\r\n"))


def _tls_server(tmp_path):
    import ssl

    from .smtp_server import SmtpServer, self_signed_certificate

    cert, key = self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return SmtpServer(smtp_kwargs={"tls_context": context}).start(), cert


def test_starttls_verifies_the_certificate(app, tmp_path, monkeypatch):
    """MAIL_USE_TLS uses ssl.create_default_context(): an untrusted certificate is refused
    (Flask-Mail alone would accept it), a trusted one carries the mail."""
    server, cert = _tls_server(tmp_path)
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=True)
        app.extensions["mail"].suppress = False
        refused = mailing.send_batch(messages(2))
        assert [r.ok for r in refused] == [False, False] and "TLS" in refused[0].error
        assert server.messages == []
        monkeypatch.setenv("SSL_CERT_FILE", cert)  # now the certificate is trusted
        sent = mailing.send_batch(messages(2))
        assert all(r.ok for r in sent) and len(server.messages) == 2
    finally:
        server.stop()


def test_r_sec_1_write_to_responsables_ignores_other_establishment(app, db, etab, other_etab,
                                                                   smtp):
    lien = factories.link(factories.make_eleve(other_etab), factories.make_responsable(
        other_etab, email="autre@example.org"), 1)
    db.session.commit()
    recap = writing.write_to_responsables(etab.id, [lien.compte_id], subject="S", body="T",
                                          today=None)
    assert recap == {"sent": 0, "failed": [], "without_address": []}
    assert smtp.messages == []
