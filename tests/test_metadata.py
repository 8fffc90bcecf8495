"""The book says what its works say: title, creators, description, languages, series, dates,
identity and file names, from AO3 downloads (tests/fixtures/ao3, made-up works)."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import OPF_NS, assert_sound_epub, epub_opf, epub_pages, page_text, story_text
from hypothesis import given
from hypothesis import strategies as st

from ebookify.ao3 import number, read_work
from ebookify.build import BuildOptions, build, make_readers
from ebookify.languages import count_words, language_tag
from ebookify.metadata import creator_name
from ebookify.naming import output_paths, reader_stems

FIXTURES = Path(__file__).parent / "fixtures" / "ao3"
XHTML = "{http://www.w3.org/1999/xhtml}"
SERIES = ("series-1-second-tide.html", "series-2-first-tide.html")


def build_of(tmp_path: Path, files: tuple[str, ...], **options) -> tuple[Path, bytes, tuple[str, ...]]:
    folder = tmp_path / "stories"
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        shutil.copy(FIXTURES / name, folder / name)
    report = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist", **options))
    (written,) = report.written
    assert_sound_epub(written.path)  # EPUBCheck: books.py ao3-mix holds every AO3 fixture
    return written.path, written.path.read_bytes(), report.warnings


def dc(data: bytes, name: str) -> list[str]:
    return [e.text or "" for e in epub_opf(data).iterfind(f".//dc:{name}", OPF_NS)]


def meta(data: bytes, **attributes: str) -> list[str]:
    query = "".join(f"[@{k.replace('_', '-')}='{v}']" for k, v in attributes.items())
    return [e.text or e.get("content") for e in epub_opf(data).iterfind(f".//opf:metadata/opf:meta{query}", OPF_NS)]


@pytest.fixture(scope="module")
def lone_part_two(tmp_path_factory):
    return build_of(tmp_path_factory.mktemp("lone"), SERIES[:1], names=("Sam",))


def test_a_lone_work_in_a_series_is_titled_by_itself_and_placed_in_its_series(lone_part_two):
    path, data, _ = lone_part_two
    assert path.name == "the-second-tide-for-sam.epub"
    assert dc(data, "title") == ["The Second Tide"]
    assert meta(data, property="belongs-to-collection", id="series") == ["Saltglass Summers"]
    assert meta(data, refines="#series", property="group-position") == ["2"]
    assert meta(data, name="calibre:series_index") == ["2"]
    assert dc(data, "date") == ["2025-02-14"]
    assert dc(data, "creator") == ["quillfern"]
    assert meta(data, refines="#author", property="file-as") == ["quillfern"]  # a handle is filed as written


def test_a_lone_works_description_is_its_summary_personalised(lone_part_two):
    _, data, _ = lone_part_two
    assert dc(data, "description") == ["The ferry comes back for Sam, a year late."]


def test_two_works_of_one_series_never_share_identity(tmp_path):
    first = build_of(tmp_path / "a", SERIES[1:], names=("Sam",))
    second = build_of(tmp_path / "b", SERIES[:1], names=("Sam",))
    assert first[0].name != second[0].name
    assert dc(first[1], "identifier") != dc(second[1], "identifier")


def test_a_series_is_titled_by_the_series_in_part_order(tmp_path):
    path, data, _ = build_of(tmp_path, SERIES)
    assert dc(data, "title") == ["Saltglass Summers"]
    assert path.name == "saltglass-summers.epub"
    pages = epub_pages(data)
    titles = [page_text(pages[f"EPUB/story-00{n}.xhtml"].find(f".//{XHTML}h1")) for n in (1, 2)]
    assert titles == ["The First Tide", "The Second Tide"]  # Part 1 first, though its file sorts second
    assert dc(data, "description") == ["2 stories, unpersonalised edition: The First Tide; The Second Tide."]
    assert meta(data, property="belongs-to-collection") == []  # the book is the series, not a part of it
    assert dc(data, "date") == []


def test_a_collection_says_personalised_only_when_it_was(tmp_path):
    _, data, _ = build_of(tmp_path, ("chinese.html", "oneshot.html"), names=("Sam",))
    assert dc(data, "description")[0].startswith("2 stories, personalised for Sam: ")
    _, plain, _ = build_of(tmp_path / "plain", ("chinese.html", "unfinished.html"), names=("Sam",))
    # Neither summary nor text of these holds a placeholder but one: "Y/N means to find out who"
    assert "personalised for Sam" in dc(plain, "description")[0]
    _, nothing, _ = build_of(tmp_path / "none", ("chinese.html", SERIES[1]), values={}, names=("Sam",))
    assert dc(nothing, "description") == ["2 stories: 灯塔的夜班; The First Tide."]


def test_a_chinese_work_is_marked_chinese_and_counted_as_ao3_counts(tmp_path):
    path, data, warnings = build_of(tmp_path, ("chinese.html",))
    assert dc(data, "language") == ["zh"]
    assert path.name == "deng-ta-de-ye-ban.epub"  # transliterated, not a hash
    for name, page in epub_pages(data).items():
        if name.endswith(".xhtml") and "nav" not in name:
            assert page.get("lang") == "zh" and page.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh", name
    story = read_work((FIXTURES / "chinese.html").read_bytes(), "chinese.html")[0]
    assert story.parts[0].words == story.work.words == 44
    assert not warnings


def test_works_in_two_languages_list_both_and_keep_their_own_pages(tmp_path):
    _, data, _ = build_of(tmp_path, ("chinese.html", *SERIES))
    assert dc(data, "language") == ["en", "zh"]  # the most used first: the book's own
    pages = epub_pages(data)
    by_title = {page_text(p.find(f".//{XHTML}h2")): p.get("lang") for n, p in pages.items() if "story-" in n}
    assert by_title == {"灯塔的夜班": "zh", "The First Tide": "en", "The Second Tide": "en"}
    assert pages["EPUB/title.xhtml"].get("lang") == "en"


def test_the_language_option_still_wins(tmp_path):
    _, data, _ = build_of(tmp_path, ("chinese.html",), language="zh-TW")
    assert dc(data, "language") == ["zh-TW"]
    assert {p.get("lang") for n, p in epub_pages(data).items() if "story-" in n} == {"zh-TW"}


def test_an_unknown_language_name_is_a_warning_and_falls_back(tmp_path):
    folder = tmp_path / "stories"
    folder.mkdir()
    html = (FIXTURES / SERIES[1]).read_text(encoding="utf-8").replace("<dd>English</dd>", "<dd>Atlantean</dd>")
    (folder / "w.html").write_text(html, encoding="utf-8")
    report = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist"))
    assert any("has Language 'Atlantean', which ebookify does not know" in w for w in report.warnings)
    assert dc(report.written[0].path.read_bytes(), "language") == ["en"]
    quiet = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist", language="en"))
    assert not any("Atlantean" in w for w in quiet.warnings)


def test_an_unfinished_work_says_so(tmp_path):
    _, data, _ = build_of(tmp_path, ("unfinished.html",), names=("Sam",))
    pages = epub_pages(data)
    info = pages["EPUB/story-001.xhtml"].find(f".//{XHTML}dl[@class='info']")
    names, values = info.iter(f"{XHTML}dt"), info.iter(f"{XHTML}dd")
    shown = {page_text(name): page_text(value) for name, value in zip(names, values, strict=True)}
    assert (shown["Rating"], shown["Archive warning"], shown["Category"]) == (
        "General Audiences",
        "No Archive Warnings Apply",
        "Gen",
    )
    assert (shown["Words"], shown["Status"]) == ("77", "in progress, 2 of ? chapters")
    assert (shown["Published"], shown["Updated"]) == ("2025-09-01", "2025-10-12")
    last = page_text(pages["EPUB/story-001-part-02.xhtml"])
    assert "This work is unfinished: 2 of ? chapters posted, last updated 2025-10-12." in last
    assert "unfinished" not in page_text(pages["EPUB/story-001-part-01.xhtml"])
    assert "In Progress" in dc(data, "subject")
    assert dc(data, "creator") == ["quillfern", "Odette Lark"]  # the pseud, not "pseud (login)"
    assert meta(data, refines="#author-2", property="file-as") == ["Odette Lark"]
    assert meta(data, refines="#author-2", property="role") == ["aut"]


def test_a_finished_work_is_not_in_progress(lone_part_two):
    _, data, _ = lone_part_two
    assert "In Progress" not in dc(data, "subject")
    assert "complete, 1 chapter" in page_text(epub_pages(data)["EPUB/story-001.xhtml"])
    assert {"General Audiences", "No Archive Warnings Apply", "Gen"} <= set(dc(data, "subject"))


def test_the_author_option_still_wins(tmp_path):
    _, data, _ = build_of(tmp_path, ("unfinished.html",), author="Mara Voss")
    assert dc(data, "creator") == ["Mara Voss"]
    assert meta(data, refines="#author", property="file-as") == ["Voss, Mara"]


def test_many_authors_are_various(tmp_path):
    folder = tmp_path / "stories"
    folder.mkdir()
    template = (FIXTURES / SERIES[1]).read_text(encoding="utf-8")
    for n in range(7):
        html = template.replace("quillfern", f"writer{n}").replace("61000001", f"6200000{n}")
        (folder / f"{n}.html").write_text(html.replace("The First Tide", f"Tide {n}"), encoding="utf-8")
    (written,) = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist")).written
    assert dc(written.path.read_bytes(), "creator") == ["Various"]


def test_rebuilding_over_a_different_collection_warns(tmp_path):
    out = tmp_path / "dist"
    build_of(tmp_path / "a", SERIES[1:], output=out / "book.epub")
    again = build(BuildOptions(stories=tmp_path / "a" / "stories", output=out / "book.epub"))
    assert not any("held a different book" in w for w in again.warnings)  # the same book: no warning
    _, _, warnings = build_of(tmp_path / "b", SERIES[:1], output=out / "book.epub")
    assert f"{out / 'book.epub'} held a different book ('The First Tide'); it is replaced by 'The Second Tide'" in (
        warnings
    )


def test_each_readers_book_over_a_different_collection_warns_in_reader_order(tmp_path):
    """For several readers each copy's worker reads the file it replaces: every reader's warning
    comes, in the order of the readers, and a reader whose file held this very book gets none."""
    out = tmp_path / "dist"
    names = ("Sam", "Alex", "Zoë")
    first = build(BuildOptions(stories=_series_folder(tmp_path / "a", SERIES[1:]), out_dir=out, names=names))
    second = BuildOptions(stories=_series_folder(tmp_path / "b", SERIES[:1]), out_dir=out, names=names)
    paths = [item.path for item in build(replace(second, out_dir=tmp_path / "elsewhere")).written]
    for old, new in zip(first.written, paths, strict=True):  # the first books, where the second go
        os.replace(old.path, out / new.name)
    shutil.copy(tmp_path / "elsewhere" / paths[1].name, out / paths[1].name)  # Alex's: this very book
    warnings = [w for w in build(second).warnings if "held a different book" in w]
    assert warnings == [
        f"{out / paths[n].name} held a different book ('The First Tide'); it is replaced by 'The Second Tide'"
        for n in (0, 2)
    ]


def _series_folder(folder: Path, files: tuple[str, ...]) -> Path:
    folder.mkdir(parents=True)
    for name in files:
        shutil.copy(FIXTURES / name, folder / name)
    return folder


def test_a_different_collection_of_the_same_title_is_told_as_another(tmp_path):
    """Two collections may share a title (untitled Wattpad stories are "Collected Stories"; these
    are of one Wattpad book): the warning does not say that a title replaces itself."""
    out = tmp_path / "book.epub"
    for folder, title_line in (("a", "Mara - Fog"), ("b", "Iris - Pines")):
        (tmp_path / folder).mkdir()
        for n in (1, 2):
            (tmp_path / folder / f"{n}.txt").write_text(story_text(f"{title_line} {n}"), encoding="utf-8")
        report = build(BuildOptions(stories=tmp_path / folder, covers=tmp_path / "none", output=out))
    title = report.collection.title
    assert f"{out} held a different book ({title!r}); it is replaced by another of that title" in report.warnings


def test_an_untitled_collection_is_named_by_its_works(tmp_path):
    first, _, _ = build_of(tmp_path / "a", ("oneshot.html", "chinese.html", SERIES[0]))
    second, _, _ = build_of(tmp_path / "b", ("oneshot.html", "chinese.html", SERIES[1]))
    assert first.name.startswith("collected-stories-") and second.name.startswith("collected-stories-")
    assert first.name != second.name


def test_reproducible(tmp_path):
    _, one, _ = build_of(tmp_path / "a", ("unfinished.html", "chinese.html"), names=("Sam",))
    _, two, _ = build_of(tmp_path / "b", ("unfinished.html", "chinese.html"), names=("Sam",))
    assert one == two


@pytest.mark.parametrize(
    ("stats", "words", "chapters"),
    [
        ("Words: 1,036 Chapters: 3/3", 1036, (3, 3)),
        ("Words: ² Chapters: 1/1", None, (1, 1)),
        ("Words: Chapters: 2/?", None, (2, None)),
        ("Words: ١٢ Chapters: 1/١", None, None),
        ("Words: " + "9" * 5000 + " Chapters: 1/1", None, (1, 1)),
        ("Chapters: 3/? Words: 12.345", 12345, (3, None)),
    ],
)
def test_ao3_numbers_parse_safely(stats, words, chapters):
    template = (FIXTURES / SERIES[0]).read_text(encoding="utf-8")
    start, end = template.index("Published:"), template.index("</dd>", template.index("Published:"))
    story = read_work((template[:start] + stats + template[end:]).encode(), "w.html")[0]
    assert (story.work.words, story.work.chapters) == (words, chapters)


@pytest.mark.parametrize(("part", "position"), [("2", 2), ("²", None), ("9" * 5000, None), ("0012", 12), ("x", None)])
def test_series_positions_parse_safely(part, position):
    html = (FIXTURES / SERIES[0]).read_text(encoding="utf-8").replace("Part 2 of", f"Part {part} of")
    assert read_work(html.encode(), "w.html")[0].work.series == (("Saltglass Summers", position),)


@pytest.mark.parametrize(
    ("name", "tag"),
    [
        ("English", "en"),
        ("Español", "es"),
        ("中文-普通话 國語", "zh"),
        ("中文-普通话  國語", "zh"),
        ("日本語", "ja"),
        ("Русский", "ru"),
        ("Deutsch", "de"),
        ("Français", "fr"),
        ("Português brasileiro", "pt-BR"),
        ("한국어", "ko"),
        ("العربية", "ar"),
        ("Atlantean", None),
        ("", None),
    ],
)
def test_ao3_language_names(name, tag):
    assert language_tag(name) == tag


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The harbour lights were going out.", 6),
        ("Y/N ran — for it", 5),  # split on spaces, as before, for text with spaces
        ("我是我，你是谁？", 6),  # a word per Han character; punctuation is none
        ("“你好”，world", 3),
        ("日本語のテスト", 7),  # kanji and kana alike
        ("한국어 문장", 2),  # Hangul is written with spaces: AO3 counts its words
        ("", 0),
    ],
)
def test_word_counts(text, words):
    assert count_words(text) == words


@pytest.mark.parametrize(
    ("byline", "name"), [("Tamsin Reed (tidewrack)", "Tamsin Reed"), ("marrowlight", "marrowlight"), ("(x)", "(x)")]
)
def test_creator_names(byline, name):
    assert creator_name(byline) == name


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8, unique=True))
def test_reader_file_names_are_unique_by_construction(names):
    stems = reader_stems(names)
    assert len({s.casefold() for s in stems if s is not None}) == len(names)


@given(
    st.lists(
        st.sampled_from(["Sam", "sam", "SAM", "Sam-e96e02", "sam-e96e02d8", "Zoë", "Zoe", "李", "li", "Li"]),
        min_size=1,
        max_size=10,
        unique=True,
    )
)
def test_colliding_reader_names_get_distinct_files(names):
    paths = output_paths(BuildOptions(out_dir=Path("d")), "X", make_readers(names, {}))
    assert len({p.name.casefold() for p in paths}) == len(names)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,036", 1036), ("12.345", 12345), (" 7 ", 7), ("", None), ("²", None), ("١٢", None), ("9" * 5000, None)],
)
def test_numbers_are_ascii_and_bounded(text, value):
    assert number(text) == value


def test_check_reports_each_works_language_and_authors(tmp_path):
    from ebookify.check import check

    folder = tmp_path / "stories"
    folder.mkdir()
    for name in ("chinese.html", "unfinished.html"):
        shutil.copy(FIXTURES / name, folder / name)
    html = (FIXTURES / SERIES[1]).read_text(encoding="utf-8").replace("<dd>English</dd>", "<dd>Atlantean</dd>")
    (folder / "w.html").write_text(html, encoding="utf-8")
    report = check(BuildOptions(stories=folder)).to_json()
    assert [(s["title"], s["language"], s["authors"], s["words"]) for s in report["stories"]] == [
        ("灯塔的夜班", "zh", ["quillfern"], 44),
        ("Lamps Along the Causeway", "en", ["quillfern", "Odette Lark (harewick)"], 77),
        ("The First Tide", None, ["quillfern"], 41),
    ]
    assert any("has Language 'Atlantean'" in w for w in report["warnings"])
