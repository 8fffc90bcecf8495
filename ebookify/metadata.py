"""What a book says about itself, taken from its works: creators, languages, identity, description,
series and date. AO3 works name all of these; Wattpad stories name none, and get the defaults."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable

from .languages import DEFAULT_LANGUAGE, language_tag
from .marks import LINE_BREAK, MARK
from .model import Collection, Reader, Story

DEFAULT_AUTHOR = "Unknown"
VARIOUS = "Various"
MAX_CREATORS = 5  # more than this, and a library's author column would be a list: "Various"
# Readers deduplicate books by identifier: one derived from the works and the reader makes a
# rebuild replace the old copy, while two collections, or two friends' copies, stay two books.
_ID_NAMESPACE = uuid.UUID("6f1d2c9e-6a47-5c1e-9f0b-3c9a7e2b8d41")
_PSEUD = re.compile(r"^(?P<pseud>.+?)\s+\((?P<user>[^()]+)\)$")


def creators(collection: Collection, given: str | None) -> tuple[tuple[str, str], ...]:
    """(name, file-as) of each creator. --author wins; else the AO3 works' creators, once each,
    when every story names them (a story that names nobody could be anyone's: "Various"), up to
    MAX_CREATORS; "Unknown" when no story names anyone."""
    if given is not None:
        return ((given, file_as(given)),)
    per_story = [story.work.authors if story.work else () for story in collection.stories]
    names = list(dict.fromkeys(creator_name(a) for authors in per_story for a in authors))
    if not names:
        return ((DEFAULT_AUTHOR, DEFAULT_AUTHOR),)
    if not all(per_story) or len(names) > MAX_CREATORS:
        return ((VARIOUS, VARIOUS),)
    # An AO3 name is a chosen handle, not a given name and surname: filed as written.
    return tuple((name, name) for name in names)


def creator_name(byline: str) -> str:
    """AO3 writes a pseud that is not its user's name as 'Tamsin Reed (tidewrack)': the work is
    published under the pseud, which is the name a library shows."""
    match = _PSEUD.match(byline)
    return match.group("pseud") if match else byline


def file_as(author: str) -> str:
    """'Mara Voss' -> 'Voss, Mara', the form libraries sort by; one word, or a comma, stays."""
    words = author.split()
    return author if len(words) < 2 or "," in author else f"{words[-1]}, {' '.join(words[:-1])}"


def story_language(story: Story) -> str | None:
    """The BCP 47 tag of an AO3 work's Language field, or None (a Wattpad story, an unknown name)."""
    return language_tag(story.work.language) if story.work else None


def book_languages(collection: Collection, given: str | None) -> tuple[str, ...]:
    """--language alone when given; else each language of the stories once, the most used first."""
    if given is not None:
        return (given,)
    used = Counter(story_language(s) or DEFAULT_LANGUAGE for s in collection.stories)
    return tuple(sorted(used, key=lambda tag: -used[tag]))  # sorted is stable: ties in story order


def language_warnings(collection: Collection) -> tuple[str, ...]:
    """One warning per AO3 language name that is not in AO3's list as ebookify knows it."""
    unknown: dict[str, str] = {}
    for story in collection.stories:
        name = story.work.language if story.work else None
        if name and story_language(story) is None:
            unknown.setdefault(name, story.parts[0].source)
    return tuple(
        f"{source} has Language {name!r}, which ebookify does not know: its pages are marked as "
        f"{DEFAULT_LANGUAGE}; give the right code with --language"
        for name, source in unknown.items()
    )


def work_keys(collection: Collection) -> tuple[str, ...]:
    """What makes each story itself: an AO3 work's id, else its title and tag. A new chapter of a
    work keeps its key; another work in the folder makes another collection."""
    keys = []
    for story in collection.stories:
        work_id = story.work.work_id if story.work else None
        keys.append(f"ao3:{work_id}" if work_id else "story:" + " ".join(f"{story.title}\0{story.who}".split()))
    return tuple(keys)


def book_identifier(collection: Collection, reader: Reader) -> str:
    source = "\n".join([collection.title, reader.name or "", *work_keys(collection)])
    return "urn:uuid:" + str(uuid.uuid5(_ID_NAMESPACE, source))


def description(
    collection: Collection, reader: Reader, personalised: bool, kept: bool, change: Callable[[str], str]
) -> str:
    """A one-work book's own summary. A collection's list of its works, which says "personalised
    for Sam" only when something in it was, and "unpersonalised" only when placeholders were kept."""
    stories = collection.stories
    summary = stories[0].synopsis if len(stories) == 1 else None
    if summary:
        return _plain_paragraphs(change(summary))
    count = f"{len(stories)} {'story' if len(stories) == 1 else 'stories'}"
    made = f", personalised for {reader.name}" if personalised and reader.name else ""
    made = made or (", unpersonalised edition" if kept and reader.name is None else "")
    return f"{count}{made}: " + "; ".join(_plain_paragraphs(change(s.title)) for s in stories) + "."


def _plain_paragraphs(text: str) -> str:
    return MARK.sub("", text.replace(LINE_BREAK, "\n"))


def series_of(collection: Collection) -> tuple[str | None, int | None]:
    """A lone AO3 work's series and its "Part N"; the Wattpad book a collection comes from. A book
    holding several works of one AO3 series is that series, not a part of it: none."""
    stories = collection.stories
    if len(stories) == 1 and stories[0].work is not None:
        return stories[0].work.series[0] if stories[0].work.series else (None, None)
    groups = [g.title for g in collection.groups if g.title]
    if len(groups) == 1 and not all(s.work for s in stories):
        return groups[0], None
    return None, None


def publication_date(collection: Collection) -> str | None:
    """A one-work book was published when its work was (AO3's Published date)."""
    stories = collection.stories
    return stories[0].work.published if len(stories) == 1 and stories[0].work else None
