"""What a reader types, checked where it comes in: names, values, the title and the language.

Every value a user gives (a name on the command line, a value in a readers file or in --set, a
title, an author) is checked here once, before any stage sees it, so that the stages can take
their input as written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from .errors import EbookifyError, OptionError
from .personalise import NAME, normalise_code

MAX_VALUE_LENGTH = 100
_LINE_BREAKS = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNWRITABLE = re.compile("[\ud800-\udfff\ufffe\uffff\ufdd0-\ufdef]")
# Invisible characters that reorder or hide text: in a name they would garble every paragraph it
# is written into (U+202E shows the rest of the line backwards).
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u061c\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z]{2}|\d{3}))?$")


def check_value(value: str, what: str) -> str:
    """A reader's value as it will be written; refuse what would break the page or the line."""
    value, problem = _checked(value)
    if problem:
        raise EbookifyError(f"{what} {problem}")
    return value


def check_option(option: str, value: str, key: str | None = None) -> str:
    """check_value for one of the build's options (OptionError names the option, or its flag)."""
    value, problem = _checked(value)
    if problem:
        raise OptionError(option, problem, key)
    return value


def check_values(values: Mapping[str, str]) -> dict[str, str]:
    """The build's placeholder values, each code in its usual form ("l/n" -> "L/N") and each value
    checked; the reader's own name is given as a name, never as a value."""
    checked = {}
    for key, value in values.items():
        code = normalise_code(key)
        if code is None:
            raise OptionError("values", f": {key.strip()!r} is not a placeholder code like L/N or E/C")
        if code == NAME:
            raise OptionError("values", f": {NAME} is the reader's name, not a value", see="names")
        checked[code] = check_option("values", value, code)
    return checked


def _checked(value: str) -> tuple[str, str | None]:
    """(the value as it will be written, what is wrong with it or None)."""
    if not value:
        return value, "is empty"
    if not value.strip():
        return value, "is blank"
    value = _from_argument_bytes(value).strip()  # a trailing space or newline pasted along is no part of it
    if _LINE_BREAKS.search(value):
        return value, "must be one line"
    if _CONTROLS.search(value):
        return value, "contains a control character"
    if _UNWRITABLE.search(value):
        return value, (
            "is not valid text (it has bytes that are not UTF-8); "
            "type it in a terminal set to UTF-8 (e.g. LANG=C.UTF-8) or put it in a readers file saved as UTF-8"
        )
    invisible = _INVISIBLE.search(value)
    if invisible:
        return value, f"contains an invisible formatting character (U+{ord(invisible[0]):04X})"
    if len(value) > MAX_VALUE_LENGTH:
        return value, f"is longer than {MAX_VALUE_LENGTH} characters"
    return value, None


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


def check_language(code: str) -> str:
    """A plain language code ("en", "en-GB"): Send-to-Kindle refuses anything fancier."""
    match = _LANGUAGE.match(code.strip())
    if not match:
        raise OptionError("language", f"{code!r} is not a language code like en or en-GB")
    language, region = match.groups()
    return language.lower() + (f"-{region.upper()}" if region else "")


def is_loopback(host: str) -> bool:
    """Whether a host name or address (`[::1]` as in a URL too) is this machine only: where the
    server needs no access code, and an unencrypted SMTP login leaves no machine."""
    if host == "localhost":
        return True
    import ipaddress  # only for the server and the mail settings

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
