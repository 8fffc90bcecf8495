"""The server's HTML: Jinja2 templates from the package, escaped by default; plain error pages."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, Response

# What every answer says about itself: no script, no frame, nothing loaded from elsewhere, and no
# address of this page sent on to another site.
SAFE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_REASONS = {
    303: "See other",
    400: "That did not work",
    401: "Access code needed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    414: "Too long",
    429: "Too many requests",
    431: "Too large",
    500: "Something went wrong",
    503: "Busy",
}


@cache
def templates() -> Environment:
    return Environment(
        loader=PackageLoader("ebookify.serve", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html(template: str, status: int = 200, headers: dict[str, str] | None = None, **values) -> HTMLResponse:
    body = templates().get_template(template).render(**values)
    return HTMLResponse(body, status, {**SAFE_HEADERS, "Cache-Control": "no-store", **(headers or {})})


def plain_page(status: int, message: str, headers: dict[str, str] | None = None, access_form: bool = False) -> Response:
    """An error (or a redirect) as a short page in words: what happened and what to do."""
    heading = _REASONS.get(status, "Error")
    return html("error.html", status, headers, heading=heading, message=message, access_form=access_form)
