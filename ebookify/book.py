"""One reader's copy: personalised, rendered and described, ready to package."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from .cover import CoverImage, generate_cover
from .epub import Metadata, package
from .errors import EbookifyError
from .model import Collection, Reader
from .personalise import Tally, personalise, reader_values
from .render import Edition, Rendered, render

# Readers deduplicate books by identifier: one derived from the collection and the reader makes a
# rebuild replace the old copy, while two friends' copies stay two books.
_ID_NAMESPACE = uuid.UUID("6f1d2c9e-6a47-5c1e-9f0b-3c9a7e2b8d41")
# dcterms:modified must not be the wall clock, or no two builds would match; SOURCE_DATE_EPOCH is
# the reproducible-builds convention for choosing it.
_DEFAULT_MODIFIED = datetime(2000, 1, 1, tzinfo=UTC)
_LAST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z
_NOT_A_CHARACTER = re.compile(r"reader|^you$|^[a-z]/[a-z]$", re.IGNORECASE)
_SHIP_SEPARATOR = re.compile(r"\s+[x×]\s+|\s*[&,]\s*|\s+and\s+", re.IGNORECASE)
DEFAULT_AUTHOR = "Unknown"


@dataclass(frozen=True)
class BookSettings:
    """What every reader's copy shares, beyond the stories."""

    language: str = "en"
    author: str | None = None
    series: str | None = None
    series_index: int = 1
    user_cover: CoverImage | None = None
    user_css: bytes = b""  # --css, checked: added after our stylesheet


def make_epub(collection: Collection, reader: Reader, settings: BookSettings) -> tuple[bytes, Tally]:
    """One reader's book, as bytes."""
    rendered, meta, cover, tally = prepare(collection, reader, settings)
    return package(rendered, meta, cover), tally


def prepare(
    collection: Collection, reader: Reader, settings: BookSettings
) -> tuple[Rendered, Metadata, CoverImage, Tally]:
    """Personalise and render one reader's copy, ready to package (as EPUB, or as KEPUB too)."""
    tally = Tally()
    values = reader_values(reader.name, reader.values)

    def change(text: str) -> str:
        return personalise(text, values, tally)

    def quietly(text: str) -> str:  # for metadata that repeats what the pages say: counted once
        return personalise(text, values, Tally())

    title = change(collection.title)
    cover = settings.user_cover or generate_cover(title, f"for {reader.name}" if reader.name else None)
    edition = Edition(
        title, settings.author, reader.name, settings.language, cover.file_name, cover.size, settings.user_css
    )
    author = settings.author or DEFAULT_AUTHOR
    meta = Metadata(
        identifier=book_identifier(collection.title, reader),
        title=title,
        author=author,
        author_sort=file_as(author),
        language=settings.language,
        description=_description([quietly(s.title) for s in collection.stories], reader),
        subjects=subjects(collection),
        sources=tuple(dict.fromkeys(s.work.url for s in collection.stories if s.work and s.work.url)),
        modified=_modified(),
        series=settings.series and quietly(settings.series),
        series_index=settings.series_index,
    )
    return render(collection, edition, change), meta, cover, tally


def file_as(author: str) -> str:
    """'Mara Voss' -> 'Voss, Mara', the form libraries sort by; one word, or a comma, stays."""
    words = author.split()
    return author if len(words) < 2 or "," in author else f"{words[-1]}, {' '.join(words[:-1])}"


def book_identifier(title: str, reader: Reader) -> str:
    return "urn:uuid:" + str(uuid.uuid5(_ID_NAMESPACE, f"{title}\0{reader.name or ''}"))


def subjects(collection: Collection) -> tuple[str, ...]:
    """The library's tags, once each: for Wattpad stories the characters named in their tags
    ("Mara Voss x Reader" -> "Mara Voss"); for AO3 works their fandoms, relationships, characters
    and additional tags. Tag values are metadata: a tag "Y/N" is never personalised."""
    found: list[str] = []
    for story in collection.stories:
        work = story.work
        if work is None:
            names = (name.strip() for name in _SHIP_SEPARATOR.split(story.who))
            found += (name for name in names if name and not _NOT_A_CHARACTER.search(name))
        else:
            found += [*work.fandoms, *work.relationships, *work.characters, *work.freeforms]
    return tuple(dict.fromkeys(found))


def _description(titles: list[str], reader: Reader) -> str:
    count = f"{len(titles)} reader-insert {'story' if len(titles) == 1 else 'stories'}"
    made = f", personalised for {reader.name}" if reader.name else ", unpersonalised edition"
    return f"{count}{made}: " + "; ".join(titles) + "."


def _modified() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return _DEFAULT_MODIFIED
    # ASCII digits only ("²".isdigit() is true), and no later than the last second of 9999: a
    # package date has four digits of year.
    shown = epoch if len(epoch) <= 40 else epoch[:40] + "…"
    if not re.fullmatch(r"[0-9]+", epoch):
        raise EbookifyError(f"SOURCE_DATE_EPOCH {shown!r} is not a whole number of seconds")
    if len(epoch) > 12 or int(epoch) > _LAST_EPOCH:
        raise EbookifyError(f"SOURCE_DATE_EPOCH {shown!r} is after the year 9999 (at most {_LAST_EPOCH})")
    return datetime.fromtimestamp(int(epoch), tz=UTC)
