"""Send-to-Kindle's rejection causes that EPUBCheck does not flag, checked on the finished book.

Amazon converts every EPUB it is sent; these are the known reasons it refuses one or garbles it.
ebookify's books pass by construction; the lint runs on every build so that a regression fails
the build with the rule's name instead of reaching a reader's Kindle.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from lxml import etree

from .errors import EbookifyError
from .inputs import MAX_EPUB_BYTES, plain_error, read_regular

EMAIL_LIMIT = 50 * 1024 * 1024  # Send-to-Kindle's e-mail attachment limit
_NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "x": "http://www.w3.org/1999/xhtml",
}
_ENCODING_DECLARATION = re.compile(rb"^<\?xml[^>]*encoding=[\"']utf-8[\"']", re.IGNORECASE)
_PLAIN_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
_COMMENT = re.compile(rb"<!--(.*?)-->", re.DOTALL)
_BODY_ID = re.compile(rb"<body\b[^>]*?\sid\s*=\s*[\"']([^\"']*)[\"']")
# What a page holds that a rule reads beyond its declaration: a link or a picture (elements()), a
# comment, an id on <body>. One scan, from each "<" (stand_in).
_READ_BY_RULES = re.compile(rb"<(?:a|img|!--)|" + _BODY_ID.pattern)
# Entities stay unexpanded and nothing is fetched: a book to lint can come from anywhere.
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True)
_XHTML = "application/xhtml+xml"


@dataclass(frozen=True)
class Violation:
    rule: str
    where: str
    problem: str
    fix: str
    warning: bool = False  # a warning does not fail the build

    def __str__(self) -> str:
        return f"{self.rule}: {self.where} {self.problem}; fix: {self.fix}"


class _Book:
    """The parts of an EPUB the rules read, parsed once."""

    def __init__(self, files: Mapping[str, bytes], size: int) -> None:
        self.size = size
        self.files = files
        container = etree.fromstring(self.files["META-INF/container.xml"], _SAFE_XML)
        rootfile = container.find(".//{*}rootfile")
        opf_path = rootfile.get("full-path") if rootfile is not None else None
        if not opf_path or opf_path not in self.files:
            raise NotAnEpub("its container.xml names no package document that is in the book")
        self.opf_path: str = opf_path
        self.root = posixpath.dirname(self.opf_path)
        self.opf = etree.fromstring(self.files[self.opf_path], _SAFE_XML)
        self.manifest = {i.get("id"): i for i in self.opf.iterfind(".//opf:manifest/opf:item", _NS)}

    def path(self, href: str) -> str:
        return posixpath.normpath(posixpath.join(self.root, href.split("#")[0]))

    def pages(self) -> Iterator[tuple[str, bytes]]:
        return iter(self._pages)

    @cached_property  # every rule that reads pages asks: a book of 1,800 pages took 0.1 s to list each time
    def _pages(self) -> list[tuple[str, bytes]]:
        names = (self.path(i.get("href")) for i in self.manifest.values() if i.get("media-type") == _XHTML)
        return [(name, self.files[name]) for name in names]

    def elements(self, tag: str) -> Iterator[tuple[str, etree._Element]]:
        """Each page's <tag> elements (XHTML's), with the page's name; only pages whose text holds
        one are parsed, leniently: a page that is not well-formed is EPUBCheck's to report, and
        must not stop the rules that read the rest."""
        wanted = f"{{{_NS['x']}}}{tag}"
        for name, data in self.pages():
            if b"<" + tag.encode() in data:
                yield from ((name, element) for element in _read_through(data, wanted, recover=True))

    def spine(self) -> list[str]:
        refs = self.opf.iterfind(".//opf:spine/opf:itemref", _NS)
        return [self.path(self.manifest[r.get("idref")].get("href")) for r in refs]

    def ncx(self) -> tuple[str, bytes] | None:
        item = next((i for i in self.manifest.values() if i.get("media-type") == "application/x-dtbncx+xml"), None)
        if item is None:
            return None
        path = self.path(item.get("href"))
        return path, self.files[path]


def _read_through(data: bytes, tag: str, recover: bool = False) -> Iterator[etree._Element]:
    """Each <tag> element of the XML `data`, as the parser reaches its end (its attributes read,
    its parent there), every element let go once read: the whole tree of a long book's contents
    or NCX takes megabytes, more than the rest of its lint."""
    parsed = etree.iterparse(io.BytesIO(data), recover=recover, resolve_entities=False, no_network=True)
    for _, element in parsed:
        if element.tag == tag:
            yield element
        element.clear(keep_tail=True)


def read_by_rules(piece: bytes) -> bool:
    """Whether a rule reads more of a page than its declaration in this piece of it (whole tags):
    stand_in for a page made piece by piece."""
    return _READ_BY_RULES.search(piece) is not None


def stand_in(page: bytes) -> bytes:
    """What the rules need to read of one XHTML page of a book: the page itself, or, where they
    could find nothing in it but the declaration it opens with, that declaration alone. No rule
    then judges the book otherwise (tested), and a packed page (epub.packed_page) keeps a few
    dozen bytes for lint instead of its chapter."""
    return page if read_by_rules(page) else declaration(page)


def declaration(page: bytes) -> bytes:
    """stand_in() of a page known to hold nothing the rules read beyond its declaration: that
    declaration alone, or the whole page if it has none (the rule that asks for one reads it)."""
    declared = _ENCODING_DECLARATION.match(page)
    return page if declared is None else page[: declared.end()]


def _utf8_declared(book: _Book) -> Iterator[Violation]:
    for name, data in book.pages():
        if not _ENCODING_DECLARATION.match(data):
            yield Violation(
                "xhtml-utf8",
                name,
                "has no XML declaration naming UTF-8, so Kindle reads it as Latin-1 (’ becomes â€™)",
                'start the page with <?xml version="1.0" encoding="utf-8"?>',
            )


def _plain_language(book: _Book) -> Iterator[Violation]:
    languages = [e.text or "" for e in book.opf.iterfind(".//dc:language", _NS)]
    if not languages:
        yield Violation("plain-language", book.opf_path, "has no dc:language", "add <dc:language>en</dc:language>")
    for language in languages:
        if not _PLAIN_LANGUAGE.match(language.strip()):
            yield Violation(
                "plain-language",
                book.opf_path,
                f"has dc:language {language!r}, which Amazon refuses",
                "use a plain code such as en or en-GB",
            )


def _no_body_id_links(book: _Book) -> Iterator[Violation]:
    body_ids = {f"{name}#{match[1].decode()}" for name, data in book.pages() for match in _BODY_ID.finditer(data)}
    if not body_ids:  # no link can point at one: its pages' links go unread (10 ms for a long book's contents)
        return
    for name, link in book.elements("a"):
        href = link.get("href")
        if href is not None and "#" in href and not href.startswith(("http:", "https:", "mailto:")):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), href.split("#")[0] or name))
            if f"{target}#{href.split('#', 1)[1]}" in body_ids:
                yield Violation(
                    "no-body-id-links", name, f"links to {href}, an id on <body>", "link to the page itself"
                )


def _images_have_src(book: _Book) -> Iterator[Violation]:
    for name, image in book.elements("img"):
        if not (image.get("src") or "").strip():
            yield Violation("img-src", name, "has an <img> without src", "give every image a src, or remove it")


def _spine_matches_ncx(book: _Book) -> Iterator[Violation]:
    found = book.ncx()
    if found is None:
        yield Violation("spine-ncx-order", book.opf_path, "has no NCX", "keep toc.ncx beside the nav")
        return
    ncx_path, ncx = found
    ncx_dir = posixpath.dirname(ncx_path)
    contents = _read_through(ncx, f"{{{_NS['ncx']}}}content")
    targets = [
        posixpath.normpath(posixpath.join(ncx_dir, c.get("src").split("#")[0]))
        for c in contents
        if c.getparent() is not None and c.getparent().tag == f"{{{_NS['ncx']}}}navPoint"
    ]
    # Each page's first place in the spine, looked up once: list.index per entry was quadratic.
    spine: dict[str, int] = {}
    for position, page in enumerate(book.spine()):
        spine.setdefault(page, position)
    positions = [spine.get(t, -1) for t in targets]
    if -1 in positions or positions != sorted(positions):
        yield Violation(
            "spine-ncx-order",
            book.opf_path,
            "has a spine whose order differs from the NCX's",
            "list the NCX entries in reading order, each one a page in the spine",
        )


def _no_double_hyphen_comments(book: _Book) -> Iterator[Violation]:
    for name, data in book.files.items():
        xml = name.endswith((".xhtml", ".html", ".opf", ".ncx", ".xml")) and b"<!--" in data
        if xml and any(b"--" in comment for comment in _COMMENT.findall(data)):
            yield Violation("no-double-hyphen-comments", name, "has -- inside a comment", "remove the comment")


def _under_email_limit(book: _Book) -> Iterator[Violation]:
    yield from too_big(book.size)


def too_big(size: int) -> list[Violation]:
    """The one rule that reads the zip's size alone (Send-to-Kindle's e-mail limit), and the last:
    lint_files(files, 0) + too_big(size) is lint_files(files, size)."""
    if size <= EMAIL_LIMIT:
        return []
    return [
        Violation(
            "email-size",
            "the book",
            f"is {size / 2**20:.1f} MB, over Send-to-Kindle's 50 MB e-mail limit",
            "send it with the Send to Kindle app or the web uploader, or use a smaller cover",
            warning=True,
        )
    ]


RULES: tuple[Callable[[_Book], Iterator[Violation]], ...] = (
    _utf8_declared,
    _plain_language,
    _no_body_id_links,
    _images_have_src,
    _spine_matches_ncx,
    _no_double_hyphen_comments,
    _under_email_limit,
)


def lint(data: bytes) -> list[Violation]:
    """Every rule's violations for the EPUB in `data`."""
    return lint_files(_unzipped(data), len(data))


def lint_files(files: Mapping[str, bytes], size: int) -> list[Violation]:
    """lint() for a book not yet zipped: its entries by name, and the size its zip will have."""
    book = _Book(files, size)
    return [violation for rule in RULES for violation in rule(book)]


def check_file(path: Path) -> list[Violation]:
    """lint() for a file on disk, any EPUB; one that cannot be read is an EbookifyError.

    The file can be anything (a truncated download, an encrypted or zip-bomb archive, a package
    document missing its parts): every way its bytes can fail to be an EPUB ends as one line."""
    data = read_regular(path, MAX_EPUB_BYTES, plain_error(path))
    try:
        return lint(data)
    except NotAnEpub as exc:
        raise EbookifyError(f"{path} is not a readable EPUB: {exc}") from exc
    except (zipfile.BadZipFile, EOFError, zlib.error, etree.XMLSyntaxError) as exc:
        raise EbookifyError(f"{path} is not a readable EPUB ({exc or type(exc).__name__})") from exc
    except (KeyError, AttributeError, TypeError, ValueError) as exc:  # a part the rules need is missing
        raise EbookifyError(f"{path} is not a readable EPUB (its package is incomplete: {exc!r})") from exc


class NotAnEpub(Exception):
    """Why an archive cannot be read as an EPUB, worded for the user."""


def _unzipped(data: bytes) -> dict[str, bytes]:
    """The entries of an EPUB zip, refusing before reading what would fail or fill the memory:
    encrypted entries, compression other than stored or deflated, entries that unpack too big."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
        for entry in entries:
            if entry.flag_bits & 0x1:
                raise NotAnEpub(f"{entry.filename} is encrypted")
            if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise NotAnEpub(f"{entry.filename} is compressed with method {entry.compress_type}, not deflate")
        # zipfile never unpacks more than an entry says it holds: the declared sizes bound the memory.
        if sum(entry.file_size for entry in entries) > MAX_EPUB_BYTES:
            raise NotAnEpub(f"it unpacks to more than {MAX_EPUB_BYTES // 2**20} MB")
        if "META-INF/container.xml" not in archive.namelist():
            raise NotAnEpub("it has no META-INF/container.xml")
        return {entry.filename: archive.read(entry) for entry in entries}
