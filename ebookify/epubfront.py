"""The front and back matter of the EPUBs fan-fiction tools make, recognised and read as what they
say about the work, never as chapters.

Each tool writes its own pages around the story (their templates are described in
tests/fixtures/epub/README.md):
- AO3 (calibre splitting AO3's HTML download): a preface (tags, summary, notes) and an afterword;
  epubstory.py hands those to the AO3 HTML reader, so an AO3 EPUB reads exactly as its HTML.
- FanFicFare: title_page.xhtml ("<b>Label:</b> value<br/>" lines) and log_page.xhtml (its update log).
- FicHub: introduction.xhtml (title, "By:", the summary, "Status:", "Published:", …, "Original source:").
- WebToEpub: a cover page, and an "Information" page (the story's address and the site's details).
- Wattpad downloaders: a cover page and a title page that are only the cover picture; the tags in
  the OPF's <meta name="tags">.
Every tool's cover, title and nav pages in the spine are left out too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, NavigableString, Tag

from .ao3 import _TAG_FIELDS, _chapter_count, _date, number
from .ao3text import _clean, story_blocks
from .epubin import Meta, Package, unescape_once
from .languages import _AO3_LANGUAGES
from .marks import LINE_BREAK
from .model import BlockKind

AO3, FANFICFARE, FICHUB, WEBTOEPUB, WATTPAD, EPUB = "AO3", "FanFicFare", "FicHub", "WebToEpub", "Wattpad", "EPUB"
_FRONT_NAMES = re.compile(r"(?:^|/)(?:cover|title_?page|title-page|titlepage|toc|nav|contents)\.x?html?$", re.I)
_FRONT_TITLES = {"cover", "title page", "table of contents", "contents"}
_FRONT_WORDS = 150
_STATS = ("kudos", "comments", "hits", "bookmarks", "reviews", "favs", "favorites", "follows")
_FFF_JUNK = re.compile(r"^(?:last update|fanfiction$|completed$|in-progress$)", re.I)


@dataclass
class Doc:
    """One spine document, parsed."""

    path: str
    soup: BeautifulSoup
    title: str | None  # its title in the table of contents

    @property
    def body(self) -> Tag:
        return self.soup.find("body") or self.soup

    def classes(self) -> list[str]:
        return list(self.body.get_attribute_list("class") or []) if self.body.name == "body" else []

    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1].casefold()


@dataclass
class Fields:
    """What the front matter (or the OPF) says, in WorkMeta's terms, as it is gathered."""

    title: str | None = None
    url: str | None = None
    authors: list[str] = field(default_factory=list)
    rating: str | None = None
    lists: dict[str, list[str]] = field(default_factory=dict)  # warnings, categories, fandoms, …
    language: str | None = None
    series: list[tuple[str, int | None]] = field(default_factory=list)
    words: int | None = None
    summary: str | None = None
    stats: list[tuple[str, str]] = field(default_factory=list)
    published: str | None = None
    updated: str | None = None
    completed: str | None = None
    chapters: tuple[int, int | None] | None = None
    status: str | None = None  # "complete" or "in progress", where a tool says it in words
    said: list[str] = field(default_factory=list)  # warnings about the front matter's text (a remote image)

    def add(self, name: str, values: list[str]) -> None:
        self.lists.setdefault(name, [])
        self.lists[name] += [v for v in values if v and v not in self.lists[name]]


def recognise(package: Package, docs: list[Doc]) -> str:
    """Which tool made the EPUB, from what it writes into every book."""
    meta = package.meta
    said = " ".join([*meta.contributors, *meta.identifiers, meta.generator, meta.publisher or ""]).casefold()
    if "archive of our own" in (meta.publisher or "").casefold() and any(
        d.soup.find(id="preface") or d.soup.find(id="chapters") for d in docs
    ):
        return AO3
    if "fanficfare" in said or any("fff_titlepage" in d.classes() or "fff_chapter" in d.classes() for d in docs):
        return FANFICFARE
    if "webtoepub" in said:
        return WEBTOEPUB
    if any(d.name() == "introduction.xhtml" and d.soup.find("a", href=re.compile(r"fichub\.net")) for d in docs):
        return FICHUB
    if "tags" in meta.named or ("mature" in meta.named and "completed" in meta.named):
        return WATTPAD
    return EPUB


def is_front_matter(tool: str, doc: Doc) -> bool:
    """A page that is about the book, not of it: every tool's cover, title and contents pages,
    and each tool's own pages."""
    title = (doc.title or "").casefold()
    if (_FRONT_NAMES.search(doc.path) or title in _FRONT_TITLES) and _short(doc):
        return True
    if tool == FANFICFARE:
        return bool({"fff_titlepage", "fff_logpage"} & set(doc.classes())) or doc.name() in (
            "title_page.xhtml",
            "log_page.xhtml",
        )
    if tool == FICHUB:
        return doc.name() == "introduction.xhtml"
    if tool == WEBTOEPUB:
        return is_information_page(doc)
    return False


def is_information_page(doc: Doc) -> bool:
    """WebToEpub's first page: "Information", then the story's address (a chapter that happens to
    be called "Information" has no address line)."""
    heading = doc.body.find(["h1", "h2"])
    titled = heading is not None and _clean(heading.get_text()) == "Information"
    return titled and "table of contents url" in _clean(doc.body.get_text()).casefold()


def _short(doc: Doc) -> bool:
    """A cover, title or contents page says little; a chapter called "Cover" says more."""
    return len(_clean(doc.body.get_text()).split()) <= _FRONT_WORDS


def starts_a_work(tool: str, doc: Doc) -> bool:
    """A page that opens a work: in an anthology (EpubMerge's, or any tool's run of books in one
    file), each work has its own."""
    if tool == FANFICFARE:
        return "fff_titlepage" in doc.classes() or doc.name() == "title_page.xhtml"
    if tool == FICHUB:
        return doc.name() == "introduction.xhtml"
    if tool == WEBTOEPUB:
        return is_information_page(doc)
    return False


def front_fields(tool: str, front: list[Doc], meta: Meta, source: str, whole: bool) -> Fields:
    """The work's fields from its front matter, with the OPF filling what the pages do not say
    (in an anthology, the OPF speaks for the whole book: only its language is each work's)."""
    fields = Fields()
    for doc in front:
        if tool == FANFICFARE and starts_a_work(tool, doc):
            _fanficfare_title_page(doc, fields, source)
        elif tool == FICHUB and starts_a_work(tool, doc):
            _fichub_introduction(doc, fields, source)
        elif tool == WEBTOEPUB and is_information_page(doc):
            _webtoepub_information(doc, fields, source)
    if whole:
        _from_opf(tool, meta, fields, source)
    fields.language = fields.language or language_name(meta.language)
    return fields


def _from_opf(tool: str, meta: Meta, fields: Fields, source: str) -> None:
    fields.authors = fields.authors or list(meta.creators)
    fields.url = fields.url or next((s for s in meta.sources if s.startswith(("http://", "https://"))), None)
    if fields.summary is None and meta.description:
        fields.summary = _summary(description_text(meta.description, source), fields)
    if not fields.series and meta.series:
        fields.series.append(meta.series)
    if not fields.lists:
        subjects = [s for s in meta.subjects if not (tool == FANFICFARE and _FFF_JUNK.match(s))]
        tags = [t.strip() for t in meta.named.get("tags", "").split(",")]
        fields.add("freeforms", subjects + tags)
    if tool == WATTPAD and fields.status is None and meta.named.get("completed") in ("0", "1"):
        fields.status = "complete" if meta.named["completed"] == "1" else "in progress"
    # A date without an event is the publication's (EPUB 3 has no events), but WebToEpub's is the
    # day it packed the book, and calibre's 0101-01-01 is "not known".
    dated = dict(meta.dates)
    date = dated.get("publication") or (dated.get("") if tool != WEBTOEPUB else None) or ""
    fields.published = fields.published or (_date(date[:10]) if not date.startswith("0") else None)


def language_name(value: str | None) -> str | None:
    """The OPF's language as AO3 names it ("en" -> "English"), so that it reads as an AO3 work's
    does; a name ("English", as a Wattpad downloader writes) stays; an unknown tag stays as written."""
    if not value:
        return None
    wanted = value.strip().split("-")[0].casefold()
    for name, tag in _AO3_LANGUAGES.items():
        if tag.casefold() == wanted:
            return name.title()  # the list is kept casefolded: "english" -> "English", "français" -> "Français"
    return value.strip()


def description_text(text: str, source: str) -> tuple[str | None, list[str]]:
    """The OPF's description, its paragraphs kept: HTML (escaped into the OPF, as calibre and
    ebooklib write it) through the allow-list, or plain text split at its line breaks; and its
    warnings."""
    if re.search(r"<(?:p|div|br)\b", text, re.I):
        return _summary_of(BeautifulSoup(text, "html.parser"), source)
    texts = [" ".join(line.split()) for line in text.splitlines()]
    return LINE_BREAK.join(t for t in texts if t) or None, []


def _summary_of(tag: Tag, source: str) -> tuple[str | None, list[str]]:
    """The paragraphs of `tag` as one summary, and the warnings about them."""
    blocks, warnings = story_blocks(tag, source)
    return LINE_BREAK.join(b.text for b in blocks if b.kind is BlockKind.PARAGRAPH and b.text) or None, warnings


def _summary(found: tuple[str | None, list[str]], fields: Fields) -> str | None:
    """A summary found, its warnings kept with the fields."""
    summary, said = found
    fields.said += said
    return summary


# -- FanFicFare ----------------------------------------------------------------------------------

_FFF_LISTS = {
    "category": "fandoms",
    "genre": "freeforms",
    "characters": "characters",
    "relationships": "relationships",
    "warnings": "warnings",
    "freeform tags": "freeforms",
    "additional tags": "freeforms",
}


def _fanficfare_title_page(doc: Doc, fields: Fields, source: str) -> None:
    """'<h3><a href=URL>Title</a> by <a class="authorlink">Name</a></h3>', then '<b>Label:</b> value<br/>'
    lines (the labels FanFicFare's titlepage_entries give)."""
    heading = doc.body.find("h3")
    if heading is not None:
        first = heading.find("a")
        fields.title = _clean(first.get_text()) if first is not None else _clean(heading.get_text())
        fields.authors = [_clean(a.get_text()) for a in heading.find_all("a", class_="authorlink")]
        link = heading.find("a", href=True)
        fields.url = (
            str(link["href"]) if link is not None and "authorlink" not in link.get_attribute_list("class") else None
        )
    for label, value in _labelled_lines(doc.body):
        _fanficfare_field(label, value, fields, source)


def _labelled_lines(body: Tag) -> list[tuple[str, Tag]]:
    """Each '<b>Label:</b> value' of a page, the value gathered up to the next <br/> or label."""
    found = []
    for bold in body.find_all("b"):
        label = _clean(bold.get_text())
        if not label.endswith(":"):
            continue
        value = BeautifulSoup("", "html.parser").new_tag("div")
        for sibling in list(bold.next_siblings):
            if isinstance(sibling, Tag) and (sibling.name in ("br", "b", "p")):
                break
            value.append(sibling.extract() if isinstance(sibling, Tag) else NavigableString(str(sibling)))
        found.append((label.rstrip(":").strip().casefold(), value))
    return found


def _fanficfare_field(label: str, value: Tag, fields: Fields, source: str) -> None:
    text = _clean(value.get_text())
    if label == "summary":
        fields.summary = _summary(_summary_of(value, source), fields)
    elif label in _FFF_LISTS:
        fields.add(_FFF_LISTS[label], [unescape_once(t.strip()) for t in text.split(",")])
    else:
        _common_field(label, text, fields)


def _common_field(label: str, text: str, fields: Fields) -> None:
    """The labels several tools share (FanFicFare's, FicHub's, AO3's)."""
    if label == "rating" or label == "rated":
        fields.rating = text or None
    elif label == "language":
        fields.language = text or None
    elif label == "status":
        fields.status = "complete" if text.casefold() in ("completed", "complete") else "in progress"
    elif label in ("published", "updated", "completed"):
        setattr(fields, label, _date(text[:10]))
    elif label == "words":
        fields.words = number(text)
    elif label == "chapters":
        fields.chapters = _chapter_count(text) or ((n, None) if (n := number(text)) is not None else None)
    elif label in ("story url", "original source", "table of contents url"):
        fields.url = text or fields.url
    elif label == "series":
        found = re.fullmatch(r"(.+?)\s*\[(\d{1,6})\]", text)
        fields.series.append((found.group(1), int(found.group(2))) if found else (text, None))
    elif label in _STATS:
        fields.stats.append((label.title(), text))


# -- FicHub --------------------------------------------------------------------------------------


def _fichub_introduction(doc: Doc, fields: Fields, source: str) -> None:
    """h1 title, '<p><b>By: Name</b></p>', the summary's paragraphs, then 'Label: value' paragraphs;
    fanfiction.net's line "Rated: Fiction M - Language: English - Genre: … - Characters: …"."""
    summary: list[str] = []
    in_summary = False
    heading = doc.body.find("h1")
    fields.title = _clean(heading.get_text()) if heading is not None else None
    for paragraph in doc.body.find_all("p"):
        text = _clean(paragraph.get_text())
        label, _, value = text.partition(":")
        key = label.strip().casefold()
        if key == "by":
            fields.authors, in_summary = [value.strip()], True
        elif key == "rated" and " - " in value:
            for pair in text.split(" - "):
                name, _, item = pair.partition(":")
                _fichub_field(name.strip().casefold(), item.strip(), fields)
        elif key in _FICHUB_LABELS:
            in_summary = False
            link = paragraph.find("a", href=True)
            _common_field(key, str(link["href"]) if link is not None else value.strip(), fields)
        elif in_summary and text:
            blocks, said = story_blocks(paragraph, source)
            summary += [b.text for b in blocks if b.kind is BlockKind.PARAGRAPH]
            fields.said += said
    fields.summary = LINE_BREAK.join(summary) or None


_FICHUB_LABELS = (
    "status",
    "published",
    "updated",
    "words",
    "chapters",
    "original source",
    "exported with the assistance of",
)


def _fichub_field(label: str, value: str, fields: Fields) -> None:
    if label == "rated":
        fields.rating = value.removeprefix("Fiction ").strip() or None
    elif label == "genre":
        fields.add("freeforms", [g.strip() for g in value.split("/")])
    elif label == "characters":
        fields.add("characters", [c.strip() for c in value.split(",")])
    else:
        _common_field(label, value, fields)


# -- WebToEpub -----------------------------------------------------------------------------------


def _webtoepub_information(doc: Doc, fields: Fields, source: str) -> None:
    """'<h1>Information</h1>', '<p><b>Table of Contents URL: </b>address</p>', then what the site's
    page said about the story: tag lists (dt/dd, as AO3's) and the summary's text."""
    for bold in doc.body.find_all("b"):
        if _clean(bold.get_text()).casefold().startswith("table of contents url"):
            line = bold.parent if bold.parent is not None and bold.parent.name == "p" else bold
            fields.url = _clean(line.get_text()).partition(":")[2].strip() or fields.url
            line.decompose()
    _take_tag_lists(doc.body, fields)
    heading = doc.body.find(["h1", "h2"])
    if heading is not None:
        heading.decompose()
    fields.summary = _summary(_summary_of(doc.body, source), fields)


def _take_tag_lists(body: Tag, fields: Fields) -> None:
    """AO3's dt/dd tag lists (Rating, Fandom, Relationship, …) as fields, taken out of the page."""
    for dt in body.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        name = _TAG_FIELDS.get(_clean(dt.get_text()).rstrip(":").casefold())
        if dd is not None and name in ("rating", "language"):
            setattr(fields, name, _clean(dd.get_text()))
        elif dd is not None and name and name not in ("series", "stats"):
            fields.add(name, [_clean(a.get_text()) for a in dd.find_all("a")] or [_clean(dd.get_text())])
        if dd is not None:
            dd.decompose()
        dt.decompose()
