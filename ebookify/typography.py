"""Phone-typed punctuation -> book typography. Pure str -> str, idempotent, one rule a line.

Rules only ever turn ASCII marks into typographic ones, so text that is already typeset passes
through untouched, and a second run finds nothing left to change. A quote mark with space on both
sides cannot be told opening from closing, so it stays straight: unbalanced quotes are left as the
author wrote them, never "repaired".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby

from .marks import has_marks, join_marks, split_marks

# Every quote rule starts with its quote mark and looks back from there: a pattern that starts
# with a literal lets the regex engine jump from quote to quote instead of trying every position
# (three times faster on a book). Each rule also names a trigger, a substring without which it
# cannot match, so it is not run at all where it has nothing to do.
#
# Every rule is linear in its input, even on 60,000 spaces in a row: a pattern that may start
# anywhere in a run (`[^\S\n]*--`) and scan to its end before failing does n steps at each of n
# places. So a run of spaces is only entered at its first character (a space after no space),
# and runs are taken possessively (`*+`, `++`): nothing is given back for a retry that could
# never succeed. bench/growth.py measures it.

# A quote mark `q` where only an opening one can stand: at the start, after a space or an opening
# bracket, or after another quote mark that opens (straight, as in "'Hi,' he said", or curled).
_OPENING_CONTEXT = "\\s(\\[{“‘"


def _opens(q: str) -> str:
    return q + _stands_to_open(q)


def _stands_to_open(q: str) -> str:
    """Right after the mark `q`: whether it stands where only an opening mark can."""
    # Not preceded by a character outside the context: so preceded by one inside, or by nothing;
    # or preceded by a straight quote that opens (as a double one after a dash does before a word).
    ctx = _OPENING_CONTEXT
    return rf"(?:(?<![^{ctx}]{q})|(?<=[{ctx}][\"']{q})|(?<=[—–/]\"{q})(?=\w)|(?<=^[\"']{q}))"


# After a dash or slash a quote opens only when a word follows ("—“stop”"); before punctuation or
# a space it closes ("sorry—”.").
def _opens_after_dash(q: str) -> str:
    return q + _stands_after_dash(q)


def _stands_after_dash(q: str) -> str:
    return rf"(?<=[—–/]{q})"


# Words that lose their first letters to an apostrophe ('cause, 'em, the 'Verse): that mark is an
# apostrophe, not an opening single quote, wherever an opening quote could stand.
_ELISIONS = (
    r"(?:cause|cos|coz|cuz|course|em|til|till|tis|twas|twere|twill|twould|bout|round|n|nother|kay|sup|ya|yall"
    r"|ello|allo|fraid|scuse|cept|member|nuff|neath|tween|gainst|im|verse|nam)"
)
_SINGLE = "'"
# A single quote at the start of a word, where an opening quote could stand. It is one only if a
# closing single quote follows in the same paragraph: "Watches 'Verse" has none, so its mark is
# no quote (an apostrophe if the word is a known elision, else left straight as written).
_OPENS_IF_CLOSED = rf"(?:{_stands_to_open(_SINGLE)}(?=\S)|{_stands_after_dash(_SINGLE)}(?=\w))"  # after the mark
# A single quote that can close: after a character, before no letter or digit ("no.'", "her'"),
# and not one that stands to open. Straight or curled: one pattern each, each starting with its
# literal, which the engine finds far faster than either of two characters.
_SINGLE_CLOSERS = (rf"'(?<=\S')(?!\w)(?!{_OPENS_IF_CLOSED})", r"’(?<=\S’)(?!\w)")

# Space a dash may swallow: not a line break (AO3 text keeps its <br/>, seen here as "\n").
_SPACE = r"[^\S\n]"
_END = r"$|(?=\n)"
# A run of such space, entered only at its start and never given back (see the top). It starts
# with its character class, which the engine can skip to as it would to a literal.
_RUN_OF_SPACE = rf"{_SPACE}(?<!{_SPACE}{_SPACE}){_SPACE}*+"


def _dots(match: re.Match[str]) -> str:
    """Three dots are an ellipsis; four are an ellipsis and a full stop ("them...." ends a
    sentence). A longer row is the author's own length of pause: left as written."""
    dots = match[0].count(".")
    return {3: "…", 4: "…."}.get(dots, match[0])


Replacement = str | Callable[[re.Match[str]], str]
# What a paragraph must hold for a rule to find anything in it: a substring, or either of two.
Trigger = str | tuple[str, str]


def holds(text: str, trigger: Trigger) -> bool:
    return trigger in text if isinstance(trigger, str) else trigger[0] in text or trigger[1] in text


# Two dots with at most a space between: where every ellipsis starts. A book has a full stop in
# nearly every paragraph, and an ellipsis in few.
_DOTTED = ("..", ". .")


@dataclass(frozen=True)
class _Rule:
    trigger: Trigger
    pattern: re.Pattern[str]
    replacement: Replacement

    def apply(self, text: str) -> str:
        return self.pattern.sub(self.replacement, text)

    def edits(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, new text) of each replacement, in order."""
        for match in self.pattern.finditer(text):
            new = self.replacement if isinstance(self.replacement, str) else self.replacement(match)
            yield match.start(), match.end(), new


class _SingleQuotes:
    """Straight single quotes left by the apostrophe rules, in one pass over one state of the text.
    One at the start of a word becomes an opening quote if a closing single quote follows in its
    paragraph (line), and is otherwise left straight; one after a character closes. Linear: the
    next closer and the line's end are searched for only once each is passed, so no stretch of
    text is read twice however many quotes wait for a closer."""

    trigger = "'"
    _QUOTE = re.compile(rf"'(?:(?P<opens>{_OPENS_IF_CLOSED})|(?<=\S'))")
    _CLOSERS = tuple(re.compile(closer) for closer in _SINGLE_CLOSERS)

    def edits(self, text: str) -> Iterator[tuple[int, int, str]]:
        beyond = len(text) + 1
        line_end, closers = -1, [-1] * len(self._CLOSERS)  # the next of each after the last quote
        for match in self._QUOTE.finditer(text):
            start = match.start()
            if match.group("opens") is None:
                yield start, start + 1, "’"
                continue
            if line_end < start:
                line_end = text.find("\n", start) % beyond  # no "\n": the text's end
            for kind, pattern in enumerate(self._CLOSERS):
                if closers[kind] < start:
                    found = pattern.search(text, start + 1)
                    closers[kind] = found.start() if found else beyond
            if min(closers) < line_end:
                yield start, start + 1, "‘"

    def apply(self, text: str) -> str:
        return _edited(text, self.edits(text))


def _edited(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, new text) of `edits`, in order, put in."""
    pieces, last = [], 0
    for start, end, new in edits:
        pieces += [text[last:start], new]
        last = end
    return "".join(pieces) + text[last:] if pieces else text


def _rule(trigger: Trigger, pattern: str, replacement: Replacement) -> _Rule:
    return _Rule(trigger, re.compile(pattern, re.IGNORECASE), replacement)


# A hyphen and the spaces (not line breaks) before it, in the text read backwards: the engine
# finds each hyphen as a literal, and the run of spaces that ends there with it.
_HYPHEN_BACKWARDS = re.compile(r"-[^\S\n]*+")


@dataclass(frozen=True)
class _HyphenRule(_Rule):
    """A rule whose every match starts at a hyphen or at the run of spaces (not line breaks) before
    one, looked for from the hyphens. The engine cannot skip ahead to a space as it does to a
    literal: a pattern that may start at a space is tried at every space (the spaced dashes took a
    third of a book's typesetting time). Where the pattern alone would match first is one of those
    places, so it is tried there, and only there, in order: the same matches. `spaced`: every
    match starts at spaces, so a hyphen after none is passed over."""

    spaced: bool = True

    def edits(self, text: str) -> Iterator[tuple[int, int, str]]:
        return super().edits(text) if _crowded(text) else self.from_hyphens(text)

    def from_hyphens(self, text: str) -> Iterator[tuple[int, int, str]]:
        last, end = 0, len(text)
        for place in self._places(text[::-1]):
            # Not in what a match before took (the spaces after its dash).
            match = self.pattern.match(text, end - place) if end - place >= last else None
            if match:
                last = match.end()
                yield (
                    match.start(),
                    last,
                    self.replacement if isinstance(self.replacement, str) else self.replacement(match),
                )

    def _places(self, backwards: str) -> list[int]:
        """Where a match may start, counted from the end, last first: each run of spaces before a
        hyphen, then (unless `spaced`) the hyphen itself."""
        places: list[int] = []
        for found in _HYPHEN_BACKWARDS.finditer(backwards):
            hyphen, spaces = found.span()
            if not self.spaced:
                places.append(hyphen + 1)
            if spaces > hyphen + 1:
                places.append(spaces)
        places.reverse()
        return places

    def apply(self, text: str) -> str:
        return super().apply(text) if _crowded(text) else _edited(text, self.from_hyphens(text))


def _crowded(text: str) -> bool:
    """Hyphens so close together ("- - -", a row of them) that a look at each costs more than the
    engine's at each space."""
    return text.count("-") * 64 > len(text)


def _hyphen_rule(trigger: str, pattern: str, replacement: str, spaced: bool = True) -> _HyphenRule:
    return _HyphenRule(trigger, re.compile(pattern, re.IGNORECASE), replacement, spaced)


RULES: tuple[_Rule | _SingleQuotes, ...] = (
    # Three dots, or spaced dots, are one ellipsis character (it never breaks a line); four keep
    # their full stop.
    _rule(_DOTTED, r"\.(?: ?\.){2,}+", _dots),
    # Two or three hyphens were a typewriter's em dash.
    # (Not in an internationalised domain name: "xn--bcher".)
    # (The space before may already have gone with the dash before it: "-- --".)
    _hyphen_rule("--", rf"(?:{_RUN_OF_SPACE})?(?<!-)(?<!xn)-{{2,3}}(?!-){_SPACE}*+", "—", spaced=False),
    # A spaced hyphen between numbers is a range: en dash, no spaces ("5 - 10" -> "5–10").
    _hyphen_rule("-", rf"{_SPACE}(?<=\d{_SPACE}){_SPACE}*+-{_SPACE}++(?=\d)", "–"),
    # A spaced hyphen is a dash; also "I - I" stammers and a trailing "But - ".
    _hyphen_rule("-", rf"{_RUN_OF_SPACE}-(?:{_SPACE}++|{_END}|(?=[\"'”’]))", "—"),
    # A word cut off ("B- Kylo", "B-" before a closing quote or at the end), but not a
    # suspended hyphen ("pre- and post-war").
    _rule("-", rf"-(?<=\w-)(?:{_SPACE}++(?!(?:and|or|nor|to)\b)(?=\w)|(?=[\"'”’]|{_END}))", "—"),
    # Feet and inches are primes, not quotes (5'10", 5'10).
    _rule("'", r"'(?<=\d')(?=\d{1,2}(?![\w'’]))", "′"),
    _rule("′", r"\"(?<=\d′\d\")|\"(?<=\d′\d\d\")", "″"),
    # An apostrophe inside a word (don't, Y/N's).
    _rule("'", r"'(?<=\w')(?=\w)", "’"),
    # A leading apostrophe: 'cause, 'em, '90s, '67 (but '42' is a quoted number).
    _rule(
        "'",
        rf"(?:{_opens(_SINGLE)}|{_opens_after_dash(_SINGLE)})(?={_ELISIONS}\b|\d\d(?:s\b|\b(?!['’])))",
        "’",
    ),
    # Opening single quotes (only those with a closing one after them) and closing ones.
    _SingleQuotes(),
    # Opening double quotes: where only an opening mark can stand, before a character.
    _rule('"', _opens('"') + r"(?=\S)", "“"),
    # After a dash, before a word or an opening single quote (a straight one before a word):
    # "—“'Cause…" opens, "sorry—”' and" closes both.
    _rule('"', _opens_after_dash('"') + r"(?=[\w‘]|['’]\w)", "“"),
    # Closing double quotes: right after a character.
    _rule('"', r"\"(?<=\S\")", "”"),
)


def typeset(text: str) -> str:
    """Apply every rule in order. Inline marks (italics, bold) are invisible to the rules, so
    '"<em>Hi</em>"' gets the same quotes as '"Hi"'."""
    if has_marks(text):
        return _typeset_around_marks(text)
    return _apply_rules(text)


def _apply_rules(text: str) -> str:
    for rule in RULES:
        if holds(text, rule.trigger):
            text = rule.apply(text)
    return text


def typeset_all(texts: list[str]) -> list[str]:
    """typeset() for many paragraphs at once: one pass of each rule over them all, joined by
    line breaks that no rule reads across or removes. Same result, a fraction of the calls."""
    out = list(texts)

    def plain() -> Iterator[int]:
        """The paragraphs the batches take; each other one is typeset alone as it is passed.
        Not listed, nor a set made of them: for a 50 MB story, 20 MB of numbers. A few thousand
        paragraphs are looked at in one go: most hold no line break nor mark, nor do their
        neighbours (a Wattpad part's lines never do)."""
        for start in range(0, len(texts), _LOOKED_AT_ONCE):
            some = texts[start : start + _LOOKED_AT_ONCE]
            joined = "".join(some)
            if "\n" not in joined and not has_marks(joined):
                yield from range(start, start + len(some))
                continue
            for i, text in enumerate(some, start):
                if "\n" in text or has_marks(text):
                    out[i] = typeset(text)
                else:
                    yield i

    for batch in _batches(plain(), texts):
        for trigger, rules in _BY_TRIGGER:
            # Only the paragraphs holding the rules' trigger: a rule that starts at a space (the
            # spaced dashes) is otherwise tried at every space of the book.
            # holds(), spelled out: a call for each paragraph and each run of rules costs more here.
            if isinstance(trigger, str):
                lines = [i for i in batch if trigger in out[i]]
            else:
                either, other = trigger
                lines = [i for i in batch if either in out[i] or other in out[i]]
            if not lines:
                continue
            joined = "\n".join(out[i] for i in lines)
            for rule in rules:
                joined = rule.apply(joined)
            results = joined.split("\n")
            if len(results) != len(lines):  # cannot happen; but if a rule ever did cross a line, be right, not fast
                return [typeset(text) for text in texts]
            for i, result in zip(lines, results, strict=True):
                out[i] = result
    return out


# Consecutive rules with one trigger. None of them makes its own trigger (a quote rule makes curly
# quotes, a dash rule dashes), so the paragraphs holding it before the first hold all it is in.
_BY_TRIGGER = tuple((trigger, tuple(rules)) for trigger, rules in groupby(RULES, key=lambda rule: rule.trigger))


_LOOKED_AT_ONCE = 2_000  # paragraphs, some 200 KB of text, looked at for line breaks and marks together

_BATCH_CHARACTERS = 1_000_000  # a story file of 50 MB is typeset a megabyte at a time, not all at once


def _batches(indices: Iterable[int], texts: list[str]) -> Iterator[list[int]]:
    """The indices in runs of about _BATCH_CHARACTERS of text each: each rule's copy of a run is
    small, where one of a whole 50 MB file (as UCS-2 once a curly quote is in it) took 100 MB."""
    if sum(map(len, texts)) + len(texts) < _BATCH_CHARACTERS:  # all in one: not counted one by one
        batch = list(indices)
        if batch:
            yield batch
        return
    batch = []
    size = 0
    for i in indices:
        batch.append(i)
        size += len(texts[i]) + 1
        if size >= _BATCH_CHARACTERS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _typeset_around_marks(text: str) -> str:
    """Typeset the plain text, moving each mark along with the characters before it."""
    plain, marks = split_marks(text)
    for rule in RULES:
        pieces, shifted, last, delta = [], [], 0, 0
        marks_left = iter(marks)
        pending = next(marks_left, None)
        for start, end, replacement in rule.edits(plain):
            while pending is not None and pending[0] <= start:
                shifted.append((pending[0] + delta, pending[1]))
                pending = next(marks_left, None)
            while pending is not None and pending[0] < end:  # inside a replaced run: before it
                shifted.append((start + delta, pending[1]))
                pending = next(marks_left, None)
            pieces += [plain[last:start], replacement]
            delta += len(replacement) - (end - start)
            last = end
        while pending is not None:
            shifted.append((pending[0] + delta, pending[1]))
            pending = next(marks_left, None)
        pieces.append(plain[last:])
        plain, marks = "".join(pieces), shifted
    return join_marks(plain, marks)
