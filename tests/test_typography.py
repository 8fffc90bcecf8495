"""typeset(): phone-typed ASCII punctuation -> book typography, one table per rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ebookify.typography import typeset, typeset_all

ELLIPSIS = [
    pytest.param("Wait...", "Wait…", id="three-dots"),
    pytest.param("Wait....", "Wait….", id="four-dots-keep-the-full-stop"),
    pytest.param("Wait......", "Wait......", id="longer-rows-left-alone"),
    pytest.param("Wait. . .", "Wait…", id="spaced-dots"),
    pytest.param("...and then", "…and then", id="leading"),
    pytest.param("Stop ... now", "Stop … now", id="between-spaces"),
    pytest.param('"... what?"', "“… what?”", id="inside-quotes"),
    pytest.param('He said..."', "He said…”", id="before-closing-quote"),
    pytest.param("Hm.. ok", "Hm.. ok", id="two-dots-left-alone"),
    pytest.param("e.g. this", "e.g. this", id="abbreviation-left-alone"),
    pytest.param("v1.2.3 costs 1.5", "v1.2.3 costs 1.5", id="decimals-left-alone"),
]


@pytest.mark.parametrize(("raw", "expected"), ELLIPSIS)
def test_ellipsis(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


DOUBLE_HYPHEN = [
    pytest.param("Wait--", "Wait—", id="trailing"),
    pytest.param("I--I", "I—I", id="between-words"),
    pytest.param("a -- b", "a—b", id="spaced"),
    pytest.param("a---b", "a—b", id="triple"),
    pytest.param('"Wait--"', "“Wait—”", id="before-closing-quote"),
    pytest.param('"I--" he said', "“I—” he said", id="before-closing-quote-then-text"),
    pytest.param('Wait--"Stop!"', "Wait—“Stop!”", id="before-opening-quote"),
]


@pytest.mark.parametrize(("raw", "expected"), DOUBLE_HYPHEN)
def test_double_hyphen_is_em_dash(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


RANGES = [
    pytest.param("5 - 10", "5–10", id="small"),
    pytest.param("pages 5 - 10.", "pages 5–10.", id="in-sentence"),
    pytest.param("2010 - 2015", "2010–2015", id="years"),
    pytest.param("10:30 - 11:00", "10:30–11:00", id="times"),
    pytest.param("5 - 10 - 15", "5–10–15", id="chained"),
]


@pytest.mark.parametrize(("raw", "expected"), RANGES)
def test_number_range_is_en_dash(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


SPACED_HYPHEN = [
    pytest.param("a - b", "a—b", id="between-words"),
    pytest.param("But -", "But—", id="trailing"),
    pytest.param("But - ", "But—", id="trailing-with-space"),
    pytest.param("'Hi' - she said", "‘Hi’—she said", id="after-closing-quote"),
    pytest.param('I turned - "Stop!"', "I turned—“Stop!”", id="before-opening-quote"),
    pytest.param('"Wait - " he said', "“Wait—” he said", id="space-before-closing-quote"),
    pytest.param('"But -" she said', "“But—” she said", id="glued-to-closing-quote"),
]


@pytest.mark.parametrize(("raw", "expected"), SPACED_HYPHEN)
def test_spaced_hyphen_is_em_dash(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


STAMMER = [
    pytest.param("I - I don't know", "I—I don’t know", id="I-I"),
    pytest.param("I - I - I", "I—I—I", id="triple"),
    pytest.param("He - he said", "He—he said", id="case-change"),
    pytest.param("It - it's fine", "It—it’s fine", id="with-apostrophe"),
    pytest.param("I- I", "I—I", id="half-spaced"),
    pytest.param("“And I - I”", "“And I—I”", id="inside-curly-quotes"),
]


@pytest.mark.parametrize(("raw", "expected"), STAMMER)
def test_stammer(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


CUT_OFF = [
    pytest.param("B- Kylo", "B—Kylo", id="before-word"),
    pytest.param('"Wait, B-" she said', "“Wait, B—” she said", id="before-closing-quote"),
    pytest.param("'Wait, B-' she said", "‘Wait, B—’ she said", id="before-closing-single-quote"),
    pytest.param('"And so-"', "“And so—”", id="end-of-quote"),
    pytest.param("she-", "she—", id="end-of-paragraph"),
    pytest.param("she- she", "she—she", id="repeated-word"),
]


@pytest.mark.parametrize(("raw", "expected"), CUT_OFF)
def test_cut_off_word(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("pre- and post-war", id="and"),
        pytest.param("pre- or post-war", id="or"),
        pytest.param("full- to part-time", id="to"),
        pytest.param("neither pre- nor post-war", id="nor"),
        pytest.param("x- and y-axis", id="single-letter"),
    ],
)
def test_suspended_hyphen_left_alone(raw: str) -> None:
    assert typeset(raw) == raw


PRIMES = [
    pytest.param("He is 5'10\" tall", "He is 5′10″ tall", id="two-digit-inches"),
    pytest.param("5'9\" tall", "5′9″ tall", id="one-digit-inches"),
    pytest.param("6'2\"", "6′2″", id="alone"),
    pytest.param('"He\'s 6\'2" now," she said', "“He’s 6′2″ now,” she said", id="inside-dialogue"),
]


@pytest.mark.parametrize(("raw", "expected"), PRIMES)
def test_feet_and_inches_are_primes(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


INNER_APOSTROPHES = [
    pytest.param("don't", "don’t", id="dont"),
    pytest.param("Y/N's bag", "Y/N’s bag", id="placeholder-possessive"),
    pytest.param("(Y/N)'s bag", "(Y/N)’s bag", id="bracketed-placeholder-possessive"),
    pytest.param("ma'am", "ma’am", id="maam"),
    pytest.param("o'clock", "o’clock", id="oclock"),
    pytest.param("y'all", "y’all", id="yall"),
    pytest.param("It's the dogs' bone", "It’s the dogs’ bone", id="plural-possessive"),
    pytest.param("James' bag", "James’ bag", id="s-possessive"),
]


@pytest.mark.parametrize(("raw", "expected"), INNER_APOSTROPHES)
def test_apostrophe_inside_word(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


LEADING_APOSTROPHES = [
    pytest.param("'cause", "’cause", id="cause"),
    pytest.param("'Cause I said so", "’Cause I said so", id="capital-cause"),
    pytest.param("it's 'cause", "it’s ’cause", id="cause-mid-sentence"),
    pytest.param("get 'em", "get ’em", id="em"),
    pytest.param("'til dawn", "’til dawn", id="til"),
    pytest.param("'Tis the season", "’Tis the season", id="tis"),
    pytest.param("'twas", "’twas", id="twas"),
    pytest.param("'bout time", "’bout time", id="bout"),
    pytest.param("'round here", "’round here", id="round"),
    pytest.param("the '90s", "the ’90s", id="decade"),
    pytest.param("'90s kid", "’90s kid", id="decade-at-start"),
    pytest.param("His '67 Chevy", "His ’67 Chevy", id="year"),
    pytest.param("rock 'n' roll", "rock ’n’ roll", id="rock-n-roll"),
    pytest.param('"\'Cause I said so," she said', "“’Cause I said so,” she said", id="cause-after-quote"),
    # Words that only start like an elision are quoted words.
    pytest.param("'emergency'", "‘emergency’", id="not-em"),
    pytest.param("'Tilly'", "‘Tilly’", id="not-til"),
    pytest.param("'no'", "‘no’", id="not-n"),
    pytest.param("'1990s'", "‘1990s’", id="not-a-two-digit-decade"),
]


@pytest.mark.parametrize(("raw", "expected"), LEADING_APOSTROPHES)
def test_leading_apostrophe(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


QUOTES = [
    pytest.param('"Hello," she said.', "“Hello,” she said.", id="double"),
    pytest.param("'Hello,' she said.", "‘Hello,’ she said.", id="single"),
    pytest.param('"Hi!" he said', "“Hi!” he said", id="after-exclamation"),
    pytest.param(
        '"You\'re late," he said. "Again."', "“You’re late,” he said. “Again.”", id="two-quotes-one-paragraph"
    ),
    pytest.param('("Hello")', "(“Hello”)", id="in-round-brackets"),
    pytest.param('["Hi"]', "[“Hi”]", id="in-square-brackets"),
    pytest.param("{'Hi'}", "{‘Hi’}", id="in-curly-brackets"),
    pytest.param('/"Hi"', "/“Hi”", id="after-slash"),
    pytest.param('—"Hi"', "—“Hi”", id="after-em-dash"),
    pytest.param("–'Hi'", "–‘Hi’", id="after-en-dash"),
    pytest.param("—'Hi'", "—‘Hi’", id="single-after-em-dash"),
    pytest.param('\t"Hi"', "\t“Hi”", id="after-tab"),
    pytest.param('the "" empty', "the “” empty", id="empty-pair"),
    pytest.param('"Y/N!"', "“Y/N!”", id="around-placeholder"),
    pytest.param('"I--", she said', "“I—”, she said", id="closing-after-dash-before-comma"),
    pytest.param('She said "I\'m sorry—".', "She said “I’m sorry—”.", id="closing-after-em-dash-before-full-stop"),
    pytest.param("'Wait—'.", "‘Wait—’.", id="single-closing-after-em-dash-before-full-stop"),
]


@pytest.mark.parametrize(("raw", "expected"), QUOTES)
def test_opening_and_closing_quotes(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


NESTED = [
    pytest.param(
        "He said, \"She told me 'no' twice.\"", "He said, “She told me ‘no’ twice.”", id="single-inside-double"
    ),
    pytest.param("'I said \"no\"'", "‘I said “no”’", id="double-inside-single"),
    pytest.param("\"He said 'stop.'\"", "“He said ‘stop.’”", id="single-inside-double-closing-together"),
    pytest.param("\"'Hi,' he said\"", "“‘Hi,’ he said”", id="single-opening-right-after-double"),
    pytest.param("He yelled \"'Stop!'\"", "He yelled “‘Stop!’”", id="double-then-single-mid-sentence"),
]


@pytest.mark.parametrize(("raw", "expected"), NESTED)
def test_nested_quotes(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


MULTI_PARAGRAPH = [
    pytest.param(
        ['"I went home.', '"And then we left."'],
        ["“I went home.", "“And then we left.”"],
        id="double",
    ),
    pytest.param(
        ['"It was late.', '"Too late.', '"So we stayed."'],
        ["“It was late.", "“Too late.", "“So we stayed.”"],
        id="three-paragraphs",
    ),
    # A single quote with no closing one after it in its paragraph may be an apostrophe: as written.
    pytest.param(["'I went home.", "'Then we left.'"], ["'I went home.", "‘Then we left.’"], id="single"),
    pytest.param(['"Wait...', '"...for me."'], ["“Wait…", "“…for me.”"], id="with-ellipses"),
]


@pytest.mark.parametrize(("paragraphs", "expected"), MULTI_PARAGRAPH)
def test_multi_paragraph_dialogue_keeps_opening_quotes(paragraphs: list[str], expected: list[str]) -> None:
    """Typeset runs one paragraph at a time; an unclosed double quote is still an opening one (a
    single one may be an apostrophe, so it opens only when it is closed in its paragraph)."""
    assert [typeset(p) for p in paragraphs] == expected


UNBALANCED = [
    pytest.param('a " b', 'a " b', id="lone-double-between-spaces"),
    pytest.param("a ' b", "a ' b", id="lone-single-between-spaces"),
    pytest.param('"', '"', id="only-a-double-quote"),
    pytest.param("'", "'", id="only-a-single-quote"),
    pytest.param('She said "hi', "She said “hi", id="only-opening-not-repaired"),
    pytest.param('"Hello', "“Hello", id="only-opening-at-start"),
    pytest.param('Hello" she said', "Hello” she said", id="only-closing"),
    pytest.param('I said " and then "hi"', 'I said " and then “hi”', id="stray-before-pair"),
]


@pytest.mark.parametrize(("raw", "expected"), UNBALANCED)
def test_unbalanced_quotes_are_not_repaired(raw: str, expected: str) -> None:
    assert typeset(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("“Hi” — she said… 😀 Zoë", id="curly-dash-ellipsis-emoji"),
        pytest.param("‘Don’t,’ he said—then stopped.", id="single-curly"),
        pytest.param("Café, naïve, Dvořák, Øyvind", id="accents"),
        pytest.param("5′10″, pages 5–10, the ’90s", id="primes-en-dash-decade"),
        pytest.param("“Wait…” 💔🥺 👩‍❤️‍👨", id="emoji-sequences"),
        pytest.param("「こんにちは」と彼女は言った。", id="japanese"),
        pytest.param("«Bonjour», dit-elle.", id="guillemets"),
        pytest.param("שלום, Y/N", id="hebrew"),
        pytest.param("", id="empty"),
    ],
)
def test_already_typeset_text_unchanged(text: str) -> None:
    assert typeset(text) == text


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a well-known fact", id="hyphenated-word"),
        pytest.param("an x-ray", id="x-ray"),
        pytest.param("a T-shirt and an e-mail", id="letter-prefixes"),
        pytest.param("the co-op", id="co-op"),
        pytest.param("mother-in-law", id="multi-hyphen"),
        pytest.param("It was -5 outside", id="negative-number"),
        pytest.param("-5 degrees", id="negative-number-at-start"),
        pytest.param("(-5)", id="negative-number-in-brackets"),
        pytest.param("at 10:30", id="time"),
        pytest.param("from 10:30-11:00", id="unspaced-time-range"),
        pytest.param("A/N: thanks for reading", id="authors-note-marker"),
        pytest.param("https://www.wattpad.com/story/12345-the-last-ferry", id="url-with-hyphen"),
        pytest.param("see example.com/a_b-c?x=1&y=2", id="url-with-query"),
        pytest.param("https://example.com/path/to/page.html", id="url-with-dots"),
        pytest.param("mail me at mara.voss@example.com", id="email-address"),
        pytest.param("https://xn--bcher-kva.example/", id="punycode-url"),
    ],
)
def test_left_as_is(text: str) -> None:
    assert typeset(text) == text


# Text rich in everything the rules look at: ASCII marks, spaces, letters, digits, and marks that are
# already typographic (which the rules look behind and ahead at).
TEXT = st.text(alphabet=st.sampled_from(list("\"'.- \t  aBIknsZé5019()[]{}/:,!?“”‘’—–…′″")), max_size=40)


@given(TEXT)
def test_idempotent(text: str) -> None:
    once = typeset(text)
    assert typeset(once) == once


@given(TEXT)
def test_letters_and_digits_kept(text: str) -> None:
    assert [c for c in typeset(text) if c.isalnum()] == [c for c in text if c.isalnum()]


@given(st.text().filter(lambda s: not set(s) & set("\"'.-")))
def test_no_ascii_marks_no_change(text: str) -> None:
    assert typeset(text) == text


@given(st.lists(TEXT, max_size=12))
def test_typeset_all_is_typeset_on_each(paragraphs: list[str]) -> None:
    paragraphs = [p.replace("\n", " ") for p in paragraphs]
    assert typeset_all(paragraphs) == [typeset(p) for p in paragraphs]


def test_typeset_all_with_marks_and_edges() -> None:
    texts = ['"Hi', "there\ufdd0...\ufdd1", "", "- x -", "'cause", 'end"']
    assert typeset_all(texts) == [typeset(t) for t in texts]
