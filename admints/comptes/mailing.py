"""Outgoing email: one SMTP connection per batch, per-message results (R-ACC-4/7/8).

`send_batch(messages)` sends a list of Flask-Mail `Message`s over ONE connection (about
1,000/s against 600 with a connection each), with a certificate-checking TLS context and a
socket timeout, both of which Flask-Mail lacks; a refused recipient fails that message
only; after `SMTPServerDisconnected` it reconnects once and, if the server is gone, the
remaining messages fail with a French reason. No exception escapes, no password is logged.

One builder per message kind, French text + HTML from `templates/emails/`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import re
import secrets
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import formatdate

from flask import current_app
from flask_mail import (
    BadHeaderError,
    Connection,
    Message,
    email_dispatched,
    force_text,
    sanitize_address,
)

from .. import clock

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


# A bare ASCII dot-atom address (what accounts hold): Flask-Mail's `sanitize_address` returns
# it unchanged, so it is passed as is; anything else (display name, IDN, quotes) goes through
# Flask-Mail, cached since a batch repeats its sender.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z")


def _address(addr: str | tuple[str, str]) -> str:
    if isinstance(addr, str):
        return addr if _PLAIN_ADDRESS.match(addr) else _sanitized(addr)
    return sanitize_address(addr)


@functools.lru_cache(maxsize=256)
def _sanitized(addr: str) -> str:
    return sanitize_address(addr)


# RFC 5322 §2.1.1: header lines SHOULD stay within 78 characters and MUST within 998.
_FOLD_AT, _LINE_MAX = 78, 998
# RFC 2047 §2: a line holding an encoded word stays within 76 characters; « Subject: » and a
# word of 39 UTF-8 bytes (64 characters once encoded) make 73.
_WORD_BYTES = 39


def _fold(name: str, items: Sequence[str], sep: str = "") -> list[str] | None:
    """`name:` and `items`, each after `sep` and a space; a line that would pass 78 characters
    is folded, CRLF taking the place of that space's left (RFC 5322 §2.2.3: unfolding gives the
    same text back). Never before an empty item (no line of blanks). None when a line still
    passes 998 characters."""
    lines, line = [], f"{name}:"
    for n, item in enumerate(items):
        glue = sep if n else ""
        if n and item and len(line) + len(glue) + 1 + len(item) > _FOLD_AT:
            lines.append(line + glue)
            line = " " + item
        else:
            line += f"{glue} {item}"
    lines.append(line)
    return None if any(len(x) > _LINE_MAX for x in lines) else lines


@functools.lru_cache(maxsize=256)  # a batch repeats its subject
def _subject_lines(text: str) -> tuple[str, ...] | None:
    """The folded `Subject:` header lines of `text` (none for an empty subject, as Flask-Mail),
    or None for a subject this path does not handle (a line break; ASCII that a reader would
    decode as an encoded word): Flask-Mail then writes the whole message.

    ASCII text is folded before spaces; other text, or a word too long for a 78-character line,
    becomes RFC 2047 « B » encoded words cut between characters, never at spaces only, so that
    the spaces (which sit inside the words) survive decoding."""
    if not text:
        return ()
    if "\r" in text or "\n" in text:
        return None
    if text.isascii():
        if "=?" in text:
            return None
        lines = _fold("Subject", text.split(" "))
        if lines is not None and all(len(x) <= _FOLD_AT for x in lines):
            return tuple(lines)
    words, chunk = [], b""
    try:
        for ch in text:
            data = ch.encode("utf-8")
            if len(chunk) + len(data) > _WORD_BYTES:
                words.append(chunk)
                chunk = b""
            chunk += data
    except UnicodeEncodeError:  # a lone surrogate: Flask-Mail's business
        return None
    words.append(chunk)
    encoded = [f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words]
    return (f"Subject: {encoded[0]}", *(f" {w}" for w in encoded[1:]))


def _header_safe(value: str) -> bool:
    return value.isascii() and "\r" not in value and "\n" not in value


class FastMessage(Message):
    """A Flask-Mail message whose text + HTML body is serialised directly.

    Flask-Mail goes through `email.generator` with `policy.SMTP`, which re-parses every header
    through the header registry: measured at ~80 % of a batch's time. Our messages always have
    the same shape (multipart/alternative, UTF-8 text and HTML, base64), so they are written
    with plain string operations, headers folded at 78 characters. Anything else falls back to
    Flask-Mail's own serialisation, never dropped: attachments, cc, bcc, reply-to, extra
    headers, another charset, a missing text or HTML part, another alternative, a subject with
    a line break, an address that does not sanitise to one line of ASCII.
    tests/test_mailing_fastpaths.py compares both over a matrix of inputs.
    """

    def as_bytes(self) -> bytes:
        head = self._fast_head()
        if head is None:
            return super().as_bytes()
        boundary = "==admints_" + secrets.token_hex(12)
        head += ["Content-Type: multipart/alternative;", f' boundary="{boundary}"']
        out = ["\r\n".join(head), "\r\n\r\n"]
        for subtype, text in (("plain", self.body), ("html", self.html)):
            out.append(f"--{boundary}\r\nContent-Type: text/{subtype}; charset=\"utf-8\"\r\n"
                       "MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\n")
            canonical = text.replace("\r\n", "\n").replace("\n", "\r\n")  # RFC 2045 §6.8
            out.append(_base64_lines(canonical.encode("utf-8")))
        out.append(f"--{boundary}--\r\n")
        return "".join(out).encode("ascii")

    def _fast_head(self) -> list[str] | None:
        """The headers of the handled shape, or None for Flask-Mail's serialisation."""
        if self.attachments or self.cc or self.bcc or self.extra_headers or self.reply_to \
                or (self.charset or "utf-8").lower() != "utf-8" or self.alts.keys() != {"html"} \
                or not isinstance(self.body, str) or not isinstance(self.html, str):
            return None
        subject = _subject_lines(force_text(self.subject) if self.subject else "")
        sender = _address(self.sender)
        # Flask-Mail writes each sanitised recipient once.
        recipients = list(dict.fromkeys(_address(a) for a in self.recipients))
        if subject is None or not all(map(_header_safe, (sender, *recipients))):
            return None
        sender_lines = _fold("From", [sender])
        to_lines = _fold("To", recipients, ",")
        if sender_lines is None or to_lines is None:
            return None
        return [*subject, *sender_lines, *to_lines,
                f"Date: {formatdate(self.date, localtime=True)}",
                f"Message-ID: {self.msgId}", "MIME-Version: 1.0"]


def _base64_lines(data: bytes) -> str:
    """`base64.encodebytes(data)` with CRLF line ends (76 characters a line, each for 57 bytes),
    in one C call instead of one per line."""
    text = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "".join([text[i:i + 76] + "\r\n" for i in range(0, len(text), 76)])


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


def _message(subject: str, to: str, template: str, **ctx) -> Message:
    # Template.render, not flask.render_template: the context processors need a request (jobs
    # and the CLI have none) and would cost more than the rendering itself on 4,000 emails.
    env = current_app.jinja_env
    return FastMessage(subject=subject, recipients=[to],
                       body=env.get_template(f"emails/{template}.txt").render(**ctx),
                       html=env.get_template(f"emails/{template}.html").render(**ctx))


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
