"""The public Python API: load the stories once, then make and write one EPUB per reader."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import closing, nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import BinaryIO

from .book import BookSettings, Shared, cover_lines, prepare, slashed_texts
from .collect import collect, files_size, read_items, story_files
from .cover import AskCover, CoverImage, drawing_process, find_cover, load_cover
from .epub import Metadata, book_identity, package_files, write_zip, zip_files
from .errors import EbookifyError, OptionError
from .forked import can_fork, forked_worker, give_back_memory, in_order
from .inputs import MB, plain_error, read_regular
from .lint import Violation, lint_files, too_big
from .metadata import DEFAULT_AUTHOR, book_identifier, file_as, language_warnings
from .model import Chapter, Collection, Reader, Story, keep_notes, map_notes, map_text
from .naming import distinct_suffix, kepub_path, output_paths
from .personalise import Places, Tally, explains_placeholders, mark_fandom_shorthand, places_of, reader_values
from .places import collapse
from .readers import load_readers
from .render import Packed, Rendered
from .survey import Found, placeholders
from .typography import typeset, typeset_all
from .validate import check_language, check_option, check_value, check_values
from .write import refuse_unsafe_outputs, staged

__all__ = ["DEFAULT_AUTHOR", "BookSettings", "BuildOptions", "build", "file_as"]


@dataclass(frozen=True)
class BuildOptions:
    stories: Path = Path("stories")
    covers: Path = Path("covers")
    out_dir: Path = Path("dist")
    output: Path | None = None  # one reader only
    names: Sequence[str] = ()  # none: the neutral edition
    values: Mapping[str, str] = field(default_factory=dict)  # placeholder code -> value
    title: str | None = None
    author: str | None = None
    language: str | None = None  # None: each work's own (AO3's Language), else en
    readers_file: Path | None = None  # a TOML file of [[reader]] profiles
    strict: bool = False  # refuse to build while any placeholder has no value
    series: str | None = None  # default: a lone work's AO3 series, or the Wattpad book
    series_index: int | None = None  # default: a lone work's "Part N" in its series, else 1
    kepub: bool = False  # also write NAME.kepub.epub for Kobo
    notes: bool = True  # keep authors' notes (--no-notes leaves them out)
    css: Path | None = None  # --css: the reader's own stylesheet, added after ours


@dataclass(frozen=True)
class Written:
    path: Path
    reader: Reader
    tally: Tally


@dataclass(frozen=True)
class BuildReport:
    collection: Collection
    written: tuple[Written, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Sources:
    """What a build will read, found and checked before any story is: the readers, the story
    files (with notes on what was skipped) and the title."""

    readers: tuple[Reader, ...]
    files: tuple[Path, ...]
    notes: tuple[str, ...]
    title: str | None


@dataclass(frozen=True)
class Loaded:
    """The collection every copy starts from: read, grouped and typeset once. `errors` are the
    files that could not be read (only when reading went on past them, as `check` does)."""

    sources: Sources
    collection: Collection | None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Made:
    """One finished book: its bytes (or, made by this process, what writes them), where it goes,
    and whose it is."""

    path: Path
    reader: Reader
    tally: Tally
    data: bytes | Callable[[BinaryIO], None]
    warnings: tuple[str, ...]  # Send-to-Kindle rules it breaks that only warn (but its size)
    replacing: tuple[str, ...] = ()  # that it replaces a file holding another book (replace_warnings)


def find_sources(options: BuildOptions) -> Sources:
    """The readers file's profiles and each name, the story files and the title, all checked."""
    readers = readers_for(options)
    title = check_option("title", options.title) if options.title is not None else None
    files, notes = story_files(options.stories)
    return Sources(tuple(readers), tuple(files), tuple(notes), title)


def load(sources: Sources, keep_going: bool = False, on_read: Callable[[int], None] | None = None) -> Loaded:
    """Read every story file and typeset the collection once; build and check both start here.
    With `keep_going` a broken file is an error listed and skipped, else the first one stops."""
    # Each file's paragraphs are typeset as it is read: the text as read is never all held at once.
    reading = read_items(sources.files, keep_going, on_read, then=_counted, change_all=typeset_all)
    # At 5M words, 9 MB less held by this process and every worker forked after; below a megabyte of
    # stories, nothing worth the 3 ms it takes to load the C library's interface (ctypes).
    if files_size(sources.files) >= _TRIMMED_AFTER:
        give_back_memory()
    if not reading.items:
        return Loaded(sources, None, reading.errors)
    grouped = collect(reading.items, sources.title, sources.notes + reading.warnings)
    return Loaded(sources, map_text(grouped, typeset, lambda texts: texts), reading.errors)


_TRIMMED_AFTER = 1_000_000  # bytes of story files read


def _counted(item: Chapter | Story) -> Chapter | Story:
    """A story file's words counted, and what its chapters hold looked at (with the file, perhaps
    in a worker: every copy's contents and title page ask, and each chapter's facts are carried
    to them)."""
    for chapter in item.parts if isinstance(item, Story) else [item]:
        # Worked out and kept (cached properties).
        chapter.words, chapter.codes, chapter.weeded, chapter.characters  # noqa: B018
    return item


def reading_warnings(options: BuildOptions, collection: Collection) -> tuple[str, ...]:
    """What build and check both say about the stories read: files skipped, parts missing, what
    a story file holds that the book cannot, and the languages guessed."""
    return collection.warnings + (language_warnings(collection) if options.language is None else ())


def value_warnings(options: BuildOptions, readers: Sequence[Reader], found: Sequence[Found]) -> tuple[str, ...]:
    """What build and check both say about the values: the ones some reader lacks, and the
    given values that do nothing or replace a reader's own."""
    return missing_warnings(found, readers) + setting_warnings(options, found)


def build(
    options: BuildOptions,
    on_written: Callable[[Written], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    ask_cover: AskCover | None = None,
) -> BuildReport:
    """Parse once, typeset once, then personalise, render, package, lint and write for each reader.
    `on_progress(done, total, doing)` hears of each step: reading each file, typesetting, each
    reader's copy, putting the books in place; it is last called with done == total.
    `ask_cover`, for one reader, asks a process standing by to draw the cover (cover.drawing_process),
    one the caller started before it imported this module, say."""
    sources = find_sources(options)
    # One reader's cover is drawn by a process started while this one is small (now, if the
    # caller started none): it loads Pillow and the typefaces while the stories are read, and
    # draws while the book renders. (Several readers' books are each made by a worker, cover and all.)
    if len(sources.readers) != 1:
        return _built(options, sources, None, on_written, on_progress)
    with nullcontext(ask_cover) if ask_cover else drawing_process() as ask:
        return _built(options, sources, ask, on_written, on_progress)


def _built(
    options: BuildOptions,
    sources: Sources,
    ask_cover: AskCover | None,
    on_written: Callable[[Written], None] | None,
    on_progress: Callable[[int, int, str], None] | None,
) -> BuildReport:
    readers, files = sources.readers, sources.files
    steps = len(files) + len(readers) + 2
    progress = on_progress or (lambda done, total, doing: None)
    collection = load(sources, on_read=lambda done: progress(done, steps, "reading")).collection
    assert collection is not None  # without keep_going, a file that cannot be read stops the build
    progress(len(files), steps, "typesetting")
    paths = output_paths(options, collection.title, list(readers), distinct_suffix(collection, options))
    refuse_unsafe_outputs(paths + [kepub_path(p) for p in paths if options.kepub], inputs(options, files, collection))
    settings, cover_notes = book_settings(options, collection)
    # Asked as soon as it is known what it says: drawn while the rest of the book is made, first on
    # the core this process leaves idle until the pages are rendered (cover.drawing_process).
    drawn = ask_cover(cover_lines(collection, readers[0])) if ask_cover and not settings.user_cover else None
    # Each kind of copy (personalised, neutral) drops its own notes: made once, shared by readers.
    editions = {
        personal: edition_of(collection, options, personal) for personal in {r.name is not None for r in readers}
    }
    found = placeholders(editions.get(True) or edition_of(collection, options, personal=True))
    if options.strict and (unfilled := missing_warnings(found, readers, "nothing was written")):
        raise OptionError("strict", f": {unfilled[0]}")
    # For many readers, where each paragraph's placeholders are is worked out once, here, before
    # the workers that make their copies are forked: each copy then only writes its values in.
    shared = Shared() if sum(r.name is not None for r in readers) > 1 else None
    if shared:  # with each story's template, on all cores, before those workers are forked
        shared.make_templates(editions[True], settings)
    job = _Job(editions, options, settings, tuple(zip(readers, paths, strict=True)), drawn, shared)
    made: list[Made] = []
    progress(len(files) + 1, steps, _making(readers[0]))
    with staged() as stage, closing(_each_readers_books(job)) as each_readers_books:
        for done, books in enumerate(each_readers_books, start=len(files) + 2):
            for book in books:
                size = stage(book.path, book.data)
                made.append(replace(book, warnings=book.warnings + checked_for_kindle(too_big(size), book.path)))
            following = done - len(files) - 1
            progress(done, steps, _making(readers[following]) if following < len(readers) else "writing")
    progress(steps, steps, "done")
    written = tuple(Written(book.path, book.reader, book.tally) for book in made)
    for item in written:  # only now are they in place
        if on_written:
            on_written(item)
    linted = tuple(warning for book in made for warning in book.warnings)
    notes = reading_warnings(options, collection) + cover_notes + value_warnings(options, readers, found)
    notes += tuple(warning for book in made for warning in book.replacing) + linted
    return BuildReport(collection, written, collapse(notes))


def _making(reader: Reader) -> str:
    return f"{reader.name}'s copy" if reader.name is not None else "the neutral edition"


@dataclass(frozen=True)
class _Job:
    editions: dict[bool, Collection]  # personalised or not -> the collection that copy shows
    options: BuildOptions
    settings: BookSettings
    readers: tuple[tuple[Reader, Path], ...]
    drawn: Callable[[], CoverImage] | None = None  # the one reader's cover, being drawn (book.prepare)
    shared: Shared | None = None  # what many readers' copies share (book.prepare)


def _each_readers_books(job: _Job) -> Generator[list[Made], None, None]:
    """Each reader's books (EPUB, and KEPUB if asked), in reader order. Several readers are made
    on all cores: personalising, rendering and zipping a copy is most of a build's work."""
    workers = min(len(job.readers), os.cpu_count() or 1)
    if workers < 2 or not can_fork():
        return (_readers_books(job, index) for index in range(len(job.readers)))
    return in_order(partial(_readers_books, job), len(job.readers), workers)


def _readers_books(job: _Job, index: int) -> list[Made]:
    """One reader's books, zipped and checked against Send-to-Kindle's rules."""
    reader, path = job.readers[index]
    edition = job.editions[reader.name is not None]
    rendered, meta, cover, tally = prepare(
        edition, reader, job.settings, job.drawn, keep_pages=job.options.kepub, shared=job.shared
    )
    books = [(path, rendered)] + ([(kepub_path(path), kepub_rendered(rendered))] if job.options.kepub else [])
    made = [_made(book_path, reader, tally, pages, meta, cover) for book_path, pages in books]
    # The file it replaces is read here, by the worker making the copy: for many readers, one
    # process reading them all one after another held up the start of every copy.
    made[0] = replace(made[0], replacing=replace_warnings(edition, [(reader, path)]))
    return made


def _made(
    path: Path, reader: Reader, tally: Tally, rendered: Rendered, meta: Metadata, cover: Callable[[], CoverImage]
) -> Made:
    """A book made by a forked worker crosses the pipe as its bytes; one made by this process is
    zipped straight into its file when it is written (write.staged): no copy of it is held whole."""
    entries, packed, warnings = _entries(rendered, meta, cover, path)
    data = zip_files(entries, packed) if forked_worker() else partial(write_zip, files=entries, packed=packed)
    return Made(path, reader, tally, data, warnings)


def placements(collection: Collection) -> dict[str, Places]:
    """Where the placeholders are in every paragraph that may hold one (personalise.places_of)."""
    return {text: places_of(text) for story in collection.stories for text in slashed_texts(story)}


def packaged(
    rendered: Rendered, meta: Metadata, cover: Callable[[], CoverImage], path: Path
) -> tuple[bytes, tuple[str, ...]]:
    """A rendered copy zipped as the book written to `path`, and the Send-to-Kindle rules it
    breaks that only warn (one it would be refused for is an error). `cover()` gives its cover."""
    entries, packed, warnings = _entries(rendered, meta, cover, path)
    data = zip_files(entries, packed)
    return data, warnings + checked_for_kindle(too_big(len(data)), path)


def _entries(
    rendered: Rendered, meta: Metadata, cover: Callable[[], CoverImage], path: Path
) -> tuple[dict[str, bytes], dict[str, Packed], tuple[str, ...]]:
    """A rendered copy's zip entries (and those packed already), and the Send-to-Kindle rules it
    breaks that only warn, all but its size (lint.too_big): one it would be refused for is an error."""
    entries = package_files(rendered, meta, cover)
    # Linted before it is zipped: what lint parses is gone when the zip is made.
    packed = {f"EPUB/{page.file_name}": page.packed for page in rendered.pages if page.packed}
    return entries, packed, checked_for_kindle(lint_files(entries, 0), path)


def inputs(options: BuildOptions, files: Sequence[Path], collection: Collection) -> dict[Path, str]:
    """What a build reads, which no book may be written over: path -> what it is."""
    cover, _ = find_cover(options.covers, collection.title)
    return {
        options.stories: "the stories folder",
        options.covers: "the covers folder",
        **dict.fromkeys(files, "one of the stories"),
        **({options.readers_file: "the readers file"} if options.readers_file else {}),
        **({cover: "the cover"} if cover else {}),
    }


def edition_of(collection: Collection, options: BuildOptions, personal: bool) -> Collection:
    """The collection as one kind of copy shows it: without authors' notes if asked, and, in a
    personalised copy, without the notes that only explain the placeholders. In every copy, the
    fandom shorthand of notes and summaries ("h/c", hurt/comfort) is marked as no placeholder,
    so the survey, --strict and personalising all read it alike."""
    if not options.notes:
        collection = keep_notes(collection, lambda note: False)
    elif personal:
        collection = keep_notes(collection, lambda note: not explains_placeholders(note.text))
    return map_notes(collection, mark_fandom_shorthand)


def book_settings(options: BuildOptions, collection: Collection) -> tuple[BookSettings, tuple[str, ...]]:
    """The options every copy shares, checked, and notes on files skipped in the covers folder.
    The series and language default to the works' own (metadata.series_of, book_languages)."""
    series = check_option("series", options.series) if options.series is not None else None
    if options.series_index is not None and options.series_index < 1:
        raise OptionError("series_index", f"{options.series_index} must be 1 or more")
    cover_path, notes = find_cover(options.covers, collection.title, *(g.title for g in collection.groups if g.title))
    settings = BookSettings(
        language=check_language(options.language) if options.language is not None else None,
        author=check_option("author", options.author) if options.author is not None else None,
        series=series,
        series_index=options.series_index,
        user_cover=load_cover(cover_path) if cover_path else None,
        user_css=user_stylesheet(options.css) if options.css is not None else b"",
    )
    return settings, notes


MAX_CSS_BYTES = 1 * MB  # a stylesheet is a few hundred lines
# What a stylesheet can load: url(…) (fonts, images) and @import "…". The comments are removed first.
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
_CSS_LOADS = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))|@import\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def user_stylesheet(path: Path) -> bytes:
    """--css FILE, checked: UTF-8 text that loads nothing from outside the book. A remote font or
    @import would have the reader's device fetch it (and tell a server who reads what); a local
    one names a file that is not in the book, which EPUBCheck refuses."""
    data = read_regular(path, MAX_CSS_BYTES, plain_error(path))
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise EbookifyError(f"{path} is not UTF-8 text (byte {exc.start + 1})") from exc
    bare = _CSS_COMMENT.sub(lambda comment: "\n" * comment.group().count("\n"), text)
    for found in _CSS_LOADS.finditer(bare):
        target = next(group for group in found.groups() if group is not None)
        if target.lower().startswith("data:"):
            continue
        line = bare.count("\n", 0, found.start()) + 1
        where = "a remote file" if re.match(r"[a-z][a-z0-9+.-]*:|//", target, re.I) else "a file not in the book"
        raise EbookifyError(f"{path}:{line} loads {target!r}, {where}; a book must hold all it shows: remove it")
    return text.encode("utf-8")


def kepub_rendered(rendered: Rendered) -> Rendered:
    from .kepub import kepubify

    pages = tuple(replace(page, xhtml=kepubify(page.xhtml), packed=None, plain=False) for page in rendered.pages)
    return replace(rendered, pages=pages)


def checked_for_kindle(violations: list[Violation], path: Path) -> tuple[str, ...]:
    """Fail on any Send-to-Kindle rule the book (to be written to `path`) breaks; hand back the
    rules that only warn."""
    errors = [v for v in violations if not v.warning]
    if errors:
        raise EbookifyError(f"{path} would be refused by Send-to-Kindle: {errors[0]}")
    return tuple(f"{path}: {v}" for v in violations)


def readers_for(options: BuildOptions) -> list[Reader]:
    """The readers file's profiles, then each --name; --set values override the file's."""
    profiles = load_readers(options.readers_file) if options.readers_file is not None else []
    return make_readers(options.names, options.values, profiles)


def make_readers(names: Sequence[str], values: Mapping[str, str], profiles: Sequence[Reader] = ()) -> list[Reader]:
    values = check_values(values)
    readers = {r.name: replace(r, values={**r.values, **values}) for r in profiles}
    for name in names:
        checked = check_value(name, "the name")
        readers.setdefault(checked, Reader(checked, dict(values)))
    return list(readers.values()) or [Reader(None, dict(values))]


def missing_warnings(
    found: Sequence[Found], readers: Sequence[Reader], outcome: str = "left as written"
) -> tuple[str, ...]:
    """One line per group of readers who lack the same values: each code, how often, where first,
    and where to give the value (the reader's entry in the readers file, or --set).

    The neutral edition keeps the placeholders on purpose, so it is not warned about.
    """
    groups: dict[tuple[str, ...], list[Reader]] = {}
    for reader in readers:
        have = reader_values(reader.name, reader.values)
        lacking = tuple(f.code for f in found if f.code not in have)
        if lacking and reader.name is not None:
            groups.setdefault(lacking, []).append(reader)
    by_code = {f.code: f for f in found}
    lines = []
    for codes, group in groups.items():
        listed = ", ".join(f"{c} ({by_code[c].count:,}×, first at {by_code[c].first})" for c in codes)
        who = f" for {', '.join(r.name or '' for r in group)}" if len(group) < len(readers) else ""
        lines.append(f"no value for {listed}{who}: {outcome}; {_where_to_fill(codes[0], group)}")
    return tuple(lines)


def _where_to_fill(code: str, readers: Sequence[Reader]) -> str:
    """--set fills a code for every reader, so a reader from a readers file is sent to their entry."""
    entries = [f"{r.name}'s at {r.entry}" for r in readers if r.entry]
    hints = [f'add "{code}" = "…" to the [[reader]] entry ({"; ".join(entries)})'] if entries else []
    if len(entries) < len(readers):
        hints.append(f"fill with --set {code}=…")
    return " or ".join(hints)


def setting_warnings(options: BuildOptions, found: Sequence[Found]) -> tuple[str, ...]:
    """--set values that do nothing (no story uses the code) or that replace a readers file's own."""
    used = {f.code for f in found}
    values = check_values(options.values)
    lines = [f"--set {code}: no story uses {code}, so it changes nothing" for code in values if code not in used]
    profiles = load_readers(options.readers_file) if options.readers_file is not None else []
    for code, value in values.items():
        replaced = [r for r in profiles if code in r.values and r.values[code] != value]
        if replaced:
            names = ", ".join(f"{r.name} ({r.values[code]!r}, {r.entry})" for r in replaced)
            lines.append(f"--set {code}={value} replaces the readers file's own value for {names}")
    return tuple(lines)


def replace_warnings(collection: Collection, books: list[tuple[Reader, Path]]) -> tuple[str, ...]:
    """A build that will replace a book holding a different collection says so: the old file's
    identifier is read from its package document, and compared with the new one's."""
    warnings = []
    for reader, path in books:
        old = book_identity(path)
        if old is not None and old[0] != book_identifier(collection, reader):
            # Two collections may share a title ("Collected Stories"): then naming it twice says nothing.
            new = "another of that title" if old[1] == collection.title else repr(collection.title)
            warnings.append(f"{path} held a different book ({old[1]!r}); it is replaced by {new}")
    return tuple(warnings)
