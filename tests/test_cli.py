"""The command as a user meets it: a real process, one plain line per error, nothing lost."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from conftest import invoke, story_text

GOOD = story_text("Mara Voss - The Last Ferry", body="Y/N ran.\nThe ferry left.")
EARLIER = b"an earlier build, which a failed build must leave alone"


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ebookify", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


ERRORS = [
    # (story files or None for no folder, arguments, the one line on stderr)
    (None, ["--name", "Sam"], "the stories folder stories does not exist"),
    (
        {"notes.rtf": "hi", "cover.jpg": "x"},
        ["--name", "Sam"],
        "the stories folder stories has no story files (.txt, .md, .html or .epub)",
    ),
    ({"001.txt": GOOD, "002.txt": ""}, ["--name", "Sam"], "stories/002.txt is empty"),
    (
        {"001.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
        [],
        "stories/001.txt is not a text file (it contains NUL bytes)",
    ),
    ({"001.txt": "Mara Voss - The Last Ferry\n"}, [], "stories/001.txt:1 has a title line but no story text"),
    ({"001.txt": b"Fog\n\nok \x81\x8d"}, [], "stories/001.txt:3 is neither UTF-8 nor Windows-1252 text (byte 0x81)"),
    ({"001.txt": GOOD}, ["--name", ""], "the name is empty"),
    ({"001.txt": GOOD}, ["--name", "   "], "the name is blank"),
    ({"001.txt": GOOD}, ["--name", "Sam\nAlex"], "the name must be one line"),
    ({"001.txt": GOOD}, ["--name", "Sam", "--name", "\t"], "the name is blank"),
    ({"001.txt": GOOD}, ["--name", "x" * 101], "the name is longer than 100 characters"),
    ({"001.txt": GOOD}, ["--set", "L/N"], "--set 'L/N' is not KEY=VALUE (for example --set L/N=Rivers)"),
    ({"001.txt": GOOD}, ["--set", "Last=Rivers"], "--set: 'Last' is not a placeholder code like L/N or E/C"),
    ({"001.txt": GOOD}, ["--set", "L/N="], "the value of --set L/N is empty"),
    ({"001.txt": GOOD}, ["--set", "Y/N=Sam"], "--set: Y/N is the reader's name, not a value; use --name"),
    ({"001.txt": GOOD}, ["--series-index", "0"], "--series-index 0 must be 1 or more"),
    ({"001.txt": GOOD}, ["--author", "A\u202eB"], "--author contains an invisible formatting character (U+202E)"),
    ({"001.txt": GOOD}, ["--language", "English"], "--language 'English' is not a language code like en or en-GB"),
    ({"001.txt": GOOD}, ["--title", " "], "--title is blank"),
    (
        {"001.txt": GOOD},
        ["-n", "Sam", "-n", "Alex", "-o", "x.epub"],
        "-o/--output names one file, but there are several readers; use --out-dir",
    ),
    ({"001.txt": GOOD}, ["--name", "Sam"], "SOURCE_DATE_EPOCH 'yesterday' is not a whole number of seconds"),
]


@pytest.mark.parametrize(("files", "args", "message"), ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_bad_input_is_one_plain_line_and_loses_nothing(tmp_path, stories, files, args, message):
    if files is not None:
        stories(files)
    earlier = tmp_path / "dist" / "the-last-ferry-for-sam.epub"
    earlier.parent.mkdir()
    earlier.write_bytes(EARLIER)
    env = {"SOURCE_DATE_EPOCH": "yesterday"} if "SOURCE_DATE_EPOCH" in message else None
    result = invoke(tmp_path, "build", *args, env=env)  # in this process; a real one below
    assert result.returncode == 1
    assert result.stderr == f"ebookify: error: {message}\n"
    assert result.stdout == ""
    assert earlier.read_bytes() == EARLIER
    assert os.listdir(earlier.parent) == [earlier.name]  # no temporary or half-written file


@pytest.mark.parametrize("row", [ERRORS[2], ERRORS[-1]], ids=["empty-file", "epoch"])
def test_the_table_holds_in_a_real_process(tmp_path, stories, row):
    """The table above runs in this process; a real `python -m ebookify` says the same."""
    files, args, message = row
    stories(files)
    env = {"SOURCE_DATE_EPOCH": "yesterday"} if "SOURCE_DATE_EPOCH" in message else None
    result = run(tmp_path, "build", *args, env=env)
    assert (result.returncode, result.stderr, result.stdout) == (1, f"ebookify: error: {message}\n", "")


def test_unwritable_output_is_an_error_and_leaves_no_file(tmp_path, stories):
    stories({"001.txt": GOOD})
    (tmp_path / "dist").write_text("a file where the folder should be")
    result = run(tmp_path, "build", "--name", "Sam")
    assert result.returncode == 1
    assert result.stderr.startswith("ebookify: error: cannot write dist/the-last-ferry-for-sam.epub")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_mistyped_option_is_one_line_with_the_likely_ones(tmp_path):
    result = run(tmp_path, "build", "--nmae", "Sam")
    assert result.returncode == 2
    assert result.stderr == (
        "ebookify: error: no such option: --nmae (Possible options: --name, --notes); see ebookify build --help\n"
    )


def test_build_prints_each_path_and_a_summary(tmp_path, stories):
    stories({"001.txt": GOOD, "002.txt": story_text("Ansel - Lanterns", body="(L/N) waved.\n[E/C] eyes.")})
    result = run(tmp_path, "build", "--name", "Sam", "--name", "Alex", "--set", "l/n=Rivers")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "dist/harbour-imagines-for-sam.epub",
        "dist/harbour-imagines-for-alex.epub",
    ]
    assert result.stderr.splitlines() == [
        "ebookify: warning: no value for E/C (1×, first at stories/002.txt:6): left as written; fill with --set E/C=…",
        "2 EPUBs of 'Harbour Imagines': 2 stories, 2 parts, 9 words",
        "  Sam: 2 placeholders replaced",
        "  Alex: 2 placeholders replaced",
    ]
    assert (tmp_path / "dist" / "harbour-imagines-for-sam.epub").stat().st_size > 0


def test_output_option_and_other_folders(tmp_path, stories):
    folder = stories({"001.txt": GOOD})
    folder.rename(tmp_path / "wattpad")
    result = run(tmp_path, "build", "--stories", "wattpad", "-n", "Sam", "-o", "out/mine.epub")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "out/mine.epub\n"
    assert (tmp_path / "out" / "mine.epub").is_file()


def test_missing_part_is_a_warning_naming_story_and_part(tmp_path, stories):
    stories(
        {"001.txt": story_text("Ansel - Lanterns (part 1/3)"), "003.txt": story_text("Ansel - Lanterns (part 3/3)")}
    )
    result = run(tmp_path, "build")
    assert result.returncode == 0
    assert 'ebookify: warning: "Lanterns" (Ansel) is missing part 2 of 3\n' in result.stderr


def test_help_explains_every_option_with_an_example(tmp_path):
    result = run(tmp_path, "build", "--help", env={"COLUMNS": "200"})
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # help is wrapped to the terminal: read it as one line
    for option, example in [
        ("--name", "--name Sam --name Alex"),
        ("--stories", "--stories ~/wattpad"),
        ("--covers", "covers"),
        ("--out-dir", "--out-dir ~/Books"),
        ("--output", "-o sam.epub"),
        ("--set", "--set L/N=Rivers --set E/C=green"),
        ("--title", '--title "Summer Reads"'),
        ("--author", '--author "Mara"'),
        ("--language", "--language en-GB"),
    ]:
        assert option in text and example in text, option


def test_version_and_module_entry_point(tmp_path):
    from ebookify import __version__

    assert run(tmp_path, "--version").stdout == f"ebookify {__version__}\n"


def test_broken_cover_image_is_an_error_naming_it(tmp_path, stories):
    stories({"001.txt": GOOD})
    (tmp_path / "covers").mkdir()
    (tmp_path / "covers" / "harbour imagines.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    result = run(tmp_path, "build", "--name", "Sam")
    assert result.returncode == 1
    assert result.stderr == "ebookify: error: covers/harbour imagines.jpg is not a readable JPEG or PNG image\n"
    assert not (tmp_path / "dist").exists()


def test_check_and_sharing_options_are_documented(tmp_path):
    build_help = " ".join(run(tmp_path, "build", "--help", env={"COLUMNS": "200"}).stdout.split())
    assert "--readers friends.toml" in build_help and "--strict" in build_help
    check_help = run(tmp_path, "check", "--help", env={"COLUMNS": "200"}).stdout
    for option in ("--json", "--name", "--set", "--readers", "--stories", "--title"):
        assert option in check_help, option


SUMMARIES = [
    # (story body, extra arguments, the summary lines on stderr)
    ("Y/N ran.", ["--kepub"], ["1 EPUB and 1 Kobo KEPUB of 'The Last Ferry': 1 story, 1 part, 2 words"]),
    (
        "Y/N ran.",
        ["-n", "Alex", "--kepub"],
        ["2 EPUBs and 2 Kobo KEPUBs of 'The Last Ferry': 1 story, 1 part, 2 words"],
    ),
    (
        " ".join(["Y/N"] * 1_650),
        [],
        ["1 EPUB of 'The Last Ferry': 1 story, 1 part, 1,650 words", "  Sam: 1,650 placeholders replaced"],
    ),
    ("Nobody here.", [], ["1 EPUB of 'The Last Ferry': 1 story, 1 part, 2 words", "  Sam: 0 placeholders replaced"]),
]


@pytest.mark.parametrize(("body", "args", "expected"), SUMMARIES)
def test_the_summary_counts_in_words(tmp_path, stories, body, args, expected):
    stories({"001.txt": story_text("Mara Voss - The Last Ferry", body=body, stats=None)})
    result = run(tmp_path, "build", "-n", "Sam", *args)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[: len(expected)] == expected


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_short_and_long_help(tmp_path, flag):
    for command in ([], ["build"], ["check"], ["lint"]):
        result = run(tmp_path, *command, flag)
        assert result.returncode == 0 and result.stdout.startswith("Usage: "), result.stderr


MADE_PROBE = (
    "import sys, typer.main\n"
    "from ebookify import cli\n"
    "real = typer.main.get_command_from_info\n"
    "def spy(command_info, **more):\n"
    "    print('made', cli._command_name(command_info), file=sys.stderr)\n"
    "    return real(command_info=command_info, **more)\n"
    "typer.main.get_command_from_info = spy\n"
    "sys.argv = ['ebookify', *sys.argv[1:]]\n"
    "cli.run()\n"
)


@pytest.mark.parametrize(
    ("args", "made", "says"),
    [
        (["build", "--help"], ["build"], "Usage: ebookify build [OPTIONS]"),
        (["lint", "--help"], ["lint"], "Usage: ebookify lint [OPTIONS] {EPUB...}"),
        (["--help"], ["build", "send", "check", "lint", "serve"], "Usage: ebookify [OPTIONS] COMMAND [ARGS]..."),
        (["--version", "build"], ["build", "send", "check", "lint", "serve"], "ebookify "),
        (["buidl"], ["build", "send", "check", "lint", "serve"], ""),
    ],
)
def test_only_the_command_asked_for_is_made(tmp_path, args, made, says):
    """typer turns each command's signature into options at every start: `ebookify build` makes
    the build command's alone; with no command first (help, --version, a misspelt one), the whole
    app is there, as its help and "Did you mean" need."""
    result = subprocess.run(
        [sys.executable, "-c", MADE_PROBE, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert [line.split()[1] for line in result.stderr.splitlines() if line.startswith("made ")] == made
    assert result.stdout.startswith(says)
    if args == ["buidl"]:
        assert result.returncode == 2 and "no such command 'buidl'. Did you mean 'build'?" in result.stderr


LONG_TITLE = "Ansel Quade x Reader - The Lantern Keeper of the Long Northern Causeway"
CHECK_STORIES = {
    "01.txt": story_text(f"{LONG_TITLE} (part 1/2)", stats="23.7K 1.1K 96"),
    "02.txt": story_text(f"{LONG_TITLE} (part 2/2)", body=" ".join(["word"] * 12_345)),
}


def test_check_in_a_pipe_is_plain_lines(tmp_path, stories):
    stories(CHECK_STORIES)
    result = run(tmp_path, "check", "-n", "Sam")
    assert result.stdout.splitlines() == [
        "The Lantern Keeper of the Long Northern Causeway: 1 story, 2 parts, 12,356 words",
        "The Lantern Keeper of the Long Northern Causeway (Ansel Quade x Reader): 12,356 words",
        "  part 1: stories/01.txt, 11 words, 23.7K reads · 1.1K votes · 96 comments",
        "  part 2: stories/02.txt, 12,345 words, 14.2K reads · 803 votes · 57 comments",
        "placeholders:",
        "  Y/N (your name): 1×, first at stories/01.txt:6; yes",
    ]


@pytest.mark.parametrize("columns", [60, 80, 100, 140])
def test_check_on_a_terminal_never_cuts_a_number_or_a_word(tmp_path, stories, columns):
    stories(CHECK_STORIES)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    with subprocess.Popen(
        [sys.executable, "-m", "ebookify", "check", "-n", "Sam"], cwd=tmp_path, stdout=slave, stderr=slave, env=env
    ) as process:
        os.close(slave)
        screen = b""
        while chunk := _read(master):
            screen += chunk
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode())
    assert process.returncode == 0
    assert "…" not in text
    assert all(len(line) <= columns for line in text.splitlines() if not line.startswith("ebookify: "))
    for whole in ("12,345", "12,356", "Lantern", "Keeper", "Causeway", "stories/02.txt"):
        assert whole in text


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal closed when the command ended
        return b""


USAGE = [
    # (arguments, the one line on stderr): a name typed without its option is pointed to it
    (["build", "Sam"], "unexpected argument Sam; to make a copy for Sam, use --name Sam"),
    (
        ["check", "Sam", "Alex"],
        "unexpected arguments Sam Alex; to make a copy for Sam and Alex, use --name Sam --name Alex",
    ),
    (
        ["build", "--series-index", "abc"],
        "invalid value for '--series-index': 'abc' is not a valid int; see ebookify build --help",
    ),
]


@pytest.mark.parametrize(("args", "line"), USAGE)
def test_usage_errors_are_one_line_with_the_way_out(tmp_path, args, line):
    result = run(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr == f"ebookify: error: {line}\n"


def test_lint_reports_every_book_even_after_an_unreadable_one(tmp_path, stories):
    stories({"001.txt": GOOD})
    assert run(tmp_path, "build", "-n", "Sam", "-o", "good.epub").returncode == 0
    (tmp_path / "junk.epub").write_bytes(b"not a zip")
    result = run(tmp_path, "lint", "missing.epub", "junk.epub", "good.epub")
    assert result.returncode == 1
    assert result.stdout == "good.epub: ok\n"
    assert result.stderr.splitlines() == [
        "ebookify: error: missing.epub does not exist",
        "ebookify: error: junk.epub is not a readable EPUB (File is not a zip file)",
    ]


def test_output_into_an_existing_folder_uses_the_usual_names(tmp_path, stories):
    stories({"001.txt": GOOD})
    (tmp_path / "Books").mkdir()
    result = run(tmp_path, "build", "-n", "Sam", "-n", "Alex", "-o", "Books")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Books/the-last-ferry-for-sam.epub", "Books/the-last-ferry-for-alex.epub"]
