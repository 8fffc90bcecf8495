"""What Kindle, Kobo, Apple Books, calibre and screen readers need beyond a valid EPUB."""

from __future__ import annotations

import io
import itertools
import zipfile

import pytest
from conftest import OPF_NS, assert_sound_epub, epub_opf, epub_pages, page_text, story_text
from PIL import Image
from test_cli import run

from ebookify.build import BuildOptions, build, file_as

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> bytes:
    root = tmp_path_factory.mktemp("ereaders")
    (root / "stories").mkdir()
    for name, title in [
        ("1.txt", "Ansel Quade x Reader - Lanterns (part 1/2)"),
        ("2.txt", "Iris - Pines"),
        ("3.txt", "Ansel Quade x Reader - Lanterns (part 2/2)"),
    ]:
        (root / "stories" / name).write_text(story_text(title))
    options = BuildOptions(stories=root / "stories", out_dir=root / "dist", names=("Sam",), author="Mara Voss")
    (written,) = build(options).written
    assert_sound_epub(written.path)  # EPUBCheck: books.py several-books
    return written.path.read_bytes()


def meta(data: bytes, **attributes: str) -> list[str]:
    query = "".join(f"[@{k.replace('_', '-')}='{v}']" for k, v in attributes.items())
    return [e.text or e.get("content") for e in epub_opf(data).iterfind(f".//opf:metadata/opf:meta{query}", OPF_NS)]


def test_series_both_ways(book):
    assert meta(book, property="belongs-to-collection", id="series") == ["Harbour Imagines"]
    assert meta(book, refines="#series", property="collection-type") == ["series"]
    assert meta(book, refines="#series", property="group-position") == ["1"]
    assert meta(book, name="calibre:series") == ["Harbour Imagines"]
    assert meta(book, name="calibre:series_index") == ["1"]


def test_author_sort_form_and_tags(book):
    opf = epub_opf(book)
    assert opf.findtext(".//dc:creator[@id='author']", namespaces=OPF_NS) == "Mara Voss"
    assert meta(book, refines="#author", property="file-as") == ["Voss, Mara"]
    assert [e.text for e in opf.iterfind(".//dc:subject", OPF_NS)] == ["Ansel Quade", "Iris"]
    assert opf.findtext(".//dc:description", namespaces=OPF_NS) == "2 stories, personalised for Sam: Lanterns; Pines."


@pytest.mark.parametrize(
    ("author", "sort"),
    [
        ("Mara Voss", "Voss, Mara"),
        ("Mara J. Voss", "Voss, Mara J."),
        ("Unknown", "Unknown"),
        ("Voss, Mara", "Voss, Mara"),
    ],
)
def test_file_as(author, sort):
    assert file_as(author) == sort


def test_accessibility_metadata(book):
    assert meta(book, property="schema:accessMode") == ["textual", "visual"]
    assert meta(book, property="schema:accessModeSufficient") == ["textual"]
    assert "tableOfContents" in meta(book, property="schema:accessibilityFeature")
    assert meta(book, property="schema:accessibilityHazard") == ["none"]
    assert meta(book, property="schema:accessibilitySummary")
    assert meta(book, property="dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]


def test_languages_everywhere(book):
    assert epub_opf(book).get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    for name, page in epub_pages(book).items():
        assert page.get("{http://www.w3.org/XML/1998/namespace}lang") == "en" == page.get("lang"), name


def test_landmarks_and_guide(book):
    nav = epub_pages(book)["EPUB/nav.xhtml"]
    landmarks = nav.find(f".//{XHTML}nav[@{EPUB_TYPE}='landmarks']")
    assert [(a.get(EPUB_TYPE), a.get("href")) for a in landmarks.iter(f"{XHTML}a")] == [
        ("cover", "cover.xhtml"),
        ("toc", "contents.xhtml"),
        ("bodymatter", "story-001.xhtml"),
    ]
    guide = epub_opf(book).findall(".//opf:guide/opf:reference", OPF_NS)
    assert [r.get("type") for r in guide] == ["cover", "toc", "text"]


def test_pages_say_what_they_are(book):
    pages = epub_pages(book)

    def types(name: str) -> list[tuple[str, str | None]]:
        return [(e.get(EPUB_TYPE), e.get("role")) for e in pages[name].iter() if e.get(EPUB_TYPE)]

    assert types("EPUB/cover.xhtml") == [("cover", None)]
    assert types("EPUB/title.xhtml") == [("titlepage", None)]
    assert types("EPUB/story-001.xhtml") == [("bodymatter", None), ("part", "doc-part")]
    assert types("EPUB/story-001-part-01.xhtml") == [("bodymatter", None), ("chapter", "doc-chapter")]
    cover = pages["EPUB/cover.xhtml"].find(".//{http://www.w3.org/2000/svg}svg")
    assert cover.get("aria-label") == "Cover: Harbour Imagines, for Sam" and cover.get("role") == "img"
    assert cover.findtext("{http://www.w3.org/2000/svg}title") == "Cover: Harbour Imagines, for Sam"


def test_headings_in_order_on_every_page(book):
    for name, page in epub_pages(book).items():
        levels = [
            int(e.tag[-1])
            for e in page.iter()
            if isinstance(e.tag, str) and e.tag[-2:-1] == "h" and e.tag[-1].isdigit()
        ]
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, name


def test_in_book_contents_follows_the_title_page(book):
    pages = epub_pages(book)
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        assert b"contents.xhtml" in archive.read("EPUB/content.opf")
    contents = pages["EPUB/contents.xhtml"]
    links = [(a.text, a.get("href")) for a in contents.iter(f"{XHTML}a")]
    assert links == [
        ("Lanterns", "story-001.xhtml"),
        ("Part 1", "story-001-part-01.xhtml"),
        ("Part 2", "story-001-part-02.xhtml"),
        ("Pines", "story-002.xhtml"),
    ]
    opf = epub_opf(book)
    spine = [r.get("idref") for r in opf.iterfind(".//opf:spine/opf:itemref", OPF_NS)]
    assert spine[:3] == ["cover", "title", "contents"]
    assert "Contents" in page_text(contents)


# The generated cover's format and size: test_build.test_generated_cover_is_a_real_cover.


@pytest.mark.parametrize(
    ("size", "mode", "fitted"),
    [((3200, 5120), "RGB", (1600, 2560)), ((4000, 2000), "RGBA", (1600, 800)), ((800, 1280), "RGB", (800, 1280))],
)
def test_user_cover_is_fitted_without_distortion(tmp_path, stories, size, mode, fitted):
    folder = stories({"1.txt": story_text()})
    (tmp_path / "covers").mkdir()
    Image.new(mode, size, (10, 120, 200)).save(tmp_path / "covers" / "harbour-imagines.png")
    options = BuildOptions(stories=folder, covers=tmp_path / "covers", out_dir=tmp_path / "dist")
    (written,) = build(options).written
    with zipfile.ZipFile(written.path) as archive:
        name = next(n for n in archive.namelist() if n.startswith("EPUB/cover.") and not n.endswith("xhtml"))
        image = Image.open(io.BytesIO(archive.read(name)))
    assert image.size == fitted
    assert_sound_epub(written.path)  # EPUBCheck: books.py user-covers


@pytest.mark.parametrize("side", [9000, 10_000])  # 10,000² is past the point where Pillow warns
def test_huge_cover_is_a_clear_error(tmp_path, stories, side):
    stories({"1.txt": story_text()})
    (tmp_path / "covers").mkdir()
    Image.new("1", (side, side)).save(tmp_path / "covers" / "cover.png")
    result = run(tmp_path, "build", "-n", "Sam")
    assert result.returncode == 1
    assert result.stderr == (
        f"ebookify: error: covers/cover.png is {side}×{side} pixels, more than 40 megapixels; "
        "use a smaller cover image\n"
    )


def test_series_options(tmp_path, stories):
    stories({"1.txt": story_text()})
    result = run(tmp_path, "build", "--series", "Sea Stories", "--series-index", "3", "-o", "x.epub")
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "x.epub").read_bytes()
    assert meta(data, name="calibre:series") == ["Sea Stories"]
    assert meta(data, refines="#series", property="group-position") == ["3"]
    bad = run(tmp_path, "build", "--series-index", "0")
    assert bad.stderr == "ebookify: error: --series-index 0 must be 1 or more\n"


def test_kepub_build_writes_both_books_valid_and_reproducible(tmp_path, stories):
    stories({"1.txt": story_text(body="One sentence. Another one!\nY/N smiled.")})
    result = run(tmp_path, "build", "--name", "Sam", "--kepub")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "dist/the-last-ferry-for-sam.epub",
        "dist/the-last-ferry-for-sam.kepub.epub",
    ]
    kepub = tmp_path / "dist" / "the-last-ferry-for-sam.kepub.epub"
    assert_sound_epub(kepub)  # EPUBCheck: books.py ao3-mix (its KEPUB)
    page = epub_pages(kepub.read_bytes())["EPUB/story-001.xhtml"]
    spans = [s.text for s in page.iter(f"{XHTML}span") if s.get("class") == "koboSpan"]
    assert "One sentence. " in spans and "Another one!" in spans and "Sam smiled." in spans
    first = kepub.read_bytes()
    assert run(tmp_path, "build", "--name", "Sam", "--kepub").returncode == 0
    assert kepub.read_bytes() == first
