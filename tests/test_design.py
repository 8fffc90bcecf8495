"""A book that looks published (issue 14): what the title page, a story's opening, notes, the
contents and the cover page hold, the generated cover's rule for letters its font lacks, and --css."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import assert_valid_epub, epub_opf, epub_pages, page_text
from PIL import Image

from ebookify.build import BuildOptions, build
from ebookify.cover import SIZE, _font, drawable, generate_cover

REPO = Path(__file__).resolve().parent.parent
AO3 = REPO / "tests" / "fixtures" / "ao3"
X = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"


def built(tmp_path_factory, name: str, stories: Path, **options):
    out = tmp_path_factory.mktemp(name)
    report = build(BuildOptions(stories=stories, covers=out / "none", out_dir=out, names=("Sam",), **options))
    (written,) = report.written
    return written.path, report.collection, epub_pages(written.path.read_bytes())


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return built(tmp_path_factory, "sample", REPO / "stories")


@pytest.fixture(scope="module")
def ao3(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ao3-stories")
    for fixture in ("multichapter.html", "oneshot.html"):
        shutil.copy(AO3 / fixture, folder / fixture)
    return built(tmp_path_factory, "ao3", folder, title="Harbour Works")


def one(page, path: str):
    found = page.findall(path.replace("x:", X))
    assert len(found) == 1, path
    return found[0]


def texts(page, path: str) -> list[str]:
    return [page_text(e).strip() for e in page.iterfind(path.replace("x:", X))]


# ---- Title page ----


def test_title_page_holds_title_ornament_dedication_and_extent(sample):
    _, collection, pages = sample
    page = one(pages["EPUB/title.xhtml"], ".//x:div[@class='title-page']")
    words = sum(story.words for story in collection.stories)
    assert [child.get("class") for child in page] == ["title", "ornament", "dedication", "extent"]
    assert page_text(one(page, "x:h1[@class='title']")) == "Saltmarsh Imagines"
    assert one(page, "x:div[@class='ornament']").get("aria-hidden") == "true"
    assert page_text(one(page, "x:p[@class='dedication']")) == "for Sam"
    assert page_text(one(page, ".//x:span[@class='reader-name']")) == "Sam"
    assert page_text(one(page, "x:p[@class='extent']")) == f"5 stories · {words:,} words"
    assert texts(page, "x:p[@class='author']") == []  # Wattpad pastes name no author


def test_title_page_names_the_ao3_authors(ao3):
    page = ao3[2]["EPUB/title.xhtml"]
    author = page_text(one(page, ".//x:p[@class='author']"))
    assert author == "marrowlight, Tamsin Reed & Wren at Dawn"  # pseuds, as the library lists them


# ---- A story's opening ----


def test_multipart_opening_page_carries_summary_and_info(sample):
    head = one(sample[2]["EPUB/story-001.xhtml"], ".//x:div[@class='story-head']")
    assert [child.get("class") for child in head] == ["story-title", "who", "summary", "info"]
    assert page_text(one(head, "x:p[@class='who']")) == "Ansel Quade x Reader"
    summary = one(head, "x:div[@class='summary']")
    assert texts(summary, "x:p") == [
        "Summary",
        "Sam L/N comes back to Saltmarsh for one summer and finds the old lighthouse lit again—by "
        "the boy who used to race you along the breakwater.",
    ]
    assert one(summary, "x:p[1]").get("class") == "summary-label"
    info = one(head, "x:dl[@class='info']")
    assert texts(info, "x:dt") == ["Stats", "Length"]
    assert texts(info, "x:dd") == ["23.7K reads · 1.1K votes · 96 comments", "3 parts · 1,368 words"]


def test_one_shot_info_sits_above_its_text(sample):
    section = one(sample[2]["EPUB/story-003.xhtml"], ".//x:section")
    assert section[0].get("class") == "story-head"
    assert section[0][-1].tag == f"{X}dl" and section[1].tag == f"{X}p"


def test_ao3_opening_lists_the_works_tags(ao3):
    head = one(ao3[2]["EPUB/story-001.xhtml"], ".//x:div[@class='story-head']")
    assert page_text(one(head, "x:p[@class='byline']")) == "by marrowlight & Tamsin Reed (tidewrack)"
    info = dict(zip(texts(head, ".//x:dt"), texts(head, ".//x:dd"), strict=True))
    assert info == {
        "Rating": "General Audiences",
        "Archive warning": "Creator Chose Not To Use Archive Warnings",
        "Categories": "Gen, F/M",
        "Fandom": "Harbour Lights (TV 2019)",
        "Relationship": "Callum Price/Reader",
        "Characters": "Callum Price, Reader, Mrs. Penhallow (Harbour Lights)",
        "Tags": "Reader-Insert, Y/N, Lighthouses, Storms, Hurt/Comfort, Small Town & Village Life",
        "Language": "English",
        "Series": "Part 2 of Harbour Lights",
        "Published": "2024-06-02",
        "Completed": "2024-06-30",
        "Words": "1,036",
        "Status": "complete, 3 chapters",
    }


def test_chapter_summary_is_set_like_the_works(ao3):
    pages = ao3[2]
    summaries = [
        p for name, p in pages.items() if "part" in name and p.find(f".//{X}div[@class='summary']") is not None
    ]
    assert summaries, "no chapter summary was set as a summary"
    for page in summaries:
        summary = one(page, ".//x:div[@class='summary']")
        assert one(summary, "x:p[1]").get("class") == "summary-label"


# ---- Notes ----


def test_wattpad_notes_are_labelled(sample):
    notes = sample[2]["EPUB/story-001-part-01.xhtml"].findall(f".//{X}div[@class='authors-note']")
    assert notes and all(note[0].get("class") == "note-label" for note in notes)
    assert {page_text(note[0]) for note in notes} == {"Author’s note"}


def test_ao3_notes_are_labelled_by_where_they_stand(ao3):
    labels = []
    for name in sorted(ao3[2]):
        for note in ao3[2][name].iterfind(f".//{X}div[@class='authors-note']"):
            labels.append(page_text(note[0]))
    assert "Notes" in labels and "End notes" in labels
    assert set(labels) == {"Notes", "End notes"}


# ---- Contents ----


def test_contents_give_each_story_its_ship_line_and_length(sample):
    contents = one(sample[2]["EPUB/contents.xhtml"], ".//x:nav/x:ol")
    first = contents[0]
    assert page_text(one(first, "x:a")) == "The Lantern Keeper"
    assert page_text(one(first, "x:span[@class='toc-who']")) == "Ansel Quade x Reader"
    assert page_text(one(first, "x:span[@class='toc-length']")) == "3 parts · 1,368 words"
    assert texts(first, "x:ol/x:li/x:a") == ["Part 1", "Part 2", "Part 3"]
    lengths = texts(contents, "x:li/x:span[@class='toc-length']")
    assert len(lengths) == 5 and all(length.endswith(" words") for length in lengths)


# ---- Cover page ----


def test_cover_page_fits_the_whole_cover_in_an_svg(sample):
    path, _, pages = sample
    svg = one(pages["EPUB/cover.xhtml"], f".//{SVG}svg")
    assert svg.get("viewBox") == f"0 0 {SIZE[0]} {SIZE[1]}"
    assert svg.get("preserveAspectRatio") == "xMidYMid meet"
    assert svg.get("role") == "img" and svg.get("aria-label") == "Cover: Saltmarsh Imagines, for Sam"
    image = one(svg, f"{SVG}image")
    assert image.get("{http://www.w3.org/1999/xlink}href") == "cover.jpg"
    manifest = epub_opf(path.read_bytes()).find(".//{*}item[@href='cover.xhtml']")
    assert manifest.get("properties") == "svg"


def test_cover_page_frames_a_users_cover_at_its_own_size(tmp_path, stories):
    folder = stories({"1.txt": "Mara Voss - The Last Ferry\n\nY/N ran.\n"})
    covers = tmp_path / "covers"
    covers.mkdir()
    Image.new("RGB", (300, 500), (10, 20, 30)).save(covers / "mine.png")
    report = build(BuildOptions(stories=folder, covers=covers, out_dir=tmp_path / "dist"))
    svg = one(epub_pages(report.written[0].path.read_bytes())["EPUB/cover.xhtml"], f".//{SVG}svg")
    assert svg.get("viewBox") == "0 0 300 500"
    assert_valid_epub(report.written[0].path)


# ---- The generated cover ----


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Saltmarsh Imagines", True),
        ("for Zoë — Œuvre, Straße", True),
        ("Ἀθῆναι and Москва", True),
        ("for 李小龙", False),
        ("for سارة", False),
        ("Tide 潮", False),
    ],
)
def test_drawable_knows_the_fonts_letters(text, expected):
    assert drawable(text, _font(100)) is expected
    assert drawable(text, _font(100, italic=True)) is expected


@pytest.mark.parametrize("name", ["李小龙", "سارة"])
def test_a_name_the_font_cannot_draw_is_left_off_the_cover(name):
    """Drawn, it would be .notdef boxes: the cover is then the cover with no dedication at all."""
    assert generate_cover("Tide Songs", f"for {name}").data == generate_cover("Tide Songs", None).data
    assert generate_cover("Tide Songs", "for Sam").data != generate_cover("Tide Songs", None).data


# Where a title's lines stand, left and right of the drawn ornaments' reach (x 540-1060).
TITLE_BANDS = ((150, 950, 500, 1300), (1100, 950, 1450, 1300))


@pytest.mark.parametrize("title", ["海边的故事与灯塔守护者", "حكايات البحر الطويلة في الصيف"])
def test_a_title_the_font_cannot_draw_leaves_the_title_band_empty(title):
    image = Image.open(io.BytesIO(generate_cover(title, "for Sam").data))
    for band in TITLE_BANDS:  # the plain ground, JPEG noise aside
        assert all(high - low < 16 for low, high in image.crop(band).getextrema()), band
    drawn = Image.open(io.BytesIO(generate_cover("Harbour Tales of Long Summers", "for Sam").data))
    for band in TITLE_BANDS:
        assert all(high - low > 100 for low, high in drawn.crop(band).getextrema()), band


def test_generated_cover_is_reproducible_and_the_palette_follows_the_title():
    first, again = generate_cover("Saltmarsh Imagines", "for Sam"), generate_cover("Saltmarsh Imagines", "for Sam")
    assert first.data == again.data
    grounds = {Image.open(io.BytesIO(generate_cover(t, None).data)).getpixel((20, 20)) for t in "ABCDEFGHIJ"}
    assert len(grounds) > 2


# ---- --css ----


def css_run(tmp_path: Path, css: str | None, name: str = "mine.css") -> subprocess.CompletedProcess[str]:
    if css is not None:
        (tmp_path / name).write_text(css)
    command = [sys.executable, "-m", "ebookify", "build", "--stories", str(REPO / "stories"), "--css", name]
    command += ["--covers", "none", "-o", "book.epub"]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_user_css_comes_after_ours(tmp_path):
    result = css_run(tmp_path, "/* mine */\np { text-indent: 0; margin-bottom: 0.6em; }\n")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "book.epub") as book:
        css = book.read("EPUB/style.css").decode()
    ours = (REPO / "ebookify" / "style.css").read_text()
    assert css.startswith(ours)
    assert css.endswith("/* mine */\np { text-indent: 0; margin-bottom: 0.6em; }\n")
    assert_valid_epub(tmp_path / "book.epub")


@pytest.mark.parametrize(
    ("css", "line"),
    [
        ('@import url("https://fonts.example/x.css");\n', "mine.css:1 loads 'https://fonts.example/x.css', a remote"),
        ("p {}\n@import 'http://x.example/a.css';\n", "mine.css:2 loads 'http://x.example/a.css', a remote"),
        ("/* a\ncomment */\n@font-face { src: url(//cdn.example/f.woff) }\n", "mine.css:3 loads '//cdn.example/"),
        ("body { background: url( 'paper.png' ) }\n", "mine.css:1 loads 'paper.png', a file not in the book"),
    ],
)
def test_css_that_loads_anything_is_refused_in_one_line(tmp_path, css, line):
    result = css_run(tmp_path, css)
    assert result.returncode != 0
    assert result.stderr.startswith(f"ebookify: error: {line}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "book.epub").exists()


def test_css_may_hold_data_and_commented_urls(tmp_path):
    css = "/* url(https://nowhere.example/x.woff) */\n.cover { background: url(data:image/png;base64,AA==) }\n"
    assert css_run(tmp_path, css).returncode == 0


@pytest.mark.parametrize(
    ("make", "line"),
    [
        (lambda path: path.mkdir(), "mine.css is a folder, not a file"),
        (lambda path: path.write_bytes(b"p {}\n" * 300_000), "mine.css is larger than 1 MB"),
        (lambda path: path.write_bytes(b"p { content: '\xff' }"), "mine.css is not UTF-8 text (byte 15)"),
        (lambda path: None, "mine.css does not exist"),
    ],
)
def test_css_goes_through_the_input_guard(tmp_path, make, line):
    make(tmp_path / "mine.css")
    result = css_run(tmp_path, None)
    assert result.returncode != 0 and result.stderr == f"ebookify: error: {line}\n"


# ---- Valid books ----


def test_sample_and_ao3_books_pass_epubcheck(sample, ao3):
    assert_valid_epub(sample[0])
    assert_valid_epub(ao3[0])
