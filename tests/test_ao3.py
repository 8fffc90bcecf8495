"""AO3 "Download → HTML" files: the tag block, chapters, notes, the allow-list, mixed builds."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import OPF_NS, REPO, assert_sound_epub, epub_opf, epub_pages, page_text, story_text
from test_cli import run

from ebookify.ao3 import _chapter_label, read_work
from ebookify.build import BuildOptions, build
from ebookify.errors import StoryError
from ebookify.marks import to_xhtml
from ebookify.model import BlockKind

FIXTURES = REPO / "tests" / "fixtures" / "ao3"
XHTML = "{http://www.w3.org/1999/xhtml}"


def work(name: str, warnings: list[str] | None = None):
    """The work in fixture `name`; its warnings are added to `warnings` when given."""
    story, said = read_work((FIXTURES / name).read_bytes(), name)
    if warnings is not None:
        warnings += said
    return story


def page_headed(pages: dict, heading: str):
    """The page whose first heading reads `heading`."""
    for page in pages.values():
        first = next(
            (e for e in page.iter() if isinstance(e.tag, str) and e.tag[-2:-1] == "h" and e.tag[-1].isdigit()), None
        )
        if first is not None and "".join(first.itertext()) == heading:
            return page
    raise AssertionError(f"no page headed {heading!r}")


def counts(story) -> list[tuple[str | None, int, int, int]]:
    """(label, paragraphs, scene breaks, notes) per chapter."""
    return [
        (
            p.label,
            *(sum(b.kind is kind for b in p.blocks) for kind in (BlockKind.PARAGRAPH, BlockKind.BREAK, BlockKind.NOTE)),
        )
        for p in story.parts
    ]


def test_oneshot_tags_and_text():
    story = work("oneshot.html")
    meta = story.work
    assert (story.title, meta.authors, meta.url) == (
        "The Cartographer's Apprentice",
        ("Wren at Dawn (dawnwren)",),
        "https://archiveofourown.org/works/48213907",
    )
    assert (meta.rating, meta.warnings, meta.categories) == (
        "Teen And Up Audiences",
        ("No Archive Warnings Apply",),
        ("F/M",),
    )
    assert meta.fandoms == ("Starfall Academy (Video Game)", "The Glass Orchard - Wren Hollis")
    assert meta.relationships == ("Professor Idris Vane/Reader",)
    assert meta.characters == ("Professor Idris Vane", "Reader", "Marisol Achterberg")
    assert meta.freeforms == ("Reader-Insert", "Y/N", "Female Reader", "Second Person", "Magical Maps", "Fluff")
    assert (meta.language, meta.series, meta.words) == ("English", (), 494)
    assert to_xhtml(meta.summary) == "Y/N was hired to ink the Professor's maps, not to <em>fall into</em> one."
    assert counts(story) == [(None, 22, 2, 3)]  # 2 spacers dropped; <hr/> and "* * *" are breaks
    assert not story.multipart


def test_oneshot_keeps_formatting_and_centring():
    blocks = [b for b in work("oneshot.html").parts[0].blocks if b.kind is BlockKind.PARAGRAPH]
    texts = [to_xhtml(b.text) for b in blocks]
    assert "<em>Y/N, you absolute fool,</em> you thought. <em>You applied for this.</em>" in texts
    centred = [t for b, t in zip(blocks, texts, strict=True) if b.centered]
    assert centred == ["<strong>STARFALL ACADEMY</strong><br/>Department of Impossible Geography"]
    assert any("refused to sit straight.<br/>The way you hummed" in t for t in texts)
    assert texts[0].startswith("The map room smelled") and texts[-1].startswith("Outside, the storm")


def test_multichapter_chapters_notes_and_series():
    warnings: list[str] = []
    story = work("multichapter.html", warnings)
    assert story.work.authors == ("marrowlight", "Tamsin Reed (tidewrack)")
    assert story.work.categories == ("Gen", "F/M")
    assert story.work.series == (("Harbour Lights", 2),)
    assert story.group == "Harbour Lights"  # grouped under its series, like a Wattpad book
    assert counts(story) == [("1. The Lighthouse", 15, 0, 3), ("Chapter 2", 13, 1, 1), ("3. Y/N's Choice", 13, 0, 0)]
    first = story.parts[0]
    assert first.synopsis == "The lamp goes dark, and the village sends you up the hill with soup."
    notes = [b.text for b in first.blocks if b.kind is BlockKind.NOTE]
    assert notes[0] == "L/N = last name, H/C = hair colour, F/N = first name"
    assert notes[2].startswith("Set a few months after part one.")
    end = story.parts[1].blocks[-1]
    assert end.kind is BlockKind.NOTE and end.text.startswith("The keeper's log entries are made up")
    assert warnings == [
        "multichapter.html, chapter 1, paragraph 5 has an image (https://example.com/x.png); "
        "left out, as ebookify fetches no picture from the web; its description is kept"
    ]
    all_text = " ".join(b.text for p in story.parts for b in p.blocks)
    assert "Chapter by" not in all_text and "color:" not in all_text


def test_older_download():
    story = work("old-format.html")
    meta = story.work
    assert (meta.authors, meta.url) == (("Anonymous",), "http://archiveofourown.org/works/2290417")
    assert meta.fandoms == ("Saltmarsh Chronicles (Web Series)", "Bellwether Bay - Odile Marchetti")
    assert meta.characters == ("Ezra Quill", "Reader", "Sybil Marsh", "The Bell-Ringer")
    assert meta.relationships == ("Ezra Quill & Reader", "Ezra Quill/Sybil Marsh")
    assert meta.series == (("Saltmarsh Stories", 1), ("Bells and Whistles", 3))
    assert meta.words == 454  # Chapters came before Words in the old Stats
    assert counts(story) == [("Low Tide", 10, 1, 3), ("Bell Weather", 10, 1, 1)]


@pytest.mark.parametrize(
    ("heading", "label"),
    [
        ("Chapter 1: The Lighthouse", "1. The Lighthouse"),
        ("Chapter 12:   Spaced  ", "12. Spaced"),
        ("Chapter 2", "Chapter 2"),
        ("chapter 3: lower", "3. lower"),
        ("Low Tide", "Low Tide"),  # older downloads: the bare title
        ("Chapter One", "Chapter One"),
        (None, "Chapter 4"),
    ],
)
def test_chapter_labels(heading, label):
    assert _chapter_label(heading, 4 if heading is None else 1) == label


TAGS = """<html><body><div id="preface"><p class="message">x <a href="https://archiveofourown.org/works/1">w</a></p>
<div class="meta"><dl class="tags">{dl}</dl><h1>T</h1><div class="byline">{byline}</div></div></div>
<div id="chapters" class="userstuff"><div class="userstuff"><p>Text.</p></div></div></body></html>"""


@pytest.mark.parametrize(
    ("dl", "field", "value"),
    [
        ("<dt>Rating:</dt><dd><a>Mature</a></dd>", "rating", "Mature"),
        ("<dt>Archive Warnings:</dt><dd><a>A</a>, <a>B</a></dd>", "warnings", ("A", "B")),
        ("<dt>Category:</dt><dd><a>F/M</a></dd>", "categories", ("F/M",)),
        ("<dt>Fandom:</dt><dd><a>One</a></dd>", "fandoms", ("One",)),
        ("<dt>Character:</dt><dd><a>Solo</a></dd>", "characters", ("Solo",)),
        ("<dt>Relationships:</dt><dd><a>A/B</a>, <a>A &amp; C</a></dd>", "relationships", ("A/B", "A & C")),
        ("<dt>Additional Tags:</dt><dd><a>Fluff</a></dd>", "freeforms", ("Fluff",)),
        ("<dt>Language:</dt><dd>Français</dd>", "language", "Français"),
        ("<dt>Series:</dt><dd>Part 3 of\n<a>Tides</a></dd>", "series", (("Tides", 3),)),
        ("<dt>Stats:</dt><dd>Published: 2020-01-01 Words: 12,345 Chapters: 1/1</dd>", "words", 12345),
        ("<dt>Stats:</dt><dd>Chapters: 2/2 Words: 900</dd>", "words", 900),
        ("<dt>Unknown Label:</dt><dd>x</dd>", "rating", None),
    ],
)
def test_tag_block(dl, field, value):
    story = read_work(TAGS.format(dl=dl, byline="by <a rel='author'>Me</a>").encode(), "t.html")[0]
    assert getattr(story.work, field) == value


@pytest.mark.parametrize(
    ("byline", "authors"), [("by <a>A</a>, <a>B</a>", ("A", "B")), ("by Anonymous", ("Anonymous",))]
)
def test_byline(byline, authors):
    assert read_work(TAGS.format(dl="", byline=byline).encode(), "t.html")[0].work.authors == authors


def test_not_an_ao3_download_is_refused():
    with pytest.raises(StoryError, match=r"^not-ao3\.html is not an AO3 download"):
        work("not-ao3.html")


def test_hostile_html_is_cleaned_to_the_allow_list():
    warnings: list[str] = []
    story = work("hostile.html", warnings)
    text = " ".join(to_xhtml(b.text) for b in story.parts[0].blocks)
    for gone in ("alert(1)", "alert(2)", "onclick", "iframe", "cannot play", "Send", "display: none", "javascript"):
        assert gone not in text, gone
    assert "claim your prize" in text
    assert '<script>alert("not really")</script>' in " ".join(b.text for b in story.parts[0].blocks)
    assert counts(story) == [(None, 7, 0, 0)]  # the data: image leaves its description
    assert '<span class="picture">[Picture: a tiny dot]</span>' in text
    assert "alert" not in (story.work.summary or "")
    assert len(warnings) == 2 and "embedded data: image" in warnings[0]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> tuple[Path, dict]:
    """Wattpad exports and AO3 downloads in one folder, built for Sam."""
    root = tmp_path_factory.mktemp("mixed")
    folder = root / "stories"
    shutil.copytree(REPO / "stories", folder)
    for name in ("oneshot.html", "multichapter.html", "hostile.html"):
        shutil.copy(FIXTURES / name, folder / f"20-{name}")
    options = BuildOptions(
        stories=folder, out_dir=root / "dist", names=("Sam",), values={"L/N": "Rivers", "E/C": "green"}
    )
    report = build(options)
    (written,) = report.written
    assert_sound_epub(written.path)  # EPUBCheck: books.py ao3-mix
    return written.path, {"warnings": report.warnings, "data": written.path.read_bytes()}


def test_mixed_build_groups_books_and_series(mixed):
    _, built = mixed
    nav = epub_pages(built["data"])["EPUB/nav.xhtml"]
    top = [li.find(f"{XHTML}a").text for li in nav.find(f".//{XHTML}ol").findall(f"{XHTML}li")]
    assert top == ["Saltmarsh Imagines", "Other Stories", "Harbour Lights"]
    opf = epub_opf(built["data"])
    assert opf.findtext(".//dc:title", namespaces=OPF_NS) == "Collected Stories"


def test_mixed_build_text_is_personalised_inside_formatting(mixed):
    _, built = mixed
    pages = epub_pages(built["data"])
    # A work's tags are metadata, shown as tagged: the tag "Y/N" stays in its opening's list of
    # tags (and the library's subjects), and nowhere else.
    for info in (dl for page in pages.values() for dl in page.iter(f"{XHTML}dl")):
        info.getparent().remove(info)
    everything = "\n".join(page_text(p) for p in pages.values())
    assert "Y/N" not in everything
    story = page_headed(pages, "The Cartographer’s Apprentice")
    ems = ["".join(e.itertext()) for e in story.iter(f"{XHTML}em")]
    assert "Sam, you absolute fool," in ems
    assert "“Hello”" not in ems and "Hello" in ems  # the quotes curl around the italics
    assert "you said, “Hello.”" in page_text(story)
    centred = [page_text(p) for p in story.iter(f"{XHTML}p") if "center" in (p.get("class") or "")]
    assert centred == ["STARFALL ACADEMYDepartment of Impossible Geography"]
    assert "Y/N = your name" not in page_text(story)  # the placeholder legend left out for Sam
    chapter_three = page_headed(pages, "3. Sam’s Choice")
    assert chapter_three.find(f".//{XHTML}h3") is not None  # book h1, story h2, chapter h3


def test_mixed_build_metadata(mixed):
    _, built = mixed
    opf = epub_opf(built["data"])
    subjects = [e.text for e in opf.iterfind(".//dc:subject", OPF_NS)]
    assert "Starfall Academy (Video Game)" in subjects and "Callum Price/Reader" in subjects and "Fluff" in subjects
    assert "Y/N" in subjects  # a tag stays a tag
    sources = [e.text for e in opf.iterfind(".//dc:source", OPF_NS)]
    assert sources == [  # in book order: the works outside a series, then the Harbour Lights series
        "https://archiveofourown.org/works/60215533",
        "https://archiveofourown.org/works/48213907",
        "https://archiveofourown.org/works/51377024",
    ]
    opener = page_headed(epub_pages(built["data"]), "Where the Tide Turns")
    info = opener.find(f".//{XHTML}dl[@class='info']")
    names, values = info.iter(f"{XHTML}dt"), info.iter(f"{XHTML}dd")
    shown = {page_text(name): page_text(value) for name, value in zip(names, values, strict=True)}
    assert shown["Rating"] == "General Audiences" and shown["Words"] == "1,036"
    assert shown["Archive warning"] == "Creator Chose Not To Use Archive Warnings"
    assert shown["Categories"] == "Gen, F/M"
    assert shown["Status"] == "complete, 3 chapters"
    assert shown["Series"] == "Part 2 of Harbour Lights"
    assert (shown["Published"], shown["Completed"]) == ("2024-06-02", "2024-06-30")
    assert "Updated" not in shown  # no date given: no row


def test_mixed_build_has_no_ao3_apparatus_or_active_content(mixed):
    _, built = mixed
    pages = epub_pages(built["data"])
    text = "\n".join(page_text(p) for p in pages.values())
    for apparatus in (
        "Posted originally",
        "See the end of the work",
        "Preface",
        "Afterword",
        "Please drop by",
        "Rating:",
        "Chapter Summary",
        "Chapter End Notes",
        "Chapter by",
    ):
        assert apparatus not in text, apparatus
    for page in pages.values():
        for element in page.iter():
            assert (
                not isinstance(element.tag, str)
                or element.tag.removeprefix(XHTML) not in ("script", "iframe", "object", "form", "img")
                or element.get("src") == "cover.jpg"
            )
            assert not any(a.startswith("on") for a in element.attrib)
    assert built["warnings"] and any("example.com/x.png" in w for w in built["warnings"])


def test_no_notes_leaves_ao3_notes_out(tmp_path):
    folder = tmp_path / "stories"
    folder.mkdir()
    shutil.copy(FIXTURES / "multichapter.html", folder)
    result = run(tmp_path, "build", "--no-notes", "-o", "x.epub")
    assert result.returncode == 0, result.stderr
    text = "\n".join(page_text(p) for p in epub_pages((tmp_path / "x.epub").read_bytes()).values())
    assert "keeper's log entries are made up" not in text and "Callum still hasn" not in text
    assert "Part two of Harbour Lights" not in text


def test_a_broken_html_file_is_one_line(tmp_path, stories):
    stories({"1.txt": story_text(), "2.html": (FIXTURES / "not-ao3.html").read_bytes()})
    result = run(tmp_path, "build", "-n", "Sam")
    assert result.returncode == 1
    assert result.stderr == (
        "ebookify: error: stories/2.html is not an AO3 download (it has no #preface and #chapters); "
        "save the work with AO3's Download → HTML\n"
    )


def test_wattpad_only_builds_never_import_bs4(tmp_path, stories):
    folder = stories({"1.txt": story_text()})
    code = (
        "import sys; from pathlib import Path; from ebookify.build import BuildOptions, build; "
        f"build(BuildOptions(stories=Path({str(folder)!r}), out_dir=Path({str(tmp_path / 'd')!r}))); "
        "print('bs4' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
