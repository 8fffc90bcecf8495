"""The OPDS 1.2 catalog: a navigation feed at /opds, an acquisition feed with a copy per reader
profile and the neutral edition, and OpenSearch, where searching a name finds that person's copy.
Written with lxml, so that no title or name can break the XML."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from lxml import etree
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import EbookifyError
from ..metadata import creators
from ..model import Reader
from .library import EPUB, KEPUB, Library, typed_reader
from .pages import SAFE_HEADERS, plain_page

ATOM = "http://www.w3.org/2005/Atom"
OPDS = "http://opds-spec.org/2010/catalog"
DC = "http://purl.org/dc/terms/"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
SEARCH_DESCRIPTION = "application/opensearchdescription+xml"
BOOK_TYPES = {EPUB: "application/epub+zip", KEPUB: "application/kepub+zip"}
IMAGE, THUMBNAIL = "http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail"
ACQUIRE = "http://opds-spec.org/acquisition"
STARTED = datetime.now(UTC).replace(microsecond=0)  # when the stories were read: every feed's "updated"


def _derived_id(library: Library, what: str) -> str:
    """A feed's own id, lasting as long as the collection's: a UUID made from the book's and `what`."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{library.identifier(Reader())}#{what}"))


def _element(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _feed(library: Library, feed_id: str, title: str, self_href: str, kind: str) -> etree._Element:
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "opds": OPDS, "dc": DC, "opensearch": OPENSEARCH})
    _element(feed, f"{{{ATOM}}}id", feed_id)
    _element(feed, f"{{{ATOM}}}title", title)
    _element(feed, f"{{{ATOM}}}updated", STARTED.isoformat())
    author = _element(feed, f"{{{ATOM}}}author")
    _element(author, f"{{{ATOM}}}name", "ebookify")
    _link(feed, "self", self_href, kind)
    _link(feed, "start", "/opds", NAVIGATION)
    _link(feed, "search", "/opds/search.xml", SEARCH_DESCRIPTION)
    return feed


def _link(parent: etree._Element, rel: str, href: str, kind: str, title: str | None = None) -> None:
    _element(parent, f"{{{ATOM}}}link", rel=rel, href=href, type=kind, **({"title": title} if title else {}))


def navigation(library: Library) -> etree._Element:
    root = _feed(library, _derived_id(library, "catalog"), library.title, "/opds", NAVIGATION)
    entry = _element(root, f"{{{ATOM}}}entry")
    _element(entry, f"{{{ATOM}}}title", f"{library.title}: every copy")
    _element(entry, f"{{{ATOM}}}id", _derived_id(library, "copies"))
    _element(entry, f"{{{ATOM}}}updated", STARTED.isoformat())
    _element(entry, f"{{{ATOM}}}content", "The neutral edition and a copy for each reader.", type="text")
    _link(entry, "subsection", "/opds/books", ACQUISITION)
    return root


def acquisition(library: Library, readers: list[Reader], title: str, self_href: str, feed_id: str) -> etree._Element:
    root = _feed(library, feed_id, title, self_href, ACQUISITION)
    for reader in readers:
        _entry(root, library, reader)
    return root


def _entry(root: etree._Element, library: Library, reader: Reader) -> None:
    entry = _element(root, f"{{{ATOM}}}entry")
    who = f"for {reader.name}" if reader.name is not None else "neutral edition"
    _element(entry, f"{{{ATOM}}}title", f"{library.title} ({who})")
    _element(entry, f"{{{ATOM}}}id", library.identifier(reader))
    _element(entry, f"{{{ATOM}}}updated", STARTED.isoformat())
    for name, _ in creators(library.collection, library.settings.author):
        _element(_element(entry, f"{{{ATOM}}}author"), f"{{{ATOM}}}name", name)
    _element(entry, f"{{{DC}}}language", library.settings.language or "en")
    _element(entry, f"{{{ATOM}}}summary", library.summary(reader), type="text")
    picture = library.cover.media_type
    _link(entry, IMAGE, "/cover", picture)
    _link(entry, THUMBNAIL, "/thumbnail", "image/jpeg")
    for kind in (EPUB, KEPUB):
        _link(entry, ACQUIRE, "/book?" + urlencode(_asking(library, reader, kind)), BOOK_TYPES[kind])


def _asking(library: Library, reader: Reader, kind: str) -> dict[str, str]:
    """The /book query that makes this reader's copy."""
    if reader.name is None:
        return {"edition": "neutral", "format": kind}
    if reader in library.profiles:
        return {"reader": reader.name, "format": kind}
    return {"name": reader.name, **reader.values, "format": kind}


def _xml(root: etree._Element, kind: str) -> Response:
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(data, 200, {**SAFE_HEADERS, "Cache-Control": "no-store"}, media_type=kind)


async def catalog(request: Request) -> Response:
    return _xml(navigation(request.app.state.shelf.library), NAVIGATION)


async def books(request: Request) -> Response:
    library: Library = request.app.state.shelf.library
    readers = [Reader(), *library.profiles]
    feed_id = _derived_id(library, "copies")
    return _xml(acquisition(library, readers, f"{library.title}: every copy", "/opds/books", feed_id), ACQUISITION)


async def search(request: Request) -> Response:
    library: Library = request.app.state.shelf.library
    query = request.query_params.get("q", "")
    try:
        reader = _found(library, query)
    except EbookifyError as exc:
        return plain_page(400, f"Search for a name: {exc}.")
    self_href = "/opds/search?" + urlencode({"q": query})
    feed_id = _derived_id(library, f"search:{reader.name}")
    return _xml(acquisition(library, [reader], f"{library.title} for {reader.name}", self_href, feed_id), ACQUISITION)


def _found(library: Library, query: str) -> Reader:
    """A profile whose name is the one searched (in any case), else a copy made for that name."""
    wanted = query.strip().casefold()
    for reader in library.profiles:
        if reader.name is not None and reader.name.casefold() == wanted:
            return reader
    return typed_reader(library, query, {})


async def search_description(request: Request) -> Response:
    library: Library = request.app.state.shelf.library
    root = etree.Element(f"{{{OPENSEARCH}}}OpenSearchDescription", nsmap={None: OPENSEARCH})
    _element(root, f"{{{OPENSEARCH}}}ShortName", "ebookify")
    _element(root, f"{{{OPENSEARCH}}}Description", f"A copy of {library.title} with your name in it: search your name.")
    template = str(request.url_for("opds_search")) + "?q={searchTerms}"
    _element(root, f"{{{OPENSEARCH}}}Url", type=ACQUISITION, template=template)
    _element(root, f"{{{OPENSEARCH}}}InputEncoding", "UTF-8")
    return _xml(root, SEARCH_DESCRIPTION)


def routes() -> list[Route]:
    return [
        Route("/opds", catalog),
        Route("/opds/books", books),
        Route("/opds/search", search, name="opds_search"),
        Route("/opds/search.xml", search_description),
    ]
