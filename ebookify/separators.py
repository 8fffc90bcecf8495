"""Is this line a scene-break separator typed by hand ("* * *", "xxx", "oOo", "~*~", "-x-")?

Fan fiction marks scene breaks with a line of ornament, in AO3 HTML and Wattpad text alike. The
rule must never take a line of story for one, so it is narrow on purpose:

* a line of ornament symbols, three or more ("***", "~*~", "+++", "###", "———", "◇◇◇"), or one
  of the marks made for the purpose alone ("⁂", "❦", "§");
* a line of three or more x's ("xxx", "XxX"), or o's alternating in case ("oOo", "OoOoO");
* x's and o's set between symbols ("-x-", "x-x-x", "~o~", "-oOo-").

And never:

* sentence punctuation: "...", "…", "?!", "!!!" are a pause or a reaction, written as text;
* a kiss or hug sign-off: "x", "xx", "xo", "XOXO" (a lone "xx" ends a letter far more often
  than it breaks a scene, so it stays text), nor "Oh", "Ooo", "OOO", "A", "I", numbers;
* faces: "-_-", "^_^", "o_o", "x_x", "O.o", "///" (blushing), ":)", "<3";
* emoji outside the Basic Multilingual Plane ("😭😭😭" is a chat message far more often).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

# Punctuation that writes speech and sentences, and the slash of faces ("///", "o/"): a line of
# these is text. Brackets and quotes are caught by their Unicode category below.
_TEXT_PUNCTUATION = frozenset(".,;:!?¡¿…‥⋯‽'\"/\\|。，、；：！？")
# Marks that are scene breaks even alone or in pairs.
_SECTION_MARKS = frozenset("⁂❦❧☙§※⸙")
_LETTERS = frozenset("xXoO")
SEPARATOR_LENGTH = 80  # a separator is short; longer lines are not looked at letter by letter
# A letter or digit but x and o, or sentence punctuation: the line is text (a fast first look,
# as every line of a Wattpad file is asked).
_TEXT = re.compile(r"[^\W_xXoO]|[.,;:!?…'\"]")


def is_scene_break(line: str) -> bool:
    """True if `line` (a paragraph's visible text, or a line of a text file) is only a separator."""
    if len(line) > SEPARATOR_LENGTH or _TEXT.search(line):
        return False
    marks = "".join(c for c in line if not c.isspace() and unicodedata.category(c) not in ("Mn", "Cf"))
    if not marks:
        return False
    if all(c in _SECTION_MARKS for c in marks):
        return True
    if len(marks) < 3 or not all(c in _LETTERS or _is_ornament(c) for c in marks):
        return False
    letters = [c for c in marks if c in _LETTERS]
    if not letters:
        return not _is_face(marks)
    if len(letters) == len(marks):
        return _is_letter_separator(marks)
    # Letters between symbols: "-x-", "x-x-x", "~o~". A face has letters for eyes ("o_o", "x-x").
    return not (len(marks) == 3 and marks[0] in _LETTERS and marks[2] in _LETTERS)


def _is_ornament(char: str) -> bool:
    """A symbol or dash that carries no words: not a letter, digit, bracket, quote or sentence mark."""
    if char in _TEXT_PUNCTUATION or ord(char) > 0xFFFF:
        return False
    category = unicodedata.category(char)
    return category[0] == "S" or category in ("Pd", "Pc", "Po")


def _is_face(marks: str) -> bool:
    """'-_-', '^_^', '=_=': eyes either side of a mouth (but '___' is a rule)."""
    return len(marks) == 3 and marks[1] in "_." and marks[0] != marks[1]


def _is_letter_separator(letters: str) -> bool:
    """'xxx', 'XXX', 'xXx'; 'oOo', 'OoOoO' (alternating case). Never 'xo', 'XOXO', 'ooo', 'OOO'."""
    if all(c in "xX" for c in letters):
        return True
    alternating = all(a.isupper() != b.isupper() for a, b in itertools.pairwise(letters))
    return all(c in "oO" for c in letters) and alternating
