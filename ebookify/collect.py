"""Chapters -> Stories -> Books -> Collection: ordering, grouping parts, naming the collection."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from .errors import EbookifyError
from .model import Book, Chapter, Collection, Story
from .parse import read_chapter

STORY_SUFFIXES = (".txt",)
DEFAULT_TITLE = "Collected Stories"


def natural_key(name: str) -> list:
    """'9-x.txt' sorts before '10-x.txt', as a person reads the names."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t.casefold()) for t in re.split(r"(\d+)", name)]


def story_files(folder: Path) -> list[Path]:
    """The story files in `folder`, in natural name order."""
    if not folder.exists():
        raise EbookifyError(f"the stories folder {folder} does not exist")
    if not folder.is_dir():
        raise EbookifyError(f"{folder} is not a folder")
    files = [
        p for p in folder.iterdir() if p.suffix.lower() in STORY_SUFFIXES and not p.name.startswith(".") and p.is_file()
    ]
    if not files:
        raise EbookifyError(f"the stories folder {folder} has no .txt story files")
    return sorted(files, key=lambda p: natural_key(p.name))


def load_collection(folder: Path, title: str | None = None) -> Collection:
    chapters = [read_chapter(path) for path in story_files(folder)]
    return collect(chapters, title)


def collect(chapters: list[Chapter], title: str | None = None) -> Collection:
    """Group chapters (already in file order) into stories, stories into Wattpad books."""
    stories, warnings = group_stories(chapters)
    books = group_books(stories)
    return Collection(title or default_title(books), books, tuple(warnings))


def group_stories(chapters: list[Chapter]) -> tuple[list[Story], list[str]]:
    """Parts of one story (same who and title) join it, in part order, at the place of its first part."""
    series: dict[tuple[str, str], list[tuple[int, Chapter]]] = defaultdict(list)
    placed: list[tuple[int, list[Chapter]]] = []
    for position, chapter in enumerate(chapters):
        if chapter.part is None:
            placed.append((position, [chapter]))
        else:
            series[_story_key(chapter)].append((position, chapter))
    warnings: list[str] = []
    for members in series.values():
        members.sort(key=lambda pc: pc[1].part)
        placed.append((members[0][0], [c for _, c in members]))
        warnings += _part_warnings([c for _, c in members])
    placed.sort(key=lambda pc: pc[0])
    stories = [Story(parts[0].who, parts[0].title, tuple(parts), _book_of(parts)) for _, parts in placed]
    return stories, warnings


def _story_key(chapter: Chapter) -> tuple[str, str]:
    def fold(s: str) -> str:
        return " ".join(s.casefold().split())

    return fold(chapter.who), fold(chapter.title)


def _book_of(parts: list[Chapter]) -> str | None:
    return next((p.book for p in parts if p.book), None)


def _part_warnings(parts: list[Chapter]) -> list[str]:
    story = f'"{parts[0].title}"' + (f" ({parts[0].who})" if parts[0].who else "")
    numbers = [p.part for p in parts]
    expected = max(numbers + [p.part_total or 0 for p in parts])
    warnings = [f"{story} is missing part {n} of {expected}" for n in range(1, expected + 1) if n not in numbers]
    for n in sorted({n for n in numbers if numbers.count(n) > 1}):
        files = ", ".join(p.source for p in parts if p.part == n)
        warnings.append(f"{story} has part {n} more than once ({files}); all copies are kept")
    return warnings


def group_books(stories: list[Story]) -> tuple[Book, ...]:
    """Stories by Wattpad book, books in order of first appearance.

    Stories whose files lost their footer join the only book when there is one; beside several
    books they form a book of their own with no title.
    """
    titles = list(dict.fromkeys(s.book for s in stories if s.book))
    if len(titles) <= 1:
        return (Book(titles[0] if titles else None, tuple(stories)),)
    order = list(dict.fromkeys(s.book for s in stories))
    return tuple(Book(t, tuple(s for s in stories if s.book == t)) for t in order)


def default_title(books: tuple[Book, ...]) -> str:
    titles = [b.title for b in books if b.title]
    if len(titles) == 1:
        return titles[0]
    if 2 <= len(titles) <= 3:
        return ", ".join(titles[:-1]) + " & " + titles[-1]
    return DEFAULT_TITLE
