"""Reader-insert placeholders -> the reader's own values, and the checks on those values."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ebookify.build import BuildOptions, build
from ebookify.errors import EbookifyError, OptionError
from ebookify.personalise import (
    Tally,
    explains_placeholders,
    find_codes,
    normalise_code,
    personalise,
    reader_values,
)
from ebookify.validate import MAX_VALUE_LENGTH, check_value, check_values

NAMES = [
    pytest.param("Zoë", id="accent"),
    pytest.param("O'Brien", id="apostrophe"),
    pytest.param("mary-jane", id="hyphen-lowercase"),
    pytest.param("DJ", id="capitals"),
    pytest.param("李", id="cjk"),
    pytest.param("<b>&amp;", id="markup"),
    pytest.param(r"\g<0>\1", id="regex-replacement-escapes"),
]

# "@" stands for the name in the expected text (str.format would choke on names with braces).
Y_N_VARIANTS = [
    pytest.param("Y/N", "@", id="plain"),
    pytest.param("y/n", "@", id="lowercase"),
    pytest.param("Y/n", "@", id="mixed-case"),
    pytest.param("(Y/N)", "@", id="round-brackets"),
    pytest.param("[Y/N]", "@", id="square-brackets"),
    pytest.param("{Y/N}", "@", id="curly-brackets"),
    pytest.param("[y/n]", "@", id="square-lowercase"),
    pytest.param("Y/N's bag", "@'s bag", id="possessive"),
    pytest.param("Y/N’s bag", "@’s bag", id="possessive-curly"),
    pytest.param("(Y/N)'s bag", "@'s bag", id="bracketed-possessive"),
    pytest.param("[Y/N]’s bag", "@’s bag", id="square-possessive-curly"),
    pytest.param("Y/N smiled.", "@ smiled.", id="at-start"),
    pytest.param("It was Y/N", "It was @", id="at-end"),
    pytest.param("Hi, Y/N.", "Hi, @.", id="before-full-stop"),
    pytest.param("Y/N, wait", "@, wait", id="before-comma"),
    pytest.param("Y/N?", "@?", id="before-question-mark"),
    pytest.param("“Y/N!”", "“@!”", id="inside-curly-quotes"),
    pytest.param('"Y/N!"', '"@!"', id="inside-straight-quotes"),
    pytest.param("‘(Y/N)’", "‘@’", id="bracketed-inside-single-quotes"),
    pytest.param("—Y/N—", "—@—", id="between-dashes"),
    pytest.param("Y/N…", "@…", id="before-ellipsis"),
    pytest.param("Y/N-chan", "@-chan", id="before-honorific"),
    pytest.param("Y/N and y/n and (Y/N)", "@ and @ and @", id="three-times"),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("text", "expected"), Y_N_VARIANTS)
def test_y_n_variants_become_the_name(text: str, expected: str, name: str) -> None:
    tally = Tally()
    assert personalise(text, reader_values(name, {}), tally) == expected.replace("@", name)
    assert tally.replaced == Counter({"Y/N": expected.count("@")})
    assert not tally.missing


VALUES = reader_values(
    "Zoë",
    {
        "L/N": "Rivers",
        "E/C": "green",
        "H/C": "auburn",
        "F/C": "teal",
        "N/N": "Zo",
        "M/N": "Anne",
        "S/C": "brown",
        "H/L": "shoulder-length",
    },
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("(F/N) (L/N)", "Zoë Rivers", id="first-and-last-name"),
        pytest.param("Ms. l/n", "Ms. Rivers", id="last-name-lowercase"),
        pytest.param("your E/C eyes", "your green eyes", id="eye-colour"),
        pytest.param("her {h/c} hair", "her auburn hair", id="hair-colour-curly"),
        pytest.param("a (F/C) scarf", "a teal scarf", id="favourite-colour"),
        pytest.param("“N/N!”", "“Zo!”", id="nickname"),
        pytest.param("Zoë M/N Rivers", "Zoë Anne Rivers", id="middle-name"),
        pytest.param("her S/C skin", "her brown skin", id="skin-colour"),
        pytest.param("her H/L, H/C hair", "her shoulder-length, auburn hair", id="hair-length-and-colour"),
        pytest.param("F/N Y/N", "Zoë Zoë", id="first-name-defaults-to-name"),
    ],
)
def test_other_families_filled_from_values(text: str, expected: str) -> None:
    tally = Tally()
    assert personalise(text, VALUES, tally) == expected
    assert not tally.missing


def test_first_name_defaults_to_the_name() -> None:
    assert reader_values("Zoë", {}) == {"Y/N": "Zoë", "F/N": "Zoë"}


def test_first_name_can_be_overridden() -> None:
    values = reader_values("Zoë Rivers", {"F/N": "Zoë"})
    tally = Tally()
    assert personalise("Y/N, or F/N to friends", values, tally) == "Zoë Rivers, or Zoë to friends"
    assert tally.replaced == Counter({"Y/N": 1, "F/N": 1})


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("two Y/Ns", id="letter-after"),
        pytest.param("aY/N", id="letter-before"),
        pytest.param("Y/N2", id="digit-after"),
        pytest.param("_Y/N_", id="underscores"),
        pytest.param("éY/N", id="accented-letter-before"),
        pytest.param("Y/Né", id="accented-letter-after"),
        pytest.param("Y/N/L/N", id="slash-chain"),
        pytest.param("and/or", id="and-or"),
        pytest.param("w/o sugar", id="without"),
        pytest.param("A/N: thanks for reading!", id="authors-note"),
        pytest.param("(A/N) short one today", id="authors-note-bracketed"),
        pytest.param("F/M, slow burn", id="ship-tag-not-a-family"),
        pytest.param("n/a", id="not-applicable"),
        pytest.param("1/2 a cup", id="fraction"),
        pytest.param("Y / N", id="spaced"),
    ],
)
def test_left_alone(text: str) -> None:
    tally = Tally()
    assert personalise(text, VALUES, tally) == text
    assert not tally.replaced
    assert not tally.missing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("(Y/N]", "(Zoë]", id="round-square"),
        pytest.param("[Y/N)", "[Zoë)", id="square-round"),
        pytest.param("{Y/N]", "{Zoë]", id="curly-square"),
        pytest.param("(Y/N", "(Zoë", id="open-only"),
        pytest.param("Y/N)", "Zoë)", id="close-only"),
        pytest.param("((Y/N))", "(Zoë)", id="doubled-keeps-outer-pair"),
        pytest.param("(Y/N) (L/N]", "Zoë (Rivers]", id="matched-then-mismatched"),
    ],
)
def test_mismatched_brackets_are_kept(text: str, expected: str) -> None:
    """The placeholder inside is still replaced; only a matching pair of brackets goes with it."""
    tally = Tally()
    assert personalise(text, VALUES, tally) == expected
    assert sum(tally.replaced.values()) == text.count("/")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("(Y/N)’s bag", "Zoë’s bag", id="possessive-after-brackets"),
        pytest.param("(Y/N)-chan", "Zoë-chan", id="hyphen-after-brackets"),
        pytest.param("two (Y/N)s in class", "two Zoës in class", id="plural-s-after-brackets"),
    ],
)
def test_bracketed_placeholder_with_suffix(text: str, expected: str) -> None:
    assert personalise(text, VALUES, Tally()) == expected


@pytest.mark.parametrize(
    ("text", "values", "replaced", "missing"),
    [
        pytest.param(
            "Y/N met (Y/N)'s mother, Mrs [L/N]. y/n blinked.",
            {"Y/N": "Zoë", "L/N": "Rivers"},
            {"Y/N": 3, "L/N": 1},
            {},
            id="replaced-per-code",
        ),
        pytest.param(
            "Y/N's E/C eyes, her (H/C) hair, those e/c eyes",
            {"Y/N": "Zoë"},
            {"Y/N": 1},
            {"E/C": 2, "H/C": 1},
            id="missing-per-code",
        ),
        pytest.param(
            "A/N: and/or F/M X/Y n/a w/o",
            {"Y/N": "Zoë"},
            {},
            {},
            id="non-family-never-missing",
        ),
        pytest.param(
            "the X/Y thing",
            {"X/Y": "odd"},
            {"X/Y": 1},
            {},
            id="non-family-with-value-replaced",
        ),
        pytest.param("no placeholders here", {"Y/N": "Zoë"}, {}, {}, id="nothing"),
    ],
)
def test_tally(text: str, values: dict[str, str], replaced: dict[str, int], missing: dict[str, int]) -> None:
    tally = Tally()
    personalise(text, values, tally)
    assert tally.replaced == Counter(replaced)
    assert tally.missing == Counter(missing)


def test_tally_adds_up_over_texts() -> None:
    tally = Tally()
    values = reader_values("Zoë", {})
    for text in ["Y/N ran.", "(Y/N) and L/N", "L/N again, Y/N"]:
        personalise(text, values, tally)
    assert tally.replaced == Counter({"Y/N": 3})
    assert tally.missing == Counter({"L/N": 2})


def test_missing_placeholder_kept_whole() -> None:
    tally = Tally()
    assert personalise("Mrs (L/N) and [E/C] eyes", reader_values("Zoë", {}), tally) == "Mrs (L/N) and [E/C] eyes"


def test_neutral_edition_leaves_y_n_and_counts_it_missing() -> None:
    values = reader_values(None, {})
    assert values == {}
    tally = Tally()
    text = "Y/N smiled at (Y/N)'s reflection. F/N, she thought."
    assert personalise(text, values, tally) == text
    assert tally.missing == Counter({"Y/N": 2, "F/N": 1})
    assert not tally.replaced


def test_neutral_edition_still_fills_other_values() -> None:
    tally = Tally()
    assert personalise("Y/N L/N", reader_values(None, {"L/N": "Rivers"}), tally) == "Y/N Rivers"
    assert tally.replaced == Counter({"L/N": 1})
    assert tally.missing == Counter({"Y/N": 1})


NAME_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("\"'`<>&;/\\()[]{}$%#-. ")),
        st.sampled_from(list("ZoëÉñçøßİıĳ")),
        st.sampled_from(list("😀💔👩‍❤️")),
        st.sampled_from(list("שלוםمرحبا")),  # right-to-left letters
        st.characters(codec="utf-8"),
    ),
    min_size=1,
    max_size=MAX_VALUE_LENGTH,
)


def _passes_check(value: str) -> bool:
    try:
        check_value(value, "the name")
    except EbookifyError:
        return False
    return True


@given(NAME_TEXT.filter(_passes_check))
def test_any_valid_name_replaces_every_y_n(raw: str) -> None:
    name = check_value(raw, "the name")
    assume("y/n" not in name.lower())
    tally = Tally()
    result = personalise("Y/N went home. (Y/N)'s bag.", reader_values(name, {}), tally)
    assert result == f"{name} went home. {name}'s bag."
    assert "Y/N" not in result
    assert tally.replaced == Counter({"Y/N": 2})


@pytest.mark.parametrize(
    ("key", "code"),
    [
        pytest.param("l/n", "L/N", id="lowercase"),
        pytest.param("(L/N)", "L/N", id="round-brackets"),
        pytest.param("L / N", "L/N", id="spaced"),
        pytest.param("[e/c]", "E/C", id="square-lowercase"),
        pytest.param("{h/c}", "H/C", id="curly"),
        pytest.param(" y/n ", "Y/N", id="padded"),
        pytest.param("LN", None, id="no-slash"),
        pytest.param("y/l/n", "Y/L/N", id="three-letter-wattpad-code"),
        pytest.param("L/N/X/Y", None, id="four-parts"),
        pytest.param("", None, id="empty"),
        pytest.param("1/2", None, id="digits"),
        pytest.param("LL/N", None, id="two-letters"),
        pytest.param("L/", None, id="half"),
        pytest.param("/N", None, id="other-half"),
        pytest.param("Ł/N", None, id="non-ascii-letter"),
    ],
)
def test_normalise_code(key: str, code: str | None) -> None:
    assert normalise_code(key) == code


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param(" ", id="blank"),
        pytest.param(" \t ", id="blank-with-tab"),
        pytest.param("Zoë\nRivers", id="newline"),
        pytest.param("Zoë\rRivers", id="carriage-return"),
        pytest.param("Zoë\r\nRivers", id="crlf"),
        pytest.param("Zoë\u2028Rivers", id="line-separator"),
        pytest.param("Zoë\u2029Rivers", id="paragraph-separator"),
        pytest.param("Zoë\x85Rivers", id="next-line"),
        pytest.param("Zoë\x00", id="nul"),
        pytest.param("Zoë\tRivers", id="tab"),
        pytest.param("Zoë\x1b[31m", id="escape"),
        pytest.param("Zoë\x7f", id="delete"),
        pytest.param("Zoë\x9b", id="c1-control"),
        pytest.param("x" * (MAX_VALUE_LENGTH + 1), id="over-long"),
        pytest.param("\u202eZoë", id="right-to-left-override"),
        pytest.param("Zo\u200bë", id="zero-width-space"),
        pytest.param("\u2066Zoë\u2069", id="bidi-isolate"),
        pytest.param("Zoë\u200f", id="right-to-left-mark"),
        pytest.param("\u061cZoë", id="arabic-letter-mark"),
    ],
)
def test_check_value_refuses(value: str) -> None:
    with pytest.raises(EbookifyError, match="the name"):
        check_value(value, "the name")


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        pytest.param("Zoë", "Zoë", id="accent"),
        pytest.param(" Zoë ", "Zoë", id="stripped"),
        pytest.param("O'Brien", "O'Brien", id="apostrophe"),
        pytest.param("<b>&amp;", "<b>&amp;", id="markup"),
        pytest.param("李", "李", id="cjk"),
        pytest.param("שרה", "שרה", id="hebrew"),
        pytest.param("Zoë 💔", "Zoë 💔", id="emoji"),
        pytest.param("x" * MAX_VALUE_LENGTH, "x" * MAX_VALUE_LENGTH, id="longest"),
    ],
)
def test_check_value_accepts(value: str, kept: str) -> None:
    assert check_value(value, "the name") == kept


@pytest.mark.parametrize(
    ("given", "values"),
    [
        pytest.param({"L/N": "Rivers"}, {"L/N": "Rivers"}, id="plain"),
        pytest.param({"l/n ": " Rivers"}, {"L/N": "Rivers"}, id="lowercase-spaced"),
        pytest.param({"(E/C)": "green"}, {"E/C": "green"}, id="bracketed-key"),
        pytest.param({"[h/c]": "dark brown"}, {"H/C": "dark brown"}, id="value-with-space"),
        pytest.param({"E/C": "green=blue"}, {"E/C": "green=blue"}, id="equals-in-value"),
        pytest.param({"F/N": "Zoë"}, {"F/N": "Zoë"}, id="first-name"),
        pytest.param({"N/N": "<b>&amp;"}, {"N/N": "<b>&amp;"}, id="markup-value"),
    ],
)
def test_check_values(given: dict[str, str], values: dict[str, str]) -> None:
    assert check_values(given) == values


@pytest.mark.parametrize(
    ("given", "message"),
    [
        pytest.param({"LN": "Rivers"}, "^values: 'LN' is not a placeholder code like L/N or E/C$", id="no-slash"),
        pytest.param({"": "Rivers"}, "^values: '' is not a placeholder code", id="empty-key"),
        pytest.param({"L/N/X/Y": "Rivers"}, "not a placeholder code", id="four-part-key"),
        pytest.param({"last": "Rivers"}, "not a placeholder code", id="word-key"),
        pytest.param({"Y/N": "Zoë"}, "^values: Y/N is the reader's name, not a value; use names$", id="name-refused"),
        pytest.param({"(y/n)": "Zoë"}, "reader's name", id="name-bracketed-refused"),
        pytest.param({"L/N": ""}, r"^values\['L/N'\] is empty$", id="empty-value"),
        pytest.param({"l/n": "   "}, r"^values\['L/N'\] is blank$", id="blank-value"),
        pytest.param({"L/N": "Riv\ners"}, "one line", id="multi-line-value"),
    ],
)
def test_check_values_refuses_naming_the_option_not_a_flag(given: dict[str, str], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        check_values(given)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (BuildOptions(title=" "), "^title is blank$"),
        (BuildOptions(language="English"), "^language 'English' is not a language code like en or en-GB$"),
        (BuildOptions(series_index=0), "^series_index 0 must be 1 or more$"),
        (BuildOptions(names=("Sam",), values={"L/N": ""}), r"^values\['L/N'\] is empty$"),
        (
            BuildOptions(names=("Sam", "Alex"), output=Path("one.epub")),
            "^output names one file, but there are several readers; use out_dir$",
        ),
    ],
)
def test_the_python_api_names_its_options_not_the_command_line_flags(
    options: BuildOptions, message: str, tmp_path: Path
) -> None:
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "01.txt").write_text("Mara - Fog\n\nY/N waits for the ferry.\n", encoding="utf-8")
    options = replace(options, stories=stories, covers=tmp_path / "covers", out_dir=tmp_path / "dist")
    with pytest.raises(OptionError, match=message):
        build(options)
    assert not (tmp_path / "dist").exists()


def test_check_value_measures_the_name_without_its_padding() -> None:
    assert check_value("  " + "x" * MAX_VALUE_LENGTH + "  ", "the name") == "x" * MAX_VALUE_LENGTH


def test_invisible_character_message_names_it() -> None:
    with pytest.raises(EbookifyError, match=r"^the name contains an invisible formatting character \(U\+202E\)$"):
        check_value("Zo\u202eë", "the name")


CAPS = {"Y/N": "Zoë", "E/C": "green", "Y/L/N": "Rivers"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("I SAID Y/N!", "I SAID ZOË!", id="shouted"),
        pytest.param("Y/N, COME HERE", "ZOË, COME HERE", id="shouted-after"),
        pytest.param("HE SAID (Y/N) WAS HERE", "HE SAID ZOË WAS HERE", id="shouted-brackets"),
        pytest.param("Y/N’S BOOK IS HERE", "ZOË’S BOOK IS HERE", id="shouted-possessive"),
        pytest.param("in capitals: A.Q. + Y/N, ONE SUMMER.", "in capitals: A.Q. + ZOË, ONE SUMMER.", id="clause"),
        pytest.param("HIS [E/C] EYES", "HIS GREEN EYES", id="other-codes-shout-too"),
        pytest.param("Hey Y/N, hi", "Hey Zoë, hi", id="sentence-case"),
        pytest.param("I saw Y/N", "I saw Zoë", id="pronoun-i-is-no-shouting"),
        pytest.param("OMG Y/N", "OMG Zoë", id="acronym-alone"),
        pytest.param("OMG Y/N IS HERE", "OMG ZOË IS HERE", id="acronym-in-shouting"),
        pytest.param("“Y/N!” SHE SCREAMED", "“Zoë!” SHE SCREAMED", id="other-clause"),
        pytest.param("Y/N", "Zoë", id="alone"),
        pytest.param("WAIT. Y/N went home.", "WAIT. Zoë went home.", id="shout-ends-at-full-stop"),
        pytest.param("(Y/L/N) and y/l/n", "Rivers and Rivers", id="three-letter-code-when-set"),
    ],
)
def test_case_comes_from_context_not_the_token(text: str, expected: str) -> None:
    assert personalise(text, CAPS, Tally()) == expected


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        pytest.param("Y/N and (L/N) and [e/c]", ["Y/N", "L/N", "E/C"], id="families"),
        pytest.param("her (B/F) and Y/B/F", ["B/F", "Y/B/F"], id="unknown-written-as-placeholders"),
        pytest.param("b/f and x/y", [], id="lowercase-bare-unknowns-are-words"),
        pytest.param("A/N: hi. T/N: T/W: F/M, M/M, N/A, W/O, 18 Y/O, S/O to", [], id="known-abbreviations"),
        pytest.param("Y/Ns and and/or 1/2", [], id="glued-and-digits"),
    ],
)
def test_find_codes(text: str, codes: list[str]) -> None:
    assert find_codes(text) == codes


@pytest.mark.parametrize(
    ("note", "explains"),
    [
        pytest.param("Y/N = your name, E/C = eye colour", True, id="list"),
        pytest.param("A/N: Y/N - your name", True, id="wattpad-note"),
        pytest.param("(Y/N) = Your Name; (L/N) = Last Name.", True, id="brackets-semicolons"),
        pytest.param("Notes: Y/N = your name\ufdd4H/C = hair colour", True, id="line-breaks"),
        pytest.param("y/n: your name", True, id="colon"),
        pytest.param("E/C = eye color, H/L = hair length, S/C = skin tone", True, id="american-and-tone"),
        pytest.param("Y/N is about to have a bad day", False, id="a-sentence-about-y-n"),
        pytest.param("Y/N = your name. thanks for reading!!", False, id="definition-then-more"),
        pytest.param("A/N: thank you for 1K reads", False, id="ordinary-note"),
        pytest.param("", False, id="empty"),
    ],
)
def test_explains_placeholders(note: str, explains: bool) -> None:
    assert explains_placeholders(note) is explains


def test_case_context_is_read_within_the_clause_nearby() -> None:
    # Only a window around each placeholder is read (reading the whole paragraph each time made a
    # long one quadratic: minutes for 50,000 placeholders); shouting far away does not count.
    far = "SHOUT " * 40 + "and then, quietly, Y/N went home"
    assert personalise(far, {"Y/N": "Zoë"}, Tally()).endswith("Zoë went home")
    # A long paragraph of placeholders that ends shouting: each one is replaced, the ones far
    # from "GO" keep the name's case, the ones next to it shout, and none flips back after.
    # (How its time grows is measured by the `placeholders` unit of bench/growth.py.)
    out = personalise(" ".join(["Y/N"] * 2000) + " GO", {"Y/N": "Zoë"}, Tally()).split(" ")
    assert out[-1] == "GO" and len(out) == 2001
    names = out[:-1]
    assert names[0] == "Zoë" and names[-1] == "ZOË"
    assert names == sorted(names, key=lambda name: name == "ZOË")  # quiet ones first, then shouted
    assert set(names) == {"Zoë", "ZOË"} and names.count("ZOË") < 100
