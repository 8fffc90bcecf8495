"""AO3 files in any encoding a browser reads: the byte-order mark, then the declared charset, else
UTF-8; bytes that are not text in that encoding are refused with one line, never replaced."""

from __future__ import annotations

import codecs

import pytest
from conftest import REPO, assert_sound_epub, epub_pages, page_text
from test_cli import run

from ebookify.ao3 import read_work
from ebookify.build import BuildOptions, build
from ebookify.charset import declared_encoding
from ebookify.errors import StoryError

FIXTURES = REPO / "tests" / "fixtures" / "ao3"
ONESHOT = (FIXTURES / "oneshot.html").read_text(encoding="utf-8")
PAGE = (FIXTURES / "saved-page-oneshot.html").read_text(encoding="utf-8")
META = '<meta charset="utf-8" />'
assert META in ONESHOT and "You’re late" in ONESHOT


def declared(html: str, tag: str) -> str:
    return html.replace(META, tag).replace('<meta charset="utf-8">', tag)


def paragraphs(data: bytes, source: str = "work.html") -> list[str]:
    story = read_work(data, source)[0]
    return [b.text for part in story.parts for b in part.blocks]


EXPECTED = paragraphs(ONESHOT.encode("utf-8"))

READ = [
    # (what the file is, its bytes)
    ("UTF-8, declared", ONESHOT.encode("utf-8")),
    ("UTF-8, nothing declared", ONESHOT.replace(META, "").encode("utf-8")),
    ("UTF-8 with a BOM", codecs.BOM_UTF8 + ONESHOT.encode("utf-8")),
    ("UTF-16 LE with a BOM (Notepad's 'Unicode'), still saying utf-8", ONESHOT.encode("utf-16")),
    ("UTF-16 BE with a BOM", codecs.BOM_UTF16_BE + ONESHOT.encode("utf-16-be")),
    ("windows-1252 in <meta charset>", declared(ONESHOT, '<meta charset="windows-1252">').encode("cp1252")),
    (
        "windows-1252 bytes in http-equiv, labelled ISO-8859-1 (browsers read it as windows-1252)",
        declared(ONESHOT, '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">').encode("cp1252"),
    ),
    ("windows-1252 bytes labelled us-ascii", declared(ONESHOT, "<meta charset='us-ascii'>").encode("cp1252")),
    ("windows-1252 bytes labelled latin1, unquoted", declared(ONESHOT, "<META CHARSET=latin1>").encode("cp1252")),
    (
        "a BOM wins over a wrong declaration",
        codecs.BOM_UTF8 + declared(ONESHOT, '<meta charset="windows-1252">').encode("utf-8"),
    ),
    ("a <meta> cannot declare UTF-16: read as UTF-8", declared(ONESHOT, '<meta charset="utf-16">').encode("utf-8")),
    ("a label no browser knows is passed over", declared(ONESHOT, '<meta charset="x-klingon">').encode("utf-8")),
    ("a codec that is not a charset is passed over", declared(ONESHOT, '<meta charset="rot13">').encode("utf-8")),
]


@pytest.mark.parametrize("data", [d for _, d in READ], ids=[i for i, _ in READ])
def test_every_encoding_a_browser_reads_gives_the_same_text(data):
    assert paragraphs(data) == EXPECTED


def test_a_saved_page_in_windows_1252_is_read_too():
    page = PAGE.replace('<meta charset="utf-8">', '<meta charset="windows-1252">')
    # a browser saving in windows-1252 writes what it cannot hold as references ("↑ Top")
    assert paragraphs(page.encode("cp1252", "xmlcharrefreplace")) == paragraphs(PAGE.encode("utf-8"))


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("windows-1252", "windows-1252"),
        ("ISO-8859-1", "windows-1252"),
        ("ascii", "windows-1252"),
        ("utf-8", "utf-8"),
        ("UTF8", "utf-8"),
        ("utf-16le", "utf-8"),
        ("iso-8859-2", "iso8859-2"),
        ("gb2312", "gb18030"),
        ("shift_jis", "cp932"),
        ("koi8-r", "koi8-r"),
        ("utf-7", "utf-8"),
        ("base64", None),
        ("nonsense", None),
    ],
)
def test_labels_map_as_the_encoding_standard_says(label, codec):
    assert declared_encoding(f'<html><head><meta charset="{label}">'.encode("ascii")) == codec


def test_a_declared_chinese_charset_is_read_with_its_superset():
    html = declared(ONESHOT, '<meta charset="gb2312">').replace("You sat.", "你坐下了。")
    assert "你坐下了。 You did not touch the compass rose." in paragraphs(html.encode("gb18030"))


WITH_A_BAD_BYTE = ONESHOT.encode("utf-8").replace("You’re late".encode(), b"You\x92re late")
LINE = ONESHOT[: ONESHOT.index("You’re late")].count("\n") + 1
BYTE = WITH_A_BAD_BYTE.index(b"\x92")

REFUSED = [
    # (what, bytes, the error)
    (
        "a windows-1252 byte in an undeclared UTF-8 file",
        WITH_A_BAD_BYTE,
        f"work.html:{LINE} is not valid UTF-8 text (bytes 92 at byte {BYTE}); "
        "save it again as UTF-8, or declare its encoding with <meta charset=…>",
    ),
    (
        "UTF-16 without a byte-order mark",
        ONESHOT.encode("utf-16-le"),
        "work.html:1 has a NUL byte at byte 1: it is not text, or it is UTF-16 without a byte-order mark; "
        "save it again as UTF-8",
    ),
    (
        "a lone surrogate in UTF-16",
        codecs.BOM_UTF16_LE + "<p>a\nb".encode("utf-16-le") + b"\x00\xd8" + "<p>c".encode("utf-16-le"),
        "work.html:2 is not valid UTF-16-LE text (bytes 00 D8 at byte 14); "
        "save it again as UTF-8, or declare its encoding with <meta charset=…>",
    ),
    (
        "a byte outside the declared single-byte charset",
        b'<meta charset="iso-8859-8">\n\n<p>\xfb</p>',
        "work.html:3 is not valid ISO8859-8 text (bytes FB at byte 32); "
        "save it again as UTF-8, or declare its encoding with <meta charset=…>",
    ),
]


@pytest.mark.parametrize(("data", "message"), [(d, m) for _, d, m in REFUSED], ids=[i for i, _, _ in REFUSED])
def test_bytes_that_are_not_text_are_refused_naming_the_file_and_line(data, message):
    with pytest.raises(StoryError) as caught:
        read_work(data, "work.html")[0]
    assert str(caught.value) == message


def test_the_cli_refuses_a_garbled_file_with_one_line_and_writes_nothing(tmp_path, stories):
    stories({"work.html": WITH_A_BAD_BYTE})
    result = run(tmp_path, "build", "--name", "Sam")
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        f"ebookify: error: stories/work.html:{LINE} is not valid UTF-8 text (bytes 92 at byte {BYTE}); "
        "save it again as UTF-8, or declare its encoding with <meta charset=…>"
    ]
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_utf16_and_windows_1252_files_build_valid_books_with_their_quotes(tmp_path, stories):
    folder = stories(
        {
            "1-utf16.html": ONESHOT.encode("utf-16"),
            "2-cp1252.html": declared(PAGE, '<meta charset="windows-1252">').encode("cp1252", "xmlcharrefreplace"),
        }
    )
    (written,) = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist", names=("Sam",))).written
    assert_sound_epub(written.path)  # EPUBCheck: books.py ao3-mix
    text = "\n".join(page_text(p) for p in epub_pages(written.path.read_bytes()).values())
    assert text.count("You’re late") == 2 and "\ufffd" not in text
