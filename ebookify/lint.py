"""Send-to-Kindle's rejection causes that EPUBCheck does not flag, checked on the finished book.

Amazon converts every EPUB it is sent; these are the known reasons it refuses one or garbles it.
ebookify's books pass by construction; the lint runs on every build so that a regression fails
the build with the rule's name instead of reaching a reader's Kindle.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .errors import EbookifyError

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
        self._trees: list[tuple[str, etree._Element]] | None = None
        container = etree.fromstring(self.files["META-INF/container.xml"])
        self.opf_path = container.find(".//{*}rootfile").get("full-path")
        self.root = posixpath.dirname(self.opf_path)
        self.opf = etree.fromstring(self.files[self.opf_path])
        self.manifest = {i.get("id"): i for i in self.opf.iterfind(".//opf:manifest/opf:item", _NS)}

    def path(self, href: str) -> str:
        return posixpath.normpath(posixpath.join(self.root, href.split("#")[0]))

    def pages(self) -> Iterator[tuple[str, bytes]]:
        for item in self.manifest.values():
            if item.get("media-type") == "application/xhtml+xml":
                yield self.path(item.get("href")), self.files[self.path(item.get("href"))]

    def trees(self) -> list[tuple[str, etree._Element]]:
        """The pages that hold a link or an image, parsed (once) leniently: a page that is not
        well-formed is EPUBCheck's to report, and must not stop the rules that read the rest.
        Pages of story text hold neither, and a whole book's trees would take more memory than
        its text."""
        if self._trees is None:
            parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
            wanted = ((name, data) for name, data in self.pages() if b"<a" in data or b"<img" in data)
            parsed = ((name, etree.fromstring(data, parser)) for name, data in wanted)
            self._trees = [(name, root) for name, root in parsed if root is not None]
        return self._trees

    def spine(self) -> list[str]:
        refs = self.opf.iterfind(".//opf:spine/opf:itemref", _NS)
        return [self.path(self.manifest[r.get("idref")].get("href")) for r in refs]

    def ncx(self) -> tuple[str, etree._Element] | None:
        item = next((i for i in self.manifest.values() if i.get("media-type") == "application/x-dtbncx+xml"), None)
        if item is None:
            return None
        path = self.path(item.get("href"))
        return path, etree.fromstring(self.files[path])


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
    for name, page in book.trees():
        for link in page.iterfind(".//x:a[@href]", _NS):
            href = link.get("href")
            if "#" in href and not href.startswith(("http:", "https:", "mailto:")):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name), href.split("#")[0] or name))
                if f"{target}#{href.split('#', 1)[1]}" in body_ids:
                    yield Violation(
                        "no-body-id-links", name, f"links to {href}, an id on <body>", "link to the page itself"
                    )


def _images_have_src(book: _Book) -> Iterator[Violation]:
    for name, page in book.trees():
        for image in page.iterfind(".//x:img", _NS):
            if not (image.get("src") or "").strip():
                yield Violation("img-src", name, "has an <img> without src", "give every image a src, or remove it")


def _spine_matches_ncx(book: _Book) -> Iterator[Violation]:
    found = book.ncx()
    if found is None:
        yield Violation("spine-ncx-order", book.opf_path, "has no NCX", "keep toc.ncx beside the nav")
        return
    ncx_path, ncx = found
    ncx_dir = posixpath.dirname(ncx_path)
    targets = [
        posixpath.normpath(posixpath.join(ncx_dir, c.get("src").split("#")[0]))
        for c in ncx.iterfind(".//ncx:navPoint/ncx:content", _NS)
    ]
    spine = book.spine()
    positions = [spine.index(t) if t in spine else -1 for t in targets]
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
    if book.size > EMAIL_LIMIT:
        yield Violation(
            "email-size",
            "the book",
            f"is {book.size / 2**20:.1f} MB, over Send-to-Kindle's 50 MB e-mail limit",
            "send it with the Send to Kindle app or the web uploader, or use a smaller cover",
            warning=True,
        )


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
    from .epub import unzip  # ebooklib comes with it: only `ebookify lint` on a file needs this

    return lint_files(unzip(data), len(data))


def lint_files(files: Mapping[str, bytes], size: int) -> list[Violation]:
    """lint() for a book not yet zipped: its entries by name, and the size its zip will have."""
    book = _Book(files, size)
    return [violation for rule in RULES for violation in rule(book)]


def check_file(path: Path) -> list[Violation]:
    """lint() for a file on disk, any EPUB; one that cannot be read is an EbookifyError."""
    try:
        return lint(path.read_bytes())
    except OSError as exc:
        raise EbookifyError(f"{path} cannot be read ({exc.strerror or exc})") from exc
    except (zipfile.BadZipFile, KeyError, AttributeError, etree.XMLSyntaxError) as exc:
        raise EbookifyError(f"{path} is not a readable EPUB ({exc})") from exc
