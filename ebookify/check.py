"""The dry run: everything a build would find, without writing a book."""

from __future__ import annotations

from dataclasses import dataclass

from .build import BuildOptions, edition_of, find_sources, load, reading_warnings, value_warnings
from .errors import EbookifyError
from .metadata import story_language
from .model import Collection, Reader, Stats, Story
from .personalise import FAMILIES, NAME_CODES, reader_values
from .places import collapse
from .survey import Found, placeholders, unbalanced_quotes


@dataclass(frozen=True)
class CheckReport:
    collection: Collection | None
    placeholders: tuple[Found, ...]
    readers: tuple[Reader, ...]
    warnings: tuple[str, ...]
    errors: tuple[str, ...]

    def value_for(self, reader: Reader, code: str) -> str | None:
        return reader_values(reader.name, reader.values).get(code)

    def filled(self, code: str) -> list[Reader]:
        return [r for r in self.readers if self.value_for(r, code) is not None]

    def lacking(self, code: str) -> list[Reader]:
        """Readers with no value for `code`; the neutral edition keeps the name's on purpose."""
        return [
            r for r in self.readers if self.value_for(r, code) is None and not (r.name is None and code in NAME_CODES)
        ]

    def to_json(self) -> dict:
        collection = self.collection
        return {
            "title": collection.title if collection else None,
            "stories": [_story_json(s) for s in collection.stories] if collection else [],
            "placeholders": [self._found_json(f) for f in self.placeholders],
            "readers": [{"name": r.name, "values": r.values} for r in self.readers],
            "warnings": list(self.warnings),
            "errors": list(self.errors),
        }

    def _found_json(self, found: Found) -> dict:
        lacking = self.lacking(found.code)
        # A reader in neither list is the neutral edition (name null), which keeps "Y/N" as written.
        return {
            "code": found.code,
            "meaning": FAMILIES.get(found.code),
            "count": found.count,
            "first": {
                "file": found.first.source,
                "line": found.first.line,
                "chapter": found.first.chapter,  # an AO3 work's chapter and paragraph; null otherwise
                "paragraph": found.first.paragraph,
                "where": found.first.within,
            },
            "has_value_for": [r.name for r in self.filled(found.code)],
            "missing_for": [r.name for r in lacking],
        }


def check(options: BuildOptions) -> CheckReport:
    """Parse every file (collecting every error, not just the first) and survey the result."""
    try:
        sources = find_sources(options)
    except EbookifyError as exc:
        return CheckReport(None, (), (), (), (str(exc),))
    readers = sources.readers
    loaded = load(sources, keep_going=True)
    collection = loaded.collection
    if collection is None:
        return CheckReport(None, (), readers, sources.notes, loaded.errors)
    found = placeholders(edition_of(collection, options, personal=any(r.name is not None for r in readers)))
    warnings = reading_warnings(options, collection) + unbalanced_quotes(collection)
    warnings += value_warnings(options, readers, found)
    return CheckReport(collection, found, readers, collapse(warnings), loaded.errors)


def _story_json(story: Story) -> dict:
    return {
        "title": story.title,
        "who": story.who,
        "book": story.group,  # as a reader names it: the Wattpad book, or the AO3 series
        "authors": list(story.work.authors) if story.work else [],
        "language": story_language(story),  # None: not said (Wattpad), or a name ebookify does not know
        "words": story.words,
        "stats": _stats_json(story.stats),
        "parts": [
            {"part": p.part, "file": p.source, "words": p.words, "stats": _stats_json(p.stats)} for p in story.parts
        ],
    }


def _stats_json(stats: Stats | None) -> dict | None:
    return None if stats is None else {"reads": stats.reads, "votes": stats.votes, "comments": stats.comments}
