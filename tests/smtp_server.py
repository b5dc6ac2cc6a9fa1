"""A real SMTP server on 127.0.0.1 for the email tests and benchmarks (aiosmtpd).

`SmtpServer().start()` picks a free port first (aiosmtpd's `Controller` cannot take port 0),
records every accepted message, refuses the recipients in `refuse` (550), and with
`hangup_every = k` drops the client after every k-th message, and `die_after = N` stops
listening and drops the connection when the (N+1)-th message arrives —
the server « stopped mid-batch » of the fault tests. `hold_after = N` accepts N messages, then
keeps the (N+1)-th waiting without an answer (`handler.holding` is set) until
`handler.release` is set, and refuses it then (451, never counted): the client is frozen
mid-batch at a known point, for the crash tests that kill it there (with `accept_held`, set
`hold_after = None` and release: the batch goes on, for the tests of concurrent jobs).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def self_signed_certificate(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 (IP SAN) and its key, as PEM files in `directory`."""
    import datetime as dt
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = Path(directory) / "smtp.pem", Path(directory) / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["subject"])

    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class Handler:
    refuse: set[str] = field(default_factory=set)
    die_after: int | None = None
    hangup_every: int | None = None  # drop the client after every k-th message (reconnect)
    keep_data: bool = True
    messages: list[Received] = field(default_factory=list)
    count: int = 0
    controller: Controller | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold_after: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    accept_held: bool = False  # released messages are accepted (and the holding stops)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 Destinataire inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold_after is not None and self.count >= self.hold_after:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            if not self.accept_held:
                return "451 4.3.0 Service temporairement indisponible"
        with self.lock:
            if self.die_after is not None and self.count >= self.die_after:
                # Stop listening, then drop this client: no reconnection can succeed.
                if self.controller is not None and self.controller.server is not None:
                    self.controller.server.close()
                server.transport.close()
                return "421 4.3.2 Arrêt du service"
            self.count += 1
            if self.keep_data:
                self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                              envelope.original_content or envelope.content))
            if self.hangup_every and self.count % self.hangup_every == 0:
                # Closed once the 250 reply below is written: the client finds out on its
                # next command (SMTPServerDisconnected), as with a server-side idle timeout.
                server.loop.call_soon(server.transport.close)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, *, smtp_kwargs: dict | None = None, **handler_kw):
        """`smtp_kwargs` go to aiosmtpd's SMTP (e.g. `tls_context=` for STARTTLS)."""
        self.handler = Handler(**handler_kw)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **(smtp_kwargs or {}))
        self.handler.controller = self.controller

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        try:
            self.controller.stop(no_assert=True)
        except Exception:  # already stopped by die_after
            pass

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]
