"""What the stories hold, with where: placeholders and unbalanced quotes. Reader-independent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .model import BlockKind, Chapter, Collection, Story
from .personalise import FAMILIES, find_codes


@dataclass(frozen=True)
class Place:
    source: str
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class Found:
    """One placeholder code: how often it occurs and where it first does."""

    code: str
    count: int
    first: Place

    @property
    def known(self) -> bool:
        return self.code in FAMILIES


def placeholders(collection: Collection) -> tuple[Found, ...]:
    """Every placeholder code in the collection, in order of first appearance."""
    counts: dict[str, int] = {}
    firsts: dict[str, Place] = {}
    texts = [
        (chapter.source, text, line)
        for story in collection.stories
        for chapter in story.parts
        for text, line in _texts(chapter, story)
    ]
    for source, text, line in texts:
        for code in find_codes(text):
            counts[code] = counts.get(code, 0) + 1
            firsts.setdefault(code, Place(source, line))
    return tuple(Found(code, counts[code], firsts[code]) for code in counts)


def _texts(chapter: Chapter, story: Story) -> Iterator[tuple[str, int]]:
    """Every text of a chapter a reader will see, with its line; an AO3 work's summary with its
    first chapter. Tag values are metadata, not text: a tag "Y/N" is no placeholder."""
    first = chapter is story.parts[0]
    if story.work is None:
        yield chapter.who, chapter.title_line
        yield chapter.title, chapter.title_line
    elif first:
        yield chapter.title, chapter.title_line
        if story.work.summary:
            yield story.work.summary, chapter.title_line
    if chapter.label:
        yield chapter.label, chapter.title_line
    if chapter.synopsis:
        yield chapter.synopsis, chapter.synopsis_line or chapter.title_line
    for block in chapter.blocks:
        if block.text:
            yield block.text, block.line
    if chapter.book and chapter.book_line:
        yield chapter.book, chapter.book_line


def unbalanced_quotes(collection: Collection) -> tuple[str, ...]:
    """A warning for each paragraph (of typeset text) whose double quotes do not pair up.

    Speech that runs on into a paragraph opening with a quote leaves its quote open by
    convention; the warning says so rather than guess which was meant.
    """
    found = []
    for chapter in collection.chapters:
        paragraphs = [b for b in chapter.blocks if b.kind is not BlockKind.BREAK]
        for block, following in zip(paragraphs, [*paragraphs[1:], None], strict=True):
            opened, closed = block.text.count("“"), block.text.count("”")
            if '"' not in block.text and opened == closed:
                continue
            runs_on = opened == closed + 1 and following is not None and following.text.startswith("“")
            hint = " (fine if the speech runs on into the next paragraph)" if runs_on else ""
            found.append(f"{Place(chapter.source, block.line)} has an unbalanced quote{hint}")
    return tuple(found)
