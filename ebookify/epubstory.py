"""An EPUB -> the Story of each work in it, read like the book and not like its files.

Chapters are the spine's documents in order, titled by the table of contents (a document the
contents do not list continues the chapter before it: calibre splits long chapters into several
files); the front and back matter of the tool that made the book (epubfront.py) become the work's
metadata, never chapters; the text goes through the same allow-list as AO3's HTML (ao3text.py).
An AO3 EPUB is calibre's conversion of AO3's HTML download: its pieces are put back together in
the download's shape and read by ao3.read_download, so both make the same book.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

from .ao3 import html_soup, read_download
from .ao3text import _clean, story_blocks
from .epubfront import AO3, FANFICFARE, Doc, Fields, front_fields, is_front_matter, recognise, starts_a_work
from .epubimages import fit_image
from .epubin import Package, _joined, read_package
from .errors import StoryError
from .model import Block, BlockKind, Chapter, Story, WorkMeta
from .places import Repeated

_HTML_TYPES = ("application/xhtml+xml", "text/html", "application/x-dtbook+xml")
_HEADINGS = ("h1", "h2", "h3", "h4")
_HIDDEN = ("script", "style", "title", "head")
_AO3_BLOCKS = re.compile(r"^(preface|chapters|afterword)$")
_REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")  # https:, data:, file:, a scheme-relative address


def read_epub(path: Path, source: str) -> tuple[list[Story], list[str]]:
    """Each work of the EPUB at `path` as a Story (several for an anthology), and the warnings
    about what the book cannot show (a chapter that cannot be read, a remote picture)."""
    package = read_package(path, source)
    docs, warnings = _documents(package)
    tool = recognise(package, docs)
    if tool == AO3:
        read = [read_download(soup, source) for soup in _ao3_downloads(docs)]
    else:
        works = _works(tool, docs)
        if not works:
            raise StoryError(source, "has no chapters with story text")
        read = [_story(tool, package, front, chapters, len(works) == 1) for front, chapters in works]
    return [story for story, _ in read], warnings + [w for _, said in read for w in said]


# -- the documents -------------------------------------------------------------------------------


def _documents(package: Package) -> tuple[list[Doc], list[str]]:
    """The spine's documents that can be chapters or front matter, parsed; a document that cannot
    be read is left out with a warning naming it, and the rest of the book is read."""
    docs, warnings = [], []
    for item in package.spine:
        if item.nav or not item.linear or item.media_type not in _HTML_TYPES:
            continue  # the contents page, what the book itself keeps out of reading order, pictures
        title = package.toc_title(item.path)
        named = f'the chapter "{title}" ({item.path})' if title else f"the chapter file {item.path}"
        data = package.document(item.path)
        if data is None:
            why = "would not unpack" if item.path in package.damaged else "is missing from the archive"
            warnings.append(f"{package.source}: {named} {why}; the book is built without it")
            continue
        try:
            soup = html_soup(data, f"{package.source}: {item.path}")
        except StoryError as exc:
            warnings.append(f"{package.source}: {named} cannot be read ({exc.message}); the book is built without it")
            continue
        if _visible_text(soup.find("body") or soup) or soup.find(id=_AO3_BLOCKS):
            docs.append(Doc(item.path, soup, title))
    return docs, warnings


def _visible_text(tag: Tag) -> str:
    """The words a page shows; a page that only holds a picture (a cover) shows none."""
    for hidden in tag.find_all(list(_HIDDEN)):
        hidden.extract()
    return _clean(tag.get_text())


def _works(tool: str, docs: list[Doc]) -> list[tuple[list[Doc], list[Doc]]]:
    """(front matter, chapter documents) of each work, a new work at each page that opens one."""
    works: list[tuple[list[Doc], list[Doc]]] = []
    front: list[Doc] = []
    chapters: list[Doc] = []
    for doc in docs:
        if starts_a_work(tool, doc) and chapters:
            works.append((front, chapters))
            front, chapters = [], []
        (front if is_front_matter(tool, doc) else chapters).append(doc)
    if chapters:
        works.append((front, chapters))
    return works


# -- a work --------------------------------------------------------------------------------------


def _story(tool: str, package: Package, front: list[Doc], docs: list[Doc], whole: bool) -> tuple[Story, list[str]]:
    source = package.source
    fields = front_fields(tool, front, package.meta, source, whole)
    pictures = _Pictures(package)
    chapters, warnings = _chapters(tool, docs, bool(package.toc), pictures)
    drafts = [draft for draft in chapters if draft[1]]
    if not drafts:
        raise StoryError(source, "has no chapters with story text")
    work = _work_meta(fields, len(drafts))
    title = (package.meta.titles[0] if whole and package.meta.titles else fields.title) or "Untitled"
    who = ", ".join(work.relationships) or ", ".join(c for c in work.characters if c.casefold() != "reader")
    series = work.series[0][0] if work.series else None
    several = len(drafts) > 1
    parts = tuple(
        Chapter(
            source,
            who,
            title,
            part=n if several else None,
            blocks=tuple(blocks),
            group=series,
            label=label if several else None,
        )
        for n, (label, blocks) in enumerate(drafts, start=1)
    )
    story = Story(who, title, parts, series, work, tuple(sorted(pictures.carried.items())))
    return story, fields.said + pictures.warnings + warnings


def _work_meta(fields: Fields, chapters: int) -> WorkMeta:
    count = fields.chapters
    if fields.status is not None:  # a tool that says "Completed" or "In-Progress" in words
        posted = count[0] if count else chapters
        count = (posted, posted) if fields.status == "complete" else (posted, count[1] if count else None)
    return WorkMeta(
        url=fields.url,
        authors=tuple(fields.authors),
        rating=fields.rating,
        warnings=tuple(fields.lists.get("warnings", ())),
        categories=tuple(fields.lists.get("categories", ())),
        fandoms=tuple(fields.lists.get("fandoms", ())),
        relationships=tuple(fields.lists.get("relationships", ())),
        characters=tuple(fields.lists.get("characters", ())),
        freeforms=tuple(fields.lists.get("freeforms", ())),
        language=fields.language,
        series=tuple(fields.series),
        words=fields.words,
        summary=fields.summary,
        stats=tuple(fields.stats),
        published=fields.published,
        updated=fields.updated,
        completed=fields.completed,
        chapters=count,
    )


def _chapters(
    tool: str, docs: list[Doc], has_toc: bool, pictures: _Pictures
) -> tuple[list[tuple[str, list[Block]]], list[str]]:
    """(title, blocks) of each chapter, and their warnings. With a table of contents, a document
    it does not list continues the chapter before it; without one, each document is a chapter."""
    chapters: list[tuple[str, list[Block]]] = []
    warnings: list[str] = []
    for doc in docs:
        continues = has_toc and doc.title is None and chapters
        heading = _leading_heading(doc, tool) if not continues else None
        blocks, said = _blocks(tool, doc, pictures.source, pictures.finder(doc.path))
        if continues:
            chapters[-1][1].extend(blocks)
        else:
            chapters.append((doc.title or heading or f"Chapter {len(chapters) + 1}", blocks))
        # A line is a line of one of the book's files: the place names the chapter and that file.
        warnings += [
            w.moved(len(chapters), label=f"file {doc.path}") if isinstance(w, Repeated) and not w.place.in_work else w
            for w in said
        ]
    for title, blocks in chapters:
        if blocks and not any(b.kind is BlockKind.PARAGRAPH for b in blocks):
            warnings.append(f'{pictures.source}: the chapter "{title}" has no story text; it is left out')
    kept = [(title, blocks if any(b.kind is BlockKind.PARAGRAPH for b in blocks) else []) for title, blocks in chapters]
    return kept, warnings


def _leading_heading(doc: Doc, tool: str) -> str | None:
    """The heading a chapter page starts with, taken out of its text when it is the chapter's
    title (as the contents give it, or as the only title there is): the book sets its own."""
    if tool == FANFICFARE:
        for title in doc.body.find_all(class_="fff_chapter_title"):
            title.decompose()
    heading = doc.body.find(_HEADINGS)
    if heading is None or _text_before(doc.body, heading):
        return None
    text = _clean(heading.get_text())
    wanted = " ".join((doc.title or "").split()).casefold()
    if not doc.title or wanted in text.casefold() or text.casefold() in wanted:
        heading.decompose()
        return text or None
    return None


def _text_before(body: Tag, heading: Tag) -> bool:
    for node in body.descendants:
        if node is heading:
            return False
        shown = isinstance(node, NavigableString) and node.parent is not None and node.parent.name not in _HIDDEN
        if shown and _clean(str(node)):
            return True
    return False


def _blocks(
    tool: str, doc: Doc, source: str, images: Callable[[str], str | None] | None = None
) -> tuple[list[Block], list[str]]:
    """A page's text through the allow-list, and its warnings; FanFicFare's chapter notes as
    authors' notes, before and after the text as the chapter has them."""
    head: list[Block] = []
    foot: list[Block] = []
    warnings: list[str] = []
    if tool == FANFICFARE:
        for notes in doc.body.find_all("div", class_="fff_chapter_notes"):
            classes = notes.get_attribute_list("class")
            blocks, said = _notes(notes.extract(), source)
            (foot if "fff_foot_notes" in classes else head).extend(blocks)
            warnings += said
    text, said = story_blocks(doc.body, source, images)
    return head + text + foot, warnings + said


class _Pictures:
    """The pictures a work's chapters show from inside the EPUB, checked (epubimages.py) and
    gathered for the book; a picture elsewhere (a web address) is left out with its description."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.warnings: list[str] = []  # pictures that could not be carried
        self.source = package.source
        self.carried: dict[str, bytes] = {}

    def finder(self, page: str) -> Callable[[str], str | None]:
        return lambda src: self.carry(page, src)

    def carry(self, page: str, src: str) -> str | None:
        if not src or _REMOTE.match(src):
            return None
        path = _joined(posixpath.dirname(page), src)
        data = self.package.document(path)
        if data is None:
            return None
        fitted = fit_image(data)
        if isinstance(fitted, str):
            self.warnings.append(f"{self.source}: the picture {path} {fitted}; its description is kept")
            return None
        name, self.carried[name] = fitted
        return name


def _notes(notes: Tag, source: str) -> tuple[list[Block], list[str]]:
    """'<b>Author's Note:</b><blockquote>…</blockquote>' -> the blockquote's paragraphs, as notes."""
    quote = notes.find("blockquote")
    if quote is None:
        label = notes.find("b")
        if label is not None:
            label.decompose()
        quote = notes
    blocks, warnings = story_blocks(quote, source)
    return [replace(b, kind=BlockKind.NOTE) for b in blocks if b.kind is BlockKind.PARAGRAPH], warnings


# -- AO3 -----------------------------------------------------------------------------------------


def _ao3_downloads(docs: list[Doc]) -> list[BeautifulSoup]:
    """calibre's pieces of AO3's HTML download (each file holds a part of #preface, #chapters or
    #afterword, with AO3's classes renamed) put back into one download per work."""
    works: list[BeautifulSoup] = []
    for doc in docs:
        for block in doc.body.find_all(id=_AO3_BLOCKS):
            if any(_AO3_BLOCKS.match(str(p.get("id", ""))) for p in block.parents if isinstance(p, Tag)):
                continue
            name = str(block["id"])
            if not works or (name == "preface" and _opens_a_work(block) and _opens_a_work(_part(works[-1], "preface"))):
                works.append(_empty_download())
            _part(works[-1], name).extend([child.extract() for child in list(block.children)])
    for soup in works:
        _as_download(soup)
    return works


def _part(download: BeautifulSoup, name: str) -> Tag:
    found = download.find(id=name)
    assert isinstance(found, Tag)  # _empty_download made it
    return found


def _opens_a_work(preface: Tag) -> bool:
    """The part of a preface with AO3's message ("Posted originally on the Archive of Our Own at …")."""
    return preface.find("p", class_="message") is not None


def _empty_download() -> BeautifulSoup:
    return BeautifulSoup('<div id="preface"></div><div id="chapters"></div><div id="afterword"></div>', "html.parser")


def _as_download(soup: BeautifulSoup) -> None:
    """AO3's own classes where calibre renamed them, without calibre's headings and page breaks."""
    for heading in soup.find_all(class_="toc-heading"):
        heading.decompose()
    preface, chapters = soup.find(id="preface"), soup.find(id="chapters")
    title = preface.find("h1") if preface is not None else None
    if title is not None and title.parent is not None and title.parent is not preface:
        _classed(title.parent, "meta")
    previous: Tag | None = None  # the chapter text read last, while no heading or notes came after it
    for child in list(chapters.find_all(True, recursive=False)) if chapters is not None else ():
        kind = _ao3_kind(child)
        if kind == "userstuff" and previous is not None:  # one chapter calibre split in two files
            previous.extend(list(child.children))
            child.decompose()
        elif kind:
            _classed(child, *kind.split())
            previous = child if kind == "userstuff" else None
        elif not _clean(child.get_text()):
            child.decompose()  # calibre's page-break markers


def _ao3_kind(child: Tag) -> str | None:
    """What a child of #chapters was in AO3's download: a chapter's heading block, its text, its end notes."""
    if child.find(class_="heading") is not None:
        return "meta group"
    if re.match(r"userstuff", " ".join(child.get_attribute_list("class") or [])):
        return "userstuff"
    return "meta" if str(child.get("id", "")).startswith("endnotes") else None


def _classed(tag: Tag, *names: str) -> None:
    """AO3's class names on `tag`, as the list bs4 gives a parsed class attribute."""
    tag.attrs["class"] = list(names)  # type: ignore[assignment]  # bs4 types it as its own list class
