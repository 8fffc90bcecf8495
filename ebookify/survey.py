"""What the stories hold, with where: placeholders and unbalanced quotes. Reader-independent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .model import Chapter, Collection, Story, chapter_texts
from .personalise import find_codes
from .places import Place, Repeated, block_places

__all__ = ["Found", "Place", "placeholders", "unbalanced_quotes"]


@dataclass(frozen=True)
class Found:
    """One placeholder code: how often it occurs and where it first does."""

    code: str
    count: int
    first: Place


def placeholders(collection: Collection) -> tuple[Found, ...]:
    """Every placeholder code in the collection, in order of first appearance."""
    counts: dict[str, int] = {}
    firsts: dict[str, Place] = {}
    for story in collection.stories:
        for chapter in story.parts:
            for codes, place in _coded(chapter, story):
                for code in codes:
                    counts[code] = counts.get(code, 0) + 1
                    firsts.setdefault(code, place)
    return tuple(Found(code, counts[code], firsts[code]) for code in counts)


def _coded(chapter: Chapter, story: Story) -> Iterator[tuple[tuple[str, ...] | list[str], Place]]:
    """The placeholder codes of every text of a chapter a reader will see, with its place; an AO3
    work's summary with its first chapter. Tag values are metadata, not text: a tag "Y/N" is no
    placeholder. A paragraph's codes were found as its file was read (Chapter.codes)."""
    first = chapter is story.parts[0]
    work = story.work is not None

    def at(line: int, label: str, number: int | None = chapter.part) -> Place:
        return Place(chapter.source, line, number, label=label) if work else Place(chapter.source, line)

    if story.work is not None and first:  # the work's title and summary, once, before its text
        yield find_codes(story.title), at(chapter.title_line, "title", None)
        if story.work.summary:
            yield find_codes(story.work.summary), at(chapter.title_line, "summary", None)
    texts = chapter_texts(chapter, story)
    for name, text in texts.items():
        # An AO3 chapter's title is its work's, listed once above; the Wattpad footer comes last.
        if name != "group" and not (name == "title" and story.work is not None):
            line = chapter.synopsis_line if name == "synopsis" else None
            yield find_codes(text), at(line or chapter.title_line, _LABELS[name])
    # Only a text with a slash can hold a placeholder: the others need no place. A Wattpad line is
    # its place; an AO3 paragraph's is counted among all of its chapter's (the same blocks, in order).
    if not work:
        places = (Place(chapter.source, block.line) for block in chapter.slashed)
    else:
        places = (place for _, place in block_places(chapter, work, lambda b: "/" in b.text))
    yield from zip(chapter.codes, places, strict=True)
    if "group" in texts and chapter.group_line:  # a Wattpad footer; an AO3 series is the work's, not the text's
        yield find_codes(texts["group"]), at(chapter.group_line, "series")


_LABELS = {"who": "", "title": "", "label": "heading", "synopsis": "summary"}


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
