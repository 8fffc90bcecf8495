"""AO3 work pages saved from a browser (File → Save Page As, "HTML only" or "complete") -> the
same Story as the work's "Download → HTML" file gives.

A work page is the site around the work: menus, the login form, kudos, comments, share and
download boxes, skins, scripts, "Next Chapter →". The work itself sits in fixed places
(otwarchive's works/show.html.erb and chapters/_chapter.html.erb; tests/fixtures/ao3/README.md
section 5): dl.work.meta holds the tags and stats, div#workskin the title, byline, summary, notes,
the chapters and the end notes. Only those places are moved, unchanged, into a tree shaped like a
download, which ao3.read_download then reads: a page and a download of one work are read by the
same code, so they make the same book. Nothing else on the page is looked at.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from .ao3 import _chapter_label, _clean, _text_of, read_download
from .model import Story

_WORK_LINK = re.compile(r"^(?:https?://(?:www\.)?archiveofourown\.org)?/works/(\d+)(?:[/?#]|$)")
_SAVED_FROM = re.compile(r"saved from url=\(\d+\)\s*https?://(?:www\.)?archiveofourown\.org/works/(\d+)")
_STATS_KEPT = ("published", "status", "words", "chapters")  # a download's Stats: no kudos, hits, comments
_POSTED = re.compile(r"^\s*(\d+)\s*/")


def looks_like_saved_page(soup: BeautifulSoup) -> bool:
    """A work page has AO3's work header (dl.work.meta) and div#chapters, and no download preface."""
    return (
        soup.find(id="preface") is None
        and soup.select_one("dl.work.meta") is not None
        and soup.find("div", id="chapters") is not None
    )


def read_saved_page(soup: BeautifulSoup, source: str) -> tuple[Story, list[str]]:
    """The work on a saved page; a page showing one chapter of several gives that chapter, and a
    warning that names what is missing."""
    chapters = soup.find("div", id="chapters")
    assert isinstance(chapters, Tag)  # looks_like_saved_page found it
    shown = chapters.find_all("div", class_="chapter", id=re.compile(r"^chapter-\d+$"), recursive=False)
    posted = _posted_chapters(soup)
    one_of_several = len(shown) == 1 and (
        (posted is not None and posted > 1) or soup.select_one("ul.work.navigation li.chapter.entire") is not None
    )
    story, warnings = read_download(_as_download(soup, chapters, shown), source)
    if not one_of_several:
        return story, warnings
    number = int(str(shown[0]["id"]).removeprefix("chapter-"))
    of = f" of {posted}" if posted else ""
    warnings.append(f"{source} shows chapter {number}{of} only; use Entire Work or Download → HTML for the rest")
    heading = _clean(_text_of(_first(shown[0], "div.preface h3.title"))) or None
    chapter = replace(story.parts[0], part=number, label=_chapter_label(heading, number))
    return replace(story, parts=(chapter,)), warnings


def _as_download(page: BeautifulSoup, chapters: Tag, shown: list[Tag]) -> BeautifulSoup:
    """A tree in the shape of a download (see ao3.py), holding the page's own elements."""
    out = BeautifulSoup("", "html.parser")
    skin = page.find(id="workskin") or chapters.parent
    preface = _first(skin, "div.preface.group") or out.new_tag("div")
    title = _clean(_text_of(_first(preface, "h2.title")))
    meta = _new(out, "div", {"class": "meta"})
    meta.append(_tags(out, page.select_one("dl.work.meta")))
    meta.append(_new(out, "h1", {}, title))
    meta.append(_byline(out, _first(preface, "h3.byline")))
    _labelled(out, meta, "Summary", _first(preface, "div.summary blockquote.userstuff"))
    _labelled(out, meta, "Notes", _first(preface, "div.notes blockquote.userstuff"))
    head = _new(out, "div", {"id": "preface"}, _message(out, title, _work_id(page)), meta)
    body = _new(out, "div", {"id": "chapters", "class": "userstuff"})
    for chapter in shown:
        _add_chapter(out, body, chapter)
    if not shown:
        text = chapters.find("div", class_="userstuff", recursive=False)
        if text is not None:
            body.append(_without_landmarks(text))
    afterword = _new(out, "div", {"id": "afterword"})
    _labelled(out, afterword, "End Notes", _first(skin, "#work_endnotes blockquote.userstuff"))
    out.extend([head, body, afterword])
    return out


def _add_chapter(out: BeautifulSoup, body: Tag, chapter: Tag) -> None:
    """chapters/_chapter.html.erb: div.chapter.preface.group (h3.title, div.summary, div.notes),
    div.userstuff.module (an h3.landmark "Chapter Text", then the text), and the end notes in a
    second div.chapter.preface.group."""
    parts = chapter.find_all("div", recursive=False)
    preface = next((p for p in parts if _has_class(p, "preface") and not p.select_one(".end.notes")), None)
    group = _new(out, "div", {"class": "meta group"})
    group.sourceline = chapter.sourceline  # so that an error about the chapter names its line
    heading = _first(preface, "h3.title") if preface else None
    group.append(_new(out, "h2", {"class": "heading"}, _clean(_text_of(heading))))
    if preface is not None:
        _labelled(out, group, "Chapter Summary", _first(preface, "div.summary blockquote.userstuff"))
        _labelled(out, group, "Chapter Notes", _first(preface, "div.notes blockquote.userstuff"))
    body.append(group)
    text = next((p for p in parts if _has_class(p, "userstuff")), None)
    if text is not None:
        body.append(_without_landmarks(text))
    end = _first(chapter, "div.end.notes blockquote.userstuff")
    if end is not None:
        notes = _new(out, "div", {"class": "meta"})
        _labelled(out, notes, "Chapter End Notes", end)
        body.append(notes)


def _without_landmarks(text: Tag) -> Tag:
    """The chapter's text without AO3's hidden "Chapter Text" / "Work Text:" heading."""
    for landmark in text.find_all("h3", class_="landmark", recursive=False):
        landmark.decompose()
    return text.extract()


def _tags(out: BeautifulSoup, work_meta: Tag | None) -> Tag:
    """dl.work.meta -> a download's dl.tags: the same labels, the tags as links, the stats as text."""
    tags = _new(out, "dl", {"class": "tags"})
    for dt in work_meta.find_all("dt", recursive=False) if work_meta is not None else ():
        dd = dt.find_next_sibling("dd")
        if dd is None:
            continue
        classes = dt.get_attribute_list("class")
        if "stats" in classes:
            value: list[Tag | str] = [_stats(dd)]
        elif "series" in classes:
            value = _series(out, dd)
        elif "language" in classes:
            value = [_clean(dd.get_text())]
        else:
            value = _links(out, dd)
        tags.append(_new(out, "dt", {}, _clean(dt.get_text())))
        tags.append(_new(out, "dd", {k: v for k, v in dd.attrs.items() if k == "lang"}, *value))
    return tags


def _links(out: BeautifulSoup, dd: Tag) -> list[Tag | str]:
    value: list[Tag | str] = []
    for link in dd.find_all("a"):
        value += [", "] if value else []
        value.append(_new(out, "a", {"href": link.get("href") or ""}, _clean(link.get_text())))
    return value or [_clean(dd.get_text())]


def _series(out: BeautifulSoup, dd: Tag) -> list[Tag | str]:
    """Each span.position "Part 2 of <a>Name</a>" (older: "Part 2 of the <a>Name</a> series"),
    without the previous and next work links, as a download writes it."""
    value: list[Tag | str] = []
    for position in dd.select("span.position"):
        number = re.search(r"\d+", position.get_text())
        link = position.find("a")
        if number is None or link is None:
            continue
        value += [", "] if value else []
        value += [
            f"Part {number.group()} of\n",
            _new(out, "a", {"href": link.get("href") or ""}, _clean(link.get_text())),
        ]
    return value


def _stats(dd: Tag) -> str:
    """The stats a download has, "Published: 2024-06-02 Completed: … Words: 1,036 Chapters: 3/3"."""
    pairs = []
    for dt in dd.find_all("dt"):
        value = dt.find_next_sibling("dd")
        if value is not None and any(_has_class(dt, kept) for kept in _STATS_KEPT):
            pairs.append(f"{_clean(dt.get_text())} {_clean(value.get_text())}")
    return "\n".join(pairs)


def _byline(out: BeautifulSoup, byline: Tag | None) -> Tag:
    """h3.byline's author links (or "Anonymous") as a download's div.byline "by …"."""
    line = _new(out, "div", {"class": "byline"}, "by ")
    authors = byline.find_all("a", rel="author") if byline is not None else []
    for n, author in enumerate(authors):
        line.extend([", "] if n else [])
        line.append(_new(out, "a", {"rel": "author", "href": author.get("href") or ""}, _clean(author.get_text())))
    if not authors:
        line.append(_clean(_text_of(byline)))
    return line


def _message(out: BeautifulSoup, title: str, work_id: str | None) -> Tag:
    message = _new(out, "p", {"class": "message"}, _new(out, "b", {}, title))
    if work_id is not None:
        url = f"https://archiveofourown.org/works/{work_id}"
        message.extend([" Posted originally on the Archive of Our Own at ", _new(out, "a", {"href": url}, url), "."])
    return message


def _work_id(page: BeautifulSoup) -> str | None:
    """The work's number, from where the page itself names its work: the address a browser notes
    when it saves a page, the canonical link, AO3's own navigation and chapter links, the kudos
    form. Links inside the work's text are the author's, and may name other works."""
    for comment in page.find_all(string=lambda s: isinstance(s, Comment)):
        found = _SAVED_FROM.search(str(comment))
        if found:
            return found.group(1)
    for link in page.select("link[rel=canonical], ul.work.navigation a, div.chapter h3.title a"):
        found = _WORK_LINK.match(str(link.get("href", "")).strip())
        if found:
            return found.group(1)
    kudos = page.find("input", attrs={"name": "kudo[commentable_id]"})
    value = str(kudos.get("value", "")) if kudos is not None else ""
    return value if value.isdecimal() and value.isascii() else None


def _posted_chapters(page: BeautifulSoup) -> int | None:
    """The posted count of the stats' "Chapters: 3/10"."""
    chapters = page.select_one("dl.work.meta dl.stats dd.chapters")
    found = _POSTED.match(chapters.get_text()) if chapters is not None else None
    return int(found.group(1)) if found and len(found.group(1)) < 7 else None


def _labelled(out: BeautifulSoup, parent: Tag, label: str, quote: Tag | None) -> None:
    """A download writes each of its fields as <p>Label</p> then the blockquote."""
    if quote is not None:
        parent.extend([_new(out, "p", {}, label), quote.extract()])


def _new(out: BeautifulSoup, name: str, attrs: dict, *children: Tag | str) -> Tag:
    tag = out.new_tag(name, attrs=attrs)
    for child in children:
        tag.append(NavigableString(child) if isinstance(child, str) else child)
    return tag


def _has_class(tag: Tag, name: str) -> bool:
    return name in tag.get_attribute_list("class")


def _first(tag: Tag | None, selector: str) -> Tag | None:
    return tag.select_one(selector) if tag is not None else None
