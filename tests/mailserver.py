"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the `send` tests: STARTTLS or implicit TLS with a
throwaway certificate authority (trustme), AUTH with one login, and an inbox to read back.

Run by hand for a look as a user:  python tests/mailserver.py  (prints the settings to use).
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

LOGIN = "me@example.com"
PASSWORD = "hunter2-not-a-real-one-7Qx"  # any output holding it fails the test


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]

    def attachments(self) -> dict[str, bytes]:
        return {part.get_filename(): part.get_content() for part in self.message.iter_attachments()}


@dataclass
class Inbox:
    """The handler: refuses or delays the recipients it is told to, keeps what it accepts."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> reply, e.g. "550 no such user"
    busy: dict[str, int] = field(default_factory=dict)  # address -> how many 451 before accepting
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        if self.busy.get(address, 0) > 0:
            self.busy[address] -= 1
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            LOGIN.encode(),
            PASSWORD.encode(),
        )
        if isinstance(auth_data, LoginPassword):
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


class Authority:
    """A throwaway CA and a certificate for 127.0.0.1, made per test; ca_file is what clients trust."""

    def __init__(self, folder: Path) -> None:
        self.ca = trustme.CA()
        self.ca_file = folder / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(inbox: Inbox, authority: Authority, implicit_tls: bool = False, size_limit: int = 0) -> Controller:
    """The server, started; .port is where it listens. Stop it with .stop()."""
    context = authority.server_context()
    # aiosmtpd counts only STARTTLS as TLS for AUTH: on an implicit-TLS port the login is encrypted anyway.
    tls = (
        {"ssl_context": context, "auth_require_tls": False}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True}
    )
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=inbox.authenticate,
        auth_required=True,
        data_size_limit=size_limit or 100 * 2**20,
        **tls,  # type: ignore[arg-type]
    )
    controller.start()
    return controller


def start_plain(inbox: Inbox) -> Controller:
    """A server like `python -m aiosmtpd -n`: no TLS, no login, as a relay on one's own machine."""
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


if __name__ == "__main__":  # a server to try ebookify send against by hand
    import sys
    import tempfile
    import warnings

    warnings.simplefilter("ignore")  # aiosmtpd's own deprecations, on every login

    folder = Path(tempfile.mkdtemp(prefix="mailserver-"))
    box = Inbox(refuse={address: "550 5.1.1 no such mailbox" for address in sys.argv[1:]})
    server = start(box, Authority(folder))
    print(f"EBOOKIFY_SMTP_HOST=127.0.0.1 EBOOKIFY_SMTP_PORT={server.port} EBOOKIFY_SMTP_USER={LOGIN}")
    print(f"SSL_CERT_FILE={folder / 'test-ca.pem'}  (password: the PASSWORD in this file)")
    seen = 0
    try:
        while True:
            time.sleep(0.5)
            for got in box.received[seen:]:
                names = ", ".join(f"{name} ({len(data):,} bytes)" for name, data in got.attachments().items())
                print(f"to {', '.join(got.rcpt_tos)}: {got.message['Subject']}: {names}", flush=True)
            seen = len(box.received)
    except KeyboardInterrupt:
        server.stop()
