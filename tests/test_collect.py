"""From files to a collection: natural order, parts grouped, books, titles, warnings."""

from __future__ import annotations

import pytest
from conftest import story_text

from ebookify.collect import collect, default_title, load_collection, natural_key, story_files
from ebookify.errors import EbookifyError
from ebookify.model import Chapter, Group
from ebookify.parse import parse_chapter


def chapter(title_line: str, source: str = "x.txt", book: str | None = "Harbour Imagines") -> Chapter:
    return parse_chapter(story_text(title_line=title_line, book=book), source)[0]


def test_natural_file_order():
    names = ["10-b.txt", "9-a.txt", "1.txt", "Part 2.txt", "part 10.txt", "02.txt"]
    assert sorted(names, key=natural_key) == ["1.txt", "02.txt", "9-a.txt", "10-b.txt", "Part 2.txt", "part 10.txt"]


def test_story_files_skips_hidden_and_other_files(stories):
    folder = stories({"2.txt": "a", "10.TXT": "b", ".hidden.txt": "c", "cover.jpg": "d", "a.docx": "e", "3.md": "f"})
    (folder / "sub.txt").mkdir()
    assert [p.name for p in story_files(folder)[0]] == ["2.txt", "3.md", "10.TXT"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (None, "the stories folder {folder} does not exist"),
        ({}, "the stories folder {folder} has no story files (.txt, .md, .html or .epub)"),
        ({"a.rtf": "x", "b.docx": "y"}, "the stories folder {folder} has no story files (.txt, .md, .html or .epub)"),
    ],
)
def test_story_folder_errors(tmp_path, stories, files, message):
    folder = stories(files) if files is not None else tmp_path / "missing"
    with pytest.raises(EbookifyError) as error:
        story_files(folder)
    assert str(error.value) == message.format(folder=folder)


def test_parts_join_at_their_first_part_in_part_order():
    chapters = [
        chapter("Ansel - Lanterns (part 3/3)", "01.txt"),
        chapter("Iris - Solo", "02.txt"),
        chapter("Ansel - Lanterns (part 1/3)", "03.txt"),
        chapter("Noor - Another", "04.txt"),
        chapter("ansel - LANTERNS (Part 2/3)", "05.txt"),  # tag and title match whatever their case
    ]
    collection = collect(chapters)
    assert [s.title for s in collection.stories] == ["Solo", "Lanterns", "Another"]
    assert [p.source for p in collection.stories[1].parts] == ["03.txt", "05.txt", "01.txt"]
    assert collection.warnings == ()


def test_same_title_other_character_is_another_story():
    collection = collect([chapter("Ansel - Fog (part 1/2)", "a"), chapter("Iris - Fog (part 1/2)", "b")])
    assert [(s.who, len(s.parts)) for s in collection.stories] == [("Ansel", 1), ("Iris", 1)]


def test_missing_and_duplicate_parts_are_warnings_not_failures():
    chapters = [
        chapter("Ansel - Lanterns (part 1/4)", "a.txt"),
        chapter("Ansel - Lanterns (part 3/4)", "b.txt"),
        chapter("Ansel - Lanterns (part 3/4)", "c.txt"),
    ]
    collection = collect(chapters)
    assert collection.warnings == (
        '"Lanterns" (Ansel) is missing part 2 of 4',
        '"Lanterns" (Ansel) is missing part 4 of 4',
        '"Lanterns" (Ansel) has part 3 more than once (b.txt, c.txt); all copies are kept',
    )
    assert len(collection.stories[0].parts) == 3


def test_a_story_without_its_first_part_still_builds():
    collection = collect([chapter("Ansel - Lanterns (part 2/2)", "a.txt")])
    assert collection.warnings == ('"Lanterns" (Ansel) is missing part 1 of 2',)
    assert collection.stories[0].multipart


def test_one_book_titles_the_collection():
    collection = collect([chapter("A - One"), chapter("B - Two")])
    assert collection.title == "Harbour Imagines"
    assert len(collection.groups) == 1


def test_several_books_each_hold_their_stories():
    chapters = [
        chapter("A - One", book="Harbour Imagines"),
        chapter("B - Two", book="Forest Imagines"),
        chapter("C - Three", book="Harbour Imagines"),
    ]
    collection = collect(chapters)
    assert [(b.title, [s.title for s in b.stories]) for b in collection.groups] == [
        ("Harbour Imagines", ["One", "Three"]),
        ("Forest Imagines", ["Two"]),
    ]
    assert collection.title == "Harbour Imagines & Forest Imagines"
    assert collect(chapters, title="Summer Reads").title == "Summer Reads"


def test_stories_without_a_footer_join_the_only_book():
    collection = collect([chapter("A - One"), chapter("B - Two", book=None)])
    assert [b.title for b in collection.groups] == ["Harbour Imagines"]
    assert len(collection.groups[0].stories) == 2


def test_stories_without_a_footer_beside_several_books_form_their_own():
    chapters = [chapter("A - One", book="X"), chapter("B - Two", book=None), chapter("C - Three", book="Y")]
    assert [b.title for b in collect(chapters).groups] == ["X", None, "Y"]


@pytest.mark.parametrize(
    ("titles", "expected"),
    [
        ([None], "Collected Stories"),
        (["Harbour"], "Harbour"),
        (["Harbour", "Forest"], "Harbour & Forest"),
        (["A", "B", "C"], "A, B & C"),
        (["A", "B", "C", "D"], "Collected Stories"),
    ],
)
def test_default_title(titles, expected):
    assert default_title(tuple(Group(t, ()) for t in titles)) == expected


def test_load_collection_reads_the_folder(stories):
    folder = stories(
        {
            "10.txt": story_text("Ansel - Lanterns (part 1/2)"),
            "9.txt": story_text("Iris - Solo"),
            "11.txt": story_text("Ansel - Lanterns (part 2/2)"),
        }
    )
    collection = load_collection(folder)
    assert [s.title for s in collection.stories] == ["Solo", "Lanterns"]
    assert collection.stories[1].parts[0].source == str(folder / "10.txt")


def test_system_clutter_is_skipped_silently_other_files_with_a_note(tmp_path):
    folder = tmp_path / "stories"
    folder.mkdir()
    for name in (".DS_Store", "._01.txt", "Thumbs.db", "desktop.ini", ".hidden.txt", "01.txt~", "cover.jpg", "01.txt"):
        (folder / name).write_text("x", encoding="utf-8")
    files, notes = story_files(folder)
    assert [p.name for p in files] == ["01.txt"]
    assert notes == (f"skipped {folder / 'cover.jpg'}: not a story file (.txt, .md, .html or .epub)",)
