"""Files -> Stories -> Books -> Collection: ordering, grouping parts, naming the collection."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from .errors import EbookifyError, StoryError
from .model import Book, Chapter, Collection, Story
from .parse import read_chapter

TEXT_SUFFIXES = (".txt",)  # Wattpad exports
HTML_SUFFIXES = (".html", ".htm")  # AO3 downloads
STORY_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
DEFAULT_TITLE = "Collected Stories"


def natural_key(name: str) -> list:
    """'9-x.txt' sorts before '10-x.txt', as a person reads the names."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t.casefold()) for t in re.split(r"(\d+)", name)]


def story_files(folder: Path, notes: list[str] | None = None) -> list[Path]:
    """The story files in `folder`, in natural name order. Anything else there (a cover image,
    .DS_Store, a .docx) is skipped with a note, and so is a link that leads out of the folder:
    a story folder is no way to read files elsewhere on the machine."""
    if not folder.exists():
        raise EbookifyError(f"the stories folder {folder} does not exist")
    if not folder.is_dir():
        raise EbookifyError(f"{folder} is not a folder")
    files, notes = [], notes if notes is not None else []
    inside = folder.resolve()
    for path in sorted(folder.iterdir(), key=lambda p: natural_key(p.name)):
        if path.is_dir():
            continue
        if path.suffix.lower() not in STORY_SUFFIXES or path.name.startswith("."):
            notes.append(f"skipped {path}: not a story file (.txt or .html)")
        elif path.is_symlink() and not path.resolve().is_relative_to(inside):
            notes.append(f"skipped {path}: a link to a file outside the stories folder")
        elif not path.is_file():
            notes.append(f"skipped {path}: not a regular file")
        else:
            files.append(path)
    if not files:
        raise EbookifyError(f"the stories folder {folder} has no story files (.txt or .html)")
    return files


def load_collection(folder: Path, title: str | None = None) -> Collection:
    warnings: list[str] = []
    return collect(read_items(story_files(folder, warnings), warnings), title, warnings)


def read_items(
    files: list[Path],
    warnings: list[str],
    errors: list[str] | None = None,
    on_read: Callable[[int], None] | None = None,
) -> list[Chapter | Story]:
    """Every file read, in order. With `errors`, a broken file is listed there and skipped (the
    dry run reports them all); without, the first one stops the build."""
    items: list[Chapter | Story] = []
    for done, path in enumerate(files, start=1):
        try:
            items.append(read_item(path, warnings))
        except StoryError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
        if on_read:
            on_read(done)
    return items


def read_item(path: Path, warnings: list[str]) -> Chapter | Story:
    """A Wattpad part (.txt) or a whole AO3 work (.html); warnings about the file are appended."""
    if path.suffix.lower() not in HTML_SUFFIXES:
        return read_chapter(path)
    from .ao3 import read_work  # bs4 costs a tenth of a second to import: only when there is HTML

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StoryError(str(path), f"cannot be read ({exc.strerror or exc})") from exc
    return read_work(data, str(path), warnings)


def collect(items: list[Chapter | Story], title: str | None = None, warnings: list[str] | None = None) -> Collection:
    """Group Wattpad parts (in file order, with AO3 works among them) into stories, stories into
    books: Wattpad books, and AO3 series."""
    stories, grouping = group_stories(items)
    books = group_books(stories)
    return Collection(title or default_title(books), books, tuple(warnings or ()) + tuple(grouping))


def group_stories(items: list[Chapter | Story]) -> tuple[list[Story], list[str]]:
    """Parts of one story (same who and title) join it, in part order, at the place of its first
    part; an AO3 work is whole already and stays where its file is."""
    series: dict[tuple[str, str], list[tuple[int, Chapter]]] = defaultdict(list)
    placed: list[tuple[int, list[Chapter] | Story]] = []
    for position, chapter in enumerate(items):
        if isinstance(chapter, Story) or chapter.part is None:
            placed.append((position, chapter if isinstance(chapter, Story) else [chapter]))
        else:
            series[_story_key(chapter)].append((position, chapter))
    warnings: list[str] = []
    for members in series.values():
        members.sort(key=lambda pc: pc[1].part)
        placed.append((members[0][0], [c for _, c in members]))
        warnings += _part_warnings([c for _, c in members])
    placed.sort(key=lambda pc: pc[0])
    stories = [
        parts if isinstance(parts, Story) else Story(parts[0].who, parts[0].title, tuple(parts), _book_of(parts))
        for _, parts in placed
    ]
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
    warnings = []
    for first, last in _gaps(sorted(set(numbers)), expected):
        # A short gap names each part; a long one ("part 1/100000000000") is one warning.
        if last - first < 10:
            warnings += [f"{story} is missing part {n} of {expected}" for n in range(first, last + 1)]
        else:
            warnings.append(f"{story} is missing parts {first}–{last} of {expected}")
    for n in sorted({n for n in numbers if numbers.count(n) > 1}):
        files = ", ".join(p.source for p in parts if p.part == n)
        warnings.append(f"{story} has part {n} more than once ({files}); all copies are kept")
    return warnings


def _gaps(found: list[int], expected: int) -> list[tuple[int, int]]:
    """The runs of numbers from 1 to `expected` missing from `found` (sorted), as (first, last)."""
    gaps, previous = [], 0
    for number in [*found, expected + 1]:
        if number > previous + 1:
            gaps.append((previous + 1, number - 1))
        previous = max(previous, number)
    return gaps


def group_books(stories: list[Story]) -> tuple[Book, ...]:
    """Stories by Wattpad book or AO3 series, books in order of first appearance.

    Wattpad stories whose files lost their footer join the only book when there is one; beside
    several books, or beside AO3 works outside any series, they form a book of their own with
    no title.
    """
    titles = list(dict.fromkeys(s.book for s in stories if s.book))
    loose_works = any(s.book is None and s.work is not None for s in stories)
    if len(titles) <= 1 and not (titles and loose_works):
        title = titles[0] if titles else None
        return (Book(title, series_order(title, stories)),)
    order = list(dict.fromkeys(s.book for s in stories))
    return tuple(Book(t, series_order(t, [s for s in stories if s.book == t])) for t in order)


def series_order(series: str | None, stories: list[Story]) -> tuple[Story, ...]:
    """AO3 works of one series in the order "Part N of <series>" gives, whatever their file names;
    anything without a position there (a Wattpad story, an unreadable "Part") keeps its place after them."""

    def position(story: Story) -> tuple[int, int]:
        found = [p for name, p in (story.work.series if story.work else ()) if name == series and p is not None]
        return (0, found[0]) if found else (1, 0)

    return tuple(sorted(stories, key=position)) if series else tuple(stories)


def default_title(books: tuple[Book, ...]) -> str:
    """A lone story's own title (a book of one work is that work, even inside a series); the
    book's title if there is one book; two or three joined; else a plain default."""
    titles = [b.title for b in books if b.title]
    lone = [s for b in books for s in b.stories]
    if len(lone) == 1:
        return lone[0].title
    if len(titles) < len(books):  # stories outside any book: no book's title covers them
        return DEFAULT_TITLE
    if len(titles) == 1:
        return titles[0]
    if 2 <= len(titles) <= 3:
        return ", ".join(titles[:-1]) + " & " + titles[-1]
    return DEFAULT_TITLE
