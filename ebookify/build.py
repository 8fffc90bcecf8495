"""The public Python API: load the stories once, then make and write one EPUB per reader."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from .book import BookSettings, prepare
from .collect import collect, read_items, story_files
from .cover import find_cover, load_cover
from .epub import book_identity, package_files, zip_files
from .errors import EbookifyError
from .forked import can_fork, in_order
from .inputs import MB, plain_error, read_regular
from .lint import lint_files
from .metadata import DEFAULT_AUTHOR, book_identifier, file_as, language_warnings
from .model import BlockKind, Chapter, Collection, Reader, Story, keep_blocks, map_notes, map_paragraphs, map_text
from .naming import distinct_suffix, kepub_path, output_paths
from .personalise import Tally, explains_placeholders, mark_fandom_shorthand, reader_values
from .places import collapse
from .readers import load_readers
from .render import Rendered
from .survey import Found, placeholders
from .typography import typeset, typeset_all, typeset_chapters
from .validate import check_language, check_value
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


def build(
    options: BuildOptions,
    on_written: Callable[[Written], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> BuildReport:
    """Parse once, typeset once, then personalise, render, package, lint and write for each reader.
    `on_progress(done, total, doing)` hears of each step: reading each file, typesetting, each
    reader's copy, putting the books in place; it is last called with done == total."""
    readers = readers_for(options)
    title = check_value(options.title, "--title") if options.title is not None else None
    file_warnings: list[str] = []
    files = story_files(options.stories, file_warnings)
    steps = len(files) + len(readers) + 2
    progress = on_progress or (lambda done, total, doing: None)
    # Each file's paragraphs typeset as it is read: the text as read never all in memory at once.
    on_read = lambda done: progress(done, steps, "reading")  # noqa: E731
    items = read_items(files, file_warnings, on_read=on_read, then=lambda item: map_paragraphs(item, typeset_all))
    progress(len(files), steps, "typesetting")
    collection = typeset_collection(items, title, file_warnings, paragraphs_typeset=True)
    paths = output_paths(options, collection.title, readers, distinct_suffix(collection, options))
    refuse_unsafe_outputs(paths + [kepub_path(p) for p in paths if options.kepub], inputs(options, files, collection))
    # Each kind of copy (personalised, neutral) drops its own notes: made once, shared by readers.
    editions = {
        personal: edition_of(collection, options, personal) for personal in {r.name is not None for r in readers}
    }
    personal = editions.get(True) or edition_of(collection, options, personal=True)
    found = placeholders(personal)
    if options.strict and (unfilled := missing_warnings(found, readers, "nothing was written")):
        raise EbookifyError(f"--strict: {unfilled[0]}")
    unfilled = missing_warnings(found, readers) + setting_warnings(options, found)
    cover_notes: list[str] = []
    settings = book_settings(options, collection, cover_notes)
    replacing = replace_warnings(collection, list(zip(readers, paths, strict=True)))
    job = _Job(editions, options, settings, tuple(zip(readers, paths, strict=True)))
    written: list[Written] = []
    lint_warnings: list[str] = []
    progress(len(files) + 1, steps, _making(readers[0]))
    with staged() as stage, closing(_each_readers_books(job)) as each_readers_books:
        for done, books in enumerate(each_readers_books, start=len(files) + 2):
            for book_path, reader, tally, data, warnings in books:
                lint_warnings += warnings
                stage(book_path, data)
                written.append(Written(book_path, reader, tally))
            following = done - len(files) - 1
            progress(done, steps, _making(readers[following]) if following < len(readers) else "writing")
    progress(steps, steps, "done")
    for item in written:  # only now are they in place
        if on_written:
            on_written(item)
    language = language_warnings(collection) if options.language is None else ()
    notes = collection.warnings + language + tuple(cover_notes) + unfilled + replacing + tuple(lint_warnings)
    return BuildReport(collection, tuple(written), collapse(notes))


def _making(reader: Reader) -> str:
    return f"{reader.name}'s copy" if reader.name is not None else "the neutral edition"


@dataclass(frozen=True)
class _Job:
    editions: dict[bool, Collection]  # personalised or not -> the collection that copy shows
    options: BuildOptions
    settings: BookSettings
    readers: tuple[tuple[Reader, Path], ...]


def _each_readers_books(job: _Job) -> Generator[list[tuple[Path, Reader, Tally, bytes, list[str]]], None, None]:
    """Each reader's books (EPUB, and KEPUB if asked), in reader order. Several readers are made
    on all cores: personalising, rendering and zipping a copy is most of a build's work."""
    workers = min(len(job.readers), os.cpu_count() or 1)
    if workers < 2 or not can_fork():
        return (_readers_books(job, index) for index in range(len(job.readers)))
    return in_order(partial(_readers_books, job), len(job.readers), workers)


def _readers_books(job: _Job, index: int) -> list[tuple[Path, Reader, Tally, bytes, list[str]]]:
    """One reader's books, zipped and checked: (path, reader, tally, bytes, lint warnings)."""
    reader, path = job.readers[index]
    rendered, meta, cover, tally = prepare(job.editions[reader.name is not None], reader, job.settings)
    books = [(path, package_files(rendered, meta, cover))]
    if job.options.kepub:
        books.append((kepub_path(path), package_files(kepub_rendered(rendered), meta, cover)))
    out = []
    for book_path, entries in books:
        data = zip_files(entries)
        out.append((book_path, reader, tally, data, checked_for_kindle(entries, len(data), book_path)))
    return out


def inputs(options: BuildOptions, files: Sequence[Path], collection: Collection) -> dict[Path, str]:
    """What a build reads, which no book may be written over: path -> what it is."""
    cover = find_cover(options.covers, collection.title)
    return {
        options.stories: "the stories folder",
        options.covers: "the covers folder",
        **dict.fromkeys(files, "one of the stories"),
        **({options.readers_file: "the readers file"} if options.readers_file else {}),
        **({cover: "the cover"} if cover else {}),
    }


def typeset_collection(
    items: list[Chapter | Story], title: str | None, warnings: list[str], paragraphs_typeset: bool = False
) -> Collection:
    """The collection every reader's copy starts from: grouped, and typeset once (the paragraphs
    of all chapters at once, on all cores, then each chapter's taken as map_text asks; or, with
    `paragraphs_typeset`, left as they are: map_paragraphs typeset them as they were read)."""
    collection = collect(items, title, warnings)
    if paragraphs_typeset:
        return map_text(collection, typeset, lambda texts: texts)
    chapters = [[block.text for block in chapter.blocks] for chapter in collection.chapters]
    typeset_texts = dict(zip(map(tuple, chapters), typeset_chapters(chapters), strict=True))
    return map_text(collection, typeset, lambda texts: typeset_texts[tuple(texts)])


def edition_of(collection: Collection, options: BuildOptions, personal: bool) -> Collection:
    """The collection as one kind of copy shows it: without authors' notes if asked, and, in a
    personalised copy, without the notes that only explain the placeholders. In every copy, the
    fandom shorthand of notes and summaries ("h/c", hurt/comfort) is marked as no placeholder,
    so the survey, --strict and personalising all read it alike."""
    if not options.notes:
        collection = keep_blocks(collection, lambda block: block.kind is not BlockKind.NOTE)
    elif personal:
        collection = keep_blocks(
            collection, lambda block: not (block.kind is BlockKind.NOTE and explains_placeholders(block.text))
        )
    return map_notes(collection, mark_fandom_shorthand)


def book_settings(options: BuildOptions, collection: Collection, notes: list[str] | None = None) -> BookSettings:
    """The options every copy shares, checked. The series and language default to the works' own
    (metadata.series_of, metadata.book_languages). Files skipped in the covers folder are noted
    in `notes`."""
    series = check_value(options.series, "--series") if options.series is not None else None
    if options.series_index is not None and options.series_index < 1:
        raise EbookifyError(f"--series-index {options.series_index} must be 1 or more")
    cover_path = find_cover(
        options.covers, collection.title, *(b.title for b in collection.books if b.title), notes=notes
    )
    return BookSettings(
        language=check_language(options.language) if options.language is not None else None,
        author=check_value(options.author, "--author") if options.author is not None else None,
        series=series,
        series_index=options.series_index,
        user_cover=load_cover(cover_path) if cover_path else None,
        user_css=user_stylesheet(options.css) if options.css is not None else b"",
    )


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

    pages = tuple(replace(page, xhtml=kepubify(page.xhtml)) for page in rendered.pages)
    return replace(rendered, pages=pages)


def checked_for_kindle(files: dict[str, bytes], size: int, path: Path) -> list[str]:
    """Fail on any Send-to-Kindle rule the book breaks; hand back the rules that only warn."""
    violations = lint_files(files, size)
    errors = [v for v in violations if not v.warning]
    if errors:
        raise EbookifyError(f"{path} would be refused by Send-to-Kindle: {errors[0]}")
    return [f"{path}: {v}" for v in violations]


def readers_for(options: BuildOptions) -> list[Reader]:
    """The readers file's profiles, then each --name; --set values override the file's."""
    profiles = load_readers(options.readers_file) if options.readers_file is not None else []
    return make_readers(options.names, options.values, profiles)


def make_readers(names: Sequence[str], values: Mapping[str, str], profiles: Sequence[Reader] = ()) -> list[Reader]:
    readers = {r.name: Reader(r.name, {**r.values, **values}, r.entry) for r in profiles}
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
    lines = [
        f"--set {code}: no story uses {code}, so it changes nothing" for code in options.values if code not in used
    ]
    profiles = load_readers(options.readers_file) if options.readers_file is not None else []
    for code, value in options.values.items():
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
            warnings.append(f"{path} held a different book ({old[1]!r}); it is replaced by {collection.title!r}")
    return tuple(warnings)
