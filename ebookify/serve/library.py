"""The collection, loaded and typeset once; each reader's copy made from it as bytes, exactly as
`ebookify build` writes it (the same steps as build._readers_books, without a file)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..book import BookSettings, Shared, prepare
from ..build import BuildOptions, book_settings, edition_of, find_sources, kepub_rendered, load, packaged, placements
from ..cover import CoverImage, generate_cover
from ..errors import EbookifyError
from ..marks import plain
from ..metadata import DEFAULT_AUTHOR, book_identifier, creators, description
from ..model import Collection, Reader
from ..naming import distinct_suffix, kepub_path, output_paths
from ..personalise import FAMILIES, NAME, Tally, personalise, reader_values
from ..readers import load_readers
from ..render import names_of
from ..survey import placeholders
from ..validate import check_value

EPUB, KEPUB = "epub", "kepub"
FORMATS = (EPUB, KEPUB)


@dataclass(frozen=True)
class StoryInfo:
    """What the page says of a story: plain text, never markup."""

    title: str
    who: str
    synopsis: str
    words: int


@dataclass(frozen=True)
class Library:
    options: BuildOptions
    collection: Collection
    editions: dict[bool, Collection]  # personalised or not -> the collection that copy shows
    settings: BookSettings
    codes: tuple[str, ...]  # the placeholder codes a personalised copy fills, in order of first use
    profiles: tuple[Reader, ...]  # the --readers file's friends
    # What every copy shares (book.Shared): each worker renders each story once, for its first
    # copy, and fills in what each reader changes for the next ones, as a build for many readers.
    shared: Shared

    @property
    def title(self) -> str:
        return plain(self.collection.title)

    @property
    def author(self) -> str:
        """Who the page says wrote it: as the title page, never the stand-in "Unknown"."""
        return self.settings.author or names_of([n for n, _ in creators(self.collection, None) if n != DEFAULT_AUTHOR])

    @cached_property
    def stories(self) -> tuple[StoryInfo, ...]:
        return tuple(
            StoryInfo(plain(s.title), plain(s.who), plain(s.synopsis or ""), s.words) for s in self.collection.stories
        )

    @property
    def words(self) -> int:
        return sum(s.words for s in self.collection.stories)

    @cached_property
    def cover(self) -> CoverImage:
        """The picture the page and the catalog show: the covers folder's, else the neutral one."""
        return self.settings.user_cover or generate_cover(self.collection.title, None)

    def fields(self) -> tuple[tuple[str, str], ...]:
        """The form's fields besides the name: (code, label in words), e.g. ("L/N", "Last name (L/N)")."""
        return tuple((code, label_of(code)) for code in self.codes if code != NAME)

    def profile(self, name: str) -> Reader:
        for reader in self.profiles:
            if reader.name == name:
                return reader
        raise EbookifyError(f"no reader called {name!r} in the readers file")

    def summary(self, reader: Reader) -> str:
        """The catalog's summary of a copy: what the book's own description says."""
        values = reader_values(reader.name, reader.values)
        edition = self.editions[reader.name is not None]
        personal, kept = reader.name is not None, reader.name is None and bool(self.codes)
        return description(edition, reader, personal, kept, lambda text: personalise(text, values, Tally()))

    def identifier(self, reader: Reader) -> str:
        return book_identifier(self.collection, reader)

    def file_name(self, reader: Reader, kind: str) -> str:
        """The name `ebookify build` gives this copy."""
        suffix = distinct_suffix(self.collection, self.options)
        path = output_paths(self.options, self.collection.title, [reader], suffix)[0]
        return (kepub_path(path) if kind == KEPUB else path).name


def label_of(code: str) -> str:
    meaning = FAMILIES.get(code)
    return f"{meaning[0].upper()}{meaning[1:]} ({code})" if meaning else f"The story's {code}"


def load_library(options: BuildOptions) -> Library:
    """Read, group and typeset the stories once, as `ebookify build` does with the same options."""
    profiles = load_readers(options.readers_file) if options.readers_file is not None else []
    collection = load(find_sources(options)).collection
    assert collection is not None  # without keep_going, a file that cannot be read stops the load
    editions = {personal: edition_of(collection, options, personal) for personal in (True, False)}
    codes = tuple(found.code for found in placeholders(editions[True]))
    settings, _ = book_settings(options, collection)
    return Library(options, collection, editions, settings, codes, tuple(profiles), Shared(placements(editions[True])))


def make_copy(library: Library, reader: Reader, kind: str) -> bytes:
    """One reader's book, as the bytes `ebookify build` (with --kepub for KEPUB) writes for them."""
    edition = library.editions[reader.name is not None]
    rendered, meta, cover, _ = prepare(edition, reader, library.settings, shared=library.shared)
    if kind == KEPUB:
        rendered = kepub_rendered(rendered)
    data, _ = packaged(rendered, meta, cover, Path(library.file_name(reader, kind)))
    return data


def typed_reader(library: Library, name: str, typed: Mapping[str, str]) -> Reader:
    """The reader the form describes, checked exactly as --name and --set are: empty fields are
    left out (their placeholders stay as written, as without --set); a field no story uses is refused."""
    checked = check_value(name, "the name")
    values: dict[str, str] = {}
    for field, value in typed.items():
        if field not in library.codes or field == NAME:
            raise EbookifyError(f"{field!r} is not one of this collection's fields")
        if value:
            values[field] = check_value(value, label_of(field))
    return Reader(checked, values)
