"""The readers file: real TOML texts -> Reader profiles, or one exact, located message."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from conftest import invoke, story_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebookify.errors import EbookifyError
from ebookify.model import Reader
from ebookify.readers import load_readers

BOM = "\ufeff"
QUOTES_HINT = ' (a code with a slash needs quotes: "L/N" = "Rivers")'
NO_TABLES = '{path} has no [[reader]] tables (each one: [[reader]] then name = "Sam")'
# Stand-ins for files that cannot be read as text at all.
DIRECTORY = object()
MISSING = object()


def write(tmp_path: Path, content: str | bytes | object) -> Path:
    """The readers file at tmp_path/friends.toml: text (written as UTF-8), bytes, a folder, or nothing."""
    path = tmp_path / "friends.toml"
    if content is DIRECTORY:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    return path


def load_error(path: Path, cwd: Path | None = None) -> str:
    with contextlib.chdir(cwd or Path.cwd()), pytest.raises(EbookifyError) as caught:
        load_readers(path)
    return str(caught.value)


# --- good files ---------------------------------------------------------------------------------

GOOD = [
    pytest.param(
        '[[reader]]\nname = "Sam"\n"L/N" = "Rivers"\n"E/C" = "green"\n',
        [Reader("Sam", {"L/N": "Rivers", "E/C": "green"})],
        id="one-reader",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n',
        [Reader("Sam", {})],
        id="name-only",
    ),
    pytest.param(
        "# Friends who get a copy\n"
        "\n"
        "[[reader]]\n"
        'name = "Zoë"  # accent\n'
        '"l/n" = "Åberg"\n'
        "\n"
        "# second one\n"
        "[[reader]]\n"
        'name = "🦀 Crab"\n'
        '"(E/C)" = "sea green"\n'
        "\n"
        "[[reader]]\n"
        'name = "Sam \\"Sammy\\" O\'Brien"\n'
        '"Y/L/N" = "Rivers"\n'
        "\n"
        "[[reader]]\n"
        'name = "Jo <&> Co"\n'
        '"[h/c]" = "<b>red</b> & gold"\n',
        [
            Reader("Zoë", {"L/N": "Åberg"}),
            Reader("🦀 Crab", {"E/C": "sea green"}),
            Reader('Sam "Sammy" O\'Brien', {"Y/L/N": "Rivers"}),
            Reader("Jo <&> Co", {"H/C": "<b>red</b> & gold"}),
        ],
        id="odd-names-in-file-order",
    ),
    pytest.param(
        '[[reader]]\nname = "Mia"\n"e/c" = "brown"\n"{S/C}" = "olive"\n" l / n " = "Park"\n"Y/l/n" = "Park"\n',
        [Reader("Mia", {"E/C": "brown", "S/C": "olive", "L/N": "Park", "Y/L/N": "Park"})],
        id="codes-any-case-and-bracket",
    ),
    pytest.param(
        '[[reader]]\nname = "  Sam  "\n"L/N" = "\u00a0Rivers  "\n"F/N" = " Samantha "\n',
        [Reader("Sam", {"L/N": "Rivers", "F/N": "Samantha"})],
        id="values-trimmed-and-first-name-allowed",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n"L/N" = "Rivers\t"\n',  # a literal tab, as pasted from a spreadsheet
        [Reader("Sam", {"L/N": "Rivers"})],
        id="value-with-trailing-tab",
    ),
    pytest.param(
        BOM + '[[reader]]\nname = "Sam"\n"L/N" = "Rivers"\n',
        [Reader("Sam", {"L/N": "Rivers"})],
        id="utf8-bom",
    ),
    pytest.param(
        BOM + '# comment\r\n\r\n[[reader]]\r\nname = "Sam"\r\n\r\n[[reader]]\r\nname = "Jo"\r\n"H/L" = "short"\r\n',
        [Reader("Sam", {}), Reader("Jo", {"H/L": "short"})],
        id="bom-and-windows-line-ends",
    ),
    pytest.param(
        "[[ reader ]]  # spaces and a comment on the header\n"
        "name = 'C:\\Sam'  # a literal string keeps its backslash\n"
        "'L/N' = 'Rivers'\n"
        "\n"
        "\n"
        "[[reader]]\n"
        'name = "سارة"\n'
        '"P/N" = "Biscuit"  # a code outside the usual families, as some stories use\n',
        [Reader("C:\\Sam", {"L/N": "Rivers"}), Reader("سارة", {"P/N": "Biscuit"})],
        id="literal-strings-rtl-name-other-code",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n\n[[reader]]\nname = "sam"\n',
        [Reader("Sam", {}), Reader("sam", {})],
        id="names-differing-in-case-are-two-readers",
    ),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_good_file(tmp_path: Path, text: str, expected: list[Reader]) -> None:
    assert load_readers(write(tmp_path, text)) == expected


def test_values_keep_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, '[[reader]]\nname = "Sam"\n"H/C" = "red"\n"(e/c)" = "grey"\n"L/N" = "Rivers"\n')
    assert list(load_readers(path)[0].values) == ["H/C", "E/C", "L/N"]


# --- bad files: the exact message -----------------------------------------------------------------

BAD = [
    # Not TOML at all: tomllib's reason, with the line.
    pytest.param(
        '[[reader]]\nname = "Sam"\n\nL/N = "Rivers"\n',
        "{path}:4 is not valid TOML: Expected '=' after a key in a key/value pair" + QUOTES_HINT,
        id="unquoted-code-key",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n  y/l/n = "Rivers"\n',
        "{path}:3 is not valid TOML: Expected '=' after a key in a key/value pair" + QUOTES_HINT,
        id="unquoted-code-key-lowercase-indented",
    ),
    pytest.param(
        '[[reader]]\nname "Sam"\n',
        "{path}:2 is not valid TOML: Expected '=' after a key in a key/value pair",
        id="missing-equals-no-hint",
    ),
    pytest.param(
        "[[reader]]\nname = Sam/Jo\n",
        "{path}:2 is not valid TOML: Invalid value",
        id="unquoted-value-with-slash-no-hint",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam\n"L/N" = "Rivers"\n',
        "{path}:2 is not valid TOML: Illegal character '\\n'",
        id="unterminated-string",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\nname = "Jo"\n',
        "{path}:3 is not valid TOML: Cannot overwrite a value",
        id="name-twice-in-one-reader",
    ),
    pytest.param(
        '[reader]\nname = "Sam"\n\n[[reader]]\nname = "Jo"\n',
        "{path}:4 is not valid TOML: Cannot overwrite a value",
        id="table-then-array-of-tables",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n(E/C) = "green"\n',
        "{path}:3 is not valid TOML: Invalid statement" + QUOTES_HINT,
        id="unquoted-bracketed-code-key",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n"L/N" =',
        "{path}:3 is not valid TOML: Invalid value",
        id="value-missing-at-end-of-file",
    ),
    # Valid TOML, but not a readers file.
    pytest.param("# no readers yet\n\n", NO_TABLES, id="comments-only"),
    pytest.param("", NO_TABLES, id="empty"),
    pytest.param(BOM, NO_TABLES, id="bom-only"),
    pytest.param("\n  \n\t\n", NO_TABLES, id="blank-lines-only"),
    pytest.param("reader = []\n", NO_TABLES, id="empty-reader-array"),
    pytest.param('reader = "Sam"\n', NO_TABLES, id="reader-is-a-string"),
    pytest.param('[reader]\nname = "Sam"\n', NO_TABLES, id="table-instead-of-array-of-tables"),
    pytest.param(
        'title = "Friends"\n\n[[reader]]\nname = "Sam"\n',
        "{path}:1 has 'title'; expected only [[reader]] tables",
        id="top-level-key",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n\n[settings]\nlanguage = "en"\n',
        "{path}:4 has 'settings'; expected only [[reader]] tables",
        id="top-level-table",
    ),
    pytest.param(
        '# friends\n[[readers]]\nname = "Sam"\n',
        "{path}:2 has 'readers'; expected only [[reader]] tables",
        id="readers-plural",
    ),
    pytest.param(
        'name = "Sam"\n"L/N" = "Rivers"\n',
        "{path}:1 has 'name'; expected only [[reader]] tables",
        id="header-forgotten",
    ),
    # A reader's name.
    pytest.param(
        '[[reader]]\nname = "Sam"\n\n[[reader]]\n"L/N" = "Rivers"\n',
        '{path}:4 this reader has no name (add name = "…")',
        id="reader-without-name",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n\n[[reader]]\n"L/N" = "Rivers"\nname = ""\n',
        "{path}:6 the name is empty",
        id="name-empty",
    ),
    pytest.param(
        "[[reader]]\nname = '   '\n",
        "{path}:2 the name is blank",
        id="name-blank",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n\n[[reader]]\nname = "Sam\\nJo"\n',
        "{path}:5 the name must be one line",
        id="name-multi-line-escape",
    ),
    pytest.param(
        '[[reader]]\nname = """Sam\nJo"""\n',
        "{path}:2 the name must be one line",
        id="name-multi-line-string",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam\\u202Eevil"\n',
        "{path}:2 the name contains an invisible formatting character (U+202E)",
        id="name-right-to-left-override",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam\\tJo"\n',
        "{path}:2 the name contains a control character",
        id="name-tab",
    ),
    pytest.param(
        '[[reader]]\nname = "' + "a" * 101 + '"\n',
        "{path}:2 the name is longer than 100 characters",
        id="name-too-long",
    ),
    pytest.param(
        "[[reader]]\nname = 7\n",
        '{path}:2 the value of name must be text in quotes: "name" = "…"',
        id="name-number",
    ),
    # Values.
    pytest.param(
        '[[reader]]\nname = "Sam"\n"L/N" = 3\n',
        '{path}:3 the value of L/N must be text in quotes: "L/N" = "…"',
        id="value-number",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n"L/N" = "Rivers"\n\n[[reader]]\nname = "Jo"\n"L/N" = true\n',
        '{path}:7 the value of L/N must be text in quotes: "L/N" = "…"',
        id="value-boolean-in-second-reader",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n"E/C" = ["green", "grey"]\n',
        '{path}:3 the value of E/C must be text in quotes: "E/C" = "…"',
        id="value-array",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n"(e/c)" = 1.5\n',
        '{path}:3 the value of (e/c) must be text in quotes: "(e/c)" = "…"',
        id="value-float-bracketed-key",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n"L/N" = { first = "Rivers" }\n',
        '{path}:3 the value of L/N must be text in quotes: "L/N" = "…"',
        id="value-inline-table",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n"L/N" = ""\n',
        "{path}:3 L/N is empty",
        id="value-empty",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n"h/c" = "red\\nbrown"\n',
        "{path}:3 H/C must be one line",
        id="value-multi-line",
    ),
    # Keys.
    pytest.param(
        '[[reader]]\nname = "Sam"\n"eye colour" = "green"\n',
        "{path}:3 'eye colour' is not a placeholder code like L/N or E/C",
        id="key-not-a-code",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\nnickname = "Sammy"\n',
        "{path}:3 'nickname' is not a placeholder code like L/N or E/C",
        id="bare-key-not-a-code",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n"Y/N" = "Sam"\n',
        "{path}:3 the reader's name is given as name = …, not Y/N",
        id="key-y-n",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n\n[[reader]]\nname = "Jo"\n"(y/n)" = "Jo"\n',
        "{path}:6 the reader's name is given as name = …, not (y/n)",
        id="key-bracketed-y-n",
    ),
    # The same reader twice: the second one's header.
    pytest.param(
        '[[reader]]\nname = "Sam"\n\n[[reader]]\nname = "Sam"\n',
        "{path}:4 'Sam' is listed twice; each reader once",
        id="same-name-twice",
    ),
    pytest.param(
        '[[reader]]\nname = "Sam"\n\n[[reader]]\nname = "Jo"\n\n[[reader]]  # again\nname = " Sam "\n',
        "{path}:7 'Sam' is listed twice; each reader once",
        id="same-name-after-trimming",
    ),
    # Not readable as text.
    pytest.param(DIRECTORY, "{path} is a folder, not a file", id="directory"),
    pytest.param(MISSING, "{path} does not exist", id="missing"),
]


@pytest.mark.parametrize(("content", "expected"), BAD)
def test_bad_file(tmp_path: Path, content: str | bytes | object, expected: str) -> None:
    path = write(tmp_path, content)
    assert load_error(path) == expected.replace("{path}", str(path))


# Every message names the file first, as "friends.toml:4 ..." does, so it reads as a sentence about
# that file and an editor can jump to it.
NOT_UTF8 = [
    pytest.param('[[reader]]\nname = "Zoë"\n'.encode("latin-1"), 2, id="latin-1"),
    pytest.param('[[reader]]\nname = "Sam"\n\n"L/N" = "Ri\x80vers"\n'.encode("latin-1"), 4, id="stray-byte"),
]
SHAPE = [pytest.param(p.values[0], id=p.id) for p in [*BAD, *NOT_UTF8]]


@pytest.mark.parametrize("content", SHAPE)
def test_message_starts_with_the_file(tmp_path: Path, content: str | bytes | object) -> None:
    path = write(tmp_path, content)
    message = load_error(path)
    assert message.startswith(str(path))
    assert "\n" not in message


@pytest.mark.parametrize("content", SHAPE)
def test_the_command_says_it_in_one_line(tmp_path: Path, content: str | bytes | object) -> None:
    """What a user sees: `ebookify build --readers friends.toml` exits 1 with the message as one
    line of ours, nothing on stdout, no traceback (an exception would reach pytest here)."""
    write(tmp_path, content)
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "1.txt").write_text(story_text(), encoding="utf-8")
    result = invoke(tmp_path, "build", "--readers", "friends.toml")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"ebookify: error: {load_error(Path('friends.toml'), cwd=tmp_path)}\n"


@pytest.mark.parametrize(("content", "line"), NOT_UTF8)
def test_not_utf8_names_the_line(tmp_path: Path, content: bytes, line: int) -> None:
    path = write(tmp_path, content)
    message = load_error(path)
    assert message.startswith(f"{path}:{line} ")
    assert "UTF-8" in message
    assert "codec" not in message
    assert "position" not in message


# --- readers that vanish or change without a word ------------------------------------------------

SAME_DATA_OTHER_SYNTAX = [
    pytest.param('reader = [{ name = "Sam", "L/N" = "Rivers" }]\n', id="inline-array-of-tables"),
    pytest.param('[["reader"]]\nname = "Sam"\n"L/N" = "Rivers"\n', id="quoted-header"),
]


@pytest.mark.parametrize("text", SAME_DATA_OTHER_SYNTAX)
def test_same_readers_in_other_toml_syntax(tmp_path: Path, text: str) -> None:
    assert load_readers(write(tmp_path, text)) == [Reader("Sam", {"L/N": "Rivers"})]


def test_reader_array_of_strings_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, 'reader = ["Sam", "Jo"]\n')
    assert load_error(path).startswith(f"{path}:1 ")


def test_same_code_twice_in_one_reader_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[[reader]]\nname = "Sam"\n"L/N" = "Rivers"\n"(l/n)" = "Brook"\n')
    assert load_error(path).startswith(f"{path}:4 ")


# --- any name: loaded trimmed, or refused with a located message ----------------------------------


def toml_string(text: str) -> str:
    """A TOML basic string holding exactly `text`."""
    escaped = "".join(
        f"\\u{ord(ch):04X}" if ch < " " or ch == "\x7f" else "\\" + ch if ch in '"\\' else ch for ch in text
    )
    return f'"{escaped}"'


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=30))
def test_any_name_loads_or_is_refused_on_its_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / "friends.toml"
    path.write_text(f"# one friend\n[[reader]]\nname = {toml_string(name)}\n", encoding="utf-8")
    try:
        readers = load_readers(path)
    except EbookifyError as exc:
        assert str(exc).startswith(f"{path}:3 the name ")
    else:
        assert readers == [Reader(name.strip(), {})]
