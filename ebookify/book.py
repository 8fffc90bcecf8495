"""One reader's copy: personalised, rendered and described, ready to package."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, partial

from .cover import GENERATED_COVER, SIZE, CoverImage, drawn_cover
from .epub import Metadata, packed_page
from .errors import EbookifyError
from .forked import in_worker, mapped
from .metadata import (
    DEFAULT_AUTHOR,
    book_identifier,
    book_languages,
    creators,
    description,
    publication_date,
    series_of,
)
from .model import Collection, Reader, Story
from .personalise import Places, Tally, personalise, places_of, reader_values
from .render import (
    Edition,
    Rendered,
    RenderedStory,
    StoryJob,
    StoryTemplate,
    fill,
    names_of,
    render,
    render_story,
    story_jobs,
    story_template,
)

# dcterms:modified must not be the wall clock, or no two builds would match; SOURCE_DATE_EPOCH is
# the reproducible-builds convention for choosing it.
_DEFAULT_MODIFIED = datetime(2000, 1, 1, tzinfo=UTC)
_LAST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z
_NOT_A_CHARACTER = re.compile(r"reader|^you$|^[a-z]/[a-z]$", re.IGNORECASE)
_SHIP_SEPARATOR = re.compile(r"\s+[x×]\s+|\s*[&,]\s*|\s+and\s+", re.IGNORECASE)
IN_PROGRESS = "In Progress"  # the tag calibre users filter by to see which books to rebuild


@dataclass(frozen=True)
class BookSettings:
    """What every reader's copy shares, beyond the stories."""

    language: str | None = None  # None: each work's own
    author: str | None = None
    series: str | None = None  # None: the lone work's AO3 series, or the Wattpad book
    series_index: int | None = None  # None: the lone work's "Part N", else 1
    user_cover: CoverImage | None = None
    user_css: bytes = b""  # --css, checked: added after our stylesheet


def prepare(
    collection: Collection,
    reader: Reader,
    settings: BookSettings,
    drawn: Callable[[], CoverImage] | None = None,
    keep_pages: bool = True,
    shared: Shared | None = None,
) -> tuple[Rendered, Metadata, Callable[[], CoverImage], Tally]:
    """Personalise and render one reader's copy, ready to package (as EPUB, or as KEPUB too). The
    cover comes as the function that gives it: `drawn`, if given, gives the drawn cover (made by
    another process from cover_lines(), say, while this one renders and packages, until the zip
    needs its bytes), else it is drawn here. Pages rendered by workers come packed for the zip
    (epub.packed_page), and without their XHTML unless `keep_pages` (a KEPUB is made from it).
    `shared`, for a book made for many readers, has what their copies share (Shared)."""
    tally = Tally()
    values = reader_values(reader.name, reader.values)
    known = shared.places if shared else None

    def change(text: str) -> str:
        return personalise(text, values, tally, known)

    def quietly(text: str) -> str:  # for metadata that repeats what the pages say: counted once
        return personalise(text, values, Tally())

    title = change(collection.title)
    user_cover = settings.user_cover
    cover: Callable[[], CoverImage]
    meanwhile: Callable[[], object]
    if user_cover:
        cover, meanwhile = (lambda: user_cover), _nothing
    elif drawn:
        cover, meanwhile = drawn, _nothing
    else:  # drawn here while the stories render on the other cores, if they do
        cover = meanwhile = cache(partial(drawn_cover, cover_lines(collection, reader)))
    cover_file, cover_size = (user_cover.file_name, user_cover.size) if user_cover else (GENERATED_COVER, SIZE)
    names = creators(collection, settings.author)
    languages, one_language = _languages(collection, settings)
    # The title page names the creators the library lists, but never the stand-in "Unknown".
    shown = settings.author or names_of([n for n, _ in names if n != DEFAULT_AUTHOR])
    edition = Edition(
        title,
        shown,
        reader.name,
        languages[0],
        cover_file,
        one_language,
        cover_size,
        settings.user_css,
    )
    render_stories = partial(
        _render_stories, change=change, tally=tally, meanwhile=meanwhile, keep_pages=keep_pages, shared=shared
    )
    # Fills the tally: what was personalised.
    rendered = render(collection, edition, change, render_stories)
    series, position = series_of(collection)
    series = settings.series or series
    meta = Metadata(
        identifier=book_identifier(collection, reader),
        title=title,
        creators=names,
        languages=languages,
        description=description(
            collection, reader, sum(tally.replaced.values()) > 0, sum(tally.missing.values()) > 0, quietly
        ),
        subjects=subjects(collection),
        sources=tuple(dict.fromkeys(s.work.url for s in collection.stories if s.work and s.work.url)),
        modified=_modified(),
        series=quietly(series) if series else None,
        series_index=settings.series_index or (None if settings.series else position) or 1,
        published=publication_date(collection),
        cover_file=cover_file,
    )
    return rendered, meta, cover, tally


def _languages(collection: Collection, settings: BookSettings) -> tuple[tuple[str, ...], bool]:
    """Every copy's languages (the first is its own), and whether --language makes it the only one."""
    return book_languages(collection, settings.language), settings.language is not None


def cover_lines(collection: Collection, reader: Reader) -> tuple[str, str | None]:
    """What a reader's drawn cover says: the title, personalised, and "for" the reader."""
    title = personalise(collection.title, reader_values(reader.name, reader.values), Tally())
    return title, f"for {reader.name}" if reader.name else None


def _nothing() -> None:
    pass


@dataclass
class Shared:
    """What the copies of a book made for many readers share: where the placeholders are in its
    texts (worked out once, before the workers fork: personalise.places_of), and each story's
    template (render.story_template), made by each process for its first copy."""

    places: dict[str, Places] = field(default_factory=dict)
    templates: dict[tuple[int, str, str, int], tuple[Story, StoryTemplate | None]] = field(default_factory=dict)

    def make_templates(self, collection: Collection, settings: BookSettings) -> None:
        """Each story's template, and where the placeholders are in its paragraphs, worked out now,
        on all cores, by this process before it forks the ones making the copies: each of them
        would otherwise make all the templates for its first copy. The stories are laid out as
        prepare() lays out every copy's (the Edition's languages)."""
        languages, one_language = _languages(collection, settings)
        jobs = story_jobs(collection, languages[0], one_language)
        made = mapped(_placed_template, jobs, _story_size, _PARALLEL_CHARACTERS)
        for job, (places, template) in zip(jobs, made, strict=True):
            self.places.update(zip(slashed_texts(job.story), places, strict=True))
            self.templates[_template_key(job)] = job.story, template

    def rendered_story(self, job: StoryJob, change: Callable[[str], str]) -> RenderedStory:
        """render_story(job, change), from the story's template where it has one."""
        key = _template_key(job)
        if key not in self.templates:
            self.templates[key] = job.story, story_template(job, self.personal)
        template = self.templates[key][1]
        if template is None:
            return _rendered_story(job, change)
        changed = [change(text) for text in template.texts]
        for text, times in zip(template.texts, template.changes, strict=True):
            for _ in range(times - 1):  # counted in the tally as often as render_story changes it
                change(text)
        if template.alike(changed):
            return fill(template, changed)
        # The copy differs from its template: the story as render_story makes it, with its texts
        # as changed (and counted) already.
        as_changed = dict(zip(template.texts, changed, strict=True))
        return render_story(job, lambda text: as_changed.get(text, text))

    def personal(self, text: str) -> bool:
        """Whether a reader's copy may change `text`: it holds a placeholder."""
        places = self.places.get(text)
        return bool(places if places is not None else places_of(text))


def _placed_template(job: StoryJob) -> tuple[list[Places], StoryTemplate | None]:
    """Where the placeholders are in each of the story's paragraphs that may hold one (in the
    order of slashed_texts: only they cross back from a worker, not the texts), and its template."""
    texts = slashed_texts(job.story)
    places = {text: places_of(text) for text in texts}
    template = story_template(job, Shared(places).personal)
    return [places[text] for text in texts], template


def slashed_texts(story: Story) -> list[str]:
    """The texts of the story's blocks that may hold a placeholder (Chapter.slashed), in order."""
    return [block.text for part in story.parts for block in part.slashed]


def _template_key(job: StoryJob) -> tuple[int, str, str, int]:
    return id(job.story), job.stem, job.lang, job.level  # the story is kept (Shared.templates): its id stays its own


# Below about this many characters of stories (a 100,000-word book), rendering on one core is
# quicker than starting workers for it.
_PARALLEL_CHARACTERS = 500_000


def _render_stories(
    jobs: list[StoryJob],
    change: Callable[[str], str],
    tally: Tally,
    meanwhile: Callable[[], object],
    keep_pages: bool,
    shared: Shared | None = None,
) -> list[RenderedStory]:
    """Each story rendered (render_story), on all cores for a long book, while this process does
    `meanwhile`. A worker's count of what it personalised comes back with its pages and is added
    to `tally`."""

    def counted(job: StoryJob) -> tuple[RenderedStory, Counter[str], Counter[str]]:
        replaced, missing = Counter(tally.replaced), Counter(tally.missing)
        pages, entry = shared.rendered_story(job, change) if shared else _rendered_story(job, change)
        # Packed by whichever process rendered them; here, only a page given in pieces, too long to hold.
        made = [packed_page(page, keep_pages) if in_worker() or page.pieces else page for page in pages], entry
        added = (tally.replaced - replaced, tally.missing - missing)
        tally.replaced, tally.missing = replaced, missing  # as before: the caller adds what it did
        return made, *added

    made = []
    for story, replaced, missing in mapped(counted, jobs, _story_size, _PARALLEL_CHARACTERS, meanwhile):
        tally.replaced.update(replaced)
        tally.missing.update(missing)
        made.append(story)
    return made


def _rendered_story(job: StoryJob, change: Callable[[str], str]) -> RenderedStory:
    return render_story(job, change, _only_with_a_slash(change), in_pieces=True)


def _only_with_a_slash(change: Callable[[str], str]) -> Callable[[list[str]], list[str]]:
    """`change` for many paragraphs, called only for those with a slash: personalise() leaves any
    other as it is, and most paragraphs of a book hold no placeholder."""
    return lambda texts: [change(text) if "/" in text else text for text in texts]


def _story_size(job: StoryJob) -> int:
    return sum(part.characters for part in job.story.parts)


def subjects(collection: Collection) -> tuple[str, ...]:
    """The library's tags, once each: for Wattpad stories the characters named in their tags
    ("Mara Voss x Reader" -> "Mara Voss"); for AO3 works their fandoms, relationships, characters,
    additional tags, rating, warnings and categories, and "In Progress" if one is unfinished. Tag
    values are metadata: a tag "Y/N" is never personalised."""
    found: list[str] = []
    for story in collection.stories:
        work = story.work
        if work is None:
            names = (name.strip() for name in _SHIP_SEPARATOR.split(story.who))
            found += (name for name in names if name and not _NOT_A_CHARACTER.search(name))
        else:
            found += [*work.fandoms, *work.relationships, *work.characters, *work.freeforms]
            found += [*([work.rating] if work.rating else []), *work.warnings, *work.categories]
    if any(s.work is not None and s.work.unfinished for s in collection.stories):
        found.append(IN_PROGRESS)
    return tuple(dict.fromkeys(found))


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
