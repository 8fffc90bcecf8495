"""The stories as data: frozen dataclasses that every stage reads and none mutates.

"Book" in ebookify's code always means an EPUB (one reader's copy). The stories that were
published together, a Wattpad book or an AO3 series, are a Group; a Story and a Chapter name
theirs in `group`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from itertools import pairwise
from typing import Any

from .languages import MAYBE_PER_CHARACTER, count_words
from .marks import plain


class BlockKind(Enum):
    PARAGRAPH = "paragraph"
    NOTE = "note"  # an author's note (A/N), set apart from the story
    BREAK = "break"  # a scene break


class FrameKind(Enum):
    """A container that story text sits in (AO3's HTML only; Wattpad text has none)."""

    QUOTE = "quote"  # a <blockquote> in the story text
    LIST = "list"
    ITEM = "item"  # a list item: always directly inside a LIST
    TABLE = "table"
    ROW = "row"  # always directly inside a TABLE
    CELL = "cell"  # always directly inside a ROW; its block is text only


@dataclass(frozen=True)
class Frame:
    """One container around a block. Consecutive blocks in the same container carry the same
    frame (same `key`), so that two lists one after the other stay two lists."""

    kind: FrameKind
    key: tuple[int, int, int]  # unique within one story file
    numbering: str | None = None  # LIST: None for bullets, else "1", "a", "A", "i" or "I"
    number: int | None = None  # LIST: the number it starts at; ITEM: its number in a numbered list
    header: bool = False  # CELL: a header cell (<th>)


ALIGNMENTS = ("left", "right", "center", "justify")


# Slots, and an __init__ that sets them straight: a book has a block a paragraph, each made again
# by every stage that changes its text; the frozen dataclass's own __init__ took twice as long,
# and a __dict__ a block a third more memory.
@dataclass(frozen=True, slots=True, init=False)
class Block:
    kind: BlockKind
    text: str = ""  # may hold inline marks (marks.py)
    line: int = 0  # where it starts in its file, for messages; 0 for a scene break
    align: str | None = None  # one of ALIGNMENTS where the source set one
    heading: int = 0  # a heading inside the story text: its level in the source (1-6); else 0
    frames: tuple[Frame, ...] = ()  # the containers it sits in, outermost first
    # A picture shown in its place: its file name among the story's images; the text is then
    # the picture's description (its alt text), not words of the story.
    image: str = ""

    def __init__(
        self,
        kind: BlockKind,
        text: str = "",
        line: int = 0,
        align: str | None = None,
        heading: int = 0,
        frames: tuple[Frame, ...] = (),
        image: str = "",
    ) -> None:
        _set_kind(self, kind)
        _set_text(self, text)
        _set_line(self, line)
        _set_align(self, align)
        _set_heading(self, heading)
        _set_frames(self, frames)
        _set_image(self, image)

    @property
    def centered(self) -> bool:
        return self.align == "center"

    def with_text(self, text: str) -> Block:
        return Block(self.kind, text, self.line, self.align, self.heading, self.frames, self.image)

    def __reduce__(self) -> tuple[type[Block], tuple]:
        # Sent back from a worker (a story file read there) as its fields, made again by __init__.
        return Block, (self.kind, self.text, self.line, self.align, self.heading, self.frames, self.image)


# The slots' own setters, which a frozen class's __setattr__ does not stand in front of.
_set_kind, _set_text, _set_line, _set_align, _set_heading, _set_frames, _set_image = (
    Block.__dict__[name].__set__ for name in ("kind", "text", "line", "align", "heading", "frames", "image")
)


SCENE_BREAK = Block(BlockKind.BREAK)


@dataclass(frozen=True)
class Stats:
    """Wattpad's counts exactly as abbreviated on the page ("6.9K", "1.2M")."""

    reads: str
    votes: str
    comments: str


@dataclass(frozen=True)
class Chapter:
    """One story file: one Wattpad part, or a whole one-shot."""

    source: str  # the file as the user named it, for messages
    who: str  # the character or ship tag from the title line
    title: str
    part: int | None = None
    part_total: int | None = None
    stats: Stats | None = None
    synopsis: str | None = None
    blocks: tuple[Block, ...] = ()
    group: str | None = None  # the title of its group, as its file says: a Wattpad book's footer, an AO3 series
    title_line: int = 1
    synopsis_line: int | None = None
    group_line: int | None = None  # the line of the Wattpad footer that names it
    label: str | None = None  # its own heading (AO3's "Chapter 2: The Lighthouse"), else "Part N"

    @cached_property  # counted once: the contents, the title page and the summary all ask
    def words(self) -> int:
        return _count_paragraphs(self.blocks)

    # Looked at once, with the file (perhaps by a worker), and carried with the blocks (carry_words):
    # the editions and the placeholder survey ask of every chapter, a look at each block.
    @cached_property
    def slashed(self) -> tuple[Block, ...]:
        """The blocks whose text has a slash: the only ones that may hold a placeholder."""
        return tuple(block for block in self.blocks if "/" in block.text)

    @cached_property
    def codes(self) -> tuple[tuple[str, ...], ...]:
        """The placeholder codes in each of its slashed blocks, in order (personalise.find_codes)."""
        from .personalise import find_codes  # personalise reads the model: imported when first asked

        return tuple(_shared(tuple(find_codes(block.text))) for block in self.slashed)

    @cached_property
    def characters(self) -> int:
        """The length of its blocks' texts: what rendering it costs, for sharing stories among workers."""
        return sum(len(block.text) for block in self.blocks)

    @cached_property
    def weeded(self) -> bool:
        """Whether it holds no author's note, and each scene break stands between two paragraphs:
        what keep_notes leaves as it is."""
        kinds = [block.kind for block in self.blocks]
        return BlockKind.NOTE not in kinds and _breaks_between_paragraphs(kinds)

    def counted_even(self) -> Chapter:
        """This chapter, its words counted as text that holds nothing _UNEVEN finds (no tab, line
        break, mark or letter of a script written without spaces), without looking for any: for
        one read from an ASCII file without tabs, typeset or not (typesetting only writes dashes,
        curly quotes, ellipses and primes, none of them uneven: tested)."""
        self.__dict__["words"] = _count_paragraphs(self.blocks, even=True)  # where cached_property keeps it
        return self

    def counted_as(self, original: Chapter) -> Chapter:
        """This chapter, with `original`'s word count (a story's template: its slots stand for
        paragraphs whose words are counted as written)."""
        self.__dict__["words"] = original.words  # where cached_property keeps it
        return self

    def carry_words(self, changed: Chapter) -> Chapter:
        """`changed` (this chapter with some blocks' text changed), with its word count worked out
        from this one's, if it is known: only the paragraphs that changed are counted again."""
        if changed.blocks is self.blocks:  # all it knows of its blocks holds for the changed one
            changed.__dict__.update((name, self.__dict__[name]) for name in _OF_BLOCKS if name in self.__dict__)
        elif "words" in self.__dict__:
            pairs = [(old, new) for old, new in zip(self.blocks, changed.blocks, strict=True) if old is not new]
            before, after = _count_paragraphs([old for old, _ in pairs]), _count_paragraphs([new for _, new in pairs])
            changed.__dict__["words"] = self.words - before + after  # where cached_property keeps it
        return changed


# A chapter's cached properties, all of its blocks alone.
_OF_BLOCKS = ("words", "slashed", "codes", "weeded", "characters")
# One tuple for each list of codes found: most paragraphs that hold a placeholder hold ("Y/N",),
# and a 5M-word book has 19,000 of them (sent from a worker, one object is sent once).
_CODES: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared(codes: tuple[str, ...]) -> tuple[str, ...]:
    return _CODES.setdefault(codes, codes)


def _count_paragraphs(blocks: Iterable[Block], even: bool = False) -> int:
    # A picture's words are its alt text, not the story's.
    return count_paragraphs([b.text for b in blocks if b.kind is BlockKind.PARAGRAPH and not b.image], even)


def count_paragraphs(texts: list[str], even: bool = False) -> int:
    """The words of these paragraphs' texts; `even`: known to hold nothing _UNEVEN finds."""
    # One count over many paragraphs joined by spaces: the same words as counting each (a space
    # never joins two), in one call instead of thousands; so counts of paragraphs add up. A few
    # thousand at a time: counting splits into a string a word, 500 MB for a 50 MB story at once.
    chunks = (" ".join(texts[i : i + _COUNTED_AT_ONCE]) for i in range(0, len(texts), _COUNTED_AT_ONCE))
    return sum(_words(chunk, even) for chunk in chunks)


def _words(text: str, even: bool = False) -> int:
    """count_words(plain(text)), with one scan for most texts: the characters count_words looks
    for first (of scripts written without spaces) include every mark, so a text without them
    holds no mark either, and its words are what its spaces part. Where only single spaces part
    them, they are counted without splitting the text into a string a word. A text known to be
    `even` is spared the scan."""
    if even or not _UNEVEN.search(text):
        if "  " in text or text.startswith(" ") or text.endswith(" "):
            return len(text.split())
        return text.count(" ") + 1 if text else 0
    if not MAYBE_PER_CHARACTER.search(text):
        return len(text.split())
    return count_words(plain(text))


# What MAYBE_PER_CHARACTER finds, and every space but U+0020 (str.isspace()): tab, line breaks,
# no-break and typographic spaces. Said as the characters it is not, as that one is.
_UNEVEN = re.compile(
    "[^\x00-\x08\x0e-\x1b -\x84\x86-\x9f\xa1-\u0e00\u0e5c-\u167f\u1681-\u1fff\u200b-\u2027"
    "\u202a-\u202e\u2030-\u205e\u2060-\u2e7f\U00031350-\U0010ffff]"
)


_COUNTED_AT_ONCE = 2_000  # paragraphs


@dataclass(frozen=True)
class WorkMeta:
    """What an AO3 download says about its work, beyond the text."""

    url: str | None = None
    authors: tuple[str, ...] = ()
    rating: str | None = None
    warnings: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    fandoms: tuple[str, ...] = ()
    relationships: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    freeforms: tuple[str, ...] = ()  # "Additional Tags"
    language: str | None = None
    series: tuple[tuple[str, int | None], ...] = ()  # (name, position), as "Part 2 of Harbour Lights"
    words: int | None = None
    summary: str | None = None
    stats: tuple[tuple[str, str], ...] = ()  # AO3's own ("Kudos", "301"), as written
    published: str | None = None  # "2024-06-02", as AO3 writes dates
    updated: str | None = None
    completed: str | None = None
    chapters: tuple[int, int | None] | None = None  # "Chapters: 3/?" -> (3, None)

    @property
    def work_id(self) -> str | None:
        """'https://archiveofourown.org/works/51377024' -> '51377024'."""
        match = re.search(r"/works/([0-9]+)", self.url or "")
        return match.group(1) if match else None

    @property
    def unfinished(self) -> bool:
        """AO3 marks a work complete when its posted chapters reach its planned total."""
        return self.chapters is not None and (self.chapters[1] is None or self.chapters[0] < self.chapters[1])


@dataclass(frozen=True)
class Story:
    who: str
    title: str
    parts: tuple[Chapter, ...]
    group: str | None = None  # the title of its Group: the Wattpad book, or the AO3 series
    work: WorkMeta | None = None  # set for AO3 works
    images: tuple[tuple[str, bytes], ...] = ()  # (file name, bytes) of the pictures its blocks show

    @property
    def multipart(self) -> bool:
        return self.parts[0].part is not None

    @property
    def synopsis(self) -> str | None:
        if self.work is not None:
            return self.work.summary
        return next((p.synopsis for p in self.parts if p.synopsis), None)

    @property
    def stats(self) -> Stats | None:
        """The story's stats are its first part's: Wattpad counts a story's readers there."""
        return next((p.stats for p in self.parts if p.stats), None)

    @property
    def words(self) -> int:
        """AO3's own count for an AO3 work (it counts the whole work as posted), else ours."""
        if self.work is not None and self.work.words is not None:
            return self.work.words
        return sum(p.words for p in self.parts)


@dataclass(frozen=True)
class Group:
    """Stories published together: one Wattpad book, or one AO3 series (in the collection's
    order); title None for the stories that are in neither."""

    title: str | None
    stories: tuple[Story, ...]


@dataclass(frozen=True)
class Collection:
    title: str
    groups: tuple[Group, ...]
    warnings: tuple[str, ...] = ()

    @property
    def stories(self) -> tuple[Story, ...]:
        return tuple(s for g in self.groups for s in g.stories)

    @property
    def chapters(self) -> tuple[Chapter, ...]:
        return tuple(p for s in self.stories for p in s.parts)


@dataclass(frozen=True)
class Reader:
    """Who a copy is made for. name None is the neutral edition that keeps "Y/N"."""

    name: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # placeholder code -> value, e.g. "L/N"
    # Where a readers file defines this reader ("friends.toml:4"), for hints; None for --name.
    entry: str | None = field(default=None, compare=False)
    # Where `ebookify build --send` mails this reader's copy (email = "sam@kindle.com"); None: nowhere.
    email: str | None = field(default=None, compare=False)


# The text a reader sees, besides a chapter's paragraphs: these fields of each chapter, and the
# story's own title, who, group and (an AO3 work's) summary. An AO3 work's "who" is its tags, which
# are metadata: neither personalised nor surveyed. map_story changes these; survey lists them.
CHAPTER_TEXTS = ("who", "title", "label", "synopsis", "group")


def chapter_texts(chapter: Chapter, story: Story) -> dict[str, str]:
    """Each field of `chapter` whose text a reader sees, with its text; empty fields left out."""
    names = CHAPTER_TEXTS[1:] if story.work is not None else CHAPTER_TEXTS
    return {name: getattr(chapter, name) for name in names if getattr(chapter, name)}


def map_text(
    collection: Collection,
    change: Callable[[str], str],
    change_all: Callable[[list[str]], list[str]] | None = None,
) -> Collection:
    """The same collection with `change` applied to every piece of reader-facing text.
    `change_all`, if given, does the same to a chapter's paragraphs at once (faster in bulk)."""
    groups = tuple(
        Group(change(g.title) if g.title else None, tuple(map_story(s, change, change_all) for s in g.stories))
        for g in collection.groups
    )
    return replace(collection, title=change(collection.title), groups=groups)


def map_paragraphs(
    item: Chapter | Story, change_all: Callable[[list[str]], list[str]], anew: bool = False
) -> Chapter | Story:
    """A chapter, or each chapter of a story, with `change_all` applied to its blocks' texts at
    once. With `anew`, a block whose text is left as it was is made again too (_copy)."""
    if isinstance(item, Story):
        return replace(item, parts=tuple(_chapter_paragraphs(part, change_all, anew) for part in item.parts))
    return _chapter_paragraphs(item, change_all, anew)


def _chapter_paragraphs(chapter: Chapter, change_all: Callable[[list[str]], list[str]], anew: bool) -> Chapter:
    given = [b.text for b in chapter.blocks]
    texts = changed_anew(given, change_all) if anew else change_all(given)
    return _with_blocks(
        chapter, tuple(b if t is b.text else b.with_text(t) for b, t in zip(chapter.blocks, texts, strict=True))
    )


def changed_anew(texts: list[str], change_all: Callable[[list[str]], list[str]]) -> list[str]:
    """change_all(texts), where a long chapter's texts that it left as they were are copied too
    (_copy): only a long chapter's, as a short one's text as read is a few pages at most."""
    changed = change_all(texts)
    if len(texts) <= _COUNTED_AT_ONCE:
        return changed
    return [_copy(new) if new is old else new for old, new in zip(texts, changed, strict=True)]


def _copy(text: str) -> str:
    """A string equal to `text` but not it (text[:], str(text) and "%s" % text hand back text).

    Text as read, once changed, is let go: a paragraph left as it was is copied too, so that it
    does not keep the memory of the text read around it (Python frees small objects by the
    megabyte, only when all in that megabyte are gone: a 50 MB story held 100 MB more)."""
    return text.translate({})


def map_story(
    story: Story, change: Callable[[str], str], change_all: Callable[[list[str]], list[str]] | None = None
) -> Story:
    """map_text for one story (so that a whole changed copy of a collection need never exist)."""

    def paragraphs(texts: list[str]) -> list[str]:
        return change_all(texts) if change_all else [change(text) if text else text for text in texts]

    def chapter(c: Chapter) -> Chapter:
        given = [b.text for b in c.blocks]
        texts = paragraphs(given)
        # Most paragraphs hold no placeholder and come back as they were: keep those blocks (and
        # all of them, when the paragraphs are left alone: the stories' titles typeset, say).
        blocks = (
            c.blocks
            if texts is given
            else tuple(b if t is b.text else b.with_text(t) for b, t in zip(c.blocks, texts, strict=True))
        )
        changed: dict[str, Any] = {name: change(text) for name, text in chapter_texts(c, story).items()}
        return c.carry_words(replace(c, blocks=blocks, **changed))

    parts = tuple(chapter(p) for p in story.parts)
    group = story.group and change(story.group)
    if story.work is not None:  # an AO3 work's "who" is its tags, which are metadata: left as tagged
        work = replace(story.work, summary=story.work.summary and change(story.work.summary))
        return replace(story, title=change(story.title), parts=parts, group=group, work=work)
    return replace(story, who=change(story.who), title=change(story.title), parts=parts, group=group)


def keep_notes(collection: Collection, keep: Callable[[Block], bool]) -> Collection:
    """The same collection with only the authors' notes `keep` accepts (scene breaks left
    dangling by a dropped note are dropped too: a break only means something between two
    paragraphs)."""

    def blocks(chapter: Chapter) -> tuple[Block, ...]:
        if chapter.weeded:  # most chapters: a look, not a copy
            return chapter.blocks
        kept = [b for b in chapter.blocks if b.kind is not BlockKind.NOTE or keep(b)]
        return tuple(
            b
            for i, b in enumerate(kept)
            if b.kind is not BlockKind.BREAK
            or (
                0 < i < len(kept) - 1
                and kept[i - 1].kind is BlockKind.PARAGRAPH
                and kept[i + 1].kind is BlockKind.PARAGRAPH
            )
        )

    def story(s: Story) -> Story:
        return replace(s, parts=tuple(_with_blocks(p, blocks(p)) for p in s.parts))

    groups = tuple(replace(g, stories=tuple(story(s) for s in g.stories)) for g in collection.groups)
    return replace(collection, groups=groups)


def map_notes(collection: Collection, change: Callable[[str], str]) -> Collection:
    """The same collection with `change` applied to what authors say about their stories rather
    than in them: authors' notes, work summaries and chapter summaries (or Wattpad synopses)."""

    def chapter(c: Chapter) -> Chapter:
        blocks = c.blocks
        if not c.weeded and any(b.kind is BlockKind.NOTE for b in blocks):  # most chapters have none
            blocks = tuple(b.with_text(change(b.text)) if b.kind is BlockKind.NOTE else b for b in blocks)
        synopsis = c.synopsis and change(c.synopsis)
        return _with_blocks(c, blocks) if synopsis == c.synopsis else replace(c, blocks=blocks, synopsis=synopsis)

    def story(s: Story) -> Story:
        work = s.work and replace(s.work, summary=s.work.summary and change(s.work.summary))
        return replace(s, parts=tuple(chapter(p) for p in s.parts), work=work)

    groups = tuple(replace(g, stories=tuple(story(s) for s in g.stories)) for g in collection.groups)
    return replace(collection, groups=groups)


def _breaks_between_paragraphs(kinds: list[BlockKind]) -> bool:
    """Whether every scene break among blocks of these kinds (paragraphs and breaks) stands
    between two paragraphs, as keep_notes leaves them."""
    breaks = [i for i, kind in enumerate(kinds) if kind is BlockKind.BREAK]
    return not breaks or (breaks[0] > 0 and breaks[-1] < len(kinds) - 1 and all(b - a > 1 for a, b in pairwise(breaks)))


def _with_blocks(chapter: Chapter, blocks: tuple[Block, ...]) -> Chapter:
    """The chapter with these blocks: itself if they are its own, so that what it has worked out
    once (its word count) is shared by every edition that leaves it as it is."""
    return chapter if blocks == chapter.blocks else replace(chapter, blocks=blocks)
