"""AO3 "Download → HTML" files -> a Story with its chapters, notes and the work's tags.

Only this module imports bs4, and only when a stories folder holds HTML files. The story HTML
goes through an allow-list (ao3text.py): paragraphs, inline formatting, alignment, headings,
quotes, lists, tables and scene breaks become the same plain text with inline marks (marks.py)
and block fields that every other stage reads; anything else (scripts, styles, frames, forms,
links) is dropped, its text kept where it has any, and a picture leaves its description.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace

from bs4 import BeautifulSoup, NavigableString, Tag

from .ao3text import _BLOCKS, _DROPPED, _clean, story_blocks
from .charset import decode_html
from .errors import StoryError
from .marks import LINE_BREAK
from .model import Block, BlockKind, Chapter, Story, WorkMeta
from .parse import _XML_INVALID
from .places import Repeated

# The dt labels of the tag block, in any number ("Character:" in older downloads).
_TAG_FIELDS = {
    "rating": "rating",
    "ratings": "rating",
    "archive warning": "warnings",
    "archive warnings": "warnings",
    "category": "categories",
    "categories": "categories",
    "fandom": "fandoms",
    "fandoms": "fandoms",
    "relationship": "relationships",
    "relationships": "relationships",
    "character": "characters",
    "characters": "characters",
    "additional tags": "freeforms",
    "additional tag": "freeforms",
    "freeform": "freeforms",
    "language": "language",
    "series": "series",
    "stats": "stats",
}
_CHAPTER_HEADING = re.compile(r"^\s*chapter\s+(\d+)\s*(?::\s*(.*))?$", re.IGNORECASE)
# "Words: 1,036": a label, then its value up to the next space; an empty value ("Words:" then
# "Chapters: 1/1") stays empty instead of taking the next label as its value.
_STAT = re.compile(r"([A-Z][A-Za-z]*):[ \t]*([^\s:]*)(?=\s|$)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CHAPTERS = re.compile(r"([0-9]{1,6})/([0-9]{1,6}|\?)")
_MAX_DIGITS = 12  # no count on AO3 comes near; a longer "number" is not one (and int() of 5,000 digits raises)


def looks_like_ao3(soup: BeautifulSoup) -> bool:
    return soup.find(id="chapters") is not None and soup.find(id="preface") is not None


def read_work(data: bytes, source: str) -> tuple[Story, list[str]]:
    """Parse one AO3 HTML download, or an AO3 work page saved from a browser, with warnings about
    what the book cannot show (a remote image left out is a warning, not an error)."""
    soup = html_soup(data, source)
    from .ao3page import looks_like_saved_page, read_saved_page  # it reads pages with this module

    reader = read_saved_page if looks_like_saved_page(soup) else read_download
    story, warnings = reader(soup, source)
    return story, _numbered(warnings, story)


def html_soup(data: bytes, source: str) -> BeautifulSoup:
    """An HTML file's tree: decoded as a browser would (charset.py), without the characters XML
    forbids (a book's pages are XML)."""
    return BeautifulSoup(_XML_INVALID.sub("", decode_html(data, source)), "html.parser")


def _numbered(found: list[str], story: Story) -> list[str]:
    """A warning's place names a chapter by its order in the file; the book's number for it is
    the one shown (none in a one-shot; its own on a page showing one chapter of several)."""
    numbers = [part.part for part in story.parts]
    found = _placed_in_notes(found, None)  # the work's own summary, notes and end notes
    return [
        w.moved(chapter=numbers[w.place.chapter - 1])
        if isinstance(w, Repeated) and w.place.chapter is not None and w.place.chapter <= len(numbers)
        else w
        for w in found
    ]


def read_download(soup: BeautifulSoup, source: str) -> tuple[Story, list[str]]:
    """An AO3 "Download → HTML" file, parsed, and its warnings."""
    if not looks_like_ao3(soup):
        raise StoryError(
            source,
            "is not an AO3 download (it has no #preface and #chapters); save the work with AO3's Download → HTML",
        )
    # The three blocks are taken out of the tree first, each from wherever it ended up: an
    # unclosed <div> in the text nests what follows inside it, and the afterword's apparatus
    # would become story text.
    afterword = soup.find(id="afterword")
    afterword = afterword.extract() if afterword is not None else None
    body, preface = soup.find(id="chapters"), soup.find(id="preface")
    assert body is not None and preface is not None  # looks_like_ao3 said so
    body, preface = body.extract(), preface.extract()
    work, warnings = _work_meta(preface, source)
    title = _clean(_text_of(preface.find("h1"))) or "Untitled"
    chapters, said = _chapters(body, source)
    end_notes, said_at_end = _labelled_notes(afterword, source, "End Notes")
    notes, said_in_notes = _labelled_notes(preface.find("div", class_="meta"), source, "Notes")
    warnings += said + said_at_end + said_in_notes
    chapters[-1].end_notes += end_notes
    chapters[0].start_notes[:0] = notes
    who = ", ".join(work.relationships) or ", ".join(c for c in work.characters if c.casefold() != "reader")
    series = work.series[0][0] if work.series else None
    parts = tuple(c.to_chapter(source, who, title, len(chapters) > 1, series) for c in chapters)
    return Story(who, title, parts, series, work), warnings


@dataclass
class _Draft:
    """A chapter while it is being read."""

    number: int
    heading: str | None = None
    line: int = 1
    summary: str | None = None
    start_notes: list[Block] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    end_notes: list[Block] = field(default_factory=list)

    def to_chapter(self, source: str, who: str, title: str, several: bool, group: str | None) -> Chapter:
        blocks = tuple(self.start_notes + self.blocks + self.end_notes)
        if not any(b.kind is BlockKind.PARAGRAPH for b in blocks):
            raise StoryError(source, f"has no story text in chapter {self.number}", self.line)
        return Chapter(
            source,
            who,
            title,
            part=self.number if several else None,
            synopsis=self.summary,
            blocks=blocks,
            group=group,
            title_line=self.line,
            label=_chapter_label(self.heading, self.number) if several else None,
        )


def _chapter_label(heading: str | None, number: int) -> str:
    """'Chapter 2: The Lighthouse' -> '2. The Lighthouse'; 'Chapter 2' -> 'Chapter 2'; an older
    download's bare title is kept as it is."""
    if not heading:
        return f"Chapter {number}"
    match = _CHAPTER_HEADING.match(heading)
    if match and match.group(2):
        return f"{match.group(1)}. {match.group(2).strip()}"
    return heading


def _chapters(container: Tag, source: str) -> tuple[list[_Draft], list[str]]:
    """div#chapters holds, per chapter, div.meta.group (heading, summary, notes), the div.userstuff
    body and div.meta end notes; a one-shot holds its body alone."""
    drafts: list[_Draft] = []
    warnings: list[str] = []
    for child in container.find_all(recursive=False):
        warnings += _placed_in_notes(_read_chapter_piece(child, drafts, source), drafts[-1].number if drafts else None)
    if not drafts:
        raise StoryError(source, "has no chapters in its #chapters block", container.sourceline)
    return drafts, warnings


def _read_chapter_piece(child: Tag, drafts: list[_Draft], source: str) -> list[str]:
    """One element of div#chapters read into the drafts (a heading starts a chapter); its warnings."""
    classes: list[str] = list(child.get("class") or [])
    if "meta" in classes and "group" in classes:
        heading = child.find(class_="heading")
        drafts.append(_Draft(len(drafts) + 1, _clean(_text_of(heading)) or None, child.sourceline or 1))
        drafts[-1].summary, said = _summary(child, "Chapter Summary", source)
        notes, said_in_notes = _labelled_notes(child, source, "Chapter Notes")
        drafts[-1].start_notes += notes
        return said + said_in_notes
    if "userstuff" in classes:
        if not drafts or drafts[-1].blocks:
            drafts.append(_Draft(len(drafts) + 1, line=child.sourceline or 1))
        drafts[-1].blocks, said = story_blocks(child, source)
        return _images_placed(child, said, drafts[-1].number, source)
    if "meta" in classes and drafts:
        notes, said = _labelled_notes(child, source, "Chapter End Notes")
        drafts[-1].end_notes += notes
        return said
    return []


def _labelled_notes(block: Tag | None, source: str, label: str) -> tuple[list[Block], list[str]]:
    """The blockquote after the label paragraph ("Notes", "End Notes"), as note blocks."""
    quote = _after_label(block, label)
    if quote is None:
        return [], []
    blocks, warnings = story_blocks(quote, source)
    return [replace(b, kind=BlockKind.NOTE) for b in blocks if b.kind is BlockKind.PARAGRAPH], warnings


def _after_label(block: Tag | None, label: str) -> Tag | None:
    """AO3 writes each of its fields as <p>Label</p> then <blockquote class="userstuff">."""
    for paragraph in block.find_all("p") if block is not None else ():
        if _clean(_text_of(paragraph)).rstrip(":").casefold() == label.casefold():
            # The label's own blockquote, if it has one: a "Notes" label may stand over only a
            # "see the end of the work" link, and the next label's blockquote is not its.
            for sibling in paragraph.find_next_siblings(True):
                if sibling.name == "blockquote":
                    return sibling
                if sibling.name == "p":
                    return None
    return None


def _summary(block: Tag | None, label: str, source: str) -> tuple[str | None, list[str]]:
    quote = _after_label(block, label)
    if quote is None:
        return None, []
    blocks, warnings = story_blocks(quote, source)
    return LINE_BREAK.join(b.text for b in blocks if b.kind is BlockKind.PARAGRAPH) or None, warnings


def _work_meta(preface: Tag, source: str) -> tuple[WorkMeta, list[str]]:
    fields: dict[str, list[str]] = {}
    series: tuple[tuple[str, int | None], ...] = ()
    tags = preface.find("dl", class_="tags")
    for dt in tags.find_all("dt") if tags else ():
        name = _TAG_FIELDS.get(_clean(dt.get_text()).rstrip(":").casefold())
        dd = dt.find_next_sibling("dd")
        if name == "series" and dd is not None:
            series = _series(dd)
        elif name and dd is not None:
            links = [_clean(a.get_text()) for a in dd.find_all("a")]
            fields[name] = links if links and name != "stats" else [_clean(dd.get_text())]
    meta = preface.find("div", class_="meta")
    byline = meta.find(class_="byline") if meta else None
    authors = tuple(_clean(a.get_text()) for a in byline.find_all("a")) if byline else ()
    if byline and not authors:
        authors = (_clean(byline.get_text()).removeprefix("by ").strip(),)
    stats = tuple(_STAT.findall(" ".join(fields.get("stats", []))))
    written = dict(stats)
    summary, warnings = _summary(meta, "Summary", source)
    work = WorkMeta(
        url=_work_url(preface),
        authors=authors,
        rating=next(iter(fields.get("rating", ())), None),
        warnings=tuple(fields.get("warnings", ())),
        categories=tuple(fields.get("categories", ())),
        fandoms=tuple(fields.get("fandoms", ())),
        relationships=tuple(fields.get("relationships", ())),
        characters=tuple(fields.get("characters", ())),
        freeforms=tuple(fields.get("freeforms", ())),
        language=next(iter(fields.get("language", ())), None),
        series=series,
        words=number(written.get("Words", "")),
        summary=summary,
        stats=stats,
        published=_date(written.get("Published")),
        updated=_date(written.get("Updated")),
        completed=_date(written.get("Completed")),
        chapters=_chapter_count(written.get("Chapters")),
    )
    return work, warnings


def _series(dd: Tag) -> tuple[tuple[str, int | None], ...]:
    """'Part 2 of <a>Harbour Lights</a>, Part 1 of <a>Other</a>' -> (('Harbour Lights', 2), ('Other', 1));
    a position that is no number AO3 could write is unknown (None)."""
    found: list[tuple[str, int | None]] = []
    before = ""
    for child in dd.children:
        if isinstance(child, NavigableString):
            before += str(child)
        elif isinstance(child, Tag) and child.name == "a":
            position = re.search(r"part\s+(\S+)\s+of\s*$", before, re.IGNORECASE)
            if position:
                found.append((_clean(child.get_text()), number(position.group(1))))
            before = ""
    return tuple(found)


def number(text: str) -> int | None:
    """'1,036' -> 1036; None for anything else ('', '²', '١٢', 5,000 digits): only ASCII digits,
    with AO3's thousands separators, and never more than a count could have."""
    digits = text.strip().replace(",", "").replace(".", "")
    if not digits or len(digits) > _MAX_DIGITS or not all("0" <= c <= "9" for c in digits):
        return None
    return int(digits)


def _date(text: str | None) -> str | None:
    return text if text and _DATE.fullmatch(text) else None


def _chapter_count(text: str | None) -> tuple[int, int | None] | None:
    """'3/12' -> (3, 12); '3/?' -> (3, None), a work whose author has not said how long it will be."""
    match = _CHAPTERS.fullmatch(text or "")
    if not match:
        return None
    total = match.group(2)
    return int(match.group(1)), (None if total == "?" else int(total))


def _work_url(preface: Tag) -> str | None:
    message = preface.find("p", class_="message")
    for link in message.find_all("a") if message else ():
        href = str(link.get("href") or "")
        if re.match(r"https?://(www\.)?archiveofourown\.org/works/\d+", href):
            return href
    return None


def _images_placed(body: Tag, found: list[str], chapter: int, source: str) -> list[str]:
    """The image warnings of one chapter's text, placed at the chapter and at the paragraph of
    its first image (a line says nothing in AO3's one-line chapters). A second image in a chapter
    is only ever told in the file's count, so the first one's place serves them all."""
    if not any(isinstance(w, Repeated) and w.noun == "images" for w in found):
        return found
    paragraph = _paragraphs_before_first_image(body, source) + 1
    return [
        w.moved(chapter=chapter, paragraph=paragraph) if isinstance(w, Repeated) and w.noun == "images" else w
        for w in found
    ]


def _placed_in_notes(found: list[str], chapter: int | None) -> list[str]:
    """Image warnings not placed in a chapter's text are in its notes or summary (or the work's)."""
    return [w.moved(chapter, label="notes") if isinstance(w, Repeated) and not w.place.in_work else w for w in found]


def _paragraphs_before_first_image(body: Tag, source: str) -> int:
    """How many story paragraphs end before the block holding the first image the text shows."""
    text = copy.copy(body)
    shown = (i for i in text.find_all("img") if not any(p.name in _DROPPED for p in i.parents))
    image = next(shown, None)
    if image is None:
        return 0
    block = next((p for p in image.parents if p is text or p.name in _BLOCKS), text)
    cut = image if block is text else block
    node: Tag | None = cut
    while node is not None and node is not text:
        for later in list(node.next_siblings):
            later.extract()
        node = node.parent
    cut.extract()
    return sum(b.kind is not BlockKind.BREAK for b in story_blocks(text, source)[0])


def _text_of(tag: Tag | None) -> str:
    return tag.get_text() if tag is not None else ""
