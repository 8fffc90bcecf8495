"""Reader-insert placeholders ("Y/N", "(L/N)", "[E/C]") -> the reader's own values."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import EbookifyError

NAME = "Y/N"
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

# "Y/N", "(Y/N)", "[y/n]", "{Y/n}"; a bare one not glued to letters ("Y/Ns", "and/or"). Brackets
# mark where a placeholder ends, so "(Y/N)s" is a plural. A possessive's apostrophe is not a
# letter, so "Y/N's" matches and keeps its "'s".
_PLACEHOLDER = re.compile(
    r"(?<![\w/])(?:\((?P<round>[A-Za-z]/[A-Za-z])\)|\[(?P<square>[A-Za-z]/[A-Za-z])\]"
    r"|\{(?P<curly>[A-Za-z]/[A-Za-z])\}|(?P<bare>[A-Za-z]/[A-Za-z])(?![\w/]))"
)
_CODE = re.compile(r"^[(\[{]?\s*([A-Za-z])\s*/\s*([A-Za-z])\s*[)\]}]?$")
_LINE_BREAKS = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Invisible characters that reorder or hide text: in a name they would garble every paragraph it
# is written into (U+202E shows the rest of the line backwards).
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]")


@dataclass
class Tally:
    """What personalising a text did: placeholders replaced, and those with no value."""

    replaced: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)


def normalise_code(key: str) -> str | None:
    """'l/n', '(L/N)', 'L / N' -> 'L/N'; None if it is not of that shape."""
    match = _CODE.match(key.strip())
    return f"{match.group(1)}/{match.group(2)}".upper() if match else None


def check_value(value: str, what: str) -> str:
    """A reader's value as it will be written; refuse what would break the page or the line."""
    if not value:
        raise EbookifyError(f"{what} is empty")
    if not value.strip():
        raise EbookifyError(f"{what} is blank")
    if _LINE_BREAKS.search(value):
        raise EbookifyError(f"{what} must be one line")
    if _CONTROLS.search(value):
        raise EbookifyError(f"{what} contains a control character")
    invisible = _INVISIBLE.search(value)
    if invisible:
        raise EbookifyError(f"{what} contains an invisible formatting character (U+{ord(invisible[0]):04X})")
    value = value.strip()
    if len(value) > MAX_VALUE_LENGTH:
        raise EbookifyError(f"{what} is longer than {MAX_VALUE_LENGTH} characters")
    return value


def reader_values(name: str | None, extra: Mapping[str, str]) -> dict[str, str]:
    """Every placeholder code a reader has a value for. F/N (first name) defaults to the name."""
    values = {NAME: name, "F/N": name} if name is not None else {}
    values.update(extra)
    return values


def personalise(text: str, values: Mapping[str, str], tally: Tally) -> str:
    """Replace every placeholder that has a value; count those that have none."""

    def replace(match: re.Match[str]) -> str:
        code = (match.group("round") or match.group("square") or match.group("curly") or match.group("bare")).upper()
        if code in values:
            tally.replaced[code] += 1
            return values[code]
        if code in FAMILIES:
            tally.missing[code] += 1
        return match.group(0)

    return _PLACEHOLDER.sub(replace, text) if "/" in text else text


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
