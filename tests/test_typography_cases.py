"""Typography that never changes meaning: real cases from fan fiction, as tables.

Each row is a shape seen in real works (written here in our own words). Where a rule cannot be
sure what a mark means, the mark stays as written: a straight quote is never wrong, a curly one
facing the wrong way says something the author did not.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ebookify.typography import typeset, typeset_all


def _cases(*rows: tuple[str, str, str]) -> list:
    return [pytest.param(raw, expected, id=name) for name, raw, expected in rows]


ELISIONS = _cases(
    ("verse-in-a-title", "Watches 'Verse", "Watches ’Verse"),
    ("verse-at-start", "'Verse Watches", "’Verse Watches"),
    ("verse-in-a-series-name", "The 'Verse Chronicles: Part 2", "The ’Verse Chronicles: Part 2"),
    ("til", "Wait 'til dawn.", "Wait ’til dawn."),
    ("til-title", "'Til Death", "’Til Death"),
    ("cause", "'cause I said so", "’cause I said so"),
    ("em", "Get 'em, tiger.", "Get ’em, tiger."),
    ("tis", "'Tis the season.", "’Tis the season."),
    ("decade", "back in the '90s", "back in the ’90s"),
    ("decades", "the '70s and '80s", "the ’70s and ’80s"),
    ("year", "a '67 Impala", "a ’67 Impala"),
    ("rock-n-roll", "rock 'n' roll", "rock ’n’ roll"),
    ("fish-n-chips-in-quotes", "\"Fish 'n' chips,\" he said.", "“Fish ’n’ chips,” he said."),
    ("nam", "He was in 'Nam.", "He was in ’Nam."),
    ("course", "'Course I do.", "’Course I do."),
    ("member", "'Member when we met?", "’Member when we met?"),
    ("nuff", "'Nuff said.", "’Nuff said."),
    ("oclock", "at six o'clock", "at six o’clock"),
    ("yall", "y'all", "y’all"),
    ("maam", "Yes, ma'am.", "Yes, ma’am."),
    ("focsle", "the fo'c'sle", "the fo’c’sle"),
    ("dropped-g", "sittin' there, waitin'", "sittin’ there, waitin’"),
    ("elision-after-em-dash", "I stayed—'cause you asked.", "I stayed—’cause you asked."),
    ("elision-inside-double-quotes", '"\'Til next time."', "“’Til next time.”"),
    ("elision-then-quoted-word", "'Cause she said 'no'.", "’Cause she said ‘no’."),
)

# A single quote at the start of a word opens only when a closing one follows in its paragraph.
UNSURE_SINGLE_QUOTES = _cases(
    ("unknown-elision-left-straight", "Watches 'Xanadu tonight", "Watches 'Xanadu tonight"),
    ("unclosed-at-paragraph-start", "'I went home.", "'I went home."),
    ("unclosed-after-em-dash", "He turned—'Wait", "He turned—'Wait"),
    ("unclosed-in-brackets", "(and 'Verity", "(and 'Verity"),
    ("closed-later-in-the-paragraph", "'I went home,' she said.", "‘I went home,’ she said."),
    ("only-the-closed-one-opens", "he was 'fine' and 'Xanadu", "he was ‘fine’ and 'Xanadu"),
    ("a-later-paragraph-does-not-close-it", "'Hi\nthere'", "'Hi\nthere’"),
    ("quoted-number-not-a-year", "the answer, '42'", "the answer, ‘42’"),
)

DOTS = _cases(
    ("three", "them...", "them…"),
    ("four-keep-the-full-stop", "them....", "them…."),
    ("four-then-more", "I waited for them.... Nobody came.", "I waited for them…. Nobody came."),
    ("spaced-three", "them. . .", "them…"),
    ("spaced-four", "them. . . .", "them…."),
    ("abbreviation-then-ellipsis", "etc....", "etc…."),
    ("five-left-as-written", "Hmm.....", "Hmm....."),
    ("a-long-row-left-as-written", "." * 40, "." * 40),
    ("two-left-as-written", "Hm..", "Hm.."),
    ("question-then-ellipsis", "What?...", "What?…"),
    ("ellipsis-then-question", "Wait...?", "Wait…?"),
    ("many-ellipses-in-one-paragraph", "So... and... then....", "So… and… then…."),
)

UNTOUCHED_PUNCTUATION = _cases(
    ("interrobang-pair", "You did WHAT?!", "You did WHAT?!"),
    ("ellipsis-question", "Wait…?", "Wait…?"),
    ("three-exclamations", "No!!!", "No!!!"),
    ("question-exclamation-in-quotes", '"Really?!"', "“Really?!”"),
    ("many-questions", "Why???", "Why???"),
)

DASHES_INSIDE_WORDS = _cases(
    ("well-known", "a well-known secret", "a well-known secret"),
    ("twenty-one", "twenty-one candles", "twenty-one candles"),
    ("x-ray", "an x-ray", "an x-ray"),
    ("honorific-after-placeholder", "Y/N-chan", "Y/N-chan"),
    ("honorific-after-bracketed-placeholder", "(Y/N)-san", "(Y/N)-san"),
    ("phone-number", "call 555-0123", "call 555-0123"),
    ("date", "on 2021-03-04", "on 2021-03-04"),
    ("two-hyphens-is-a-dash", "I--I can't", "I—I can’t"),
    ("spaced-hyphen-is-a-dash", "Wait - no.", "Wait—no."),
)

NESTED_QUOTES = _cases(
    ("single-inside-double-at-start", "\"'Hi,' she said, and left.\"", "“‘Hi,’ she said, and left.”"),
    ("reported-speech", "\"He said 'no.'\"", "“He said ‘no.’”"),
    ("reported-speech-in-single", "He said 'no.'", "He said ‘no.’"),
    ("double-inside-single", "'She said \"run\" and ran.'", "‘She said “run” and ran.’"),
    ("apostrophe-inside-nested", "\"'Don't,' he said.\"", "“‘Don’t,’ he said.”"),
)

QUOTES_AFTER_DASHES = _cases(
    ("double-after-em-dash", 'He paused—"Go."', "He paused—“Go.”"),
    ("single-after-em-dash-closed", "He paused—'Go.'", "He paused—‘Go.’"),
    ("closing-after-em-dash", '"I\'m sorry—"', "“I’m sorry—”"),
    ("closing-single-after-em-dash", "'Wait—'", "‘Wait—’"),
    ("double-after-typed-dash", 'Then--"Stop!"', "Then—“Stop!”"),
)

PRIMES = _cases(
    ("five-eleven", "She's 5'11\".", "She’s 5′11″."),
    ("six-two", "He was 6'2\" and proud.", "He was 6′2″ and proud."),
    ("in-dialogue", '"I\'m 5\'4", okay?"', "“I’m 5′4″, okay?”"),
    ("without-the-inch-mark", "between 5'11 and 6'2", "between 5′11 and 6′2"),
    ("swiss-thousands-left-alone", "1'000 francs", "1’000 francs"),
)

SINGLE_LETTERS = _cases(
    ("letter-in-quotes", "the letter 'a'", "the letter ‘a’"),
    ("capital-letter", "Plan 'B', then.", "Plan ‘B’, then."),
    ("grade", "I got an 'A'!", "I got an ‘A’!"),
    ("double-quoted-letter", 'a big "X" on the map', "a big “X” on the map"),
)

TITLES = _cases(
    ("quoted-word-in-title", "The 'Perfect' Date", "The ‘Perfect’ Date"),
    ("double-quoted-title", '"Stay"', "“Stay”"),
    ("apostrophe-in-title", "Don't Look Back", "Don’t Look Back"),
    ("title-ending-in-ellipsis", "And Then....", "And Then…."),
)

AFTER_NUMBERS_AND_ABBREVIATIONS = _cases(
    ("decade-with-apostrophe", "the 80's", "the 80’s"),
    ("year-with-apostrophe", "the 1990's", "the 1990’s"),
    ("acronym-plural", "CD's and DVD's", "CD’s and DVD’s"),
    ("abbreviation-possessive", "the Dr.'s office", "the Dr.’s office"),
    ("plural-possessive-then-word", "the girls' room", "the girls’ room"),
    ("possessive-after-placeholder", "Y/N's jacket", "Y/N’s jacket"),
)

ALREADY_CURLY = _cases(
    ("curly-elision", "Watches ’Verse", "Watches ’Verse"),
    ("curly-quotes", "“‘Hi,’ she said.”", "“‘Hi,’ she said.”"),
    ("ellipsis-and-stop", "them….", "them…."),
    ("primes", "5′11″", "5′11″"),
    ("mixed-curly-and-straight", "“Don't,” she said.", "“Don’t,” she said."),
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    ELISIONS
    + UNSURE_SINGLE_QUOTES
    + DOTS
    + UNTOUCHED_PUNCTUATION
    + DASHES_INSIDE_WORDS
    + NESTED_QUOTES
    + QUOTES_AFTER_DASHES
    + PRIMES
    + SINGLE_LETTERS
    + TITLES
    + AFTER_NUMBERS_AND_ABBREVIATIONS
    + ALREADY_CURLY,
)
def test_real_case(raw: str, expected: str) -> None:
    assert typeset(raw) == expected
    assert typeset(expected) == expected


def _one_line(cases: list) -> list:
    """The cases without a line break (in marked text, or a chapter's batch, it means more)."""
    return [case for case in cases if "\n" not in case.values[0]]


@pytest.mark.parametrize(("raw", "expected"), _one_line(ELISIONS + UNSURE_SINGLE_QUOTES + NESTED_QUOTES))
def test_same_with_italics_around_it(raw: str, expected: str) -> None:
    """Inline marks are invisible to the rules: italics around the whole text change nothing."""
    assert typeset(f"\ufdd0{raw}\ufdd1") == f"\ufdd0{expected}\ufdd1"


@pytest.mark.parametrize(("raw", "expected"), _one_line(ELISIONS + UNSURE_SINGLE_QUOTES + DOTS + NESTED_QUOTES))
def test_same_in_a_chapter_at_once(raw: str, expected: str) -> None:
    assert typeset_all(["“Hi.”", raw, "'Bye", raw]) == ["“Hi.”", expected, "'Bye", expected]


QUOTE_TEXT = st.text(alphabet=st.sampled_from(list("'\"‘’“”.?! \naVe9—-")), max_size=40)


@given(QUOTE_TEXT)
def test_no_mark_is_lost(text: str) -> None:
    """Full stops, question and exclamation marks, and quote marks are all still there: an
    ellipsis counts as three dots, and a quote may turn curly but never goes."""
    out = typeset(text)

    def dots(s: str) -> int:
        return s.count(".") + 3 * s.count("…")

    def singles(s: str) -> int:
        return sum(s.count(c) for c in "'‘’′")

    def doubles(s: str) -> int:
        return sum(s.count(c) for c in '"“”″')

    for count in (dots, singles, doubles, lambda s: s.count("?"), lambda s: s.count("!")):
        assert count(out) == count(text)


@given(st.text(alphabet=st.sampled_from(list("'\"‘’“ aVe9.,\n")), max_size=40))
def test_a_single_quote_opens_only_when_closed_in_its_paragraph(text: str) -> None:
    for paragraph_in, paragraph_out in zip(text.split("\n"), typeset(text).split("\n"), strict=True):
        for index, char in enumerate(paragraph_out):
            if char == "‘" and paragraph_in[index] == "'":
                assert any(c in "'’" for c in paragraph_out[index + 1 :])


# Pieces of fan fiction rather than single characters: the shapes the rules look for, side by side.
PIECES = st.lists(
    st.sampled_from(
        [*"\"' .-—/\n", "“", "‘", "’", "em", "cause", "Verse", "90s", "n", "Hi", "don't", "--", "...", "....", "5'11\""]
    ),
    max_size=25,
).map("".join)


@given(PIECES)
def test_idempotent_on_pieces_of_fan_fiction(text: str) -> None:
    once = typeset(text)
    assert typeset(once) == once


@given(st.lists(PIECES.map(lambda s: s.replace("\n", " ")), max_size=6))
def test_a_chapter_at_once_is_each_paragraph_alone(paragraphs: list[str]) -> None:
    assert typeset_all(paragraphs) == [typeset(p) for p in paragraphs]
