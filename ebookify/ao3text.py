"""The story text of AO3's HTML -> blocks: the allow-list between a web page and the book.

What carries meaning is kept, as data, never as markup: paragraphs with italics, bold, strike,
underline, superscript, subscript and line breaks as inline marks (marks.py); alignment; headings;
block quotes; numbered and bulleted lists with their numbers; simple tables (text only in the
cells); scene breaks; a picture the book carries (one inside an EPUB, found by `images`) as a
block of its own; and, for a picture ebookify does not embed, its description. Everything else
(scripts, styles, frames, forms, links, attributes) is dropped, its text kept where it has any, so
nothing active can reach the page: render.py writes all the markup from these blocks.

The tree is walked with a stack of its own, never by recursion: a file may nest 100,000 elements.
What nests deeper than a book needs is flattened: a mark already in force is not opened again
(<em> in <em>), and quotes and lists deeper than _MAX_FRAMES read as the container they are in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count

from bs4 import Comment as HtmlComment
from bs4 import NavigableString, Tag

from .marks import (
    EM_OPEN,
    LINE_BREAK,
    PAIRS,
    PICTURE_CLOSE,
    PICTURE_OPEN,
    STRIKE_OPEN,
    STRONG_OPEN,
    SUB_OPEN,
    SUP_OPEN,
    UNDERLINE_OPEN,
)
from .model import ALIGNMENTS, SCENE_BREAK, Block, BlockKind, Frame, FrameKind
from .parse import _XML_INVALID
from .places import Place, Repeated
from .separators import is_scene_break

_MARKS = {"em": EM_OPEN, "i": EM_OPEN, "cite": EM_OPEN, "strong": STRONG_OPEN, "b": STRONG_OPEN}
_MARKS |= {"s": STRIKE_OPEN, "strike": STRIKE_OPEN, "del": STRIKE_OPEN, "u": UNDERLINE_OPEN, "ins": UNDERLINE_OPEN}
_MARKS |= {"sup": SUP_OPEN, "sub": SUB_OPEN}
# Dropped with everything inside: active content, and what is only there for a browser.
_DROPPED = frozenset(
    {
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
)
# Elements that hold paragraphs rather than sit in one: each starts and ends a block.
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "center",
        "li",
        "dl",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "caption",
        "section",
        "article",
        "aside",
        "pre",
        "address",
        "figure",
        "figcaption",
        "header",
        "footer",
        "main",
        "nav",
        "details",
        "summary",
    }
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_NUMBERINGS = ("1", "a", "A", "i", "I")
_MAX_FRAMES = 12  # quotes, lists and items around a paragraph: a book needs a few, not 1,500
_SPACE = re.compile(r"[ \t\r\n\f]+")  # HTML's whitespace; a no-break space is kept
_TEXT_ALIGN = re.compile(r"text-align\s*:\s*([a-z]+)", re.IGNORECASE)
_EMPTY_MARKS = re.compile("|".join(f"{o}([ \u00a0]*){c}" for o, c in PAIRS.items()))


def story_blocks(
    container: Tag, source: str, images: Callable[[str], str | None] | None = None
) -> tuple[list[Block], list[str]]:
    """The allow-listed story text of `container` (paragraphs with inline marks, scene breaks), and
    warnings about what it holds that a book cannot show (an image from the web). `images`, where
    the text's pictures are at hand (inside an EPUB), gives the file name under which the book
    carries the picture at a src, or None; a picture it carries is a block of its own."""
    reader = _Reader(source, images)
    reader.read(container)
    return _tidy_breaks(reader.blocks), reader.warnings


@dataclass
class _Table:
    """A table while it is read: rows of cells, each cell's text with its marks."""

    line: int
    frame: Frame
    rows: list[list[tuple[str, bool, str | None]]] = field(default_factory=list)  # (text, header, align)
    outside: list[str] = field(default_factory=list)  # text in the table but in no cell (a caption)
    cell: tuple[bool, str | None] | None = None  # the cell being read: (header, align)
    nested: int = 0  # tables inside a cell: their text is the cell's text


@dataclass
class _Paragraph:
    """The paragraph being read, and the inline marks in force across paragraphs."""

    pieces: list[str] = field(default_factory=list)
    depth: dict[str, int] = field(default_factory=dict)  # how many open elements ask for each mark
    open: list[str] = field(default_factory=list)  # the opening marks in force, outermost first

    def open_mark(self, mark: str) -> None:
        self.depth[mark] = self.depth.get(mark, 0) + 1
        if self.depth[mark] == 1:  # <em> inside <em> adds nothing: it is not opened twice
            self.open.append(mark)
            self.pieces.append(mark)

    def close_mark(self, mark: str) -> None:
        self.depth[mark] -= 1
        if self.depth[mark] == 0:
            inner = self.open[self.open.index(mark) + 1 :]  # none, as HTML nests: kept right if not
            self.pieces += [PAIRS[m] for m in reversed(inner)] + [PAIRS[mark]] + inner
            self.open.remove(mark)

    def take(self) -> str:
        """The paragraph so far, its marks closed; the next starts with the same marks open."""
        text = "".join(self.pieces + [PAIRS[m] for m in reversed(self.open)])
        self.pieces = list(self.open)
        return _tidy_text(text)


class _Reader:
    """One walk over a container: blocks out, with the state the walk is in."""

    def __init__(self, source: str, images: Callable[[str], str | None] | None = None) -> None:
        self.source, self.images = source, images
        self.warnings: list[str] = []
        self.counter = count()
        self.blocks: list[Block] = []
        self.paragraph = _Paragraph()
        self.line = 0
        self.aligns: list[str] = []
        self.frames: list[Frame] = []
        self.next_number: dict[tuple[int, int, int], int] = {}  # a numbered list's key -> its next item's number
        self.heading = 0
        self.table: _Table | None = None

    def read(self, container: Tag) -> None:
        """Depth-first over the tree with an explicit stack; each element's closer runs at its end."""
        self.line = container.sourceline or 0
        stack: list[tuple[Iterator, Callable[[], None] | None]] = [(iter(container.children), None)]
        while stack:
            child = next(stack[-1][0], None)
            if child is None:
                closer = stack.pop()[1]
                if closer is not None:
                    closer()
            elif isinstance(child, HtmlComment):
                continue
            elif isinstance(child, NavigableString):
                self.paragraph.pieces.append(_inline_text(str(child)))
            elif isinstance(child, Tag) and child.name not in _DROPPED:
                stack.append((iter(child.children), self.open(child)))
        self.end_block()

    def open(self, tag: Tag) -> Callable[[], None] | None:
        """Act on an element's start. -> what to do at its end, if anything."""
        name = tag.name
        if name in _MARKS:
            self.paragraph.open_mark(_MARKS[name])
            return lambda: self.paragraph.close_mark(_MARKS[name])
        if name == "br":
            self.paragraph.pieces.append(LINE_BREAK)
        elif name == "hr":
            self.scene_break()
        elif name == "img":
            self.picture(tag)
        elif name == "table" or (self.table is not None and name in ("tr", "td", "th")):
            return self.open_table_part(tag)
        elif name in _BLOCKS or name in _HEADINGS or name in ("blockquote", "ol", "ul"):
            return self.open_block(tag)
        return None

    # -- blocks ---------------------------------------------------------------------------------

    def open_block(self, tag: Tag) -> Callable[[], None]:
        """Start a block; the closer ends it and puts the state back as it was before it."""
        self.end_block()
        saved = (len(self.aligns), len(self.frames), self.heading)
        self.line = tag.sourceline or self.line
        align = _alignment(tag)
        if align:
            self.aligns.append(align)
        if self.table is None:
            self.enter_container(tag)

        def close() -> None:
            self.end_block()
            del self.aligns[saved[0] :], self.frames[saved[1] :]
            self.heading = saved[2]

        return close

    def enter_container(self, tag: Tag) -> None:
        name = tag.name
        if name in _HEADINGS:
            self.heading = _HEADINGS[name]
        elif name == "li":
            self.enter_item(tag)
        elif name in ("blockquote", "ol", "ul") and len(self.frames) + 3 <= _MAX_FRAMES:
            # (deeper than a book needs, the text reads as part of the container it is in)
            self.current_frames()  # a quote or list straight inside a list sits in an item
            if name == "blockquote":
                self.frames.append(Frame(FrameKind.QUOTE, self.key(tag)))
            else:
                self.frames.append(_list_frame(tag, self.key(tag)))
                self.next_number[self.frames[-1].key] = self.frames[-1].number or 1

    def enter_item(self, item: Tag) -> None:
        """An <li> is an item of the list around it; an unclosed <li> nests the next one inside
        it, so an item directly in an item is its next sibling."""
        if len(self.frames) > 1 and self.frames[-1].kind is FrameKind.ITEM and self.frames[-2].kind is FrameKind.LIST:
            self.frames.pop()
        if not self.frames or self.frames[-1].kind is not FrameKind.LIST:
            return  # an item outside a list is a paragraph
        numbered = self.frames[-1]
        number = None
        if numbered.numbering is not None:
            number = _integer(_attribute(item, "value"), self.next_number[numbered.key])
            self.next_number[numbered.key] = number + 1
        self.frames.append(Frame(FrameKind.ITEM, self.key(item), number=number))

    def end_block(self) -> None:
        """The paragraph read so far becomes a block (or, in a table, a line of its cell)."""
        if self.table is not None:
            if self.table.cell is not None:
                self.paragraph.pieces.append(LINE_BREAK)
            return
        text = _trim(self.paragraph.take())
        visible = _visible(text)
        if not visible:
            return  # AO3's spacer paragraphs (&nbsp;) and empty ones
        if not self.frames and is_scene_break(visible):
            self.blocks.append(SCENE_BREAK)  # "* * *", "xxx", "~o~" typed as a scene break
            return
        align = self.aligns[-1] if self.aligns else None
        self.blocks.append(Block(BlockKind.PARAGRAPH, text, self.line, align, self.heading, self.current_frames()))

    def key(self, near: Tag | Frame) -> tuple[int, int, int]:
        """A frame's key: where its element (or the frame it is made for) starts in the file, so
        that the notes and the text of one file, read apart, never share one; and a count."""
        where = near.key[:2] if isinstance(near, Frame) else (near.sourceline or 0, near.sourcepos or 0)
        return (*where, next(self.counter))

    def current_frames(self) -> tuple[Frame, ...]:
        """The frames of what is read now. Text straight inside a list, outside its items, is an
        item of its own, without a number (a browser shows it without one too)."""
        if self.frames and self.frames[-1].kind is FrameKind.LIST:
            self.frames.append(Frame(FrameKind.ITEM, self.key(self.frames[-1])))
        return tuple(self.frames)

    def scene_break(self) -> None:
        self.end_block()
        if self.table is None:
            self.blocks.append(SCENE_BREAK)

    def picture(self, image: Tag) -> None:
        """A picture is not fetched or embedded: its description stays, marked as one."""
        src = _attribute(image, "src").strip()
        shown = src if not src.startswith("data:") else "an embedded data: image"
        description = _clean(_attribute(image, "alt")) or _clean(_attribute(image, "title"))
        carried = self.images(src) if self.images is not None and self.table is None else None
        if carried is not None:
            self.end_block()
            align = self.aligns[-1] if self.aligns else None
            self.blocks.append(
                Block(
                    BlockKind.PARAGRAPH,
                    description,
                    image.sourceline or self.line,
                    align,
                    0,
                    self.current_frames(),
                    carried,
                )
            )
            return
        kept = "; its description is kept" if description else ""
        tail = f"; left out, as ebookify fetches no picture from the web{kept}"
        # Placed at its line for now; the AO3 reader moves it to its chapter and paragraph.
        place = Place(self.source, image.sourceline or 1)
        self.warnings.append(Repeated(place, f"has an image ({shown[:80]})", "images", tail))
        if description:
            self.paragraph.pieces += [PICTURE_OPEN, f"[Picture: {description}]", PICTURE_CLOSE]

    # -- tables ---------------------------------------------------------------------------------

    def open_table_part(self, tag: Tag) -> Callable[[], None] | None:
        """A table's rows and cells; a table inside a cell is only text in that cell."""
        table = self.table
        if table is None:
            self.end_block()
            self.table = _Table(tag.sourceline or self.line, Frame(FrameKind.TABLE, self.key(tag)))
            return self.close_table
        if tag.name == "table":
            table.nested += 1
            self.end_block()

            def close_nested() -> None:
                table.nested -= 1

            return close_nested
        if table.nested:
            self.end_block()
        elif tag.name == "tr":
            self.end_cell()
            table.rows.append([])
        else:
            self.end_cell()
            if not table.rows:
                table.rows.append([])
            table.cell = (tag.name == "th", _alignment(tag))
        return None

    def end_cell(self) -> None:
        table = self.table
        text = _trim(self.paragraph.take())
        if table is None:
            return
        if table.cell is None:  # a caption, or text outside the cells: shown before the table
            if _visible(text):
                table.outside.append(text)
            return
        text = re.sub(f"(?:{LINE_BREAK} ?)+", LINE_BREAK, text)  # blocks in a cell are lines of it
        table.rows[-1].append((text, *table.cell))
        table.cell = None

    def close_table(self) -> None:
        table = self.table
        if table is None:
            return
        self.end_cell()
        self.table = None
        align = self.aligns[-1] if self.aligns else None
        frames = self.current_frames()
        for text in table.outside:
            self.blocks.append(Block(BlockKind.PARAGRAPH, text, table.line, align, 0, frames))
        rows = [row for row in table.rows if row]
        if not any(_visible(text) for row in rows for text, _, _ in row):
            return
        outer = (*frames, table.frame)
        for row in rows:
            row_frame = Frame(FrameKind.ROW, self.key(table.frame))
            for text, header, align in row:
                cell = Frame(FrameKind.CELL, self.key(table.frame), header=header)
                self.blocks.append(Block(BlockKind.PARAGRAPH, text, table.line, align, 0, (*outer, row_frame, cell)))


def _list_frame(tag: Tag, key: tuple[int, int, int]) -> Frame:
    if tag.name == "ul":
        return Frame(FrameKind.LIST, key)
    numbering = _attribute(tag, "type").strip() or "1"
    return Frame(
        FrameKind.LIST, key, numbering if numbering in _NUMBERINGS else "1", _integer(_attribute(tag, "start"), 1)
    )


def _attribute(tag: Tag, name: str) -> str:
    value = tag.get(name)
    return value if isinstance(value, str) else ""


def _integer(value: str, default: int) -> int:
    """An attribute's whole number ("3", "-1"), within sane bounds; else the default."""
    text = value.strip()
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        return default
    return int(text)


def _alignment(tag: Tag) -> str | None:
    """'left', 'right', 'center' or 'justify' from <center>, align= or an inline style's text-align."""
    if tag.name == "center":
        return "center"
    style = _TEXT_ALIGN.search(_attribute(tag, "style"))
    for value in (style.group(1) if style else "", _attribute(tag, "align")):
        value = value.strip().casefold().replace("middle", "center")
        if value in ALIGNMENTS:
            return value
    return None


def _tidy_text(text: str) -> str:
    """No mark pair with nothing inside ("<em></em>" from an element that held only spaces)."""
    while True:
        tidier = _EMPTY_MARKS.sub(lambda m: next(g for g in m.groups() if g is not None), text)
        if tidier == text:
            return text
        text = tidier


def _inline_text(text: str) -> str:
    # Character references (&#x1;, &#xFFFE;, &#xFDD0;) are decoded by the parser, so what XML
    # forbids, and the noncharacters that carry our inline marks, are removed here, not before.
    return _SPACE.sub(" ", _XML_INVALID.sub("", text))


def _clean(text: str) -> str:
    return _inline_text(text).strip()


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
