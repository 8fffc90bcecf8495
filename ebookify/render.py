"""Collection -> XHTML pages, TOC and stylesheet. The only module that writes markup.

Every piece of story text passes through `_text` exactly once, so whatever a story says
("<script>", "&amp;", "]]>") reaches the reader as the characters it is, never as markup.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from html import escape
from itertools import count, groupby
from pathlib import Path

from .languages import DEFAULT_LANGUAGE
from .lint import read_by_rules
from .marks import plain, to_xhtml
from .model import (
    Block,
    BlockKind,
    Chapter,
    Collection,
    Frame,
    FrameKind,
    Stats,
    Story,
    WorkMeta,
    count_paragraphs,
    map_story,
)

STYLESHEET = "style.css"
COVER_PAGE = "cover.xhtml"
TITLE_PAGE = "title.xhtml"
CONTENTS_PAGE = "contents.xhtml"
UNTITLED_GROUP = "Other Stories"
IMAGES = "images"  # the folder of the pictures stories carry (an EPUB's own)
# Only a book that carries pictures has their rules: every other book's stylesheet stays as it was.
_FIGURE_CSS = b"""
/* A picture a story carries (from an EPUB): on its own, never wider than the page. */
div.figure { margin: 1em 0; text-align: center; text-indent: 0; }
div.figure img { max-width: 100%; height: auto; }
"""


@dataclass(frozen=True)
class Page:
    file_name: str
    title: str
    xhtml: bytes  # b"" once packed, where nothing is to read it again (epub.packed_page)
    # The page as the book's zip stores it, when made already (by the worker that rendered it, so
    # that both cores compress); None: the zip deflates it.
    packed: Packed | None = field(default=None, compare=False, repr=False)
    # A page too long to hold whole (a 50 MB one-shot), given instead as what makes its XHTML
    # piece by piece, and packed so (epub.packed_page) by the process that rendered it.
    pieces: Callable[[], Iterator[bytes]] | None = field(default=None, compare=False, repr=False)
    # Known, from the template it was filled in from (fill), to hold no SVG and nothing the
    # Send-to-Kindle rules read beyond its XML declaration (lint.stand_in): not looked for again.
    plain: bool = field(default=False, compare=False, repr=False)

    @property
    def holds_svg(self) -> bool:
        return self.packed.svg if self.packed else b"<svg" in self.xhtml


@dataclass(frozen=True)
class Packed:
    """A page's XHTML as a zip entry holds it (deflated, its CRC-32 and size), and what the
    Send-to-Kindle rules need to read of it (lint.stand_in): the page need not be kept."""

    deflated: bytes
    crc: int
    size: int
    svg: bool
    linted: bytes


@dataclass(frozen=True)
class TocEntry:
    title: str
    href: str
    children: tuple[TocEntry, ...] = ()
    who: str = ""  # the ship or character line, shown under the title on the contents page
    length: str = ""  # "3 parts · 4,560 words": what the contents page says of its size


@dataclass(frozen=True)
class Landmark:
    kind: str  # an EPUB 2 guide type: cover, toc, text (the start of reading)
    href: str
    title: str


@dataclass(frozen=True)
class Rendered:
    pages: tuple[Page, ...]
    toc: tuple[TocEntry, ...]
    css: bytes
    landmarks: tuple[Landmark, ...]
    images: tuple[tuple[str, bytes], ...] = ()  # (path in the book, bytes) of the pictures pages show


@dataclass(frozen=True)
class Edition:
    """What the front matter says about this copy."""

    title: str
    author: str | None  # None: not given, so the title page names nobody
    reader: str | None  # None: the neutral edition
    language: str  # the book's own: front matter, and stories whose language is not known
    cover_file: str
    one_language: bool = False  # --language given: every page in it, whatever the works say
    cover_size: tuple[int, int] = (1600, 2560)  # the cover's pixels, for the cover page's viewBox
    user_css: bytes = b""  # --css: the reader's own stylesheet, after ours


@dataclass(frozen=True)
class StoryJob:
    """One story to render: where it goes in the book, and how."""

    story: Story
    stem: str  # its pages' file names start so: "story-007"
    lang: str
    level: int  # its heading's level


RenderedStory = tuple[list[Page], TocEntry]

# A slot, in a story's template, for a text each reader's copy fills in: "\x00" its number "\x01".
# No story text holds either (XML forbids them, and reading clears them), and no UTF-8
# character's bytes hold theirs.
_SLOT = re.compile(rb"\x00([0-9]+)\x01")


@dataclass(frozen=True)
class StoryTemplate:
    """A story's pages as every reader's copy has them, but for the texts a reader changes
    (paragraphs, summaries): those texts, once each, and each page (its XHTML left out) with its
    bytes around their slots and the number of the text in each slot."""

    texts: tuple[str, ...]
    pages: tuple[tuple[Page, tuple[bytes, ...], tuple[int, ...]], ...]
    entry: TocEntry
    changes: tuple[int, ...]  # how often render_story would change each text (the tally counts each)
    counted: tuple[int, ...]  # the texts of the paragraphs whose words are the story's, once each place
    words: int  # their words, as written

    def alike(self, changed: list[str]) -> bool:
        """Whether a copy with the texts so changed is the template filled in: its story's words
        counted as written (a value of two words, "dark brown", counts one more), and no two
        texts made one (a part's summary is shown only where it differs from the story's)."""
        same_count = count_paragraphs([changed[number] for number in self.counted]) == self.words
        return same_count and len(set(changed)) == len(changed)


class _NoTemplate(Exception):
    pass


def render(
    collection: Collection,
    edition: Edition,
    change: Callable[[str], str] | None = None,
    render_stories: Callable[[list[StoryJob]], list[RenderedStory]] | None = None,
) -> Rendered:
    """Cover, title page and contents, then (for several Wattpad books) a page a book, then the stories.
    `change` (personalisation) is applied to each story as it is rendered, so that no whole
    changed copy of the collection is ever held. `render_stories`, if given, renders the stories
    (as render_story does each, in order): on all cores, say."""
    change = change or (lambda text: text)
    pages: list[Page] = []
    toc: list[TocEntry] = []
    several_groups = len(collection.groups) > 1
    jobs = story_jobs(collection, edition.language, edition.one_language)
    # The title page counts the words first, so that each story's copy counts only what it changes.
    title_page = _title_page(edition, collection)
    made = iter(render_stories(jobs) if render_stories else [render_story(job, change) for job in jobs])
    for group_no, group in enumerate(collection.groups, start=1):
        if several_groups:
            group_page = _group_page(
                group.title and change(group.title), f"book-{group_no:02d}.xhtml", edition.language
            )
            pages.append(group_page)
        entries: list[TocEntry] = []
        for _ in group.stories:
            story_pages, entry = next(made)
            pages += story_pages
            entries.append(entry)
        if several_groups:
            length = count_of(len(entries), "story", "stories")
            toc.append(TocEntry(group_page.title, group_page.file_name, tuple(entries), length=length))
        else:
            toc += entries
    front = [_cover_page(edition), title_page, _contents_page(toc, edition.language)]
    landmarks = (
        Landmark("cover", COVER_PAGE, "Cover"),
        Landmark("toc", CONTENTS_PAGE, "Contents"),
        Landmark("text", pages[0].file_name, "Start of the stories"),
    )
    images = {f"{IMAGES}/{name}": data for story in collection.stories for name, data in story.images}
    css = (Path(__file__).parent / STYLESHEET).read_bytes() + (_FIGURE_CSS if images else b"")
    if edition.user_css:  # after ours, so that its rules win (the pandoc and calibre convention)
        css += b"\n/* Your own stylesheet (--css) */\n" + edition.user_css
    return Rendered(tuple(front + pages), tuple(toc), css, landmarks, tuple(sorted(images.items())))


def story_jobs(collection: Collection, language: str, one_language: bool) -> list[StoryJob]:
    """Each story of the collection as render() renders it: its pages' names, language and heading
    level (the same for every reader's copy: the edition's language and whether it is the only one,
    Edition, are every copy's)."""
    level = 2 if len(collection.groups) > 1 else 1  # story heading level: under a group's heading, or on its own
    numbers = count(1)
    return [
        StoryJob(story, f"story-{next(numbers):03d}", _language(story, language, one_language), level)
        for group in collection.groups
        for story in group.stories
    ]


def render_story(
    job: StoryJob,
    change: Callable[[str], str],
    change_all: Callable[[list[str]], list[str]] | None = None,
    in_pieces: bool = False,
) -> RenderedStory:
    """One story's pages and contents entry, personalised by `change` (and its paragraphs by
    `change_all`, if given: map_story). With `in_pieces`, a page too long to hold whole is given
    as its pieces (Page.pieces), for its renderer to pack."""
    return _story(map_story(job.story, change, change_all), job.stem, job.lang, job.level, in_pieces)


def story_template(job: StoryJob, personal: Callable[[str], bool]) -> StoryTemplate | None:
    """`job`'s story rendered once for many readers' copies, each paragraph or summary that
    `personal` says a reader changes left as a slot (fill() writes it in). None where filling the
    slots would not give the very pages render_story gives: a reader changes a title, a label, a
    ship line or a picture's caption (each also shown otherwise than as text: a page's title, the
    contents), or a paragraph holding a line break."""
    numbers: dict[str, int] = {}
    changes: list[int] = []
    counted: list[int] = []
    parts = iter(job.story.parts)
    summaries = {part.synopsis for part in job.story.parts} | {job.story.work.summary if job.story.work else None}

    def slot(text: str) -> str:
        number = numbers.setdefault(text, len(numbers))
        changes.append(number)
        return f"\x00{number}\x01"

    def as_slots(texts: list[str]) -> list[str]:  # map_story asks for each part's, in order
        marked = []
        for block, text in zip(next(parts).blocks, texts, strict=True):
            if "/" not in text or not personal(text):
                marked.append(text)
                continue
            if "\n" in text or block.image:
                raise _NoTemplate
            marked.append(slot(text))
            if block.kind is BlockKind.PARAGRAPH:
                counted.append(numbers[text])
        return marked

    def in_slot(text: str) -> str:
        if "/" not in text or not personal(text):
            return text
        if text not in summaries:
            raise _NoTemplate
        return slot(text)

    try:
        story = map_story(job.story, in_slot, as_slots)
    except _NoTemplate:
        return None
    # Its words counted as written: only a copy that counts them so is made from the template.
    originals = zip(story.parts, job.story.parts, strict=True)
    counted_parts = tuple(part.counted_as(original) for part, original in originals)
    pages, entry = _story(replace(story, parts=counted_parts), job.stem, job.lang, job.level)
    made = tuple(_with_slots(page) for page in pages)
    titles = [page.title for page in pages] + _entry_texts(entry)
    # A slot shown otherwise than as a text is (in a page's title, or the contents): no template.
    if any("\x00" in title for title in titles) or any(b"\x00" in piece for _, pieces, _ in made for piece in pieces):
        return None
    texts, times = tuple(numbers), Counter(changes)
    words = count_paragraphs([texts[number] for number in counted])
    return StoryTemplate(texts, made, entry, tuple(times[n] for n in range(len(texts))), tuple(counted), words)


def _with_slots(page: Page) -> tuple[Page, tuple[bytes, ...], tuple[int, ...]]:
    """A page of a template: the page without its XHTML, its bytes around its slots, and their
    numbers. Whether it is plain (Page.plain) is known from them: what fills a slot is a text as
    _texts writes it, escaped, whose only tags are inline marks (<em>, <br/>…); so it is known
    where each slot follows a tag's ">" (never inside a tag or an attribute)."""
    split = _SLOT.split(page.xhtml)
    after_tags = all(piece.endswith(b">") for piece in split[:-1:2])
    plain = after_tags and not read_by_rules(page.xhtml) and b"<svg" not in page.xhtml
    return Page(page.file_name, page.title, b"", plain=plain), tuple(split[::2]), tuple(int(n) for n in split[1::2])


def _entry_texts(entry: TocEntry) -> list[str]:
    return [entry.title, entry.who, entry.length] + [text for child in entry.children for text in _entry_texts(child)]


def fill(template: StoryTemplate, changed: list[str]) -> RenderedStory:
    """A reader's pages of a story from its template: the text in each slot as `changed`, written
    in as render_story writes a paragraph's text."""
    written = [text.encode() for text in _texts(changed)]
    pages = []
    for page, pieces, numbers in template.pages:
        made = [pieces[0]]
        for number, piece in zip(numbers, pieces[1:], strict=True):
            made += (written[number], piece)
        pages.append(Page(page.file_name, page.title, b"".join(made), plain=page.plain))
    return pages, template.entry


def _language(story: Story, language: str, one_language: bool) -> str:
    """Each work's pages in its own language (fonts, hyphenation and speech depend on it)."""
    from .metadata import story_language

    return language if one_language else story_language(story) or DEFAULT_LANGUAGE


def _story(story: Story, stem: str, lang: str, level: int, in_pieces: bool = False) -> tuple[list[Page], TocEntry]:
    """A one-shot is one page; a multi-part story is an opening page, then a page a part."""
    head = _story_heading(story, level)
    title = plain(story.title)
    ao3 = story.work is not None
    who, length = plain(story.who), _length(story)
    if not story.multipart:
        text = _Text(story.parts[0].blocks, level + 1, ao3)
        page = _chapter_page(f"{stem}.xhtml", title, lang, head, text, _unfinished(story), in_pieces)
        return [page], TocEntry(title, page.file_name, who=who, length=length)
    opener = _page(f"{stem}.xhtml", title, lang, head, "part")
    pages, entries = [opener], []
    for index, part in enumerate(story.parts, start=1):
        label = plain(part.label or f"Part {part.part}")
        before = f'<h{level + 1} class="part-title">{_text(label)}</h{level + 1}>\n' + _part_intro(story, part, index)
        after = _unfinished(story) if index == len(story.parts) else ""
        file_name, page_title = f"{stem}-part-{index:02d}.xhtml", f"{title}: {label}"
        page = _chapter_page(file_name, page_title, lang, before, _Text(part.blocks, level + 2, ao3), after, in_pieces)
        pages.append(page)
        entries.append(TocEntry(label, page.file_name))
    return pages, TocEntry(title, opener.file_name, tuple(entries), who=who, length=length)


@dataclass(frozen=True)
class _Text:
    """A chapter's text to show (_section's arguments)."""

    blocks: tuple[Block, ...]
    heading_level: int
    ao3: bool


# A chapter of more than this many characters is made piece by piece when packed, never held
# whole: some 700,000 words, far more than any chapter a site posts.
_HELD_WHOLE = 4_000_000


def _chapter_page(file_name: str, title: str, lang: str, before: str, text: _Text, after: str, in_pieces: bool) -> Page:
    """A page of story text: `before`, the text's section, `after`; if `in_pieces` and the text is
    too long to hold whole, as the pieces that make it (Page.pieces)."""

    def body() -> Iterator[str]:
        yield before
        yield from _section_pieces(text.blocks, text.heading_level, text.ao3)
        yield after

    long = len(text.blocks) > _TEXTS_AT_ONCE and sum(len(block.text) for block in text.blocks) > _HELD_WHOLE
    if not (in_pieces and long):
        return _page(file_name, title, lang, "".join(body()), "chapter")
    page_title, opening, closing = _frame(title, lang, "chapter")

    def pieces() -> Iterator[bytes]:
        yield opening.encode()
        yield from (piece.encode() for piece in body())
        yield closing.encode()

    return Page(file_name, page_title, b"", pieces=pieces)


def _story_heading(story: Story, level: int) -> str:
    """The story's opening: title, ship line, author, summary, then what the source says about it."""
    lines = [f'<h{level} class="story-title">{_text(story.title)}</h{level}>']
    if story.who:
        lines.append(f'<p class="who">{_text(story.who)}</p>')
    work = story.work
    if work and work.authors:
        lines.append(f'<p class="byline">by {_text(names_of(work.authors))}</p>')
    if story.synopsis:
        lines.append(_summary(story.synopsis))
    lines.append(_info_block(story))
    return '<div class="story-head">\n' + "\n".join(line for line in lines if line) + "\n</div>\n"


def _summary(text: str) -> str:
    """A summary set as the author's description of the story, not as its text: labelled and apart."""
    return f'<div class="summary">\n<p class="summary-label">Summary</p>\n<p>{_text(text)}</p>\n</div>'


def _info_block(story: Story) -> str:
    """A compact list of what the source says about the story (FanFicFare's info page, in short):
    AO3's tags, dates and counts, or Wattpad's counts; empty fields are left out."""
    rows = _work_rows(story) if story.work else _wattpad_rows(story)
    items = "\n".join(f"<dt>{_text(name)}</dt>\n<dd>{_text(value)}</dd>" for name, value in rows if value)
    return f'<dl class="info">\n{items}\n</dl>' if items else ""


def _wattpad_rows(story: Story) -> list[tuple[str, str]]:
    return [("Stats", stats_line(story.stats) if story.stats else ""), ("Length", _length(story))]


def _work_rows(story: Story) -> list[tuple[str, str]]:
    work = story.work
    assert work is not None
    dates = [(name, getattr(work, name.lower()) or "") for name in _AO3_DATES]
    counts = " · ".join(f"{value} {name.lower()}" for name, value in work.stats if name not in _AO3_SHOWN)
    return [
        ("Rating", work.rating or ""),
        (_plural("Archive warning", work.warnings), ", ".join(work.warnings)),
        (_plural("Category", work.categories, "Categories"), ", ".join(work.categories)),
        (_plural("Fandom", work.fandoms), ", ".join(work.fandoms)),
        (_plural("Relationship", work.relationships), ", ".join(work.relationships)),
        (_plural("Character", work.characters), ", ".join(work.characters)),
        ("Tags", ", ".join(work.freeforms)),
        ("Language", work.language or ""),
        ("Series", "; ".join(f"Part {n} of {name}" if n else f"Part of {name}" for name, n in work.series)),
        ("Status", status(work) or ""),
        *dates,
        ("Words", f"{work.words:,}" if work.words is not None else f"{story.words:,}"),
        ("Stats", counts),
    ]


_AO3_DATES = ("Published", "Updated", "Completed")
_AO3_SHOWN = {*_AO3_DATES, "Words", "Chapters"}  # AO3's stats given rows of their own (Status tells chapters)


def _plural(name: str, values: tuple[str, ...], plural: str | None = None) -> str:
    return (plural or f"{name}s") if len(values) > 1 else name


def _length(story: Story) -> str:
    """'3 parts · 4,560 words', or '4,560 words' for a one-shot."""
    words = count_of(story.words, "word", "words")
    return f"{count_of(len(story.parts), 'part', 'parts')} · {words}" if story.multipart else words


def count_of(number: int, noun: str, plural: str | None = None) -> str:
    """1 -> '1 story'; 1650 -> '1,650 stories': every count a person reads has its separators."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def _part_intro(story: Story, part: Chapter, index: int) -> str:
    """A part's own summary (AO3's chapter summary) and, after the first, its own Wattpad counts;
    the first part's are the story's, shown above it."""
    lines = []
    if part.synopsis and part.synopsis != story.synopsis:
        lines.append(_summary(part.synopsis) + "\n")
    if index > 1 and part.stats is not None:
        lines.append(f'<p class="stats">{_text(stats_line(part.stats))}</p>\n')
    return "".join(lines)


def status(work: WorkMeta) -> str | None:
    """'complete, 3 chapters', 'in progress, 3 of ? chapters' (AO3's "Chapters: 3/?"), or None if not said."""
    if work.chapters is None:
        return None
    written, total = work.chapters
    if not work.unfinished:
        return f"complete, {written} chapter{'s' if written != 1 else ''}"
    return f"in progress, {written} of {total if total is not None else '?'} chapters"


def _dates(work: WorkMeta) -> list[tuple[str, str]]:
    found = [("published", work.published), ("completed", work.completed), ("updated", work.updated)]
    return [(label, date) for label, date in found if date]


def _unfinished(story: Story) -> str:
    """The end of an unfinished work says so, where the reader runs out of text."""
    if story.work is None or not story.work.unfinished:
        return ""
    written, total = story.work.chapters or (0, None)
    updated = f", last updated {story.work.updated}" if story.work.updated else ""
    note = f"This work is unfinished: {written} of {total if total is not None else '?'} chapters posted{updated}."
    return f'<p class="unfinished">{_text(note)}</p>\n'


def stats_line(stats: Stats) -> str:
    """Stats("6.9K", "99", "3") -> "6.9K reads · 99 votes · 3 comments"."""

    def count(value: str, noun: str) -> str:
        return f"{value} {noun}" if value == "1" else f"{value} {noun}s"

    return " · ".join((count(stats.reads, "read"), count(stats.votes, "vote"), count(stats.comments, "comment")))


def _section_pieces(blocks: tuple[Block, ...], heading_level: int, ao3: bool = False) -> Iterator[str]:
    """Paragraphs, scene breaks, and each run of author's notes boxed together under a label; the
    story's own headings start at `heading_level`, below the page's. In pieces, joined: a long run
    of paragraphs a piece of a few thousand at a time."""
    flow = _Flow(heading_level, min((b.heading for b in blocks if b.heading), default=1))
    after_text = False
    for number, (kind, run) in enumerate(groupby(blocks, key=lambda block: block.kind)):
        if number:
            yield "\n"
        if kind is BlockKind.NOTE:
            label = _note_label(ao3, after_text)
            yield f'<div class="authors-note">\n<p class="note-label">{label}</p>\n{flow.run(run, note=True)}</div>'
        elif kind is BlockKind.BREAK:
            yield '<hr class="scene-break"/>'
            flow.after_break = True
        else:
            yield from flow.run_in_pieces(list(run))
            after_text = True
    yield "\n"


def _note_label(ao3: bool, after_text: bool) -> str:
    """AO3's own labels for notes before and after a chapter; a Wattpad A/N is the author's note."""
    if not ao3:
        return "Author\u2019s note"
    return "End notes" if after_text else "Notes"


_CELL_EDGES = re.compile(r"(<t[dh][^>]*>)\n|\n(?=</t[dh]>)")  # a cell's text sits tight in it
_NUMBERING_CLASSES = {"a": "lower-alpha", "A": "upper-alpha", "i": "lower-roman", "I": "upper-roman"}
_CLOSING = {
    FrameKind.QUOTE: "</blockquote>",
    FrameKind.TABLE: "</table>",
    FrameKind.ROW: "</tr>",
    FrameKind.ITEM: "</li>",
}


class _Flow:
    """Blocks -> markup, opening and closing the quotes, lists and tables they sit in."""

    def __init__(self, heading_level: int, top_heading: int) -> None:
        self.heading_level, self.top_heading = heading_level, top_heading
        self.after_break = True  # the first paragraph, and the first after a break, are not indented
        self.open: list[Frame] = []
        self.next_number: dict[tuple[int, int, int], int] = {}  # an open <ol>'s next item number

    def run(self, blocks: Iterable[Block], note: bool) -> str:
        out: list[str] = []
        run = list(blocks)
        if not note and not self.open and not any(b.frames or b.heading or b.align or b.image for b in run):
            return self.paragraphs([block.text for block in run])
        for block, text in zip(run, _texts([block.text for block in run]), strict=True):
            if block.frames or self.open:
                out += self.enter(block)
            out.append(self.block(block, note, text))
        out += self.close_to(0)
        markup = ("" if note else "\n").join(out)
        # Story text is escaped, so only a cell's own tags can close one.
        return _CELL_EDGES.sub(r"\1", markup) if "</t" in markup else markup

    def run_in_pieces(self, run: list[Block]) -> Iterator[str]:
        """run(run, note=False), a few thousand paragraphs at a time where none sits in a frame
        (no frame is open or closed, nor a table's cell edges mended, across them)."""
        if len(run) <= _TEXTS_AT_ONCE or any(block.frames for block in run):
            yield self.run(run, note=False)
            return
        for start in range(0, len(run), _TEXTS_AT_ONCE):
            yield ("\n" if start else "") + self.run(run[start : start + _TEXTS_AT_ONCE], note=False)

    def paragraphs(self, texts: list[str]) -> str:
        """What block() makes of each of these plain paragraphs (no frame, heading, alignment or
        picture), one a line: their texts marked up in one go, as _texts does, and the tags put
        between them by one replace, not a call and a string each (most of a book is such runs)."""
        if not texts:
            return ""
        if len(texts) > 1 and not any("\n" in text for text in texts):
            inner = _text("\n".join(texts)).replace("\n", "</p>\n<p>")
        else:  # a line break of a text's own: each alone
            inner = "</p>\n<p>".join(_texts(texts))
        opening = '<p class="first">' if self.after_break else "<p>"
        self.after_break = False
        return f"{opening}{inner}</p>"

    def enter(self, block: Block) -> list[str]:
        """Close the frames this block is not in, open the ones it is newly in."""
        same = 0
        while same < min(len(self.open), len(block.frames)) and self.open[same].key == block.frames[same].key:
            same += 1
        tags = self.close_to(same)
        for frame in block.frames[same:]:
            tags.append(self.opening(frame, block))
            self.open.append(frame)
        return tags

    def close_to(self, depth: int) -> list[str]:
        tags = []
        while len(self.open) > depth:
            frame = self.open.pop()
            if frame.kind is FrameKind.LIST:
                tags.append("</ul>" if frame.numbering is None else "</ol>")
            elif frame.kind is FrameKind.CELL:
                tags.append("</th>" if frame.header else "</td>")
            else:
                tags.append(_CLOSING[frame.kind])
        return tags

    def opening(self, frame: Frame, block: Block) -> str:
        if frame.kind is FrameKind.LIST:
            return _list_opening(frame, self.next_number)
        if frame.kind is FrameKind.ITEM:
            return self.item_opening(frame)
        if frame.kind is FrameKind.CELL:
            return f"<{'th' if frame.header else 'td'}{_classes(block.align)}>"
        return {FrameKind.QUOTE: "<blockquote>", FrameKind.TABLE: "<table>", FrameKind.ROW: "<tr>"}[frame.kind]

    def item_opening(self, item: Frame) -> str:
        """<li>, with the number it has in the source where a reader counting items would not give it."""
        numbered = next((f for f in reversed(self.open) if f.kind is FrameKind.LIST), None)
        if numbered is None or numbered.numbering is None:
            return "<li>"
        counted = self.next_number[numbered.key]
        if item.number is None:  # text straight inside the list: an item without a number
            self.next_number[numbered.key] = counted + 1
            return '<li class="unnumbered">'
        self.next_number[numbered.key] = item.number + 1
        return "<li>" if item.number == counted else f'<li value="{item.number}">'

    def block(self, block: Block, note: bool, text: str) -> str:
        """The block's markup around `text`, its text as XHTML."""
        if block.image:
            image = f'<img src="{IMAGES}/{_attr(block.image)}" alt="{_attr(plain(block.text))}"/>'
            return f"<div{_classes('figure', block.align)}>{image}</div>"
        if not (block.frames or block.heading or block.align):  # a plain paragraph, most of a book
            first = self.after_break and not note
            if not note:
                self.after_break = False
            return f'<p class="first">{text}</p>' if first else f"<p>{text}</p>"
        if block.frames and block.frames[-1].kind is FrameKind.CELL:
            return text
        if block.heading:
            level = min(6, self.heading_level + block.heading - self.top_heading)
            if not block.frames:
                self.after_break = True
            return f"<h{level}{_classes('text-heading', block.align)}>{text}</h{level}>"
        first = self.after_break and not note and not block.frames
        if not note:
            self.after_break = False
        return f"<p{_classes('first' if first else None, block.align)}>{text}</p>"


def _list_opening(frame: Frame, next_number: dict[tuple[int, int, int], int]) -> str:
    if frame.numbering is None:
        return "<ul>"
    start = frame.number if frame.number is not None else 1
    next_number[frame.key] = start
    attributes = f' start="{start}"' if start != 1 else ""
    if frame.numbering != "1":
        attributes += f' type="{frame.numbering}"'
    return f"<ol{attributes}{_classes(_NUMBERING_CLASSES.get(frame.numbering))}>"


def _classes(*names: str | None) -> str:
    """' class="first center"' for the names given, or nothing."""
    given = " ".join(name for name in names if name)
    return f' class="{given}"' if given else ""


def _cover_page(edition: Edition) -> Page:
    """The cover in an SVG frame scaled to the screen, as calibre and Standard Ebooks do: the whole
    cover shows on a screen of any shape, never cut off at the bottom."""
    alt = _attr(f"Cover: {edition.title}" + (f", for {edition.reader}" if edition.reader else ""))
    width, height = edition.cover_size
    body = (
        '<div class="cover">\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1"'
        f' width="100%" height="100%" viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet"'
        f' role="img" aria-label="{alt}">\n<title>{alt}</title>\n'
        f'<image width="{width}" height="{height}" xlink:href="{_attr(edition.cover_file)}"/>\n</svg>\n</div>\n'
    )
    return _page(COVER_PAGE, "Cover", edition.language, body, "cover")


def _title_page(edition: Edition, collection: Collection) -> Page:
    """Title, a rule, who the copy is for, the author(s) where known, and how much there is to read."""
    lines = [f'<h1 class="title">{_text(edition.title)}</h1>', '<div class="ornament" aria-hidden="true"></div>']
    if edition.reader:
        lines.append(f'<p class="dedication">for <span class="reader-name">{_text(edition.reader)}</span></p>')
    else:
        lines.append('<p class="dedication">Unpersonalised edition: the reader is written as Y/N</p>')
    if edition.author:
        lines.append(f'<p class="author">{_text(edition.author)}</p>')
    stories = collection.stories
    words = sum(story.words for story in stories)
    extent = f"{count_of(len(stories), 'story', 'stories')} · {count_of(words, 'word', 'words')}"
    lines.append(f'<p class="extent">{extent}</p>')
    body = '<div class="title-page">\n' + "\n".join(lines) + "\n</div>\n"
    return _page(TITLE_PAGE, edition.title, edition.language, body, "titlepage")


def names_of(names: list[str] | tuple[str, ...]) -> str:
    """'A', 'A & B', 'A, B & C'; '' for nobody."""
    return " & ".join(filter(None, (", ".join(names[:-1]), names[-1]))) if names else ""


def _contents_page(toc: list[TocEntry], lang: str) -> Page:
    """An in-book contents page, for readers whose device hides the navigation document: each story
    with its ship line and length, its parts under it."""

    def entries(items: list[TocEntry] | tuple[TocEntry, ...]) -> str:
        rows = []
        for entry in items:
            details = "".join(
                f'<span class="{name}">{_text(text)}</span>'
                for name, text in (("toc-who", entry.who), ("toc-length", entry.length))
                if text
            )
            children = f"\n{entries(entry.children)}" if entry.children else ""
            rows.append(f'<li><a href="{_attr(entry.href)}">{_text(entry.title)}</a>{details}{children}</li>')
        return "<ol>\n" + "\n".join(rows) + "\n</ol>"

    heading = '<h1 id="contents">Contents</h1>'
    body = f'<nav class="contents" role="doc-toc" aria-labelledby="contents">\n{heading}\n{entries(toc)}\n</nav>\n'
    return _page(CONTENTS_PAGE, "Contents", lang, body, "frontmatter")


def _group_page(title: str | None, file_name: str, lang: str) -> Page:
    title = title or UNTITLED_GROUP
    return _page(file_name, title, lang, f'<h1 class="book-title">{_text(title)}</h1>\n', "part")


# Story divisions carry their semantics on a <section>, where an ARIA role can say the same thing
# to screen readers (a role is not allowed on <body>).
_DIVISIONS = {"chapter": "doc-chapter", "part": "doc-part"}


def _page(file_name: str, title: str, lang: str, body: str, body_type: str) -> Page:
    """A complete XHTML5 document. The XML declaration names UTF-8 because Send-to-Kindle
    otherwise reads the file as Latin-1 and curly quotes come out as "â€™"."""
    title, opening, closing = _frame(title, lang, body_type)
    # Encoded in parts: no second copy of a long body as one string.
    return Page(file_name, title, b"".join((opening.encode(), body.encode(), closing.encode())))


def _frame(title: str, lang: str, body_type: str) -> tuple[str, str, str]:
    """A page's title as plain text, and its markup before and after its body."""
    title = plain(title)
    section, end = "", ""
    if body_type in _DIVISIONS:
        section, end = f'<section epub:type="{body_type}" role="{_DIVISIONS[body_type]}">\n', "</section>\n"
        body_type = "bodymatter"
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"'
        f' lang="{_attr(lang)}" xml:lang="{_attr(lang)}">\n'
        f"<head>\n<title>{_text(title)}</title>\n"
        f'<link rel="stylesheet" type="text/css" href="{STYLESHEET}"/>\n</head>\n'
        f'<body epub:type="{body_type}">\n'
    )
    return title, head + section, end + "</body>\n</html>\n"


def _text(text: str) -> str:
    """Story text as XHTML: escaped, then its inline marks (italics, bold, line breaks) as tags."""
    return to_xhtml(escape(text, quote=False))


def _texts(texts: list[str]) -> list[str]:
    """_text for each of many: escaped and marked up in one go, joined by a line break that
    neither step reads across (a text holding one is done alone)."""
    if len(texts) < 2 or any("\n" in text for text in texts):
        return [_text(text) for text in texts]
    if len(texts) > _TEXTS_AT_ONCE:  # a 50 MB story is one run: a few copies of it would not fit
        return [
            marked
            for start in range(0, len(texts), _TEXTS_AT_ONCE)
            for marked in _texts(texts[start : start + _TEXTS_AT_ONCE])
        ]
    return _text("\n".join(texts)).split("\n")


_TEXTS_AT_ONCE = 2_000  # paragraphs: some 200 KB of text


def _attr(text: str) -> str:
    return escape(text, quote=True)
