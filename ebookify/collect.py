"""Files -> Stories -> Books -> Collection: ordering, grouping parts, naming the collection."""

from __future__ import annotations

import re
import stat
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .errors import EbookifyError, StoryError
from .forked import streamed
from .inputs import real_folder, reason, skip_reason
from .markdown import MARKDOWN_SUFFIXES
from .model import Chapter, Collection, Group, Story, map_paragraphs
from .parse import read_chapter, read_story_bytes

TEXT_SUFFIXES = (".txt",)  # Wattpad exports
HTML_SUFFIXES = (".html", ".htm")  # AO3 downloads
EPUB_SUFFIXES = (".epub",)  # AO3's, FanFicFare's, FicHub's, WebToEpub's and Wattpad downloaders' books
STORY_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + MARKDOWN_SUFFIXES + EPUB_SUFFIXES
STORY_KINDS = ".txt, .md, .html or .epub"
DEFAULT_TITLE = "Collected Stories"
_DIGITS = re.compile(r"([0-9]+)")


def natural_key(name: str) -> list:
    """'9-x.txt' sorts before '10-x.txt', as a person reads the names. Runs of ASCII digits compare
    as numbers without int(), which refuses superscripts ("1²2.txt") and 5,000-digit runs: by length
    once leading zeros are off, then digit by digit."""
    key = []
    for token in _DIGITS.split(name):
        if _DIGITS.fullmatch(token):
            number = token.lstrip("0")
            key.append((0, len(number), number, len(token)))
        else:
            key.append((1, 0, token.casefold(), 0))
    return key


def story_files(folder: Path) -> tuple[list[Path], tuple[str, ...]]:
    """The story files in `folder`, in natural name order, and notes on what was skipped. Anything
    else there (a cover image, a .docx) is skipped with a note, and so is a link that leads out
    of the folder: a story folder is no way to read files elsewhere on the machine."""
    try:
        files, notes = _listed_stories(folder)
    except OSError as exc:  # unreadable, a name too long, a link loop: the folder's, not a file's
        raise EbookifyError(f"the stories folder {folder} {reason(exc)}") from exc
    if not files:
        raise EbookifyError(f"the stories folder {folder} has no story files ({STORY_KINDS})")
    return files, tuple(notes)


def _listed_stories(folder: Path) -> tuple[list[Path], list[str]]:
    if not stat.S_ISDIR(folder.stat().st_mode):  # a missing folder or a link loop: OSError, said above
        raise EbookifyError(f"{folder} is not a folder")
    files: list[Path] = []
    notes: list[str] = []
    inside = real_folder(folder)
    for path in sorted(folder.iterdir(), key=lambda p: natural_key(p.name)):
        if path.is_dir():
            continue
        if _is_system_clutter(path.name):
            continue  # what the OS leaves in every folder: nobody put it there, nobody needs telling
        not_a_story = path.suffix.lower() not in STORY_SUFFIXES
        why = f"not a story file ({STORY_KINDS})" if not_a_story else skip_reason(path, inside, "stories")
        if why:
            notes.append(f"skipped {path}: {why}")
        else:
            files.append(path)
    return files, notes


# Files an operating system or a sync tool writes into folders by itself (macOS Finder and its
# "._" resource forks, Windows Explorer), and hidden files in general.
_SYSTEM_CLUTTER = {"thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r"}


def _is_system_clutter(name: str) -> bool:
    return name.startswith(".") or name.casefold() in _SYSTEM_CLUTTER or name.endswith("~")


def load_collection(folder: Path, title: str | None = None) -> Collection:
    files, notes = story_files(folder)
    reading = read_items(files)
    return collect(reading.items, title, notes + reading.warnings)


@dataclass(frozen=True)
class Reading:
    """The story files read: what they hold, in file order, what they hold that a book cannot
    show (warnings), and the files that could not be read (errors)."""

    items: list[Chapter | Story]
    warnings: tuple[str, ...]
    errors: tuple[str, ...]


def read_items(
    files: Sequence[Path],
    keep_going: bool = False,
    on_read: Callable[[int], None] | None = None,
    then: Callable[[Chapter | Story], Chapter | Story] | None = None,
    change_all: Callable[[list[str]], list[str]] | None = None,
) -> Reading:
    """Every file read, in order. With `keep_going`, a broken file is an error listed and skipped
    (the dry run reports them all); without, the first one stops the build. `change_all`
    (typesetting) is applied to each file's paragraphs as they are read, so that their text as
    read need not outlive them (model.changed_anew); then `then`, to each story or part."""
    items: list[Chapter | Story] = []
    warnings: list[str] = []
    errors: list[str] = []
    # Closed on the way out, an error included: the workers reading the files after it stop then.
    reading = partial(_read_file, then=then, change_all=change_all)
    with closing(streamed(reading, files, _size, _PARALLEL_BYTES)) as read:
        for done, (found, said) in enumerate(read, start=1):
            if isinstance(found, StoryError):
                if not keep_going:
                    raise found
                errors.append(str(found))
            else:
                items += found
                warnings += said
            if on_read:
                on_read(done)
    return Reading(items, tuple(warnings), tuple(errors))


# Below about this many bytes of story files, reading on one core is quicker than starting workers.
_PARALLEL_BYTES = 1_000_000


def _read_file(
    path: Path,
    then: Callable[[Chapter | Story], Chapter | Story] | None,
    change_all: Callable[[list[str]], list[str]] | None = None,
) -> tuple[list[Chapter | Story] | StoryError, list[str]]:
    """What one file holds, its paragraphs passed through `change_all` and each item through
    `then`, or the error that stopped reading it (handed back, not raised: a worker reading it
    goes on to its next file, as keep_going may)."""
    try:
        found, said = read_item(path, change_all)
    except StoryError as exc:
        return exc, []
    return [then(item) if then else item for item in found], said


def files_size(files: Sequence[Path]) -> int:
    """The story files' bytes all told (as they are now)."""
    return sum(map(_size, files))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone since it was listed: reading it says so
        return 0


def read_item(
    path: Path, change_all: Callable[[list[str]], list[str]] | None = None
) -> tuple[list[Chapter | Story], list[str]]:
    """What a Wattpad part (.txt), a story in Markdown (.md), a whole AO3 work (.html) or an EPUB
    (.epub) holds: a part, a story, or the works of an EPUB; and what it holds that the book cannot
    show. Its paragraphs' texts are passed through `change_all`, if given: a Wattpad part's before
    its blocks are made, the others' made anew (model.changed_anew)."""
    suffix = path.suffix.lower()
    if suffix not in EPUB_SUFFIXES + MARKDOWN_SUFFIXES + HTML_SUFFIXES:
        chapter, said = read_chapter(path, change_all=change_all)
        return [chapter], said
    found, said = _read_marked_up(path, suffix)
    items = found if isinstance(found, list) else [found]
    return [map_paragraphs(item, change_all, anew=True) if change_all else item for item in items], said


def _read_marked_up(path: Path, suffix: str) -> tuple[Chapter | Story | list[Story], list[str]]:
    if suffix in EPUB_SUFFIXES:
        from .epubstory import read_epub  # lxml and bs4: only when there is an EPUB

        return read_epub(path, str(path))
    if suffix in MARKDOWN_SUFFIXES:
        from .markdown import read_markdown  # bs4 and markdown-it: only when there is Markdown

        return read_markdown(path)
    from .ao3 import read_work  # bs4 costs a tenth of a second to import: only when there is HTML

    return read_work(read_story_bytes(path, str(path)), str(path))


def collect(items: list[Chapter | Story], title: str | None = None, warnings: Sequence[str] = ()) -> Collection:
    """Group Wattpad parts (in file order, with AO3 works among them) into stories, stories into
    groups: Wattpad books, and AO3 series."""
    stories, grouping = group_stories(items)
    groups = gather_groups(stories)
    return Collection(title or default_title(groups), groups, tuple(warnings) + tuple(grouping))


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
        members.sort(key=lambda pc: pc[1].part or 0)  # every member has a part number
        placed.append((members[0][0], [c for _, c in members]))
        warnings += _part_warnings([c for _, c in members])
    placed.sort(key=lambda pc: pc[0])
    stories = [
        parts if isinstance(parts, Story) else Story(parts[0].who, parts[0].title, tuple(parts), _group_of(parts))
        for _, parts in placed
    ]
    return stories, warnings


def _story_key(chapter: Chapter) -> tuple[str, str]:
    def fold(s: str) -> str:
        return " ".join(s.casefold().split())

    return fold(chapter.who), fold(chapter.title)


def _group_of(parts: list[Chapter]) -> str | None:
    return next((p.group for p in parts if p.group), None)


def _part_warnings(parts: list[Chapter]) -> list[str]:
    story = f'"{parts[0].title}"' + (f" ({parts[0].who})" if parts[0].who else "")
    numbers = [p.part or 0 for p in parts]  # parts of a story: each has its number
    expected = max(numbers + [p.part_total or 0 for p in parts])
    warnings = []
    for first, last in _gaps(sorted(set(numbers)), expected):
        # A short gap names each part; a long one ("part 1/100000000000") is one warning.
        if last - first < 10:
            warnings += [f"{story} is missing part {n} of {expected}" for n in range(first, last + 1)]
        else:
            warnings.append(f"{story} is missing parts {first}–{last} of {expected}")
    sources: dict[int, list[str]] = defaultdict(list)  # one pass: a scan per number was quadratic
    for part in parts:
        sources[part.part or 0].append(part.source)
    for n in sorted(n for n, files in sources.items() if len(files) > 1):
        warnings.append(f"{story} has part {n} more than once ({', '.join(sources[n])}); all copies are kept")
    return warnings


def _gaps(found: list[int], expected: int) -> list[tuple[int, int]]:
    """The runs of numbers from 1 to `expected` missing from `found` (sorted), as (first, last)."""
    gaps, previous = [], 0
    for number in [*found, expected + 1]:
        if number > previous + 1:
            gaps.append((previous + 1, number - 1))
        previous = max(previous, number)
    return gaps


def gather_groups(stories: list[Story]) -> tuple[Group, ...]:
    """Stories by Wattpad book or AO3 series, groups in order of first appearance.

    Wattpad stories whose files lost their footer join the only group when there is one; beside
    several, or beside AO3 works outside any series, they form a group of their own with no title.
    """
    titles = list(dict.fromkeys(s.group for s in stories if s.group))
    loose_works = any(s.group is None and s.work is not None for s in stories)
    if len(titles) <= 1 and not (titles and loose_works):
        title = titles[0] if titles else None
        return (Group(title, series_order(title, stories)),)
    by_group: dict[str | None, list[Story]] = {}  # in order of first appearance; one pass, not one per group
    for story in stories:
        by_group.setdefault(story.group, []).append(story)
    return tuple(Group(title, series_order(title, members)) for title, members in by_group.items())


def series_order(series: str | None, stories: list[Story]) -> tuple[Story, ...]:
    """AO3 works of one series in the order "Part N of <series>" gives, whatever their file names;
    anything without a position there (a Wattpad story, an unreadable "Part") keeps its place after them."""

    def position(story: Story) -> tuple[int, int]:
        found = [p for name, p in (story.work.series if story.work else ()) if name == series and p is not None]
        return (0, found[0]) if found else (1, 0)

    return tuple(sorted(stories, key=position)) if series else tuple(stories)


def default_title(groups: tuple[Group, ...]) -> str:
    """A lone story's own title (a book of one work is that work, even inside a series); the
    group's title if there is one group; two or three joined; else a plain default."""
    titles = [g.title for g in groups if g.title]
    lone = [s for g in groups for s in g.stories]
    if len(lone) == 1:
        return lone[0].title
    if len(titles) < len(groups):  # stories outside any group: no group's title covers them
        return DEFAULT_TITLE
    if len(titles) == 1:
        return titles[0]
    if 2 <= len(titles) <= 3:
        return ", ".join(titles[:-1]) + " & " + titles[-1]
    return DEFAULT_TITLE
