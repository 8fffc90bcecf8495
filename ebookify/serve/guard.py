"""What every request passes before it is answered: only GET and HEAD, no body, a short address,
the access code when the server is reachable from other machines, and a fair share of requests
per client. Refusals are plain pages, like every other error."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .pages import plain_page

MAX_QUERY_BYTES = 4096  # a name and ten values of 100 characters each, percent-encoded, fit
MAX_HEADER_BYTES = 16 * 1024  # a browser's headers, cookies included, are a few hundred bytes
PUBLIC = frozenset({"/page.css"})  # the stylesheet of the page that asks for the code: nothing of the collection
ACCESS_FIELD = "access"  # /?access=CODE: the address printed (and in the QR code) logs a phone in
COOKIE = "ebookify_access"
_CODE_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # none that look alike (l, 1, o, 0, i)


def new_access_code() -> str:
    """Ten letters and digits (about 49 bits): easy to type on an e-reader, long enough that the
    rate limit makes guessing hopeless."""
    return "".join(secrets.choice(_CODE_LETTERS) for _ in range(10))


@dataclass
class RateLimit:
    """A token bucket per client address: `burst` requests at once, then `per_second`."""

    burst: float = 300
    per_second: float = 5
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # client -> (tokens, when)

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        tokens, when = self.buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - when) * self.per_second)
        if len(self.buckets) > 10_000:  # forget the clients that have filled up again
            self.buckets = {c: (t, w) for c, (t, w) in self.buckets.items() if w > now - self.burst / self.per_second}
        allowed = tokens >= 1
        self.buckets[client] = (tokens - allowed, now)
        return allowed


class Guard:
    """ASGI middleware in front of the whole application."""

    def __init__(self, app: ASGIApp, access_code: str | None, rate: RateLimit | None) -> None:
        self.app = app
        self.code = access_code
        self.token = hashlib.sha256(f"ebookify-access:{access_code}".encode()).hexdigest() if access_code else None
        self.rate = rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        if self.code and ACCESS_FIELD in query:  # logged in by the printed address: a cookie, then on
            await self.log_in(scope, query)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope):
        headers = Headers(scope=scope)
        client = scope["client"][0] if scope.get("client") else "unknown"
        if self.rate is not None and not self.rate.allow(client):
            return plain_page(429, "Too many requests from this address; wait a minute and try again.")
        if scope["method"] not in ("GET", "HEAD"):
            return plain_page(
                405, "This server only hands out books: nothing can be sent to it.", {"Allow": "GET, HEAD"}
            )
        if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
            return plain_page(413, "A request to this server has no body.")
        if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADER_BYTES:
            return plain_page(431, "The request's headers are too large.")
        if len(scope["query_string"]) > MAX_QUERY_BYTES or len(scope.get("raw_path") or b"") > 1024:
            return plain_page(414, "That address is too long.")
        if self.code and scope["path"] not in PUBLIC and not self.allowed(headers, scope):
            # The first page asks in a form of its own; feeds and books ask as OPDS apps expect.
            challenge = {} if scope["path"] == "/" else {"WWW-Authenticate": 'Basic realm="ebookify", charset="UTF-8"'}
            message = (
                "This collection is private: type the access code that ebookify printed, or open the "
                "address it printed. E-reader apps: any user name, the code as the password."
            )
            return plain_page(401, message, challenge, access_form=True)
        return None

    def allowed(self, headers: Headers, scope: Scope) -> bool:
        assert self.code is not None and self.token is not None
        cookies = dict(part.strip().partition("=")[::2] for part in headers.get("cookie", "").split(";"))
        if hmac.compare_digest(cookies.get(COOKIE, "").encode(), self.token.encode()):  # bytes: any cookie
            return True
        query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        if hmac.compare_digest(query.get(ACCESS_FIELD, "").encode(), self.code.encode()):
            return True
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            _, _, password = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(password.encode(), self.code.encode())

    def log_in(self, scope: Scope, query: dict[str, str]):
        """The same address without the code, with a cookie that lets the browser in from now on."""
        rest = urlencode([(k, v) for k, v in query.items() if k != ACCESS_FIELD])
        location = quote(scope["path"]) + (f"?{rest}" if rest else "")
        cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000"
        return plain_page(303, "Come in.", {"Location": location, "Set-Cookie": cookie})
