"""Where a warning points, and a warning that repeats in one file told once, with its count.

A Wattpad part is plain text with one paragraph a line: "part2.txt:14" finds it in any editor.
An AO3 file puts a whole chapter on one physical line, so its line says nothing: a place in a
work is its chapter and paragraph ("work.html, chapter 3, paragraph 12"), as a reader counts them
in the book.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from .model import Block, BlockKind, Chapter


@dataclass(frozen=True)
class Place:
    source: str
    line: int
    chapter: int | None = None  # an AO3 work's chapter number; None in a one-shot
    paragraph: int | None = None  # an AO3 work's paragraph, counted from 1 in its chapter
    note: bool = False  # the paragraph is one of the chapter's authors' notes (counted apart)
    label: str | None = None  # an AO3 work's unnumbered part: "title", "summary", "heading"

    @property
    def in_work(self) -> bool:
        return self.paragraph is not None or self.label is not None

    @property
    def within(self) -> str:
        """The place inside its file: "chapter 3, paragraph 12", "summary", "line 14"."""
        if not self.in_work:
            return f"line {self.line}"
        item = self.label or f"{'note paragraph' if self.note else 'paragraph'} {self.paragraph}"
        return f"chapter {self.chapter}, {item}" if self.chapter is not None else item

    def __str__(self) -> str:
        return f"{self.source}, {self.within}" if self.in_work else f"{self.source}:{self.line}"


def block_places(
    chapter: Chapter, work: bool, wanted: Callable[[Block], bool] | None = None
) -> list[tuple[Block, Place]]:
    """Each text block of a chapter with its place: its line in a Wattpad part; in an AO3 work,
    its number among the chapter's story paragraphs, or among its notes. With `wanted`, only the
    blocks it accepts (counted among all the others): places for a few, without making them all."""
    if not work:  # a line is its place: nothing to count
        texts = (b for b in chapter.blocks if b.kind is not BlockKind.BREAK)
        return [(b, Place(chapter.source, b.line)) for b in texts if wanted is None or wanted(b)]
    counts = {True: 0, False: 0}
    placed = []
    for block in chapter.blocks:
        if block.kind is BlockKind.BREAK:
            continue
        note = block.kind is BlockKind.NOTE
        counts[note] += 1
        if wanted is not None and not wanted(block):
            continue
        placed.append((block, Place(chapter.source, block.line, chapter.part, counts[note], note)))
    return placed


class Repeated(str):
    """A warning that may come many times in one file (an unbalanced quote in every chapter):
    `collapse` tells the repeats in one line, "22 unbalanced quotes in f.html, first at …"."""

    place: Place
    what: str
    noun: str
    tail: str

    def __new__(cls, place: Place, what: str, noun: str, tail: str = "") -> Repeated:
        self = super().__new__(cls, f"{place} {what}{tail}")
        self.place, self.what, self.noun, self.tail = place, what, noun, tail
        return self

    def __reduce__(self):  # so that it crosses to a worker process whole
        return (type(self), (self.place, self.what, self.noun, self.tail))

    def moved(self, chapter: int | None, paragraph: int | None = None, label: str | None = None) -> Repeated:
        """The same warning at another chapter (and paragraph, or part) of its file."""
        paragraph, label = paragraph or self.place.paragraph, label or self.place.label
        place = replace(self.place, chapter=chapter, paragraph=paragraph, label=label)
        return Repeated(place, self.what, self.noun, self.tail)


def collapse(warnings: Iterable[str]) -> tuple[str, ...]:
    """Each kind of repeated warning once per file, where it first came; other warnings as they are."""
    warnings = list(warnings)
    groups: dict[tuple[str, str], list[Repeated]] = {}
    for warning in warnings:
        if isinstance(warning, Repeated):
            groups.setdefault((warning.noun, warning.place.source), []).append(warning)
    told: set[tuple[str, str]] = set()
    out: list[str] = []
    for warning in warnings:
        if not isinstance(warning, Repeated):
            out.append(warning)
            continue
        key = (warning.noun, warning.place.source)
        if key in told:
            continue
        told.add(key)
        count = len(groups[key])
        first = warning.place
        out.append(
            warning
            if count == 1
            else f"{count} {warning.noun} in {first.source}, first at {first.within}{warning.tail}"
        )
    return tuple(out)
