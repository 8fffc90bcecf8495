"""HTML bytes -> text, read as a browser reads them (the WHATWG Encoding and HTML standards).

A byte-order mark wins; then the charset the file declares in a <meta> near its start (a file
saved by Windows tools says windows-1252, an old page latin-1); else UTF-8. Bytes that are not
valid in that encoding stop the build with one line naming the file and where: a replacement
character in the book would be text the author never wrote ("You’re" read as "You re").
"""

from __future__ import annotations

import codecs
import re

from .errors import StoryError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# The standard's prescan reads the first 1024 bytes; Firefox also honours a declaration found
# later in the head (it parses the page again), so a little more is read here.
_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(rb"<meta\b[^>]*?\bcharset\s*=\s*[\"']?\s*([^\"'\s;/>]+)", re.IGNORECASE)
# Browsers read every one of these labels as windows-1252, which agrees with latin-1 on every
# byte but 0x80-0x9F, where latin-1 has invisible controls and windows-1252 has ’ “ ” – — €.
_WINDOWS_1252 = frozenset(
    {
        "ansi_x3.4-1968",
        "ascii",
        "cp1252",
        "cp819",
        "csisolatin1",
        "ibm819",
        "iso-8859-1",
        "iso-ir-100",
        "iso8859-1",
        "iso88591",
        "iso_8859-1",
        "iso_8859-1:1987",
        "l1",
        "latin1",
        "us-ascii",
        "windows-1252",
        "x-cp1252",
        "x-user-defined",
    }
)
# Labels browsers decode with a superset of the named encoding (what the pages really hold).
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "big5": "big5hkscs",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
}
# A <meta> cannot truly declare these (it could not have been read): the standard reads UTF-8.
_NOT_FROM_META = ("utf-16", "utf-32", "utf-7")


def decode_html(data: bytes, source: str) -> str:
    """The text of an HTML file; a StoryError naming the file and line if it cannot be read."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom) :], encoding, source, skipped=len(bom))
    if b"\x00" in data:
        at = data.index(b"\x00")
        raise StoryError(
            source,
            f"has a NUL byte at byte {at}: it is not text, or it is UTF-16 without a byte-order mark; "
            "save it again as UTF-8",
            data.count(b"\n", 0, at) + 1,
        )
    encoding = declared_encoding(data) or "utf-8"
    if encoding == "windows-1252":
        return data.decode("latin-1").translate(_WINDOWS_1252_TABLE)
    return _strict(data, encoding, source)


def declared_encoding(data: bytes) -> str | None:
    """The Python codec for the charset a <meta> near the start declares, as a browser maps it."""
    match = _META_CHARSET.search(data[:_PRESCAN_BYTES])
    if match is None:
        return None
    label = match.group(1).decode("ascii", "replace").strip().lower()
    if label in _WINDOWS_1252:
        return "windows-1252"
    try:
        info = codecs.lookup(_SUPERSETS.get(label, label))
    except LookupError:
        return None  # a label no browser knows is passed over, as the standard says
    if not getattr(info, "_is_text_encoding", True):
        return None  # "rot13", "base64": codecs, not charsets
    return "utf-8" if info.name.startswith(_NOT_FROM_META) else info.name


def _strict(data: bytes, encoding: str, source: str, skipped: int = 0) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, "replace").count("\n") + 1
        bad = data[exc.start : exc.end].hex(" ").upper()
        name = codecs.lookup(encoding).name.upper().replace("_", "-")
        raise StoryError(
            source,
            f"is not valid {name} text (bytes {bad} at byte {exc.start + skipped}); "
            "save it again as UTF-8, or declare its encoding with <meta charset=…>",
            line,
        ) from exc


def _windows_1252_table() -> dict[int, str]:
    """latin-1 code point -> windows-1252 character; the five bytes windows-1252 leaves undefined
    stay the controls they are in latin-1, as in the Encoding standard."""
    table = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
    return table


_WINDOWS_1252_TABLE = _windows_1252_table()
