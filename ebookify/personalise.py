"""Reader-insert placeholders ("Y/N", "(L/N)", "[E/C]") -> the reader's own values."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import EbookifyError

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
MAX_VALUE_LENGTH = 100

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
# AO3's relationship categories, "n/a", "w/o", "b/c", "18 y/o", shout-outs, trigger warnings.
NOT_PLACEHOLDERS = frozenset(
    {"A/N", "T/N", "F/M", "M/M", "F/F", "M/F", "G/T", "N/A", "W/O", "B/C", "A/C", "I/O", "Y/O"}
    | {"P/S", "O/C", "S/O", "A/U", "T/W", "C/W"}
)
_LINE_BREAKS = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNWRITABLE = re.compile("[\ud800-\udfff\ufffe\uffff\ufdd0-\ufdef]")
# Invisible characters that reorder or hide text: in a name they would garble every paragraph it
# is written into (U+202E shows the rest of the line backwards).
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u061c\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
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


def check_value(value: str, what: str) -> str:
    """A reader's value as it will be written; refuse what would break the page or the line."""
    if not value:
        raise EbookifyError(f"{what} is empty")
    if not value.strip():
        raise EbookifyError(f"{what} is blank")
    value = _from_argument_bytes(value).strip()  # a trailing space or newline pasted along is no part of it
    if _LINE_BREAKS.search(value):
        raise EbookifyError(f"{what} must be one line")
    if _CONTROLS.search(value):
        raise EbookifyError(f"{what} contains a control character")
    if _UNWRITABLE.search(value):
        raise EbookifyError(
            f"{what} is not valid text (it has bytes that are not UTF-8); "
            "type it in a terminal set to UTF-8 (e.g. LANG=C.UTF-8) or put it in a --readers file saved as UTF-8"
        )
    invisible = _INVISIBLE.search(value)
    if invisible:
        raise EbookifyError(f"{what} contains an invisible formatting character (U+{ord(invisible[0]):04X})")
    if len(value) > MAX_VALUE_LENGTH:
        raise EbookifyError(f"{what} is longer than {MAX_VALUE_LENGTH} characters")
    return value


def _from_argument_bytes(value: str) -> str:
    """Under a locale that is not UTF-8 (LC_ALL=POSIX with PYTHONUTF8=0) Python hands on each byte
    of "Zoë" it cannot decode as a lone surrogate. Those bytes, as they came, are often UTF-8 after
    all: read them so. Bytes that are not UTF-8 stay as they were, for the check to refuse."""
    if not _UNWRITABLE.search(value):
        return value
    try:
        return os.fsencode(value).decode("utf-8")
    except UnicodeError:
        return value


def reader_values(name: str | None, extra: Mapping[str, str]) -> dict[str, str]:
    """Every placeholder code a reader has a value for. F/N (first name) defaults to the name."""
    values = dict.fromkeys(NAME_CODES, name) if name is not None else {}
    values.update(extra)
    return values


def personalise(text: str, values: Mapping[str, str], tally: Tally) -> str:
    """Replace every placeholder that has a value; count the family ones that have none.

    A value is written exactly as given, except inside shouted text ("I SAID Y/N!"), where it is
    shouted too: "Y/N" is capitalised by convention, so its own case says nothing.
    """

    def replace(match: re.Match[str]) -> str:
        code = _code_of(match)
        if code in values:
            tally.replaced[code] += 1
            value = values[code]
            return value.upper() if in_caps_run(text, match.start(), match.end()) else value
        if code in FAMILIES:
            tally.missing[code] += 1
        return match.group(0)

    return _PLACEHOLDER.sub(replace, text) if "/" in text else text


def find_codes(text: str) -> list[str]:
    """The placeholder codes in `text`, in order: every family code, and any other code written
    like a placeholder (in brackets, or in capitals) that is not a known abbreviation."""
    if "/" not in text:
        return []
    found = []
    for match in _PLACEHOLDER.finditer(text):
        code = _code_of(match)
        written_as_one = match.group("bare") is None or match.group("bare").isupper()
        if code in FAMILIES or (written_as_one and code not in NOT_PLACEHOLDERS):
            found.append(code)
    return found


def _code_of(match: re.Match[str]) -> str:
    return (match.group("round") or match.group("square") or match.group("curly") or match.group("bare")).upper()


def in_caps_run(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] sits among capitals: the nearest two words on each side, within
    its clause, are all upper case, and are not all everyday acronyms ("OMG Y/N" is not shouting)."""
    # Only a window around it is read: the two nearest words are never far, and reading the whole
    # paragraph for every placeholder would make a long one quadratic.
    before = _CLAUSE_BREAK.split(text[max(0, start - _WINDOW) : start])[-1]
    after = _CLAUSE_BREAK.split(text[end : end + _WINDOW])[0]
    words = _WORD.findall(before)[-2:] + _WORD.findall(after)[:2]
    return bool(words) and all(w.isupper() for w in words) and not all(w in _ACRONYMS for w in words)


def parse_setting(raw: str) -> tuple[str, str]:
    """'L/N=Rivers' -> ('L/N', 'Rivers'), from --set."""
    key, sep, value = raw.partition("=")
    if not sep:
        raise EbookifyError(f"--set {raw!r} is not KEY=VALUE (for example --set L/N=Rivers)")
    code = normalise_code(key)
    if code is None:
        raise EbookifyError(f"--set {raw!r}: {key.strip()!r} is not a placeholder code like L/N or E/C")
    if code == NAME:
        raise EbookifyError(f"--set {raw!r}: the reader's name is given with --name, not --set")
    return code, check_value(value, f"the value of --set {code}")


# A note that only tells the reader what the placeholders mean ("Y/N = your name, E/C = eye
# colour") would read "Sam = your name" in a personalised copy: such notes are left out there.
_NOTE_LABEL = re.compile(r"^\s*[(\[]?\s*(?:a/n|author[’']?s\s+notes?|notes?|key|guide|legend)\s*[:\-–—]\s*", re.I)
_DEFINITION = re.compile(
    rf"^[(\[{{]?\s*{_CODE_SHAPE}\s*[)\]}}]?\s*(?:=|:|-|–|—|means|is|stands\s+for)\s*"
    r"(?=[^=.!?]*\b(?:name|surname|nickname|colou?r|length|tone|height)s?\b)[^=.!?]{1,40}?[.!)\]]*$",
    re.IGNORECASE,
)


def explains_placeholders(text: str) -> bool:
    """Whether a note does nothing but define placeholders ("Y/N = your name, (E/C) - eye colour")."""
    body = _NOTE_LABEL.sub("", plain_text(text)).strip()
    segments = [part.strip() for part in re.split(r"[,;\n•|]+|\s{2,}", body) if part.strip()]
    return bool(segments) and all(_DEFINITION.match(part) for part in segments)


def plain_text(text: str) -> str:
    """Marks out, line breaks as new lines: the shape of a note as written."""
    from .marks import LINE_BREAK, MARK

    return MARK.sub("", text.replace(LINE_BREAK, "\n"))
