"""What the stories hold, with where: placeholders and unbalanced quotes. Reader-independent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .model import Chapter, Collection, Story
from .personalise import FAMILIES, find_codes
from .places import Place, Repeated, block_places

__all__ = ["Found", "Place", "placeholders", "unbalanced_quotes"]


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
        (text, place)
        for story in collection.stories
        for chapter in story.parts
        for text, place in _texts(chapter, story)
    ]
    for text, place in texts:
        for code in find_codes(text):
            counts[code] = counts.get(code, 0) + 1
            firsts.setdefault(code, place)
    return tuple(Found(code, counts[code], firsts[code]) for code in counts)


def _texts(chapter: Chapter, story: Story) -> Iterator[tuple[str, Place]]:
    """Every text of a chapter a reader will see, with its place; an AO3 work's summary with its
    first chapter. Tag values are metadata, not text: a tag "Y/N" is no placeholder."""
    first = chapter is story.parts[0]
    work = story.work is not None

    def at(line: int, label: str, number: int | None = chapter.part) -> Place:
        return Place(chapter.source, line, number, label=label) if work else Place(chapter.source, line)

    if story.work is None:
        yield chapter.who, at(chapter.title_line, "")
        yield chapter.title, at(chapter.title_line, "")
    elif first:
        yield chapter.title, at(chapter.title_line, "title", None)
        if story.work.summary:
            yield story.work.summary, at(chapter.title_line, "summary", None)
    if chapter.label:
        yield chapter.label, at(chapter.title_line, "heading")
    if chapter.synopsis:
        yield chapter.synopsis, at(chapter.synopsis_line or chapter.title_line, "summary")
    # Only a text with a slash can hold a placeholder: the others need no place.
    for block, place in block_places(chapter, work, lambda block: "/" in block.text):
        yield block.text, place
    if chapter.book and chapter.book_line:
        yield chapter.book, at(chapter.book_line, "series")


def unbalanced_quotes(collection: Collection) -> tuple[str, ...]:
    """A warning for each paragraph (of typeset text) whose double quotes do not pair up; many in
    one file are told as one (places.collapse).

    Speech that runs on into a paragraph opening with a quote leaves its quote open by
    convention; the warning says so rather than guess which was meant.
    """
    found: list[str] = []
    for story in collection.stories:
        for chapter in story.parts:
            paragraphs = block_places(chapter, story.work is not None)
            for (block, place), following in zip(paragraphs, [*paragraphs[1:], None], strict=True):
                opened, closed = block.text.count("“"), block.text.count("”")
                if '"' not in block.text and opened == closed:
                    continue
                runs_on = opened == closed + 1 and following is not None and following[0].text.startswith("“")
                hint = " (fine if the speech runs on into the next paragraph)" if runs_on else ""
                found.append(Repeated(place, f"has an unbalanced quote{hint}", "unbalanced quotes"))
    return tuple(found)
