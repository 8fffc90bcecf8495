"""EPUBs readers already have (AO3's, FanFicFare's, FicHub's, WebToEpub's, a Wattpad downloader's)
read as stories: chapters as their contents give them, front matter as metadata, never as chapters.
The books are made by tests/epubmaker.py in each tool's shape, with made-up text."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import OPF_NS, REPO, assert_sound_epub, epub_opf, epub_pages, invoke, page_text, story_text
from epubmaker import SHAPES, anthology_epub, ao3_epub_from_download, fanficfare_epub, fichub_epub, wattpad_epub

from ebookify.ao3 import read_download
from ebookify.build import BuildOptions, build
from ebookify.epubstory import read_epub
from ebookify.marks import LINE_BREAK, plain
from ebookify.model import BlockKind, Story

XHTML = "{http://www.w3.org/1999/xhtml}"
# What each tool writes around a story; none of it may reach a chapter.
APPARATUS = re.compile(
    r"Title Page|Update Log|Packaged|Information|Table of Contents URL|Exported with|Original source|"
    r"Preface|Afterword|Posted originally|drop by the Archive|Story URL|Cover",
)


def stories_of(tmp_path: Path, name: str, data: bytes, warnings: list[str] | None = None) -> list[Story]:
    path = tmp_path / f"{name}.epub"
    path.write_bytes(data)
    stories, said = read_epub(path, path.name)
    if warnings is not None:
        warnings += said
    return stories


def outline(story: Story) -> list[tuple[int | None, str | None, list[str], list[str]]]:
    """Each part: its number, its label, its notes and its paragraphs, as plain text."""
    return [
        (
            part.part,
            part.label,
            [plain(b.text) for b in part.blocks if b.kind is BlockKind.NOTE],
            [plain(b.text) for b in part.blocks if b.kind is BlockKind.PARAGRAPH],
        )
        for part in story.parts
    ]


# -- each tool's shape ---------------------------------------------------------------------------

EXPECTED = {
    # shape: (title, authors, chapter labels (None: a one-shot), summary paragraphs, series, language)
    "ao3": (
        "The Lantern Keeper",
        ("moth_and_ember",),
        ["1. Wick", "2. Oil", "3. Flame"],
        ["Every lantern in the town goes out at once.", "Only Y/N knows why."],
        (("Lantern Nights", 2),),
        "English",
    ),
    "fanficfare": (
        "Ashes and Embers",
        ("lumen_writes",),
        ["1. Ashes", "2. Embers"],
        ["A fire, a town.", "Y/N remembers."],
        (("Lantern Nights", 3),),
        "English",
    ),
    "fichub": (
        "Glass Harbour",
        ("quillfeather",),
        ["Night Watch", "Fog"],
        ["Two keepers, one lighthouse.", "Y/N takes the night watch."],
        (),
        "English",
    ),
    "webtoepub": (
        "Tidewrack",
        ("Pell Harrow",),
        ["Part One: Squall", "Part Two: Calm"],
        ["A sailor and a storm, told in two parts.", "Y/N keeps the log."],
        (("Storm Logs", 2),),
        "English",
    ),
    "wattpad": (
        "Pier Nights",
        ("saltandsea",),
        ["Meet Me at the Pier", "Tide Tables"],
        ["Summer at the pier.", "Two strangers."],
        (),
        "English",
    ),
}


@pytest.mark.parametrize("shape", sorted(EXPECTED))
def test_each_tool_shape_reads_as_one_story(tmp_path, shape):
    (story,) = stories_of(tmp_path, shape, SHAPES[shape]())
    title, authors, labels, summary, series, language = EXPECTED[shape]
    assert story.title == title
    assert story.work is not None and story.work.authors == authors
    assert [part.label for part in story.parts] == labels
    assert [part.part for part in story.parts] == list(range(1, len(labels) + 1))
    assert (story.synopsis or "").split(LINE_BREAK) == summary  # paragraphs kept
    assert story.work.series == series and story.group == (series[0][0] if series else None)
    assert story.work.language == language
    published = {"ao3": "2025-01-04", "fanficfare": "2025-03-01", "fichub": "2023-05-01", "wattpad": "2024-06-01"}
    assert story.work.published == published.get(shape)  # WebToEpub's dc:date is the day it packed the book
    for _, _, notes, texts in outline(story):
        assert texts and not any(APPARATUS.search(text) for text in notes + texts)


def test_ao3_epub_notes_series_and_split_chapter(tmp_path):
    (story,) = stories_of(tmp_path, "ao3", SHAPES["ao3"]())
    assert outline(story) == [
        (
            1,
            "1. Wick",
            ["Written for a winter exchange."],
            ["Y/N trimmed the wick with great care.", "Night came early."],
        ),
        (2, "2. Oil", ["Thank you for reading!"], ["The oil had gone cold in the jar."]),
        # calibre's two files of chapter 3 are one chapter; the work's end notes close it
        (3, "3. Flame", ["More soon, I promise."], ["Wren struck the match.", "And the flame held."]),
    ]
    work = story.work
    assert work is not None and work.url == "https://archiveofourown.org/works/70001234"
    assert (work.rating, work.fandoms, work.freeforms) == (
        "Teen And Up Audiences",
        ("Lanternfall (Web Series)",),
        ("Slow Burn", "Y/N"),
    )
    assert work.chapters == (3, 5) and work.unfinished and work.published == "2025-01-04"
    assert story.who == "Wren Okafor/Reader"


@pytest.mark.parametrize("fixture", ["multichapter.html", "oneshot.html", "unfinished.html", "formatting.html"])
def test_ao3_epub_reads_as_its_html_download(tmp_path, fixture):
    """AO3's EPUB is calibre's conversion of its HTML download: both make the same story."""
    html = (REPO / "tests" / "fixtures" / "ao3" / fixture).read_bytes()
    from_html = read_download(BeautifulSoup(html.decode("utf-8"), "html.parser"), fixture)[0]
    (from_epub,) = stories_of(tmp_path, "work", ao3_epub_from_download(html))
    assert (from_epub.title, from_epub.who, from_epub.group, from_epub.work) == (
        from_html.title,
        from_html.who,
        from_html.group,
        from_html.work,
    )
    assert outline(from_epub) == outline(from_html)
    assert [[(b.kind, b.text, b.align, b.heading) for b in p.blocks] for p in from_epub.parts] == [
        [(b.kind, b.text, b.align, b.heading) for b in p.blocks] for p in from_html.parts
    ]


def test_fanficfare_title_page_fields_and_notes(tmp_path):
    (story,) = stories_of(tmp_path, "fff", fanficfare_epub())
    work = story.work
    assert work is not None
    assert work.fandoms == ("Lanternfall (Web Series) & Other Lights",)  # unescaped once, not twice
    assert work.characters == ("Wren Okafor", "Reader") and work.relationships == ("Wren Okafor/Reader",)
    assert work.freeforms == ("Angst", "Slow Burn") and work.warnings == ("No Archive Warnings Apply",)
    assert (work.published, work.updated, work.words) == ("2025-03-01", "2025-03-09", 1204)
    assert work.chapters == (2, None) and work.unfinished  # "Status: In-Progress"
    assert work.url == "https://archiveofourown.org/works/70005678"
    assert ("Kudos", "12") in work.stats
    assert outline(story)[0][2] == ["First time writing for this fandom."]  # head notes before the text
    assert outline(story)[1][2] == ["See you next week."]  # foot notes after it


def test_fichub_introduction_fields(tmp_path):
    (story,) = stories_of(tmp_path, "fichub", fichub_epub())
    work = story.work
    assert work is not None
    assert (work.rating, work.words, work.published, work.updated) == ("T", 2048, "2023-05-01", "2023-06-11")
    assert work.freeforms == ("Romance", "Drama") and work.chapters == (2, 2) and not work.unfinished
    assert work.url == "https://www.fanfiction.net/s/9990001/1/Glass-Harbour"
    assert outline(story)[0][3] == ["The lamp turned and turned.", "Dawn."]  # the <h2> title is the chapter's, not text


def test_webtoepub_information_page_fields(tmp_path):
    (story,) = stories_of(tmp_path, "webtoepub", SHAPES["webtoepub"]())
    work = story.work
    assert work is not None and work.url == "https://example.org/story/tidewrack"  # the page's address line
    assert (work.rating, work.fandoms) == ("Mature", ("Storm Logs (Podcast)",))


def test_wattpad_downloader_tags_status_and_language_name(tmp_path):
    warnings: list[str] = []
    (story,) = stories_of(tmp_path, "wattpad", wattpad_epub(), warnings)
    work = story.work
    assert work is not None and work.freeforms == ("romance", "summer", "y/n")
    assert work.chapters == (2, 2)  # <meta name="completed" content="1">
    assert work.published == "2024-06-01"  # its dc:date, which names no event
    assert any("img.example.com" in w and "wattpad.epub, chapter 2, file EPUB/1_1002.xhtml" in w for w in warnings)


def test_anthology_gives_each_work_its_story(tmp_path):
    first, second = stories_of(tmp_path, "anthology", anthology_epub())
    assert (first.title, second.title) == ("Cinder Songs", "Salt Roads")
    assert first.work is not None and second.work is not None
    assert (first.work.authors, second.work.authors) == (("lumen_writes",), ("tidewalker",))
    assert second.work.url == "https://archiveofourown.org/works/70009999"
    assert (first.group, second.group) == ("Lantern Nights", None)  # each work its own series
    assert [p.label for p in first.parts] == ["1. Ashes", "2. Embers"]
    assert outline(second) == [(None, None, [], ["The road was white with salt."])]  # a one-shot


# -- a whole book ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> tuple[bytes, tuple[str, ...]]:
    """Wattpad text, an AO3 HTML download and every EPUB shape in one folder, built for Sam."""
    from books import epub_input_folder

    root = tmp_path_factory.mktemp("epub-mix")
    folder = epub_input_folder(root)
    report = build(BuildOptions(stories=folder, out_dir=root / "dist", names=("Sam",)))
    (written,) = report.written
    assert_sound_epub(written.path)  # EPUBCheck: books.py epub-input
    return written.path.read_bytes(), report.warnings


def test_mixed_book_has_every_work_in_file_order(mixed):
    """Works in file order, each AO3 series (from any source) gathered in the order of its parts."""
    data, _ = mixed
    nav = epub_pages(data)["EPUB/nav.xhtml"]
    top = nav.find(f".//{XHTML}ol")
    books = {
        page_text(li.find(f"{XHTML}a")): [page_text(a.find(f"{XHTML}a")) for a in li.iterfind(f"{XHTML}ol/{XHTML}li")]
        for li in top.iterfind(f"{XHTML}li")
    }
    assert books == {
        "Harbour Imagines": ["The Last Ferry"],
        "Harbour Lights": ["Where the Tide Turns"],
        "Lantern Nights": ["The Lantern Keeper", "Ashes and Embers", "Cinder Songs"],
        "Other Stories": ["Glass Harbour", "Pier Nights", "Salt Roads"],
        "Storm Logs": ["Tidewrack"],
    }


def test_mixed_book_text_is_personalised_and_has_no_apparatus(mixed):
    data, _ = mixed
    pages = epub_pages(data)
    chapters = [p for name, p in pages.items() if "/story-" in name]
    for info in (dl for page in chapters for dl in page.iter(f"{XHTML}dl")):
        info.getparent().remove(info)  # the tags, which may name Y/N: metadata, shown as tagged
    text = "\n".join(page_text(p) for p in chapters)
    assert "Sam trimmed the wick" in text and "Sam waited at the end of the pier" in text
    assert "Y/N" not in text
    for found in ("Exported with", "Table of Contents URL", "Update Log", "Posted originally", "Packaged"):
        assert found not in text


def test_mixed_book_metadata(mixed):
    data, warnings = mixed
    opf = epub_opf(data)
    subjects = [e.text for e in opf.iterfind(".//dc:subject", OPF_NS)]
    assert "Lanternfall (Web Series) & Other Lights" in subjects and "Slow Burn" in subjects
    assert not [s for s in subjects if "&amp;" in (s or "") or (s or "").startswith("Last Update")]
    sources = [e.text for e in opf.iterfind(".//dc:source", OPF_NS)]
    assert "https://www.fanfiction.net/s/9990001/1/Glass-Harbour" in sources
    assert "https://archiveofourown.org/works/70001234" in sources
    assert not any("0001_map.png" in w for w in warnings)  # a picture inside the EPUB is carried
    pages = epub_pages(data)
    (image,) = [
        i for p in pages.values() for i in p.iter(f"{XHTML}img") if i.get("alt") == "a hand-drawn map of the bay"
    ]
    manifest = {e.get("href"): e.get("media-type") for e in opf.iterfind(".//opf:item", OPF_NS)}
    assert manifest[image.get("src").removeprefix("../")] == "image/png"
    # the Wattpad downloader's picture on the web is not fetched: left out, with a warning
    assert any("img.example.com" in w for w in warnings)


def test_built_twice_is_byte_identical(tmp_path):
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "a.epub").write_bytes(fichub_epub())
    first = build(BuildOptions(stories=folder, out_dir=tmp_path / "one")).written[0].path.read_bytes()
    second = build(BuildOptions(stories=folder, out_dir=tmp_path / "two")).written[0].path.read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as book:
        assert b"div.figure" not in book.read("EPUB/style.css")  # no pictures, no rules for them


def test_epub_from_the_cli_with_wattpad_text(tmp_path):
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "01.txt").write_text(story_text(), encoding="utf-8")
    (folder / "02.epub").write_bytes(wattpad_epub())
    shutil.copy(REPO / "tests" / "fixtures" / "ao3" / "oneshot.html", folder / "03.html")
    result = invoke(tmp_path, "build", "-n", "Sam", "-o", "out.epub")
    assert result.returncode == 0, result.stderr
    assert_sound_epub(tmp_path / "out.epub")


def test_a_chapter_named_like_front_matter_stays_a_chapter(tmp_path):
    """A title page is short: a chapter called "Cover" or "Contents", or a WebToEpub chapter called
    "Information" without the address line, is a chapter."""
    from epubmaker import HTML, NCX, ncx, opf, package, page

    long = " ".join(["The rain kept on."] * 60)
    files = {
        "OEBPS/titlepage.xhtml": page("<h1>Undercover</h1><p>by someone</p>"),
        "OEBPS/cover.xhtml": page(f"<h1>Cover</h1><p>{long}</p>"),
        "OEBPS/ch2.xhtml": page("<h1>Information</h1><p>She had information.</p>"),
    }
    items = [("t", "titlepage.xhtml", HTML), ("c", "cover.xhtml", HTML), ("i", "ch2.xhtml", HTML), NCX]
    metadata = (
        "<dc:title>Undercover</dc:title><dc:language>en</dc:language><dc:identifier id='id'>u</dc:identifier>"
        "<dc:contributor>[https://github.com/dteviot/WebToEpub] (ver. 1.0)</dc:contributor>"
    )
    files["OEBPS/content.opf"] = opf(metadata, items, ["t", "c", "i"])
    files["OEBPS/toc.ncx"] = ncx(
        [("Title Page", "titlepage.xhtml"), ("Cover", "cover.xhtml"), ("Information", "ch2.xhtml")]
    )
    (story,) = stories_of(tmp_path, "undercover", package(files))
    assert [p.label for p in story.parts] == ["Cover", "Information"]


def test_any_epub_chapters_continued_subjects_and_collection(tmp_path):
    """An EPUB from no known tool: the OPF's metadata (subjects unescaped once, EPUB 3's
    belongs-to-collection), and a file the contents do not list continuing the chapter before it."""
    from epubmaker import HTML, nav, opf, package, page

    files = {
        "OEBPS/a.xhtml": page("<h2>One</h2><p>First half.</p>"),
        "OEBPS/b.xhtml": page("<p>Second half.</p>"),
        "OEBPS/c.xhtml": page("<h2>Two</h2><p>The end.</p>"),
        "OEBPS/nav.xhtml": nav([("One", "a.xhtml"), ("Two", "c.xhtml")]),
    }
    items = [("a", "a.xhtml", HTML), ("b", "b.xhtml", HTML), ("c", "c.xhtml", HTML), ("nav", "nav.xhtml", HTML)]
    metadata = (
        "<dc:title>Halves</dc:title><dc:language>de</dc:language><dc:identifier id='id'>h</dc:identifier>"
        "<dc:creator>Ilse Brandt</dc:creator><dc:subject>Sturm &amp;amp; Drang</dc:subject>"
        "<dc:subject>Kurz</dc:subject>"
        "<meta property='belongs-to-collection' id='c1'>Zwei Teile</meta>"
        "<meta refines='#c1' property='group-position'>4</meta>"
        "<dc:description>Eins.\n\nZwei.</dc:description>"
    )
    files["OEBPS/content.opf"] = opf(metadata, items, ["a", "b", "c"], "3.0", None, {"nav": "nav"})
    (story,) = stories_of(tmp_path, "halves", package(files))
    assert [(p.label, [b.text for b in p.blocks]) for p in story.parts] == [
        ("One", ["First half.", "Second half."]),
        ("Two", ["The end."]),
    ]
    work = story.work
    assert work is not None and work.freeforms == ("Sturm & Drang", "Kurz")
    assert work.series == (("Zwei Teile", 4),) and work.language == "Deutsch" and work.authors == ("Ilse Brandt",)
    assert (story.synopsis or "").split(LINE_BREAK) == ["Eins.", "Zwei."]
