"""Rendered pages -> EPUB 3 bytes. The only module that imports ebooklib.

ebooklib writes the package document, nav and NCX; we hand it finished XHTML as plain items (its
own EpubHtml re-parses every page as HTML, slowly and lossily) and then rewrite its zip so the same
book always gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

from ebooklib import epub

from .cover import CoverImage
from .render import STYLESHEET, Rendered, TocEntry

XHTML = "application/xhtml+xml"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold


@dataclass(frozen=True)
class Metadata:
    identifier: str
    title: str
    author: str
    language: str
    description: str
    subjects: tuple[str, ...]
    modified: datetime  # aware, UTC


def package(rendered: Rendered, meta: Metadata, cover: CoverImage) -> bytes:
    book = _book(meta)
    book.set_cover(cover.file_name, cover.data, create_page=False)
    book.add_item(epub.EpubItem(uid="style", file_name=STYLESHEET, media_type="text/css", content=rendered.css))
    items = [
        epub.EpubItem(uid=_item_id(p.file_name), file_name=p.file_name, media_type=XHTML, content=p.xhtml)
        for p in rendered.pages
    ]
    for item in items:
        book.add_item(item)
    nav = epub.EpubNav(title="Contents")
    nav.add_link(href=STYLESHEET, rel="stylesheet", type="text/css")
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.toc = _toc(rendered.toc)
    book.spine = items
    raw = io.BytesIO()
    # epub3_pages reads pages through EpubHtml, which our plain items are not; we have no page list.
    options = {"mtime": meta.modified, "raise_exceptions": True, "epub3_pages": False}
    epub.write_epub(raw, book, options)
    return reproducible_zip(raw.getvalue())


def _book(meta: Metadata) -> epub.EpubBook:
    book = epub.EpubBook()
    book.set_identifier(meta.identifier)
    book.set_title(meta.title)
    book.set_language(meta.language)
    book.add_author(meta.author, uid="author")
    book.add_metadata("DC", "description", meta.description)
    for subject in meta.subjects:
        book.add_metadata("DC", "subject", subject)
    return book


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


def reproducible_zip(data: bytes) -> bytes:
    """The same entries with fixed dates and order: mimetype first and stored, the rest deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = sorted(source.namelist(), key=lambda name: (name != "mimetype", name))
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever machine builds it
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(name), compresslevel=9)
    return out.getvalue()
