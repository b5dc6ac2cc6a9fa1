"""Outgoing email: one SMTP connection per batch, per-message results (R-ACC-4/7/8).

`send_batch(messages)` sends a list of Flask-Mail `Message`s over ONE connection (about
1,000/s against 600 with a connection each), with a certificate-checking TLS context and a
socket timeout, both of which Flask-Mail lacks; a refused recipient fails that message
only; after `SMTPServerDisconnected` it reconnects once and, if the server is gone, the
remaining messages fail with a French reason. No exception escapes, no password is logged.

One builder per message kind, French text + HTML from `templates/emails/`.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app
from flask_mail import BadHeaderError, Connection, Message, email_dispatched

from .. import clock
from ..email_syntax import is_valid_email
from ..parametrage import fiche
from .mail_format import FastMessage, _address, _base64_lines  # noqa: F401 (portail, tests)

log = logging.getLogger(__name__)


@dataclass
class SendResult:
    """The outcome of one message, in the order of the batch. `key` is the caller's tag."""

    key: object
    ok: bool
    error: str | None = None


class SafeConnection(Connection):
    """Flask-Mail's connection with a timeout, a verifying TLS context and live config."""

    def configure_host(self):
        cfg = current_app.config
        server, port = cfg.get("MAIL_SERVER", "127.0.0.1"), cfg.get("MAIL_PORT", 25)
        timeout = cfg.get("MAIL_TIMEOUT", 10)
        context = ssl.create_default_context()
        if cfg.get("MAIL_USE_SSL"):
            host = smtplib.SMTP_SSL(server, port, timeout=timeout, context=context)
        else:
            host = smtplib.SMTP(server, port, timeout=timeout)
        if cfg.get("MAIL_USE_TLS"):
            host.starttls(context=context)
        if cfg.get("MAIL_USERNAME") and cfg.get("MAIL_PASSWORD"):
            host.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        return host

    def close(self) -> None:
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()
            self.host = None

    def __exit__(self, exc_type, exc_value, tb) -> None:
        self.close()

    def send(self, message: Message, envelope_from: str | tuple[str, str] | None = None) -> None:
        """Flask-Mail's `Connection.send` (same checks, `email_dispatched` signal, reconnection
        every MAIL_MAX_EMAILS) with the addresses sanitised by `_address`: Flask-Mail's
        `sanitize_address` (parseaddr + Header + formataddr, ~40 µs) ran four times per message
        counting `as_bytes`, a third of the client's time in a batch."""
        if not message.send_to:
            raise AssertionError("No recipients have been added")
        if not message.sender:
            raise AssertionError("The message does not specify a sender and a default sender "
                                 "has not been configured")
        if message.has_bad_headers():
            raise BadHeaderError
        if message.date is None:
            message.date = clock.now().timestamp()
        if self.host is not None:
            self.host.sendmail(_address(envelope_from or message.sender),
                               [_address(a) for a in message.send_to], message.as_bytes(),
                               message.mail_options, message.rcpt_options)
        email_dispatched.send(current_app._get_current_object(), message=message)
        self.num_emails += 1
        if self.num_emails == self.mail.max_emails:
            self.num_emails = 0
            if self.host:
                self.host.quit()
                self.host = self.configure_host()


def connect() -> SafeConnection:
    return SafeConnection(current_app.extensions["mail"])


def _reason(exc: BaseException, recipients: Sequence[str]) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = ", ".join(
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values())
        return f"Adresse refusée par le serveur de messagerie ({codes})."
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"Expéditeur refusé par le serveur de messagerie ({exc.smtp_code})."
    if isinstance(exc, smtplib.SMTPDataError):
        return f"Message refusé par le serveur de messagerie ({exc.smtp_code})."
    if isinstance(exc, ConnectionRefusedError):
        return "Serveur de messagerie injoignable (connexion refusée)."
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError):
        return "Serveur de messagerie déconnecté pendant l'envoi."
    if isinstance(exc, socket.timeout | TimeoutError):
        return "Le serveur de messagerie ne répond pas (délai dépassé)."
    if isinstance(exc, ssl.SSLError):
        return "Échec de la connexion chiffrée (TLS) au serveur de messagerie."
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "Authentification refusée par le serveur de messagerie."
    if isinstance(exc, OSError):
        return "Serveur de messagerie injoignable."
    return f"Échec de l'envoi ({type(exc).__name__})."


def send_batch(messages: Sequence[Message], *, keys: Sequence[object] | None = None,
               progress: Callable[[int], None] | None = None,
               on_result: Callable[[SendResult], None] | None = None) -> list[SendResult]:
    """Send every message over one connection; one `SendResult` per message, same order.

    `keys` tags the results (default: the index). `progress(n)` is called after each message.
    `on_result(result)` is called as soon as a message's outcome is known, before the next
    message leaves (the outbox records each delivery there); if it raises, the batch stops
    and the exception propagates.
    """
    keys = list(keys) if keys is not None else list(range(len(messages)))
    results: list[SendResult] = []
    conn = connect()
    down: str | None = None  # once set, the server is unreachable: fail the rest fast

    def open_host() -> None:
        nonlocal down
        try:
            conn.__enter__()
        except Exception as exc:  # any failure to connect fails the rest
            down = _reason(exc, [])
            log.warning("SMTP connection failed: %s", type(exc).__name__)

    open_host()
    try:
        for i, message in enumerate(messages):
            if down is None and conn.host is None and not conn.mail.suppress:
                open_host()
            if down is not None:
                results.append(SendResult(keys[i], False, down))
            else:
                results.append(_send_one(conn, message, keys[i], open_host))
                if not results[-1].ok and conn.host is None and down is None:
                    open_host()  # the failure closed the connection: try again for the next
            if on_result:
                on_result(results[-1])
            if progress:
                progress(i + 1)
    finally:
        conn.close()
    return results


def _send_one(conn: SafeConnection, message: Message, key: object,
              reopen: Callable[[], None]) -> SendResult:
    for attempt in (1, 2):
        try:
            conn.send(message)
            return SendResult(key, True)
        except smtplib.SMTPServerDisconnected as exc:
            conn.host = None
            if attempt == 1:
                reopen()  # the server dropped us between messages: reconnect once
                if conn.host is not None:
                    continue
            return SendResult(key, False, _reason(exc, message.send_to))
        except smtplib.SMTPRecipientsRefused as exc:
            # smtplib has already sent RSET (or closed on 421: the next message reconnects).
            return SendResult(key, False, _reason(exc, message.send_to))
        except (smtplib.SMTPResponseException, smtplib.SMTPException) as exc:
            _rset(conn)
            return SendResult(key, False, _reason(exc, message.send_to))
        except (OSError, ssl.SSLError) as exc:
            conn.host = None
            return SendResult(key, False, _reason(exc, message.send_to))
        except Exception as exc:  # a bad message must not stop the batch
            log.warning("message not sent: %s", type(exc).__name__)
            return SendResult(key, False, _reason(exc, message.send_to))
    raise AssertionError("unreachable")


def _rset(conn: SafeConnection) -> None:
    try:
        if conn.host is not None:
            conn.host.rset()
    except (smtplib.SMTPException, OSError):
        conn.host = None


# ---------------------------------------------------------------- message builders

def portal_url(etablissement_id: int, today) -> str:
    """The address given to families: the ENT's when the letter type is « ENT seul » (R-PAR-3),
    else the académie's Scolarité services."""
    from ..courriers.letters import letter_type  # the same rule as the paper letters

    return letter_type(etablissement_id, today)["url"]


def sender_of(etab) -> tuple[str, str]:
    """Issue 12 pt 3: the establishment as the sender's display name; the address stays the
    configured sender (the one the mail server may send from). Line breaks and runs of blanks
    of a name become one space (a header is one logical line)."""
    _, address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    name = " ".join(str(getattr(etab, "nom", "") or "").split())
    return (name[:200], address)


def reply_to_of(etab) -> str | None:
    """Issue 12 pt 3: replies go to the establishment's contact address (Fiche établissement),
    when it has a valid one."""
    address = fiche.courriel(etab)
    return address if is_valid_email(address) else None


def _message(subject: str, to: str, template: str, **ctx) -> Message:
    # Template.render, not flask.render_template: the context processors need a request (jobs
    # and the CLI have none) and would cost more than the rendering itself on 4,000 emails.
    env = current_app.jinja_env
    etab = ctx["etab"]
    reply_to = reply_to_of(etab)
    name, address = sender_of(etab)
    message = FastMessage(subject=subject, recipients=[to], sender=address or None,
                          reply_to=reply_to,
                          body=env.get_template(f"emails/{template}.txt").render(
                              reply_to=reply_to, **ctx),
                          html=env.get_template(f"emails/{template}.html").render(
                              reply_to=reply_to, **ctx))
    message.sender_name = name or None
    return message


def notification_message(etab, to: str, *, identifiant: str, password: str | None,
                         civilite: str, nom: str, prenom: str, eleve: str, url: str) -> Message:
    """R-ACC-4 notification of a responsable: identifier, and the temporary password unless the
    account is *Utilisé* / continuity (`password=None`: identifier only)."""
    return _message(f"Vos accès à Scolarité services – {etab.nom}", to, "notification",
                    etab=etab, identifiant=identifiant, password=password, civilite=civilite,
                    nom=nom, prenom=prenom, eleve=eleve, url=url)


def activation_message(etab, to: str, *, identifiant: str, link: str) -> Message:
    """R-ACC-8 / R-POR-1: the link that validates the account's address."""
    return _message(f"Activez votre compte Scolarité services – {etab.nom}", to, "activation",
                    etab=etab, identifiant=identifiant, link=link)


def free_message(etab, to: str, *, subject: str, text: str) -> Message:
    """R-ACC-7 « Écrire à plusieurs responsables »: the staff's text, escaped in the HTML."""
    return _message(subject, to, "libre", etab=etab, text=text)
