"""The routes: the page, the books, the cover, and the OPDS catalog (opds.py). No route reads a
file named by the request: every answer comes from the library loaded at start."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import EbookifyError
from ..model import Reader
from ..render import count_of
from . import opds
from .copies import Busy, Copies
from .guard import Guard, RateLimit
from .library import EPUB, FORMATS, KEPUB, Library, typed_reader
from .pages import SAFE_HEADERS, html, plain_page

MEDIA_TYPES = {EPUB: "application/epub+zip", KEPUB: "application/kepub+zip"}
THUMBNAIL_HEIGHT = 400
_CONTROL_FIELDS = ("format", "name", "reader", "edition", "access")


@dataclass
class Shelf:
    """What the routes share: the library, the copies, and the pictures made once."""

    library: Library
    copies: Copies

    @cached_property
    def thumbnail(self) -> bytes:
        from PIL import Image

        with Image.open(io.BytesIO(self.library.cover.data)) as image:
            image.thumbnail((THUMBNAIL_HEIGHT, THUMBNAIL_HEIGHT))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=85)
        return out.getvalue()


def is_kobo(request: Request) -> bool:
    return "kobo" in request.headers.get("user-agent", "").lower()


async def page(request: Request) -> Response:
    shelf: Shelf = request.app.state.shelf
    library = shelf.library
    formats = [KEPUB, EPUB] if is_kobo(request) else [EPUB, KEPUB]
    extent = f"{count_of(len(library.stories), 'story', 'stories')}, {count_of(library.words, 'word')}"
    return html("page.html", library=library, formats=formats, extent=extent, fields=library.fields())


async def book(request: Request) -> Response:
    shelf: Shelf = request.app.state.shelf
    params = request.query_params
    kind = params.get("format", EPUB)
    if kind not in FORMATS or any(len(params.getlist(key)) > 1 for key in params):
        return plain_page(400, "Choose EPUB or Kobo, once.")
    try:
        reader = reader_asked(shelf.library, params)
    except EbookifyError as exc:
        return plain_page(400, _sentence(str(exc)))
    return await send_book(shelf, reader, kind)


def reader_asked(library: Library, params) -> Reader:
    """A profile (?reader=Sam), the neutral edition (?edition=neutral), or the form's name and values."""
    if "reader" in params:
        return library.profile(params["reader"])
    if params.get("edition") == "neutral":
        return Reader(None, {})
    typed = {key: value for key, value in params.items() if key not in _CONTROL_FIELDS}
    return typed_reader(library, params.get("name", ""), typed)


async def send_book(shelf: Shelf, reader: Reader, kind: str) -> Response:
    try:
        data = await shelf.copies.make(reader, kind)
    except Busy:
        return plain_page(503, "Many copies are being made right now; try again in a moment.", {"Retry-After": "5"})
    except EbookifyError as exc:
        return plain_page(500, f"This copy could not be made: {_sentence(str(exc))}")
    name = shelf.library.file_name(reader, kind)
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    headers = {**SAFE_HEADERS, "Content-Disposition": disposition, "Cache-Control": "private, no-store"}
    return Response(data, 200, headers, media_type=MEDIA_TYPES[kind])


def _sentence(message: str) -> str:
    return message[0].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")


async def cover(request: Request) -> Response:
    picture = request.app.state.shelf.library.cover
    return Response(picture.data, 200, {**SAFE_HEADERS, "Cache-Control": "max-age=3600"}, media_type=picture.media_type)


async def thumbnail(request: Request) -> Response:
    data = request.app.state.shelf.thumbnail
    return Response(data, 200, {**SAFE_HEADERS, "Cache-Control": "max-age=3600"}, media_type="image/jpeg")


_STYLESHEET = files("ebookify.serve").joinpath("templates", "page.css").read_bytes()


async def stylesheet(request: Request) -> Response:
    return Response(_STYLESHEET, 200, {**SAFE_HEADERS, "Cache-Control": "max-age=3600"}, media_type="text/css")


async def not_found(request: Request, exc: Exception) -> Response:
    return plain_page(404, "There is nothing at this address. The collection is on the first page.")


async def failed(request: Request, exc: Exception) -> Response:
    return plain_page(500, "Something went wrong on the server; the terminal running ebookify may say more.")


def create_app(library: Library, copies: Copies, access_code: str | None, rate: RateLimit | None) -> Guard:
    routes = [
        Route("/", page),
        Route("/book", book),
        Route("/cover", cover),
        Route("/thumbnail", thumbnail),
        Route("/page.css", stylesheet),
        *opds.routes(),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, Exception: failed})
    app.state.shelf = Shelf(library, copies)
    return Guard(app, access_code, rate)
