"""Reader-insert placeholders ("Y/N", "(L/N)", "[E/C]") -> the reader's own values."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache

from .marks import AS_WRITTEN

NAME = "Y/N"
NAME_CODES = (NAME, "F/N")  # the codes --name fills
# The placeholder families readers meet (FORMAT.md), with what each stands for.
FAMILIES = {
    "Y/N": "your name",
    "F/N": "first name",
    "L/N": "last name",
    "M/N": "middle name",
    "N/N": "nickname",
    "E/C": "eye colour",
    "H/C": "hair colour",
    "H/L": "hair length",
    "S/C": "skin colour",
    "F/C": "favourite colour",
}

# A code is two or three letters split by slashes: "Y/N", "E/C", and Wattpad's "Y/L/N".
_CODE_SHAPE = r"[A-Za-z](?:/[A-Za-z]){1,2}"
# "Y/N", "(Y/N)", "[y/n]", "{Y/n}"; a bare one not glued to letters ("Y/Ns", "and/or"). Brackets
# mark where a placeholder ends, so "(Y/N)s" is a plural. A possessive's apostrophe is not a
# letter, so "Y/N's" matches and keeps its "'s".
_PLACEHOLDER = re.compile(
    rf"(?<![\w/])(?:\((?P<round>{_CODE_SHAPE})\)|\[(?P<square>{_CODE_SHAPE})\]"
    rf"|\{{(?P<curly>{_CODE_SHAPE})\}}|(?P<bare>{_CODE_SHAPE})(?![\w/]))"
)
_CODE = re.compile(r"^[(\[{]?\s*([A-Za-z](?:\s*/\s*[A-Za-z]){1,2})\s*[)\]}]?$")
# Codes of the same shape that writers use for other things: author's and translator's notes,
# AO3's relationship categories, "n/a", "w/o", "b/c", "18 y/o", shout-outs, trigger warnings,
# "w/e" (whatever), "j/k", "b/w", "n/c" (non-con), "d/s", "r/r" (read and review), "a/b/o".
NOT_PLACEHOLDERS = frozenset(
    {"A/N", "T/N", "F/M", "M/M", "F/F", "M/F", "G/T", "N/A", "W/O", "B/C", "A/C", "I/O", "Y/O"}
    | {"P/S", "O/C", "S/O", "A/U", "T/W", "C/W", "W/E", "J/K", "B/W", "N/C", "D/S", "R/R", "A/B/O"}
)
# Family codes that, written bare in lower case in what authors say about a story (summaries,
# notes), are fandom shorthand: "lots of h/c" is hurt/comfort, not hair colour.
FANDOM_SHORTHAND = frozenset({"h/c"})
# For telling whether a placeholder stands in shouted text: the words around it, within its clause.
_WORD = re.compile(r"[^\W\d_]{2,}")
_CLAUSE_BREAK = re.compile('[.!?:;"“”\ufdd4]')  # U+FDD4: a line break (marks.py)
_WINDOW = 80
_ACRONYMS = frozenset(["OK", "OMG", "LOL", "BTW", "TV", "UK", "USA", "FBI", "CEO", "ID", "PE", "DM", "DMS"])


@dataclass
class Tally:
    """What personalising a text did: placeholders replaced, and family ones with no value."""

    replaced: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)


def normalise_code(key: str) -> str | None:
    """'l/n', '(L/N)', 'L / N', 'y/l/n' -> 'L/N', 'Y/L/N'; None if it is not of that shape."""
    match = _CODE.match(key.strip())
    return re.sub(r"\s+", "", match.group(1)).upper() if match else None


def reader_values(name: str | None, extra: Mapping[str, str]) -> dict[str, str]:
    """Every placeholder code a reader has a value for. F/N (first name) defaults to the name."""
    values = dict.fromkeys(NAME_CODES, name) if name is not None else {}
    values.update(extra)
    return values


# Where a text's placeholders are: (start, end, code, whether it stands in shouted text) each.
Places = tuple[tuple[int, int, str, bool], ...]


def personalise(text: str, values: Mapping[str, str], tally: Tally, known: Mapping[str, Places] | None = None) -> str:
    """Replace every placeholder that has a value; count the family ones that have none.

    A value is written exactly as given, except inside shouted text ("I SAID Y/N!"), where it is
    shouted too: "Y/N" is capitalised by convention, so its own case says nothing. `known` may
    hold the text's places_of() already (worked out once for every reader's copy).
    """
    if "/" not in text:
        return text
    places = known.get(text) if known else None
    pieces: list[str] = []
    last = 0
    for start, end, code, shouted in _found(text) if places is None else places:
        if code in values:
            tally.replaced[code] += 1
            if shouted is None:  # not worked out beforehand: only for a placeholder replaced
                shouted = in_caps_run(text, start, end)
            pieces += [text[last:start], values[code].upper() if shouted else values[code]]
            last = end
        elif code in FAMILIES:
            tally.missing[code] += 1
    return "".join(pieces) + text[last:] if pieces else text


def places_of(text: str) -> Places:
    """Where personalise() finds placeholders in `text`: reader-independent, so worked out once
    for a book made for many readers (placements)."""
    return tuple((start, end, code, in_caps_run(text, start, end)) for start, end, code, _ in _found(text))


def _found(text: str) -> Iterator[tuple[int, int, str, bool | None]]:
    """Each placeholder of `text` as (start, end, code, None): whether it stands in shouted text
    is left to be worked out (places_of), or looked at only where a value is written."""
    for match in _placeholder_matches(text):
        code = _placeholder(match)
        if code is not None:
            yield match.start(), match.end(), code, None


def _placeholder_matches(text: str) -> Iterator[re.Match[str]]:
    """_PLACEHOLDER.finditer(text), tried only where a match can start: one or two characters
    before a slash ("Y/N", "(Y/N)"). The pattern starts with a look behind, so the regex engine
    would try it at every character of the text; a text has few slashes."""
    end = 0  # where the last match ended: finditer goes on from there
    slash = text.find("/")
    while slash >= 0:
        for start in (slash - 2, slash - 1):
            match = _PLACEHOLDER.match(text, start) if start >= end else None
            if match:
                yield match
                end = match.end()
                break
        slash = text.find("/", max(slash + 1, end))


def find_codes(text: str) -> list[str]:
    """The placeholder codes in `text`, in order: exactly those personalise() would replace."""
    if "/" not in text:
        return []
    return [code for _, _, code, _ in _found(text)]


def _placeholder(match: re.Match[str]) -> str | None:
    """The code, if this match is a placeholder: the one definition the survey and personalise
    share. Not one: a known abbreviation ("A/N", "n/a"); a two-letter code outside the families
    written bare and not in capitals ("b/f", "w/e"), which is a word; a legend's code ("Y/N = your
    name"), which names the placeholder rather than standing for the reader."""
    code = _code_of(match)
    bare = match.group("bare")
    if code in NOT_PLACEHOLDERS:
        return None
    if bare is not None and code not in FAMILIES and not bare.isupper() and code.count("/") == 1:
        return None
    if _LEGEND_MEANING.match(match.string, match.end()):
        return None
    return code


def _code_of(match: re.Match[str]) -> str:
    return (match.group("round") or match.group("square") or match.group("curly") or match.group("bare")).upper()


def mark_fandom_shorthand(text: str) -> str:
    """A summary or note with its code-shaped fandom shorthand marked as written, so that no
    later step takes it for a placeholder: "h/c" (hurt/comfort) and bare codes outside the
    families ("H/D", a ship). Bracketed codes, and family codes in capitals, stay placeholders."""
    if "/" not in text:
        return text

    def mark(match: re.Match[str]) -> str:
        bare, code = match.group("bare"), _placeholder(match)
        if bare is None or code is None or (code in FAMILIES and bare not in FANDOM_SHORTHAND):
            return match.group(0)
        return bare[0] + AS_WRITTEN + bare[1:]

    return _PLACEHOLDER.sub(mark, text)


def in_caps_run(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] sits among capitals: the nearest two words on each side, within
    its clause, are all upper case, and are not all everyday acronyms ("OMG Y/N" is not shouting)."""
    # Only a window around it is read: the two nearest words are never far, and reading the whole
    # paragraph for every placeholder would make a long one quadratic.
    before = _WORD.findall(_CLAUSE_BREAK.split(text[max(0, start - _WINDOW) : start])[-1])[-2:]
    if not all(w.isupper() for w in before):  # most placeholders: in lower case text, said at once
        return False
    words = before + _WORD.findall(_CLAUSE_BREAK.split(text[end : end + _WINDOW])[0])[:2]
    return bool(words) and all(w.isupper() for w in words) and not all(w in _ACRONYMS for w in words)


# A legend says what a placeholder stands for: "Y/N = your name", "(l/n) - last name",
# "E/C: eye colour", "B/F/N = boyfriend's name". After its code: a separator, then what the code
# means, then the end of the clause: describing words and a noun such as name or colour ("your
# last name", "eye colour"). After "=" (or an arrow) also "your" and a few words ("your best
# friend"); but not just any words, as "Y/N = Trouble" may be a title, and after a colon or a dash
# not even those, as story text uses them too ("Y/N: nice name." in a chat fic).
_MARKS = "[\ufdd0-\ufdd3]*"  # italics or bold around the code or the words
_NOUN = r"(?:sur|nick|user|pet\s*|hair\s*)?(?:names?|colou?rs?|lengths?|tones?|heights?|styles?|ages?)"
_WHOSE = r"(?:your|ur|yer|ya|you[’']?re|the(?:\s+reader[’']?s?)?|reader[’']?s?|his|her|their)"
_DESCRIBING = (
    r"(?:first|last|middle|full|given|family|birth|maiden|pet|eye|eyes|hair|skin|fav|favou?rite|best"
    r"|natural|dyed|(?:boy|girl|best\s*)?friend[’']?s|crush[’']?s|partner[’']?s|brother[’']?s|sister[’']?s"
    r"|mom[’']?s|mum[’']?s|dad[’']?s|mother[’']?s|father[’']?s|kid[’']?s|child[’']?s|dog[’']?s|cat[’']?s)"
)
_MEANING_WORDS = rf"(?:{_WHOSE}\s+)?(?:{_DESCRIBING}\s+){{0,2}}{_NOUN}"
_CLAUSE_END = (
    rf"{_MARKS}[)\]}}]?{_MARKS}"
    rf"(?=\s*(?:[,;.!?)\]}}•|&\n\ufdd4]|$)|\s+and\b|\s+[(\[{{]?{_CODE_SHAPE}(?![\w/]))"
)
_YOUR_WORDS = r"(?:your|ur|yer|you[’']?re|(?:the\s+)?reader[’']?s?)(?:\s++[^\W\d_][\w’'-]{0,24}+){1,3}"
_LEGEND_MEANING = re.compile(
    rf"{_MARKS}(?:\s*+(?:=+>?|→|⇒)\s*+[(\[{{]?{_MARKS}(?:{_YOUR_WORDS}|{_MEANING_WORDS})"
    rf"|(?:\s*+(?::|-+>?|–|—)|\s++stands\s++for)\s*+[(\[{{]?{_MARKS}{_MEANING_WORDS}){_CLAUSE_END}",
    re.IGNORECASE,
)


@cache  # compiled only for a build with notes to look at: it takes tens of milliseconds
def _legend() -> re.Pattern[str]:
    return re.compile(rf"(?:{_PLACEHOLDER.pattern}){_LEGEND_MEANING.pattern}", re.IGNORECASE)


# A note's own label before its legend ("A/N:", "Key -").
_NOTE_LABEL = re.compile(r"^\s*+[(\[]?\s*+(?:a/n|author[’']?s\s+notes?|notes?|key|guide|legend)\s*+[:\-–—]\s*+", re.I)
_BETWEEN_CLAUSES = re.compile(r"(?:[\s,;.!?)\]}•|&]++|\band\b)*+")


def explains_placeholders(text: str) -> bool:
    """Whether a note does nothing but define placeholders ("Y/N = your name, (E/C) - eye colour").
    In a personalised copy such a note is left out: it would explain codes the reader never sees."""
    body = _NOTE_LABEL.sub("", plain_text(text))
    rest = _legend().sub("", body)
    return rest != body and _BETWEEN_CLAUSES.fullmatch(rest) is not None


def plain_text(text: str) -> str:
    """Marks out, line breaks as new lines: the shape of a note as written."""
    from .marks import LINE_BREAK, MARK

    return MARK.sub("", text.replace(LINE_BREAK, "\n"))
