"""Start the server: load the stories, fork the workers, print where to go (with a QR code for
phones), then answer requests until Ctrl-C."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from urllib.parse import urlencode

from ..build import BuildOptions
from ..errors import EbookifyError
from ..validate import is_loopback
from .copies import Copies
from .guard import ACCESS_FIELD, RateLimit, new_access_code
from .library import load_library

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def address_to_open(host: str, port: int) -> str:
    """What a browser should open: the wildcard addresses are this machine's address on the network."""
    shown = host
    if host in ("0.0.0.0", "::", ""):
        shown = _lan_address() or "127.0.0.1"
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def _lan_address() -> str | None:
    """This machine's address on its network: the one a packet to the outside would leave from
    (nothing is sent: a UDP socket only chooses its route)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1, never routed anywhere real
            return probe.getsockname()[0]
    except OSError:
        return None


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def qr_lines(text: str) -> str:
    from io import StringIO

    import segno

    out = StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


def serve(
    options: BuildOptions,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    password: str | None = None,
    rate: RateLimit | None = None,  # None: no limit
    say: Callable[[str], None] = print,
) -> None:
    import uvicorn

    from .app import create_app

    if password is not None and not password.strip():
        raise EbookifyError("--password is empty")
    code = password if password is not None else (None if is_loopback(host) else new_access_code())
    library = load_library(options)
    listening = _listen(host, port)  # before the workers: a port in use fails at once
    copies = Copies(library, _cores())
    app = create_app(library, copies, code, rate)
    url = address_to_open(host, listening.getsockname()[1])  # --port 0: the port the system chose
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        limit_concurrency=200,
        timeout_keep_alive=5,
        server_header=False,
        h11_max_incomplete_event_size=16 * 1024,
    )
    server = uvicorn.Server(config)
    link = url + (f"?{urlencode({ACCESS_FIELD: code})}" if code else "")
    say(f"Sharing {library.title!r} ({len(library.stories)} stories) at {url}")
    if code:
        say(f"Access code: {code} (e-reader apps: any user name, this code as the password)")
    say(f"OPDS catalog for e-reader apps: {url}opds")
    say(qr_lines(link))
    say(f"Open {link} on a phone, or scan the code. Ctrl-C stops the server.")
    sys.stdout.flush()
    try:
        server.run(sockets=[listening])
    finally:
        copies.close()


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, made here so that a port in use is one line of ours, not a log."""
    try:
        family, _, _, _, where = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        return socket.create_server(where, family=family)
    except (OSError, UnicodeError) as exc:
        raise EbookifyError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
