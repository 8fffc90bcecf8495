"""AO3 "Download → HTML" files -> a Story with its chapters, notes and the work's tags.

Only this module imports bs4, and only when a stories folder holds HTML files. The story HTML
goes through an allow-list: paragraphs, italics, bold, line breaks, centring and scene breaks
become the same plain text with inline marks (marks.py) that every other stage reads; anything
else (scripts, styles, frames, forms, links, images) is dropped, its text kept where it has any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4 import Comment as HtmlComment

from .errors import StoryError
from .marks import EM_CLOSE, EM_OPEN, LINE_BREAK, STRONG_CLOSE, STRONG_OPEN
from .model import SCENE_BREAK, Block, BlockKind, Chapter, Story, WorkMeta
from .parse import _ORNAMENT_LINE, _XML_INVALID

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
_INLINE = {"em": (EM_OPEN, EM_CLOSE), "i": (EM_OPEN, EM_CLOSE), "cite": (EM_OPEN, EM_CLOSE)}
_INLINE |= {"strong": (STRONG_OPEN, STRONG_CLOSE), "b": (STRONG_OPEN, STRONG_CLOSE)}
# Dropped with everything inside: active content, and what is only there for a browser.
_DROPPED = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "select",
    "textarea",
    "noscript",
    "template",
    "svg",
    "math",
    "audio",
    "video",
    "canvas",
    "head",
    "title",
    "meta",
    "link",
}
_BLOCKS = {
    "p",
    "div",
    "blockquote",
    "center",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "tr",
    "td",
    "th",
    "section",
    "article",
    "aside",
    "pre",
    "address",
    "figure",
    "figcaption",
}
_SPACE = re.compile(r"[ \t\r\n\f]+")  # HTML's whitespace; a no-break space is kept
_CHAPTER_HEADING = re.compile(r"^\s*chapter\s+(\d+)\s*(?::\s*(.*))?$", re.IGNORECASE)
# A label is a few words ("Published", "Words"): bounded, so that text of capitals and spaces with
# no colon is not read to its end from every capital (quadratic: 8,000 "A "s took 2.7 s).
_STAT = re.compile(r"([A-Z][A-Za-z ]{0,40}?):\s*([\w,./-]+)")


def looks_like_ao3(soup: BeautifulSoup) -> bool:
    return soup.find(id="chapters") is not None and soup.find(id="preface") is not None


def read_work(data: bytes, source: str, warnings: list[str]) -> Story:
    """Parse one AO3 HTML download; a remote image left out is a warning, not an error."""
    text = data.decode("utf-8", errors="replace")
    soup = BeautifulSoup(_XML_INVALID.sub("", text), "html.parser")
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
    body = soup.find(id="chapters").extract()
    preface = soup.find(id="preface").extract()
    work = _work_meta(preface, source, warnings)
    title = _clean(_text_of(preface.find("h1"))) or "Untitled"
    chapters = _chapters(body, source, warnings)
    chapters[-1].end_notes += _labelled_notes(afterword, source, warnings, "End Notes")
    chapters[0].start_notes[:0] = _labelled_notes(preface.find("div", class_="meta"), source, warnings, "Notes")
    who = ", ".join(work.relationships) or ", ".join(c for c in work.characters if c.casefold() != "reader")
    series = work.series[0][0] if work.series else None
    parts = tuple(c.to_chapter(source, who, title, len(chapters) > 1, series) for c in chapters)
    return Story(who, title, parts, series, work)


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

    def to_chapter(self, source: str, who: str, title: str, several: bool, book: str | None) -> Chapter:
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
            book=book,
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


def _chapters(container: Tag, source: str, warnings: list[str]) -> list[_Draft]:
    """div#chapters holds, per chapter, div.meta.group (heading, summary, notes), the div.userstuff
    body and div.meta end notes; a one-shot holds its body alone."""
    drafts: list[_Draft] = []
    for child in container.find_all(recursive=False):
        classes = child.get("class") or []
        if "meta" in classes and "group" in classes:
            heading = child.find(class_="heading")
            drafts.append(_Draft(len(drafts) + 1, _clean(_text_of(heading)) or None, child.sourceline or 1))
            drafts[-1].summary = _summary(child, "Chapter Summary", source, warnings)
            drafts[-1].start_notes += _labelled_notes(child, source, warnings, "Chapter Notes")
        elif "userstuff" in classes:
            if not drafts or drafts[-1].blocks:
                drafts.append(_Draft(len(drafts) + 1, line=child.sourceline or 1))
            drafts[-1].blocks = story_blocks(child, source, warnings)
        elif "meta" in classes and drafts:
            drafts[-1].end_notes += _labelled_notes(child, source, warnings, "Chapter End Notes")
    if not drafts:
        raise StoryError(source, "has no chapters in its #chapters block", container.sourceline)
    return drafts


def _labelled_notes(block: Tag | None, source: str, warnings: list[str], label: str) -> list[Block]:
    """The blockquote after the label paragraph ("Notes", "End Notes"), as note blocks."""
    quote = _after_label(block, label)
    if quote is None:
        return []
    blocks = story_blocks(quote, source, warnings)
    return [Block(BlockKind.NOTE, b.text, b.line, b.centered) for b in blocks if b.kind is BlockKind.PARAGRAPH]


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


def _summary(block: Tag | None, label: str, source: str, warnings: list[str]) -> str | None:
    quote = _after_label(block, label)
    if quote is None:
        return None
    texts = [b.text for b in story_blocks(quote, source, warnings) if b.kind is BlockKind.PARAGRAPH]
    return LINE_BREAK.join(texts) or None


def _work_meta(preface: Tag, source: str, warnings: list[str]) -> WorkMeta:
    fields: dict[str, list[str]] = {}
    series: tuple[tuple[str, int], ...] = ()
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
    return WorkMeta(
        url=_work_url(preface),
        authors=authors,
        rating=(fields.get("rating") or [None])[0],
        warnings=tuple(fields.get("warnings", ())),
        categories=tuple(fields.get("categories", ())),
        fandoms=tuple(fields.get("fandoms", ())),
        relationships=tuple(fields.get("relationships", ())),
        characters=tuple(fields.get("characters", ())),
        freeforms=tuple(fields.get("freeforms", ())),
        language=(fields.get("language") or [None])[0],
        series=series,
        words=_words(stats),
        summary=_summary(meta, "Summary", source, warnings),
        stats=stats,
    )


def _series(dd: Tag) -> tuple[tuple[str, int], ...]:
    """'Part 2 of <a>Harbour Lights</a>, Part 1 of <a>Other</a>' -> (('Harbour Lights', 2), ('Other', 1))."""
    found, before = [], ""
    for child in dd.children:
        if isinstance(child, NavigableString):
            before += str(child)
        elif isinstance(child, Tag) and child.name == "a":
            position = re.search(r"part\s+(\d+)\s+of\s*$", before, re.IGNORECASE)
            if position:
                found.append((_clean(child.get_text()), int(position.group(1))))
            before = ""
    return tuple(found)


def _words(stats: tuple[tuple[str, str], ...]) -> int | None:
    value = dict(stats).get("Words")
    return (
        int(value.replace(",", "").replace(".", ""))
        if value and value.replace(",", "").replace(".", "").isdigit()
        else None
    )


def _work_url(preface: Tag) -> str | None:
    message = preface.find("p", class_="message")
    for link in message.find_all("a") if message else ():
        href = link.get("href") or ""
        if re.match(r"https?://(www\.)?archiveofourown\.org/works/\d+", href):
            return href
    return None


def story_blocks(container: Tag, source: str, warnings: list[str]) -> list[Block]:
    """The allow-listed story text of `container`: paragraphs with inline marks, scene breaks."""
    blocks: list[Block] = []
    _walk_blocks(container, blocks, source, warnings, centered=False)
    return _tidy_breaks(blocks)


def _walk_blocks(node: Tag, blocks: list[Block], source: str, warnings: list[str], centered: bool) -> None:
    inline: list[str] = []
    line = node.sourceline or 0

    def flush() -> None:
        _add_paragraph(blocks, "".join(inline), line, centered)
        inline.clear()

    for child in node.children:
        if isinstance(child, HtmlComment) or not isinstance(child, NavigableString | Tag):
            continue
        if isinstance(child, NavigableString):
            inline.append(_inline_text(str(child)))
        elif child.name in _DROPPED:
            continue
        elif child.name == "hr":
            flush()
            blocks.append(SCENE_BREAK)
        elif child.name == "img":
            _image_warning(child, source, warnings)
        elif child.name in _BLOCKS:
            flush()
            line = child.sourceline or line
            centred = centered or child.name == "center" or _is_centred(child)
            if child.name == "p" or not any(isinstance(c, Tag) and c.name in _BLOCKS | {"hr"} for c in child.children):
                _add_paragraph(blocks, _inline(child, source, warnings), child.sourceline or line, centred)
            else:
                _walk_blocks(child, blocks, source, warnings, centred)
        else:
            inline.append(_inline(child, source, warnings))
    flush()


def _add_paragraph(blocks: list[Block], text: str, line: int, centered: bool) -> None:
    text = _trim(text)
    if not _visible(text):
        return  # AO3's spacer paragraphs (&nbsp;) and empty ones
    if _ORNAMENT_LINE.match(_visible(text)):
        blocks.append(SCENE_BREAK)  # "* * *", "~~~", "-----" typed as a scene break
        return
    blocks.append(Block(BlockKind.PARAGRAPH, text, line, centered))


def _inline(node: Tag, source: str, warnings: list[str]) -> str:
    """A paragraph's content: text, with italics, bold and line breaks as marks; other tags
    (links, spans, underline) give their text only."""
    out: list[str] = []
    for child in node.children:
        if isinstance(child, HtmlComment):
            continue
        if isinstance(child, NavigableString):
            out.append(_inline_text(str(child)))
        elif child.name in _DROPPED:
            continue
        elif child.name == "br":
            out.append(LINE_BREAK)
        elif child.name == "img":
            _image_warning(child, source, warnings)
        elif child.name == "hr":
            out.append(LINE_BREAK)
        else:
            inner = _inline(child, source, warnings)
            opening, closing = _INLINE.get(child.name, ("", ""))
            out.append(f"{opening}{inner}{closing}" if _visible(inner) else inner)
    return "".join(out)


def _inline_text(text: str) -> str:
    # Character references (&#x1;, &#xFFFE;, &#xFDD0;) are decoded by the parser, so what XML
    # forbids, and the noncharacters that carry our inline marks, are removed here, not before.
    return _SPACE.sub(" ", _XML_INVALID.sub("", text))


def _trim(text: str) -> str:
    """No spaces at the ends of a paragraph or around its line breaks; none doubled."""
    text = re.sub(r" {2,}", " ", text)
    text = re.sub(f" ?{LINE_BREAK} ?", LINE_BREAK, text)
    text = text.strip(" ")
    while text.startswith(LINE_BREAK) or text.endswith(LINE_BREAK):
        text = text.strip(LINE_BREAK).strip(" ")
    return text


def _visible(text: str) -> str:
    """The text a reader would see: no marks, and a no-break space counts as nothing."""
    return re.sub("[\ufdd0-\ufdef\u00a0 ]+", " ", text).strip()


def _is_centred(tag: Tag) -> bool:
    align = (tag.get("align") or "").casefold()
    style = (tag.get("style") or "").replace(" ", "").casefold()
    return align == "center" or "text-align:center" in style


def _tidy_breaks(blocks: list[Block]) -> list[Block]:
    """No break at either end, none doubled."""
    tidy: list[Block] = []
    for block in blocks:
        if block.kind is BlockKind.BREAK and (not tidy or tidy[-1].kind is BlockKind.BREAK):
            continue
        tidy.append(block)
    while tidy and tidy[-1].kind is BlockKind.BREAK:
        tidy.pop()
    return tidy


def _image_warning(image: Tag, source: str, warnings: list[str]) -> None:
    where = f"{source}:{image.sourceline}" if image.sourceline else source
    src = (image.get("src") or "").strip()
    shown = src if not src.startswith("data:") else "an embedded data: image"
    warnings.append(f"{where} has an image ({shown[:80]}); left out, as ebookify does not fetch or embed images")


def _text_of(tag: Tag | None) -> str:
    return tag.get_text() if tag is not None else ""


def _clean(text: str) -> str:
    return _SPACE.sub(" ", _XML_INVALID.sub("", text)).strip()
