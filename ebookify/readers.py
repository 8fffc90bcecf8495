"""Reader profiles: a TOML file of friends, each with a name and their placeholder values.

[[reader]]
name = "Sam"
"L/N" = "Rivers"
"E/C" = "green"
email = "sam@kindle.com"   # optional: where `ebookify build --send` mails Sam's copy
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import EbookifyError
from .inputs import MAX_READERS_BYTES, plain_error, read_regular
from .model import Reader
from .personalise import NAME, normalise_code
from .validate import check_value

if TYPE_CHECKING:
    from tomllib import TOMLDecodeError

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)|\s*\(at end of document\)")


def load_readers(path: Path) -> list[Reader]:
    data, text = read_toml(path, MAX_READERS_BYTES, "a reader is one flat table")
    lines = text.splitlines()
    for key in data:
        if key != "reader":
            raise EbookifyError(f"{path}:{_line_of(lines, key)} has {key!r}; expected only [[reader]] tables")
    tables = data.get("reader")
    if not isinstance(tables, list) or not tables:
        raise EbookifyError(f'{path} has no [[reader]] tables (each one: [[reader]] then name = "Sam")')
    headers = [number for number, line in enumerate(lines, start=1) if re.match(r"\s*\[\[\s*reader\s*\]\]", line)]
    # Tables written inline (reader = [{ name = "Sam" }]) have no header line: name the first line.
    headers += [_line_of(lines, "reader")] * (len(tables) - len(headers))
    readers = []
    for table, header in zip(tables, headers, strict=True):
        if not isinstance(table, dict):
            raise EbookifyError(f'{path}:{header} each reader must be a table: [[reader]] then name = "…"')
        readers.append(_reader(path, lines, table, header))
    _refuse_duplicates(path, readers, headers)
    return readers


def read_toml(path: Path, limit: int, shape: str) -> tuple[dict, str]:
    """A TOML file (a readers file, the e-mail settings) as its table and its text; each problem
    one line naming the file and, where it can, the line. `shape` says what the file should hold,
    for one nested too deeply."""
    import tomllib  # only for a readers file or the e-mail settings: its patterns take milliseconds to compile

    text = _read_text(path, limit)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise EbookifyError(_toml_error(path, text, exc)) from exc
    except RecursionError as exc:  # tomllib recurses once per level of [[…]] or {…}
        raise EbookifyError(f"{path} nests arrays or tables too deeply; {shape}") from exc


def _read_text(path: Path, limit: int) -> str:
    """UTF-8 (BOM or not), or UTF-16 with its BOM, as Windows editors save it."""
    data = read_regular(path, limit, plain_error(path))
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EbookifyError(f"{path}:{line} is not UTF-8 text; save it as UTF-8") from exc


def _toml_error(path: Path, text: str, exc: TOMLDecodeError) -> str:
    match = _TOML_POSITION.search(str(exc))
    lines = text.splitlines()
    number = int(match.group(1)) if match and match.group(1) else (len(lines) if match else None)
    message = f"{path}{f':{number}' if number else ''} is not valid TOML: {_TOML_POSITION.sub('', str(exc))}"
    if number and number <= len(lines) and re.match(r"\s*[(\[{]?\s*[\w-]+\s*/", lines[number - 1]):
        message += ' (a code with a slash needs quotes: "L/N" = "Rivers")'
    return message


def _reader(path: Path, lines: list[str], table: dict, header: int) -> Reader:
    def where(key: str) -> str:
        return f"{path}:{_line_of(lines, key, header)}"

    if "name" not in table:
        raise EbookifyError(f'{path}:{header} this reader has no name (add name = "…")')
    values: dict[str, str] = {}
    keys: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str):
            raise EbookifyError(f'{where(key)} the value of {key} must be text in quotes: "{key}" = "…"')
        if key in ("name", "email"):
            continue
        code = normalise_code(key)
        if code is None:
            raise EbookifyError(f"{where(key)} {key!r} is not a placeholder code like L/N or E/C")
        if code == NAME:
            raise EbookifyError(f"{where(key)} the reader's name is given as name = …, not {key}")
        if code in keys:
            raise EbookifyError(f"{where(key)} {key!r} sets {code} again (first as {keys[code]!r})")
        keys[code] = key
        values[code] = check_value(value, f"{where(key)} {code}")
    name = check_value(table["name"], f"{where('name')} the name")
    address = _checked_address(table["email"], f"{where('email')} {name}'s email") if "email" in table else None
    return Reader(name, values, entry=f"{path}:{header}", email=address)


def _line_of(lines: list[str], key: str, start: int = 1) -> int:
    """The line where `key = …` is set, at or after line `start` (1-based)."""
    pattern = re.compile(rf"""\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*[=.\[]""")
    for number in range(start, len(lines) + 1):
        if pattern.match(lines[number - 1]) or lines[number - 1].strip() in (f"[{key}]", f"[[{key}]]"):
            return number
    return start


def _refuse_duplicates(path: Path, readers: list[Reader], headers: list[int]) -> None:
    seen: set[str] = set()
    for reader, header in zip(readers, headers, strict=False):
        if reader.name in seen:
            raise EbookifyError(f"{path}:{header} {reader.name!r} is listed twice; each reader once")
        seen.add(reader.name or "")


def _checked_address(address: str, what: str) -> str:
    from .mail import check_address  # the e-mail modules: only for a readers file that mails

    return check_address(address, what)
