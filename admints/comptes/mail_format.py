"""The fast serialisation of outgoing emails (issue 3 point 10b, issue 10 point 5).

`FastMessage` writes our one shape of message (multipart/alternative, UTF-8 text and HTML) with
plain string operations instead of Flask-Mail's `email.generator` pass; `_address` caches
Flask-Mail's address sanitising. Anything else goes to Flask-Mail, never dropped;
tests/test_mailing_fastpaths.py compares both. Used by `admints.comptes.mailing`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import secrets
from collections.abc import Sequence
from email.utils import formatdate

from flask_mail import Message, force_text, sanitize_address

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
    encoded = _encoded_words(text)
    if encoded is None:
        return None
    return (f"Subject: {encoded[0]}", *(f" {w}" for w in encoded[1:]))


def _encoded_words(text: str) -> list[str] | None:
    """RFC 2047 « B » encoded words of at most 39 UTF-8 bytes, cut between characters; None for
    a lone surrogate (Flask-Mail's business)."""
    words, chunk = [], b""
    try:
        for ch in text:
            data = ch.encode("utf-8")
            if len(chunk) + len(data) > _WORD_BYTES:
                words.append(chunk)
                chunk = b""
            chunk += data
    except UnicodeEncodeError:
        return None
    words.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words]


# A display name written as it is: atoms separated by single spaces (RFC 5322 §3.2.3 phrase).
_PLAIN_PHRASE = re.compile(rf"{_ATOM}(?: {_ATOM})*\Z")


def _named_mailbox_lines(header: str, name: str, address: str) -> list[str] | None:
    """`header: display name <address>` for a display name of any length (issue 12: the
    establishment): plain atoms as they are, anything else as encoded words, folded between
    words. Flask-Mail's `sanitize_address` folds a long name with a bare newline that its own
    serialisation then garbles; this keeps it. None when the address is not a plain one."""
    address = _address(address)
    if not _PLAIN_ADDRESS.match(address):
        return None
    words = name.split(" ") if _PLAIN_PHRASE.match(name) and "=?" not in name \
        else _encoded_words(name)
    if words is None:
        return None
    lines = _fold(header, [*words, f"<{address}>"])
    return lines if lines is not None and all(len(x) <= _FOLD_AT for x in lines) else None


def _header_safe(value: str) -> bool:
    return value.isascii() and "\r" not in value and "\n" not in value


class FastMessage(Message):
    """A Flask-Mail message whose text + HTML body is serialised directly.

    Flask-Mail goes through `email.generator` with `policy.SMTP`, which re-parses every header
    through the header registry: measured at ~80 % of a batch's time. Our messages always have
    the same shape (multipart/alternative, UTF-8 text and HTML, base64), so they are written
    with plain string operations, headers folded at 78 characters. Anything else falls back to
    Flask-Mail's own serialisation, never dropped: attachments, cc, bcc, extra headers, another
    charset, a missing text or HTML part, another alternative, a subject with a line break, an
    address that does not sanitise to one line of ASCII. A sender or reply-to with a display
    name (the establishment, issue 12) stays on the fast path: its encoded words come from
    Flask-Mail's `sanitize_address`, folded at a space when the line would pass 78.
    tests/test_mailing_fastpaths.py compares both over a matrix of inputs.
    """

    # The sender's display name (the establishment), `sender` staying the bare address (also
    # the envelope sender).
    sender_name: str | None = None

    def as_bytes(self) -> bytes:
        head = self._fast_head()
        if head is None:
            if not self.sender_name:
                return super().as_bytes()
            address, self.sender = self.sender, (self.sender_name, self.sender)
            try:  # a tuple goes to Flask-Mail's sanitize_address without re-parsing
                return super().as_bytes()
            finally:
                self.sender = address
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
        if self.attachments or self.cc or self.bcc or self.extra_headers \
                or (self.charset or "utf-8").lower() != "utf-8" or self.alts.keys() != {"html"} \
                or not isinstance(self.body, str) or not isinstance(self.html, str):
            return None
        subject = _subject_lines(force_text(self.subject) if self.subject else "")
        sender = _address(self.sender)
        reply_to = _address(self.reply_to) if self.reply_to else None
        # Flask-Mail writes each sanitised recipient once.
        recipients = list(dict.fromkeys(_address(a) for a in self.recipients))
        if subject is None or not all(map(_header_safe, (sender, *recipients))) \
                or not _header_safe(reply_to or ""):
            return None
        sender_lines = _named_mailbox_lines("From", self.sender_name, self.sender) \
            if self.sender_name else _mailbox_lines("From", sender)
        reply_lines = _mailbox_lines("Reply-To", reply_to) if reply_to else []
        to_lines = _fold("To", recipients, ",")
        if sender_lines is None or reply_lines is None or to_lines is None:
            return None
        return [*subject, *sender_lines, *to_lines,
                f"Date: {formatdate(self.date, localtime=True)}",
                f"Message-ID: {self.msgId}", *reply_lines, "MIME-Version: 1.0"]


def _mailbox_lines(name: str, mailbox: str) -> list[str] | None:
    """One sanitised mailbox (`display name <address>`), folded at its spaces (RFC 5322 FWS:
    unfolding gives it back); None when a line would still pass 78 characters."""
    lines = _fold(name, mailbox.split(" "))
    return lines if lines is not None and all(len(x) <= _FOLD_AT for x in lines) else None


def _base64_lines(data: bytes) -> str:
    """`base64.encodebytes(data)` with CRLF line ends (76 characters a line, each for 57 bytes),
    in one C call instead of one per line."""
    text = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "".join([text[i:i + 76] + "\r\n" for i in range(0, len(text), 76)])
