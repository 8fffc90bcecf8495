"""A copy for every friend: readers files, --strict, the dry run, and names that must survive."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import (
    OPF_NS,
    assert_sound_epub,
    assert_zip_structure,
    epub_opf,
    epub_pages,
    invoke,
    page_text,
    story_text,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from test_cli import EARLIER, run

from ebookify.build import BuildOptions, build
from ebookify.validate import check_value

FRIENDS = """\
# three friends, one book each
[[reader]]
name = "Zoë O'Brien"
"L/N" = "Rivers"
"e/c" = "grey-green"

[[reader]]
name = "李小龍"
"(L/N)" = "Chen"

[[reader]]
name = "<Sam & \\"Co\\">"
"L/N" = "Vale"
"E/C" = "brown"
"""
STORY = story_text(
    "Mara Voss - Fog (part 1/2)",
    body="Y/N (L/N) waited.\nHe looked into your [E/C] eyes. Y/N's heart raced.",
    synopsis="Y/N misses the ferry.",
)
PART_2 = story_text("Mara Voss - Fog (part 2/2)", body='The fog lifted for {Y/N}.\n"I SAID Y/N!" he yelled.')


def friend_books(tmp_path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((tmp_path / "dist").iterdir())}


def book_text(data: bytes) -> str:
    """All the text and attribute values of the pages, the package document and the NCX, decoded."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name in book.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx")):
                root = etree.fromstring(book.read(name))
                out += [*root.itertext(), *(v for e in root.iter() for v in e.attrib.values())]
    return "\n".join(out)


def test_a_readers_file_makes_one_valid_private_stable_book_each(tmp_path, stories):
    stories({"1.txt": STORY, "2.txt": PART_2})
    (tmp_path / "friends.toml").write_text(FRIENDS, encoding="utf-8")
    result = run(tmp_path, "build", "--readers", "friends.toml")
    assert result.returncode == 0, result.stderr
    books = friend_books(tmp_path)
    assert sorted(books) == sorted(Path(line).name for line in result.stdout.splitlines())
    names = {"Zoë O'Brien": "Rivers", "李小龍": "Chen", '<Sam & "Co">': "Vale"}
    identifiers = set()
    for file, data in books.items():
        assert_sound_epub(tmp_path / "dist" / file)  # EPUBCheck: books.py readers-file
        text = book_text(data)
        own = [name for name in names if name in text]
        assert len(own) == 1, (file, own)  # only their own name is anywhere inside
        pages = "\n".join(page_text(p) for p in epub_pages(data).values())
        assert f"{own[0]} {names[own[0]]} waited." in pages
        assert f"I SAID {own[0].upper()}!" in pages
        assert "Y/N" not in pages and "L/N" not in pages
        identifiers.add(epub_opf(data).findtext(".//dc:identifier", namespaces=OPF_NS))
    assert len(identifiers) == 3
    assert "ebookify: warning: no value for E/C (1×, first at stories/1.txt:8) for 李小龍" in result.stderr
    assert run(tmp_path, "build", "--readers", "friends.toml").returncode == 0
    assert friend_books(tmp_path) == books  # identical bytes on rebuild


def test_command_line_values_override_the_file_and_names_add_readers(tmp_path, stories):
    stories({"1.txt": STORY})
    (tmp_path / "friends.toml").write_text('[[reader]]\nname = "Sam"\n"L/N" = "Rivers"\n', encoding="utf-8")
    result = run(tmp_path, "build", "--readers", "friends.toml", "--set", "L/N=Moss", "--name", "Alex")
    assert result.returncode == 0, result.stderr
    texts = {Path(line).name: book_text((tmp_path / line).read_bytes()) for line in result.stdout.splitlines()}
    assert "Sam Moss waited." in texts["fog-for-sam.epub"]
    assert "Alex Moss waited." in texts["fog-for-alex.epub"]


def test_a_bad_readers_file_is_one_line_naming_the_line(tmp_path, stories):
    stories({"1.txt": STORY})
    (tmp_path / "friends.toml").write_text('[[reader]]\nname = "Sam"\nL/N = "Rivers"\n', encoding="utf-8")
    result = run(tmp_path, "build", "--readers", "friends.toml")
    assert result.returncode == 1
    assert result.stderr.startswith("ebookify: error: friends.toml:3 is not valid TOML")
    assert result.stderr.count("\n") == 1


def test_strict_refuses_missing_values_and_writes_nothing(tmp_path, stories):
    stories({"1.txt": STORY})
    earlier = tmp_path / "dist" / "fog-for-sam.epub"
    earlier.parent.mkdir()
    earlier.write_bytes(EARLIER)
    result = run(tmp_path, "build", "--name", "Sam", "--set", "L/N=Rivers", "--strict")
    assert result.returncode == 1
    assert result.stderr == (
        "ebookify: error: --strict: no value for E/C (1×, first at stories/1.txt:8): "
        "nothing was written; fill with --set E/C=…\n"
    )
    assert earlier.read_bytes() == EARLIER
    filled = run(tmp_path, "build", "--name", "Sam", "--set", "L/N=Rivers", "--set", "E/C=green", "--strict")
    assert filled.returncode == 0, filled.stderr
    assert earlier.read_bytes() != EARLIER


def test_strict_counts_unknown_codes_written_like_placeholders(tmp_path, stories):
    stories({"1.txt": story_text(body="Y/N hugged (B/F).")})
    result = run(tmp_path, "build", "--name", "Sam", "--strict")
    assert result.returncode == 1
    assert "no value for B/F (1×, first at stories/1.txt:5)" in result.stderr
    assert run(tmp_path, "build", "--name", "Sam", "--strict", "--set", "B/F=Jo").returncode == 0


def test_strict_neutral_edition_keeps_the_name_on_purpose(tmp_path, stories):
    stories({"1.txt": story_text(body="Y/N ran.")})
    assert run(tmp_path, "build", "--strict").returncode == 0


def test_check_json_finds_every_placeholder_and_where(tmp_path, stories):
    stories({"1.txt": STORY, "2.txt": PART_2, "3.txt": story_text("Iris - Pines", body='"Stray quote, she said.')})
    result = run(tmp_path, "check", "--json", "--name", "Sam", "--set", "L/N=Rivers")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(p["code"], p["count"], p["first"]["line"], p["missing_for"]) for p in report["placeholders"]] == [
        ("Y/N", 5, 5, []),  # first in the synopsis, line 5
        ("L/N", 1, 7, []),
        ("E/C", 1, 8, ["Sam"]),
    ]
    assert report["placeholders"][0]["first"]["file"] == "stories/1.txt"
    assert [(s["title"], [p["part"] for p in s["parts"]], s["words"]) for s in report["stories"]] == [
        ("Fog", [1, 2], 22),
        ("Pines", [None], 4),
    ]
    assert report["stories"][0]["stats"] == {"reads": "14.2K", "votes": "803", "comments": "57"}
    assert "stories/3.txt:5 has an unbalanced quote" in report["warnings"]
    assert report["errors"] == []
    assert not (tmp_path / "dist").exists()  # a dry run writes nothing


def test_check_lists_every_broken_file_and_exits_non_zero(tmp_path, stories):
    stories({"1.txt": STORY, "2.txt": "", "3.txt": b"\x00"})
    result = run(tmp_path, "check", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"] == [
        "stories/2.txt is empty",
        "stories/3.txt is not a text file (it contains NUL bytes)",
    ]
    human = run(tmp_path, "check")
    assert human.returncode == 1
    assert "ebookify: error: stories/2.txt is empty\n" in human.stderr
    assert "Fog" in human.stdout and "Y/N" in human.stdout


def test_check_for_people_names_values_and_gaps(tmp_path, stories):
    stories({"1.txt": STORY})
    result = run(tmp_path, "check", "--name", "Sam")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-3:] == [
        "  Y/N (your name): 3×, first at stories/1.txt:5; yes",
        "  L/N (last name): 1×, first at stories/1.txt:7; no value",
        "  E/C (eye colour): 1×, first at stories/1.txt:8; no value",
    ]


# Names a reader might type: quotes, markup characters, accents, emoji sequences, right-to-left
# scripts. Whatever passes check_value must come out verbatim wherever Y/N stood. Generated valid
# on purpose (check_value refuses controls, line breaks, invisible reordering characters and
# noncharacters), so that every example is a build; a name with "/" is itself placeholder-shaped
# and proves nothing here.
REFUSED_IN_NAMES = (
    "/\u200b\u200e\u200f\u061c\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufffe\uffff"
)
NAME_CHARACTERS = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs", "Zl", "Zp"),
    exclude_characters=REFUSED_IN_NAMES + "".join(map(chr, range(0xFDD0, 0xFDF0))),
)
NAMES = (
    st.lists(
        st.text(NAME_CHARACTERS, min_size=1, max_size=6) | st.sampled_from(["'\"<>&;\\", "👩🏽‍💻", "שלום", "عليé"]),
        min_size=1,
    )
    .map(lambda pieces: "".join(pieces).strip()[:100])
    .filter(bool)
)
PROPERTY_STORY = story_text(
    "Mara Voss - The Name",
    synopsis="a story for Y/N.",
    body="you are Y/N, and Y/N's coat is wet.\nthe note said (Y/N) in pencil.",
)


def personalised_book(root: Path, name: str) -> Path:
    """The whole build (typesetting, notes, lint), as `ebookify build --name` runs it."""
    folder = root / "stories"
    folder.mkdir(exist_ok=True)
    (folder / "s.txt").write_text(PROPERTY_STORY, encoding="utf-8")
    options = BuildOptions(stories=folder, covers=root / "no-covers", out_dir=root / "dist", names=(name,))
    (written,) = build(options).written
    return written.path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NAMES)
def test_any_valid_name_appears_verbatim_wherever_y_n_stood(name):
    assert check_value(name, "the name") == name  # the strategy makes valid names only
    with tempfile.TemporaryDirectory() as root:
        data = personalised_book(Path(root), name).read_bytes()
    assert_zip_structure(data)  # EPUBCheck sees such names in tests/books.py's "generated-names"
    pages = epub_pages(data)
    story = page_text(pages["EPUB/story-001.xhtml"])
    assert f"you are {name}, and {name}’s coat is wet." in story
    assert f"the note said {name} in pencil." in story
    assert f"a story for {name}." in story
    assert f"for {name}" in page_text(pages["EPUB/title.xhtml"])


def test_books_for_generated_names_pass_epubcheck(validated_books):
    """Names of the generated kinds, each in a book of its own, through EPUBCheck (once a session)."""
    from books import GENERATED_NAMES

    validated_books.assert_valid("generated-names")
    paths = validated_books.get("generated-names")
    assert len(paths) == len(GENERATED_NAMES)
    for path, name in zip(paths, GENERATED_NAMES, strict=True):
        assert f"for {name}" in page_text(epub_pages(path.read_bytes())["EPUB/title.xhtml"])


def test_progress_bar_on_a_terminal_only(tmp_path, stories):
    stories({f"{n}.txt": story_text(f"Mara - Story {n}") for n in range(30)})
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    master, slave = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "ebookify", "build", "-n", "Sam", "-n", "Alex"],
        cwd=tmp_path,
        stdout=slave,
        stderr=slave,
        env={**env, "TERM": "xterm", "COLUMNS": "100"},
    ) as process:
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed when the build ended
                break
            if not chunk:
                break
            seen += chunk
    assert process.returncode == 0
    # It says what it is doing, reaches its end (30 files, typesetting, 2 copies, writing), and is
    # gone before the paths print, each at the start of a line of its own.
    assert b"reading" in seen and b"Sam's copy" in seen and b"34/34" in seen
    screen = seen.decode()
    assert re.search(r"\n(?:\r|\x1b\[[0-9;?]*[A-Za-z])*dist/harbour-imagines-for-sam\.epub\r?\n", screen), screen[-300:]
    assert "\ndist/harbour-imagines-for-alex.epub" in screen.replace("\r", "")
    piped = run(tmp_path, "build", "-n", "Sam")  # stderr is a pipe here: no bar, no escape codes
    assert "building" not in piped.stderr and "\x1b[" not in piped.stderr


def test_check_finds_placeholders_in_tags_titles_and_the_book_title(tmp_path, stories):
    stories({"1.txt": story_text("Mara x Y/N - Y/N's Summer", body="Plain text.", book="Y/N Imagines")})
    report = json.loads(run(tmp_path, "check", "--json").stdout)
    assert [(p["code"], p["count"], p["first"]["line"]) for p in report["placeholders"]] == [("Y/N", 3, 1)]
    built = run(tmp_path, "build", "--name", "Sam")
    assert built.stdout == "dist/y-n-s-summer-for-sam.epub\n"
    text = book_text((tmp_path / "dist" / "y-n-s-summer-for-sam.epub").read_bytes())
    assert "Y/N" not in text and "Sam Imagines" in text and "Sam’s Summer" in text and "Mara x Sam" in text


def test_notes_that_only_explain_placeholders_leave_personalised_copies(tmp_path, stories):
    body = "A/N: Y/N = your name, E/C = eye colour\nY/N waved.\nA/N - thanks for reading!"
    stories({"1.txt": story_text(body=body)})
    assert run(tmp_path, "build", "-n", "Sam", "-o", "sam.epub", "--set", "E/C=green").returncode == 0
    assert run(tmp_path, "build", "-o", "neutral.epub").returncode == 0
    assert run(tmp_path, "build", "-n", "Sam", "--no-notes", "-o", "bare.epub").returncode == 0
    sam = page_text(epub_pages((tmp_path / "sam.epub").read_bytes())["EPUB/story-001.xhtml"])
    assert "your name" not in sam and "Sam waved." in sam and "thanks for reading" in sam
    neutral = page_text(epub_pages((tmp_path / "neutral.epub").read_bytes())["EPUB/story-001.xhtml"])
    assert "Y/N = your name" in neutral
    bare = page_text(epub_pages((tmp_path / "bare.epub").read_bytes())["EPUB/story-001.xhtml"])
    assert "A/N" not in bare and "Sam waved." in bare


HINTS = [
    # (readers file or None, arguments, the warnings on stderr): each hint sends the user where the
    # value belongs; the neutral edition keeps its codes on purpose and is not warned about.
    (None, ["-n", "Sam"], ["no value for E/C (1×, first at stories/1.txt:8): left as written; fill with --set E/C=…"]),
    (None, [], []),
    (None, ["--set", "E/C=green"], []),
    (
        '[[reader]]\nname = "Zoë"\n"E/C" = "grey"\n\n[[reader]]\nname = "Sam"\n',
        [],
        [
            "no value for E/C (1×, first at stories/1.txt:8) for Sam: left as written; "
            'add "E/C" = "…" to the [[reader]] entry (Sam\'s at friends.toml:5)'
        ],
    ),
    (
        '[[reader]]\nname = "Zoë"\n',
        ["-n", "Sam"],
        [
            "no value for E/C (1×, first at stories/1.txt:8): left as written; "
            'add "E/C" = "…" to the [[reader]] entry (Zoë\'s at friends.toml:1) or fill with --set E/C=…'
        ],
    ),
    (
        '[[reader]]\nname = "Zoë"\n"E/C" = "grey"\n',
        ["--set", "E/C=green"],
        ["--set E/C=green replaces the readers file's own value for Zoë ('grey', friends.toml:1)"],
    ),
    (
        None,
        ["-n", "Sam", "--set", "E/C=green", "--set", "B/F=Jo"],
        ["--set B/F: no story uses B/F, so it changes nothing"],
    ),
]


@pytest.mark.parametrize(("readers", "args", "expected"), HINTS)
def test_hints_say_where_a_value_belongs(tmp_path, stories, readers, args, expected):
    stories({"1.txt": STORY})
    if readers is not None:
        (tmp_path / "friends.toml").write_text(readers, encoding="utf-8")
        args = [*args, "--readers", "friends.toml"]
    result = invoke(tmp_path, "build", "--set", "L/N=Rivers", *args)
    assert result.returncode == 0, result.stderr
    lines = [line.removeprefix("ebookify: warning: ") for line in result.stderr.splitlines() if "warning" in line]
    assert lines == ['"Fog" (Mara Voss) is missing part 2 of 2', *expected]
    checked = invoke(tmp_path, "check", "--json", "--set", "L/N=Rivers", *args)
    assert json.loads(checked.stdout)["warnings"] == ['"Fog" (Mara Voss) is missing part 2 of 2', *expected]
