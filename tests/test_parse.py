"""The story-file format, quirk by quirk (docs/format.md)."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest
from conftest import story_text

from ebookify.errors import StoryError
from ebookify.model import BlockKind, Stats
from ebookify.parse import decode, parse_body, parse_chapter, read_chapter, split_title_line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Mara Voss - The Last Ferry (part 1/3)", ("Mara Voss", "The Last Ferry", 1, 3)),
        ("Mara Voss x Reader - The Last Ferry", ("Mara Voss x Reader", "The Last Ferry", None, None)),
        ("Mara Voss - The Last Ferry (Part 2)", ("Mara Voss", "The Last Ferry", 2, None)),
        ("Mara Voss - The Last Ferry pt. 2", ("Mara Voss", "The Last Ferry", 2, None)),
        ("Mara Voss - The Last Ferry Pt.3", ("Mara Voss", "The Last Ferry", 3, None)),
        ("Mara Voss - The Last Ferry (PART 2/3)", ("Mara Voss", "The Last Ferry", 2, 3)),
        ("Mara Voss - The Last Ferry [part 2 of 3]", ("Mara Voss", "The Last Ferry", 2, 3)),
        ("Mara Voss - The Last Ferry - Part 2", ("Mara Voss", "The Last Ferry", 2, None)),
        ("The Last Ferry", ("", "The Last Ferry", None, None)),
        ("The Last Ferry (part 1/2)", ("", "The Last Ferry", 1, 2)),
        # Only the first " - " splits: the rest belongs to the title.
        ("Mara Voss - Tides - A Love Story", ("Mara Voss", "Tides - A Love Story", None, None)),
        # "part" inside a word is not a part marker.
        ("Mara Voss - Counterpart 2", ("Mara Voss", "Counterpart 2", None, None)),
        ("Mara Voss - Departure", ("Mara Voss", "Departure", None, None)),
        ("Mara Voss-Hale - Fog", ("Mara Voss-Hale", "Fog", None, None)),
        # A title that is nothing but the marker falls back to the tag.
        ("Mara Voss - Part 2", ("Mara Voss", "Mara Voss", 2, None)),
    ],
)
def test_title_line(line, expected):
    assert split_title_line(line) == expected


@pytest.mark.parametrize(
    ("stats", "expected"),
    [
        ("980 41 7", Stats("980", "41", "7")),
        ("6.9K 99 3", Stats("6.9K", "99", "3")),
        ("1.2M 45.3K 2.1K", Stats("1.2M", "45.3K", "2.1K")),
        ("14.2k 803 57", Stats("14.2K", "803", "57")),
        ("  980   41 7  ", Stats("980", "41", "7")),
    ],
)
def test_stats_line(stats, expected):
    assert parse_chapter(story_text(stats=stats), "s.txt")[0].stats == expected


def test_stats_are_optional_and_never_body_text():
    chapter = parse_chapter(story_text(stats=None), "s.txt")[0]
    assert chapter.stats is None
    assert chapter.blocks[0].text == "The harbour lights were going out."
    with_stats = parse_chapter(story_text(stats="6.9K 99 3"), "s.txt")[0]
    assert all("6.9K" not in b.text for b in with_stats.blocks)


def test_synopsis_is_metadata_and_optional():
    chapter = parse_chapter(story_text(synopsis="Y/N misses the last ferry home."), "s.txt")[0]
    assert chapter.synopsis == "Y/N misses the last ferry home."
    assert all("Synopsis" not in b.text for b in chapter.blocks)
    assert parse_chapter(story_text(), "s.txt")[0].synopsis is None


@pytest.mark.parametrize(
    ("last_line", "book"),
    [
        ("Harbour ImaginesWhere stories live. Discover now", "Harbour Imagines"),
        ("Harbour Imagines Where stories live. Discover now", "Harbour Imagines"),
        ("Harbour ImaginesWhere stories live. Discover now\n", "Harbour Imagines"),
        ("Harbour ImaginesWhere stories live. Discover now  \n\n", "Harbour Imagines"),
        ("Harbour Imagineswhere stories live. discover now", "Harbour Imagines"),
        ("Y/N x Everyone ImaginesWhere stories live.Discover now", "Y/N x Everyone Imagines"),
        ("Where stories live. Discover now", None),
    ],
)
def test_footer_gives_the_book_and_never_reaches_the_text(last_line, book):
    text = "Mara Voss - Fog\n\n980 41 7\n\nIt was foggy.\n\n" + last_line
    chapter = parse_chapter(text, "s.txt")[0]
    assert chapter.group == book
    assert [b.text for b in chapter.blocks] == ["It was foggy."]


def test_no_footer_means_no_book():
    chapter = parse_chapter(story_text(book=None), "s.txt")[0]
    assert chapter.group is None
    assert len(chapter.blocks) == 2


@pytest.mark.parametrize(
    ("lines", "kinds"),
    [
        (["One.", "Two."], "PP"),
        (["One.", "", "Two."], "PBP"),
        (["One.", "", "", "", "Two."], "PBP"),  # many blank lines are one break
        (["One.", "* * *", "Two."], "PBP"),  # a hand-typed ornament line
        (["One.", "", "~~~~~", "", "Two."], "PBP"),
        (["One.", "-----", "Two."], "PBP"),
        (["A/N: thanks for 1K reads!", "", "One."], "NP"),  # no break after a leading note
        (["One.", "", "A/N - part 2 soon"], "PN"),  # nor before a closing note
        (["(A/N: hi)", "One."], "NP"),
        (["a/n: lowercase too", "One."], "NP"),
        (["Author's note: thank you", "One."], "NP"),
        (["", "One.", ""], "P"),  # blank lines at the edges are no breaks
        (["A/Ns are fun to write.", "One."], "PP"),  # only the marker, not a word starting with it
        (["...", "One."], "PP"),  # a pause is text, not an ornament
    ],
)
def test_body_blocks(lines, kinds):
    letter = {BlockKind.PARAGRAPH: "P", BlockKind.BREAK: "B", BlockKind.NOTE: "N"}
    assert "".join(letter[b.kind] for b in parse_body(list(enumerate(lines, start=1)))) == kinds


def test_blocks_and_header_remember_their_lines():
    text = "\n\nMara Voss - Fog\n\n980 41 7\n\nSynopsis: Y/N.\n\nOne.\n\nTwo.\n\nXWhere stories live. Discover now"
    chapter = parse_chapter(text, "s.txt")[0]
    assert (chapter.title_line, chapter.synopsis_line) == (3, 7)
    assert [(b.kind.value, b.line) for b in chapter.blocks] == [("paragraph", 9), ("break", 0), ("paragraph", 11)]


def test_quirky_text_is_kept_as_written():
    body = 'You\'re late, he thought at me.\n"Wait!" I shouted, "but\nB- Kylo, I - I <b>&amp;'
    chapter = parse_chapter(story_text(body=body), "s.txt")[0]
    assert [b.text for b in chapter.blocks] == [
        "You're late, he thought at me.",
        '"Wait!" I shouted, "but',
        "B- Kylo, I - I <b>&amp;",
    ]


TEXT = "Mara Voss - Fog\n\n980 41 7\n\n“Café?” she asked — Zoë’s idea…\n\nHarbourWhere stories live. Discover now"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(TEXT.encode("utf-8"), id="utf-8"),
        pytest.param(TEXT.encode("utf-8-sig"), id="utf-8-bom"),
        pytest.param(TEXT.replace("\n", "\r\n").encode("utf-8"), id="crlf"),
        pytest.param(TEXT.replace("\n", "\r\n").encode("utf-8-sig"), id="bom-crlf"),
        pytest.param(TEXT.replace("\n", "\r").encode("utf-8"), id="old-mac-cr"),
        pytest.param(TEXT.encode("cp1252"), id="windows-1252"),
        pytest.param(TEXT.replace("\n", "\r\n").encode("cp1252"), id="windows-1252-crlf"),
        pytest.param(TEXT.encode("utf-16"), id="utf-16-bom"),
        pytest.param(codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), id="utf-16-be-bom"),
    ],
)
def test_encodings_and_line_ends(data):
    chapter = parse_chapter(decode(data, "s.txt"), "s.txt")[0]
    assert chapter.title == "Fog"
    assert chapter.group == "Harbour"
    assert [b.text for b in chapter.blocks] == ["“Café?” she asked — Zoë’s idea…"]


def test_windows_1252_ellipsis_byte_is_not_a_line_break():
    # 0x85 is "…" in Windows-1252 but NEL (a line break) in Latin-1.
    data = b"A - B\n\n1 2 3\n\nWait\x85 what?\n\nXWhere stories live. Discover now"
    assert [b.text for b in parse_chapter(decode(data, "s.txt"), "s.txt")[0].blocks] == ["Wait… what?"]


def test_text_is_nfc_normalised():
    decomposed = unicodedata.normalize("NFD", "Zoë went to the café.")
    text = decode(story_text(body=decomposed).encode(), "s.txt")
    assert "Zoë went to the café." in text


def test_xml_forbidden_characters_are_dropped():
    text = decode(story_text(body="Bell\x07 and\x0b tab\tkept\ufeff.").encode(), "s.txt")
    assert "Bell and tab\tkept." in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "s.txt is empty"),
        (b"   \n\n\t\r\n", "s.txt is empty"),
        (b"\xef\xbb\xbf", "s.txt is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "s.txt is not a text file (it contains NUL bytes)"),
        (bytes(range(1, 32)) * 20, "s.txt is not a text file (it looks like binary data)"),
        (b"Title\n\nok\n\x81\x8d bad", "s.txt:4 is neither UTF-8 nor Windows-1252 text (byte 0x81)"),
        (b"Mara Voss - Fog", "s.txt:1 has a title line but no story text"),
        (b"\n\nMara Voss - Fog\n\n980 41 7\n\n", "s.txt:3 has a title line but no story text"),
        (
            b"Mara Voss - Fog\n\n980 41 7\n\nSynopsis: Y/N is lost.\n\nXWhere stories live. Discover now",
            "s.txt:1 has a title line but no story text",
        ),
        (b"Harbour ImaginesWhere stories live. Discover now", "s.txt has no story in it, only Wattpad's footer"),
    ],
)
def test_bad_files_are_refused_with_file_and_line(data, message):
    with pytest.raises(StoryError) as error:
        parse_chapter(decode(data, "s.txt"), "s.txt")[0]
    assert str(error.value) == message


def test_read_chapter_names_the_file_as_given(tmp_path: Path):
    path = tmp_path / "002.txt"
    path.write_bytes(b"")
    with pytest.raises(StoryError, match=r"002\.txt is empty$"):
        read_chapter(path)
    with pytest.raises(StoryError, match=r"^stories/002\.txt is empty$"):
        read_chapter(path, "stories/002.txt")


UNTITLED = [
    # (file name, text, the story's title, whether it warns): a file that opens with story text is
    # titled from its name; a real title line, with or without a tag, is kept.
    ("03-the_last-ferry.txt", "The fog came in at six.\nY/N waited.", "The Last Ferry", True),
    ("Fog Bank.txt", '"Wait!" I shouted.\nThe ferry left.', "Fog Bank", True),
    ("07.txt", "It was late, and the harbour was quiet, and Y/N was alone on the pier for once.\n\nMore.", "07", True),
    ("01.txt", "The Last Ferry\n\nThe fog came in.", "The Last Ferry", False),
    ("01.txt", "Will You Stay?\n\nThe fog came in.", "Will You Stay?", False),
    ("01.txt", "Mara - Fog\nThe fog came in.", "Fog", False),
    (
        "01.txt",
        "A Long Night at the Lighthouse.\n\n14.2K 803 57\n\nThe fog came in.",
        "A Long Night at the Lighthouse.",
        False,
    ),
    ("01.txt", "Fog (part 2/3)\nThe fog came in.", "Fog", False),
]


@pytest.mark.parametrize(("name", "text", "title", "warns"), UNTITLED)
def test_a_file_without_a_title_line_is_titled_from_its_name(name, text, title, warns):
    chapter, warnings = parse_chapter(text, f"stories/{name}")
    assert chapter.title == title
    assert bool(warnings) == warns
    if warns:  # and nothing of the story was taken for a title
        assert chapter.blocks[0].text == text.split("\n")[0]
        assert warnings == [
            f'stories/{name}:1 opens with story text, not a title line ("Character - Title"); '
            f'titled "{title}" from the file name'
        ]


def test_lines_after_a_footer_keep_their_numbers():
    """Wattpad's footer lines are dropped wherever they are pasted; every other line keeps the
    number it has in the file, and the last footer's text names the book."""
    text = "Mara - Fog\n\nOne.\nAWhere stories live. Discover now\nTwo.\n\nBWhere stories live. Discover now\nThree."
    chapter, _ = parse_chapter(text, "s.txt")
    assert [(b.kind.value, b.text, b.line) for b in chapter.blocks] == [
        ("paragraph", "One.", 3),
        ("paragraph", "Two.", 5),
        ("break", "", 0),
        ("paragraph", "Three.", 8),
    ]
    assert (chapter.group, chapter.group_line) == ("B", 7)
