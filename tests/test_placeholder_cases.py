"""Placeholders without false positives: fandom shorthand, legends, and one definition shared by
the survey (check, warnings, --strict) and personalising. Real shapes, written in our own words."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, assert_sound_epub, epub_pages, page_text, story_text
from hypothesis import given
from hypothesis import strategies as st

from ebookify.build import BuildOptions, build
from ebookify.check import check
from ebookify.errors import EbookifyError
from ebookify.marks import plain
from ebookify.personalise import (
    FAMILIES,
    Tally,
    explains_placeholders,
    find_codes,
    mark_fandom_shorthand,
    personalise,
)
from ebookify.typography import typeset

FIXTURE = REPO / "tests" / "fixtures" / "ao3" / "shorthand.html"
VALUES = {"Y/N": "Sam", "F/N": "Sam", "L/N": "Rivers", "H/C": "brown", "E/C": "green", "Y/F/N": "Alex"}


def _cases(*rows: tuple) -> list:
    return [pytest.param(*row[1:], id=row[0]) for row in rows]


# (what, text of a summary or note, the placeholder codes found there)
IN_NOTES_AND_SUMMARIES = _cases(
    ("hurt-comfort", "A fandom-grade h/c story.", []),
    ("hurt-comfort-in-a-list", "angst, h/c, fluff", []),
    ("hurt-comfort-at-the-start", "h/c ahead!", []),
    ("ship-initials", "Written for the H/D fest.", []),
    ("ship-initials-lower-case", "for h/d week", []),
    ("bracketed-hair-colour-is-one", "with (h/c) hair", ["H/C"]),
    ("capital-hair-colour-is-one", "with H/C hair", ["H/C"]),
    ("square-bracketed-is-one", "[h/c] curls", ["H/C"]),
    ("the-name-still-is-one", "y/n has a bad day", ["Y/N"]),
    ("bracketed-unknown-is-one", "her (B/F)", ["B/F"]),
    ("abbreviations", "w/e, b/c, n/a, s/o, 18 y/o, f/f, m/m, f/m, p/s, j/k, a/b/o", []),
    ("capital-abbreviations", "A/N: F/M, M/M, N/A, A/B/O, T/W", []),
)

# (what, text of a story paragraph, the placeholder codes found there)
IN_STORY_TEXT = _cases(
    ("hair-colour-lower-case", "your h/c hair", ["H/C"]),
    ("hair-colour-capitals", "your H/C hair", ["H/C"]),
    ("name-lower-case", "y/n laughed", ["Y/N"]),
    ("three-letter-code-lower-case", "y/f/n laughed", ["Y/F/N"]),
    ("three-letter-code-capitals", "Y/B/F waved", ["Y/B/F"]),
    ("unknown-two-letter-lower-case-is-a-word", "her b/f and w/e", []),
    ("unknown-capitals", "the X/Y thing", ["X/Y"]),
    ("abbreviations", "A/N: n/a w/o b/c", []),
)


@pytest.mark.parametrize(("text", "codes"), IN_NOTES_AND_SUMMARIES)
def test_codes_in_notes_and_summaries(text: str, codes: list[str]) -> None:
    marked = mark_fandom_shorthand(text)
    assert find_codes(marked) == codes
    tally = Tally()
    out = personalise(marked, VALUES | {"H/D": "x", "B/F": "Tom"}, tally)
    assert sum(tally.replaced.values()) == len(codes)
    if not codes:
        assert plain(out) == text


@pytest.mark.parametrize(("text", "codes"), IN_STORY_TEXT)
def test_codes_in_story_text(text: str, codes: list[str]) -> None:
    assert find_codes(text) == codes


# (what, text as written, as a personalised copy shows it)
LEGENDS = _cases(
    ("mixed-note", "My first fic! Y/N = your name, L/N = last name", "My first fic! Y/N = your name, L/N = last name"),
    ("bracketed-dash", "(y/n) - your name", "(y/n)—your name"),
    ("colon", "Y/N: your name", "Y/N: your name"),
    ("last-name", "L/N = last name", "L/N = last name"),
    ("and", "Y/N = your name and L/N = last name", "Y/N = your name and L/N = last name"),
    ("two-spaces-between", "Y/N = your name  E/C = eye colour", "Y/N = your name  E/C = eye colour"),
    ("american", "H/C = hair color", "H/C = hair color"),
    ("possessive", "Y/F/N = your friend's name", "Y/F/N = your friend’s name"),
    ("equals-any-words", "Y/F/N = your best friend", "Y/F/N = your best friend"),
    ("arrow", "y/n -> your name", "y/n -> your name"),
    ("bracketed-meaning", "(Y/N) = (your name)", "(Y/N) = (your name)"),
    ("bold-code", "\ufdd2Y/N\ufdd3 = your name", "\ufdd2Y/N\ufdd3 = your name"),
    ("legend-then-story", "Y/N = your name. Y/N smiled.", "Y/N = your name. Sam smiled."),
    ("story-then-legend", "Hi (Y/N)! L/N: last name", "Hi Sam! L/N: last name"),
    # Not legends: the code is the reader, so it is replaced.
    ("a-sentence-about-a-name", "Y/N is a pretty name, he said.", "Sam is a pretty name, he said."),
    ("chat-line", "Y/N: nice name.", "Sam: nice name."),
    ("aside-in-dashes", "Y/N - your best friend - was late.", "Sam—your best friend—was late."),
    ("name-then-dash-and-words", "Y/N—your name—rang out.", "Sam—your name—rang out."),
    ("equals-then-a-long-sentence", "Y/N = the one who always came back late at night", None),
    ("title-with-equals", "Y/N = Trouble", "Sam = Trouble"),
    ("title-with-equals-and-the", "Y/N + Coffee = The Worst", "Sam + Coffee = The Worst"),
)


@pytest.mark.parametrize(("text", "expected"), LEGENDS)
def test_legend_clauses_are_never_substituted(text: str, expected: str | None) -> None:
    typeset_text = typeset(text)
    tally = Tally()
    out = personalise(typeset_text, VALUES, tally)
    if expected is None:  # too long to be a legend: a sentence, personalised
        assert out.startswith("Sam = ")
    else:
        assert out == expected
    assert Counter(find_codes(typeset_text)) == tally.replaced


# (what, a note as written, whether it only explains the placeholders)
NOTES = _cases(
    ("legend-only", "Y/N = your name, L/N = last name", True),
    ("legend-with-label", "A/N: (y/n) - your name", True),
    ("legend-with-and", "Y/N = your name and E/C = eye colour.", True),
    ("legend-with-line-break", "Y/N = your name\ufdd4(h/c) = hair colour", True),
    ("mixed", "My first fic! Y/N = your name, L/N = last name", False),
    ("legend-then-thanks", "Y/N = your name. Thanks for reading!", False),
    ("about-the-story", "Lots of h/c in this one, sorry!", False),
    ("a-chat-line", "Y/N: nice name.", False),
)


@pytest.mark.parametrize(("note", "explains"), NOTES)
def test_notes_that_only_explain(note: str, explains: bool) -> None:
    assert explains_placeholders(typeset(note)) is explains


CODE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["Y/N", "y/n", "(L/N)", "h/c", "H/C", "[e/c]", "X/Y", "b/f", "y/f/n", "A/N", "n/a"]),
        st.sampled_from([" = ", ": ", " - ", "—", " your name", " last name", " eye colour", " hair", ", ", ". "]),
        st.sampled_from(list("ab /()'\ufdd2\ufdd3\ufdd4")),
    ),
    max_size=16,
).map("".join)


@given(CODE_TEXT)
def test_the_survey_finds_exactly_what_personalising_replaces(text: str) -> None:
    found = find_codes(text)
    tally = Tally()
    personalise(text, dict.fromkeys(set(found) | set(FAMILIES), "Zoë"), tally)
    assert tally.replaced == Counter(found)
    assert not tally.missing


@given(CODE_TEXT)
def test_marked_shorthand_is_never_replaced_and_reads_as_written(text: str) -> None:
    marked = mark_fandom_shorthand(text)
    assert plain(marked) == plain(text)
    assert mark_fandom_shorthand(marked) == marked
    assert not Counter(find_codes(marked)) - Counter(find_codes(text))  # marking only ever takes away


# End to end: an AO3 download with "h/c" in its summary, a ship's initials, and notes holding a
# legend, built with --strict and --set, as a reader would.
@pytest.fixture
def shorthand_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "stories"
    folder.mkdir()
    shutil.copy(FIXTURE, folder / "lanterns.html")
    return folder


def _book_text(path: Path) -> str:
    return "\n".join(page_text(page) for page in epub_pages(path.read_bytes()).values())


def test_check_finds_only_the_story_placeholders(shorthand_folder: Path) -> None:
    report = check(BuildOptions(stories=shorthand_folder, names=("Sam",)))
    assert {f.code: f.count for f in report.placeholders} == {"Y/N": 3, "L/N": 1}
    assert not [w for w in report.warnings if "H/C" in w or "H/D" in w]


def test_strict_build_with_set_keeps_the_shorthand_and_the_legend(shorthand_folder: Path, tmp_path: Path) -> None:
    options = BuildOptions(
        stories=shorthand_folder,
        out_dir=tmp_path / "dist",
        covers=tmp_path / "no-covers",
        names=("Sam",),
        values={"L/N": "Rivers", "H/C": "brown"},
        strict=True,
    )
    report = build(options)
    (written,) = report.written
    assert_sound_epub(written.path)  # EPUBCheck: books.py ao3-mix holds shorthand.html
    assert written.tally.replaced == Counter({"Y/N": 3, "L/N": 1})
    text = _book_text(written.path)
    assert "Fandom-grade h/c, the comfortable kind: Sam takes a knock" in text
    assert "brown" not in text
    assert "Also H/D fans" in text
    assert "My first fic! Y/N = your name, L/N = last name" in text
    assert "(y/n)—your name" not in text  # a note that only explains is left out of Sam's copy
    assert "“Sam Rivers,” said Captain Flint" in text
    assert "Lanterns in the ’Verse" in text and "‘Verse" not in text
    assert "It’s barely a scratch….”" in text and "The lantern burned on…." in text
    assert "She was 5′11″" in text and "rock ’n’ roll" in text and "“She said ‘sit,’” Pike" in text
    assert "\ufddf" not in text
    assert written.path.name == "lanterns-in-the-verse-for-sam.epub"


def test_strict_build_is_refused_only_for_a_real_placeholder(shorthand_folder: Path, tmp_path: Path) -> None:
    options = BuildOptions(
        stories=shorthand_folder, out_dir=tmp_path / "dist", names=("Sam",), strict=True, covers=tmp_path / "none"
    )
    with pytest.raises(EbookifyError, match=r"^strict: no value for L/N \(1×"):
        build(options)


def test_neutral_copy_keeps_legends_and_fills_other_values(shorthand_folder: Path, tmp_path: Path) -> None:
    options = BuildOptions(
        stories=shorthand_folder, out_dir=tmp_path / "dist", values={"L/N": "Rivers"}, covers=tmp_path / "none"
    )
    (written,) = build(options).written
    text = _book_text(written.path)
    assert "My first fic! Y/N = your name, L/N = last name" in text
    assert "(y/n)—your name" in text
    assert "“Y/N Rivers,” said Captain Flint" in text
    assert "Fandom-grade h/c" in text


def test_wattpad_story_text_still_fills_lower_case_hair_colour(stories, tmp_path: Path) -> None:
    body = "A/N: lots of h/c in this one!\nYou tied back your h/c hair.\nY/N = your name, H/C = hair colour, sorry"
    folder = stories({"01.txt": story_text(body=body)})
    options = BuildOptions(
        stories=folder, out_dir=tmp_path / "dist", names=("Sam",), values={"H/C": "red"}, covers=tmp_path / "none"
    )
    (written,) = build(options).written
    text = _book_text(written.path)
    assert "lots of h/c in this one!" in text
    assert "You tied back your red hair." in text
    assert "Y/N = your name, H/C = hair colour, sorry" in text
