"""Hostile runs (60,000 spaces, dots, quotes, capitals) give the right result. That they are also
quick is measured by bench/growth.py, not asserted here: a timing bar in a test fails on a busy
machine. A quadratic step would still show here as a test that takes minutes."""

from __future__ import annotations

import pytest
from conftest import REPO

from ebookify.ao3 import read_work
from ebookify.build import BuildOptions, build
from ebookify.kepub import split_sentences
from ebookify.parse import parse_chapter, split_title_line
from ebookify.personalise import Tally, explains_placeholders, find_codes, personalise
from ebookify.typography import typeset

SPACES = " " * 60_000


# Hostile whitespace and runs: the result is right (bench/growth.py measures that it is quick).
def test_a_huge_run_of_spaces_before_a_dash_elsewhere() -> None:
    text = "It was" + " " * 60_000 + "over. Then -- silence."
    assert typeset(text) == "It was" + " " * 60_000 + "over. Then—silence."


def test_a_huge_run_of_spaces_around_a_hyphen() -> None:
    spaces = " " * 30_000
    assert typeset(f"So{spaces}-{spaces}fine") == "So—fine"
    assert typeset(f"5{spaces}x - 6") == f"5{spaces}x—6"


@pytest.mark.parametrize(
    ("unit", "around"),
    [
        pytest.param(".", "a{}b", id="dots"),
        pytest.param("-", "a{}b", id="hyphens"),
        pytest.param("/", "a{}b", id="slashes"),
        pytest.param(" '", "x{}", id="unclosed-single-quotes"),
    ],
)
def test_long_runs_are_left_as_written(unit: str, around: str) -> None:
    text = around.format(unit * 30_000)
    assert typeset(text) == text


def test_a_huge_run_of_spaced_dots_is_left_as_written() -> None:
    text = "Wait" + ". " * 30_000
    assert typeset(text) == text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(f"Who - Title{SPACES}x", ("Who", f"Title{SPACES}x", None, None), id="spaces-then-no-part"),
        pytest.param(f"Who - Title{SPACES}(part 2/3)", ("Who", "Title", 2, 3), id="spaces-then-part"),
        pytest.param(f"Who - Title{'-' * 30_000}x", ("Who", f"Title{'-' * 30_000}x", None, None), id="dashes"),
        pytest.param(
            f"Who - Title ({SPACES}part{SPACES}x", ("Who", f"Title ({SPACES}part{SPACES}x", None, None), id="part-word"
        ),
    ],
)
def test_title_line_with_huge_runs(line: str, expected: tuple) -> None:
    assert split_title_line(line) == expected


def test_story_file_with_a_huge_run_of_spaces_and_a_dash(stories, tmp_path) -> None:
    """The case from the report: a 60 KB Wattpad file, one line of 60,000 spaces, "--" elsewhere."""
    text = f"Mara Voss x Reader - Spaces\n\nShe waited.{SPACES}Then -- nothing.\nY/N sighed....\n"
    chapter = parse_chapter(text, "spaces.txt")[0]
    assert chapter.title == "Spaces"
    folder = stories({"01.txt": text})
    report = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist", names=("Sam",), covers=tmp_path / "none"))
    (written,) = report.written
    assert written.tally.replaced["Y/N"] == 1


def test_placeholders_and_legends_in_huge_runs() -> None:
    text = f"Y/N{SPACES}= your name" + "/" * 30_000 + " y/n" + " Y/N =" * 10_000
    assert find_codes(text)[:2] == ["Y/N", "Y/N"]
    out = personalise(f"Y/N = {'a' * 60_000}", {"Y/N": "Sam"}, Tally())
    assert out.startswith("Sam = aaa")
    assert explains_placeholders(f"{SPACES}Y/N = your name{SPACES}")
    assert not explains_placeholders(f"Y/N = {'your ' * 20_000}")


def test_kepub_sentences_in_huge_runs() -> None:
    for text in (f"a{'!' * 60_000}b", f"a{'.' * 60_000} B", f"Wait{'…' * 30_000}{SPACES}Go."):
        assert "".join(split_sentences(text)) == text
    assert split_sentences(f"Stop{'!' * 60_000} Go.") == [f"Stop{'!' * 60_000} ", "Go."]


def test_ao3_stats_with_a_huge_run_of_capitals() -> None:
    html = (REPO / "tests" / "fixtures" / "ao3" / "oneshot.html").read_text()
    html = html.replace("Words: 494", "Words: 494 " + "A " * 30_000)
    story = read_work(html.encode(), "oneshot.html")[0]
    assert story.work is not None and story.work.words == 494
