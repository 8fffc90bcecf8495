"""Rendered pages -> EPUB 3 bytes. The only module that imports ebooklib.

ebooklib writes the package document, nav and NCX; we hand it finished XHTML as plain items (its
own EpubHtml re-parses every page as HTML, slowly and lossily) and then rewrite its zip so the same
book always gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from ebooklib import epub
from lxml import etree

from .cover import CoverImage
from .lint import declaration, read_by_rules, stand_in
from .render import STYLESHEET, Packed, Page, Rendered, TocEntry

XHTML = "application/xhtml+xml"
OPF = "content.opf"  # where ebooklib puts them, inside its EPUB/ folder
NCX = "toc.ncx"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold


ACCESSIBILITY = (
    ("schema:accessMode", "textual"),
    ("schema:accessMode", "visual"),  # the cover picture
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityFeature", "structuralNavigation"),
    ("schema:accessibilityFeature", "alternativeText"),
    ("schema:accessibilityFeature", "displayTransformability"),
    ("schema:accessibilityHazard", "none"),
    (
        "schema:accessibilitySummary",
        "Reflowable text with no fixed fonts or sizes, headings for every story and part, a table of "
        "contents, and a text alternative for the cover. No hazards.",
    ),
    ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
)


@dataclass(frozen=True)
class Metadata:
    identifier: str
    title: str
    creators: tuple[tuple[str, str], ...]  # (name, file-as: how libraries file it, "Voss, Mara")
    languages: tuple[str, ...]  # the first is the book's own
    description: str
    subjects: tuple[str, ...]
    modified: datetime  # aware, UTC
    series: str | None = None
    series_index: int = 1
    sources: tuple[str, ...] = ()  # the AO3 works' addresses
    published: str | None = None  # "2024-06-02": a lone work's publication date
    cover_file: str = "cover.jpg"  # the cover picture's name in the book


def package_files(rendered: Rendered, meta: Metadata, cover: Callable[[], CoverImage]) -> dict[str, bytes]:
    """Every entry of the book, by its name in the zip.

    ebooklib writes the package document, nav and NCX; the pages it is given are empty stand-ins,
    and the real ones go straight into our own zip, so no page is compressed twice. So is the
    cover picture: what ebooklib writes needs only its name, and `cover()` is asked for it last
    (it may be being drawn by another process meanwhile).
    """
    book = _book(meta)
    _set_cover(book, meta.cover_file)
    book.add_item(epub.EpubItem(uid="style", file_name=STYLESHEET, media_type="text/css", content=rendered.css))
    items = [epub.EpubItem(uid=_item_id(p.file_name), file_name=p.file_name, media_type=XHTML) for p in rendered.pages]
    for item, page in zip(items, rendered.pages, strict=True):
        if page.holds_svg:  # EPUB 3 asks for the page's manifest entry to say it holds SVG
            item.properties = ["svg"]
        book.add_item(item)
    for name, data in rendered.images:  # the pictures stories carry, checked when read (epubimages.py)
        uid = "image-" + name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        book.add_item(epub.EpubItem(uid=uid, file_name=name, media_type=image_type(name), content=data))
    nav = epub.EpubNav(title="Contents")
    nav.add_link(href=STYLESHEET, rel="stylesheet", type="text/css")
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.toc = _toc(rendered.toc)
    book.spine = items
    book.guide = [{"type": mark.kind, "href": mark.href, "title": mark.title} for mark in rendered.landmarks]
    raw = io.BytesIO()
    # epub3_pages reads pages through EpubHtml, which our plain items are not; we have no page list.
    options = {"mtime": meta.modified, "raise_exceptions": True, "epub3_pages": False, "compresslevel": 0}
    writer = _LinearNcxWriter(raw, book, options, frozenset([*(item.file_name for item in items), meta.cover_file]))
    writer.process()
    writer.write()
    with zipfile.ZipFile(raw) as written:
        files = {name: written.read(name) for name in written.namelist()}
    files[f"EPUB/{OPF}"] = _package_language(meta.languages[0], files[f"EPUB/{OPF}"])
    # A packed page's own XHTML may be gone: lint reads what it kept, the zip writes what it packed.
    files |= {f"EPUB/{page.file_name}": _linted(page) for page in rendered.pages}
    picture = cover()
    assert picture.file_name == meta.cover_file
    files[f"EPUB/{meta.cover_file}"] = picture.data
    return files


def _set_cover(book: epub.EpubBook, file_name: str) -> None:
    """ebooklib's set_cover(file_name, b"", create_page=False), with the picture's media type
    given: ebooklib would guess it with mimetypes, whose first use reads the system's mime.types
    (7 ms of every build, and a table that differs from one machine to the next)."""
    cover = epub.EpubCover(file_name=file_name)
    cover.media_type = image_type(file_name)
    book.add_item(cover)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-img"})


class _LinearNcxWriter(epub.EpubWriter):
    """ebooklib's writer with the NCX's navMap built in one pass, and its depth given. ebooklib
    looks up each entry's parent's <content> with lxml's find(), which scans every sibling after
    it: a story of 20,000 parts took 10 s there alone (quadratic). The NCX it writes is otherwise
    the same, byte for byte. It writes neither the pages nor the cover it is given (`stand_ins`,
    empty: package_files puts the real ones in their place)."""

    def __init__(
        self, name: str | io.BytesIO, book: epub.EpubBook, options: dict, stand_ins: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(name, book, options)
        self.stand_ins = stand_ins

    def _write_items(self):
        items = self.book.items
        self.book.items = [item for item in items if item.file_name not in self.stand_ins]
        try:
            super()._write_items()
        finally:
            self.book.items = items

    def _get_ncx(self):
        toc, self.book.toc = self.book.toc, []
        try:
            empty = super()._get_ncx()
        finally:
            self.book.toc = toc
        root = etree.fromstring(empty, etree.XMLParser(remove_blank_text=True))
        _nav_points(root.find("{*}navMap"), toc, 0)
        # ebooklib writes dtb:depth 0; older readers size their TOC view from it.
        root.find("{*}head/{*}meta[@name='dtb:depth']").set("content", str(max(_depth(toc), 1)))
        ncx = etree.tostring(root.getroottree(), pretty_print=True, encoding="utf-8", xml_declaration=True)
        return ncx.removesuffix(b"\n")  # as every book's NCX has ended so far: at its root's end tag


def _nav_points(parent: etree._Element, entries: list, uid: int) -> int:
    """ebooklib's navPoints for `entries` (Links, and (Link, children) sections, which it names
    sep_N in depth-first order); -> the next section number."""
    for entry in entries:
        link, children = entry if isinstance(entry, tuple) else (entry, None)
        point = etree.SubElement(parent, "navPoint", {"id": f"sep_{uid}" if children is not None else link.uid})
        etree.SubElement(etree.SubElement(point, "navLabel"), "text").text = link.title
        etree.SubElement(point, "content", {"src": link.href})
        if children is not None:
            uid = _nav_points(point, children, uid + 1)
    return uid


def _book(meta: Metadata) -> epub.EpubBook:
    book = epub.EpubBook()
    book.set_identifier(meta.identifier)
    book.set_title(meta.title)
    book.set_language(meta.languages[0])
    for language in meta.languages[1:]:  # ebooklib writes the first; a book in several lists each
        book.add_metadata("DC", "language", language)
    for number, (name, sort) in enumerate(meta.creators, start=1):
        uid = "author" if number == 1 else f"author-{number}"
        book.add_author(name, uid=uid)
        _refine(book, uid, "file-as", sort)
        _refine(book, uid, "role", "aut", scheme="marc:relators")
    book.add_metadata("DC", "description", meta.description)
    if meta.published:
        book.add_metadata("DC", "date", meta.published)
    for subject in meta.subjects:
        book.add_metadata("DC", "subject", subject)
    for source in meta.sources:
        book.add_metadata("DC", "source", source)
    if meta.series:
        _series(book, meta.series, meta.series_index)
    for prop, value in ACCESSIBILITY:
        book.add_metadata(None, "meta", value, {"property": prop})
    return book


def _refine(book: epub.EpubBook, target: str, prop: str, value: str, **extra: str) -> None:
    book.add_metadata(None, "meta", value, {"refines": f"#{target}", "property": prop, **extra})


def _series(book: epub.EpubBook, name: str, index: int) -> None:
    """Both ways: calibre reads EPUB 3 collections first; other apps read only calibre's metas."""
    book.add_metadata(None, "meta", name, {"property": "belongs-to-collection", "id": "series"})
    _refine(book, "series", "collection-type", "series")
    _refine(book, "series", "group-position", str(index))
    book.add_metadata(None, "meta", "", {"name": "calibre:series", "content": name})
    book.add_metadata(None, "meta", "", {"name": "calibre:series_index", "content": str(index)})


def _package_language(language: str, opf: bytes) -> bytes:
    """xml:lang on the package itself, which ebooklib does not write (Apple Books reads it)."""
    root = etree.fromstring(opf)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _depth(toc: list) -> int:
    """How deep the NCX's navPoints nest for `toc` (Links, and (Link, children) sections)."""
    return max((1 + _depth(entry[1]) if isinstance(entry, tuple) else 1 for entry in toc), default=0)


def image_type(name: str) -> str:
    return {"png": "image/png", "gif": "image/gif"}.get(name.rsplit(".", 1)[-1], "image/jpeg")


def _item_id(file_name: str) -> str:
    """'story-001-part-02.xhtml' -> 'story-001-part-02': file names are ASCII slugs starting with a letter."""
    return file_name.rsplit(".", 1)[0]


def _toc(entries: tuple[TocEntry, ...], prefix: str = "toc") -> list:
    toc: list = []
    for number, entry in enumerate(entries, start=1):
        uid = f"{prefix}-{number}"
        link = epub.Link(entry.href, entry.title, uid)
        toc.append((link, _toc(entry.children, uid)) if entry.children else link)
    return toc


_LEVEL = 6  # zlib's own default: any other level changes every book's bytes


def zip_files(files: dict[str, bytes], packed: Mapping[str, Packed] | None = None) -> bytes:
    """The EPUB zip, the same bytes for the same entries: mimetype first and stored, the rest
    deflated in name order, with fixed dates and permissions. `packed` has entries made already
    (packed_page): for those, what `files` holds is not written (it may be lint's stand-in)."""
    out = io.BytesIO()
    write_zip(out, files, packed)
    return out.getvalue()


def write_zip(out: BinaryIO, files: dict[str, bytes], packed: Mapping[str, Packed] | None = None) -> None:
    """zip_files' bytes written to `out` (a book's file, say: no copy of the whole book is held)."""
    with zipfile.ZipFile(out, "w") as target:
        for name in sorted(files, key=lambda name: (name != "mimetype", name)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever machine builds it
            info.external_attr = 0o644 << 16
            made = (packed or {}).get(name)
            if made and info.compress_type == zipfile.ZIP_DEFLATED:
                _write_packed(target, info, made)
            else:
                target.writestr(info, files[name], compresslevel=_LEVEL)


def _linted(page: Page) -> bytes:
    """The page as lint reads it: itself, or, if it was packed without it, what lint needs of it."""
    return page.packed.linted if page.packed and not page.xhtml else page.xhtml


def packed_page(page: Page, keep: bool) -> Page:
    """The page with its zip entry made (Packed), and without its XHTML unless `keep`: what lint
    reads of it is kept instead, often a few dozen bytes for a whole chapter. A page given in
    pieces (Page.pieces) is packed piece by piece, never held whole, unless it must be kept or
    lint reads more of it than its declaration."""
    if page.pieces is not None and not keep:
        packed = _packed_in_pieces(page.pieces)
        if packed is not None:
            return replace(page, packed=packed, pieces=None)
    xhtml = b"".join(page.pieces()) if page.pieces is not None else page.xhtml
    if page.plain:  # known from its template: only its declaration is for lint
        svg, linted = False, declaration(xhtml)
    else:
        svg, linted = b"<svg" in xhtml, stand_in(xhtml)
    packed = Packed(deflate(xhtml), zlib.crc32(xhtml), len(xhtml), svg, linted)
    return replace(page, xhtml=xhtml if keep else b"", packed=packed, pieces=None)


def _packed_in_pieces(pieces: Callable[[], Iterator[bytes]]) -> Packed | None:
    """A page's zip entry made as its pieces come (deflating in pieces gives the very bytes of
    deflating it whole: tested), or None where lint must read the whole page."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    deflated: list[bytes] = []
    crc = size = 0
    svg = False
    linted = b""
    unfinished = b""  # the end of what came, from its last "<": a tag the next piece may finish
    for piece in pieces():
        looked_at = unfinished + piece
        if read_by_rules(looked_at):
            return None
        opening = looked_at.rfind(b"<")
        unfinished = looked_at[opening:] if opening >= 0 else b""
        linted = linted or stand_in(piece)  # the first piece: the page's XML declaration
        deflated.append(compressor.compress(piece))
        crc, size, svg = zlib.crc32(piece, crc), size + len(piece), svg or b"<svg" in piece
    deflated.append(compressor.flush())
    return Packed(b"".join(deflated), crc, size, svg, linted)


def deflate(data: bytes) -> bytes:
    """`data` deflated by the very calls the zip makes (zipfile's compressor for level 6, one
    compress() and a flush()): the same bytes as if the zip had deflated it."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _write_packed(target: zipfile.ZipFile, info: zipfile.ZipInfo, made: Packed) -> None:
    """What writestr does, with its work done: the CRC and size it would reckon from the data
    while feeding its compressor, and the compressor's output at the flush. The same bytes."""
    info.file_size = made.size
    with target.open(info, "w") as entry:
        entry._compressor = _Deflated(made.deflated)  # type: ignore[attr-defined]
        entry._crc = made.crc  # type: ignore[attr-defined]
        entry._file_size = made.size  # type: ignore[attr-defined]


class _Deflated:
    """A compressor whose work is done: all of it when flushed (nothing is fed to it)."""

    def __init__(self, ready: bytes) -> None:
        self._ready = ready

    def flush(self) -> bytes:
        ready, self._ready = self._ready, b""
        return ready


_MAX_PACKAGE_BYTES = 4 * 1024 * 1024  # far more than any package document; a bigger one is not read
_PACKAGE_NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "dc": "http://purl.org/dc/elements/1.1/"}


def book_identity(path: Path) -> tuple[str, str] | None:
    """(identifier, title) of the EPUB at `path`, read from its package document alone; None when
    there is no such file, or it is not an EPUB that says (a build replacing it is not stopped)."""
    try:
        if not path.is_file():
            return None
        with zipfile.ZipFile(path) as book:
            container = etree.fromstring(_small_entry(book, "META-INF/container.xml"))
            rootfile = container.find(".//c:rootfile", _PACKAGE_NS)
            opf = etree.fromstring(_small_entry(book, rootfile.get("full-path") or ""))
    except (
        OSError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        RuntimeError,
        NotImplementedError,
        EOFError,
        AttributeError,
        etree.XMLSyntaxError,
        zlib.error,
    ):
        return None
    identifier = opf.findtext(".//dc:identifier", namespaces=_PACKAGE_NS)
    return (
        (identifier.strip(), (opf.findtext(".//dc:title", namespaces=_PACKAGE_NS) or "").strip())
        if identifier
        else None
    )


def _small_entry(book: zipfile.ZipFile, name: str) -> bytes:
    if book.getinfo(name).file_size > _MAX_PACKAGE_BYTES:
        raise ValueError(f"{name} is too large")
    return book.read(name)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
