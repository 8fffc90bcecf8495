"""Phone-typed punctuation -> book typography. Pure str -> str, idempotent, one rule a line.

Rules only ever turn ASCII marks into typographic ones, so text that is already typeset passes
through untouched, and a second run finds nothing left to change. A quote mark with space on both
sides cannot be told opening from closing, so it stays straight: unbalanced quotes are left as the
author wrote them, never "repaired".
"""

from __future__ import annotations

import re

from .marks import has_marks, join_marks, split_marks

# Every quote rule starts with its quote mark and looks back from there: a pattern that starts
# with a literal lets the regex engine jump from quote to quote instead of trying every position
# (three times faster on a book). Each rule also names a trigger, a substring without which it
# cannot match, so it is not run at all where it has nothing to do.

# A quote mark `q` where only an opening one can stand: at the start, after a space or an opening
# bracket, or after another quote mark that opens (straight, as in "'Hi,' he said", or curled).
_OPENING_CONTEXT = "\\s(\\[{“‘"


def _opens(q: str) -> str:
    # Not preceded by a character outside the context: so preceded by one inside, or by nothing.
    ctx = _OPENING_CONTEXT
    return rf"{q}(?:(?<![^{ctx}]{q})|(?<=[{ctx}][\"']{q})|(?<=^[\"']{q}))"


# After a dash or slash a quote opens only when a word follows ("—“stop”"); before punctuation or
# a space it closes ("sorry—”.").
def _opens_after_dash(q: str) -> str:
    return rf"{q}(?<=[—–/]{q})"


# Words that lose their first letters to an apostrophe ('cause, 'em): that mark is an apostrophe,
# not an opening single quote.
_ELISIONS = r"(?:cause|cos|coz|cuz|em|til|till|tis|twas|bout|round|n|nother|kay|sup|ya|yall|ello|fraid|scuse)"

# Space a dash may swallow: not a line break (AO3 text keeps its <br/>, seen here as "\n").
_SPACE = r"[^\S\n]"
_END = r"$|(?=\n)"

RULES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (trigger, re.compile(pattern, re.IGNORECASE), replacement)
    for trigger, pattern, replacement in (
        # Three or more dots, or spaced dots, are one ellipsis character (it never breaks a line).
        (".", r"\.(?: ?\.){2,}", "…"),
        # Two or three hyphens were a typewriter's em dash.
        # (Not in an internationalised domain name: "xn--bcher".)
        ("--", rf"{_SPACE}*(?<!-)(?<!xn)-{{2,3}}(?!-){_SPACE}*", "—"),
        # A spaced hyphen between numbers is a range: en dash, no spaces ("5 - 10" -> "5–10").
        ("-", rf"(?<=\d){_SPACE}+-{_SPACE}+(?=\d)", "–"),
        # A spaced hyphen is a dash; also "I - I" stammers and a trailing "But - ".
        ("-", rf"{_SPACE}+-(?:{_SPACE}+|{_END}|(?=[\"'”’]))", "—"),
        # A word cut off ("B- Kylo", "B-" before a closing quote or at the end), but not a
        # suspended hyphen ("pre- and post-war").
        ("-", rf"(?<=\w)-(?:{_SPACE}+(?!(?:and|or|nor|to)\b)(?=\w)|(?=[\"'”’]|{_END}))", "—"),
        # Feet and inches are primes, not quotes (5'10").
        ("'", r"'(?<=\d')(?=\d{1,2}\")", "′"),
        ("′", r"\"(?<=\d′\d\")|\"(?<=\d′\d\d\")", "″"),
        # An apostrophe inside a word (don't, Y/N's).
        ("'", r"'(?<=\w')(?=\w)", "’"),
        # A leading apostrophe: 'cause, 'em, '90s.
        ("'", _opens("'") + r"(?=" + _ELISIONS + r"\b|\d\d(?:s\b|\b))", "’"),
        # Opening marks: where only an opening mark can stand, before a character.
        ("'", _opens("'") + r"(?=\S)", "‘"),
        ('"', _opens('"') + r"(?=\S)", "“"),
        ("'", _opens_after_dash("'") + r"(?=\w)", "‘"),
        ('"', _opens_after_dash('"') + r"(?=[\w‘'])", "“"),
        # Closing marks: right after a character.
        ("'", r"'(?<=\S')", "’"),
        ('"', r"\"(?<=\S\")", "”"),
    )
)


def typeset(text: str) -> str:
    """Apply every rule in order. Inline marks (italics, bold) are invisible to the rules, so
    '"<em>Hi</em>"' gets the same quotes as '"Hi"'."""
    if has_marks(text):
        return _typeset_around_marks(text)
    return _apply_rules(text)


def _apply_rules(text: str) -> str:
    for trigger, pattern, replacement in RULES:
        if trigger in text:
            text = pattern.sub(replacement, text)
    return text


def typeset_all(texts: list[str]) -> list[str]:
    """typeset() for many paragraphs at once: one pass of each rule over them all, joined by
    line breaks that no rule reads across or removes. Same result, a fraction of the calls."""
    plain = [i for i, text in enumerate(texts) if "\n" not in text and not has_marks(text)]
    batched = set(plain)
    out = [text if i in batched else typeset(text) for i, text in enumerate(texts)]
    results = _apply_rules("\n".join(texts[i] for i in plain)).split("\n")
    if len(results) != len(plain):  # cannot happen; but if a rule ever did cross a line, be right, not fast
        return [typeset(text) for text in texts]
    for i, result in zip(plain, results, strict=True):
        out[i] = result
    return out


def _typeset_around_marks(text: str) -> str:
    """Typeset the plain text, moving each mark along with the characters before it."""
    plain, marks = split_marks(text)
    for _, pattern, replacement in RULES:
        pieces, shifted, last, delta = [], [], 0, 0
        marks_left = iter(marks)
        pending = next(marks_left, None)
        for match in pattern.finditer(plain):
            while pending is not None and pending[0] <= match.start():
                shifted.append((pending[0] + delta, pending[1]))
                pending = next(marks_left, None)
            while pending is not None and pending[0] < match.end():  # inside a replaced run: before it
                shifted.append((match.start() + delta, pending[1]))
                pending = next(marks_left, None)
            pieces += [plain[last : match.start()], replacement]
            delta += len(replacement) - (match.end() - match.start())
            last = match.end()
        while pending is not None:
            shifted.append((pending[0] + delta, pending[1]))
            pending = next(marks_left, None)
        pieces.append(plain[last:])
        plain, marks = "".join(pieces), shifted
    return join_marks(plain, marks)
