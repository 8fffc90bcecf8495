"""Story files as they come (bytes) -> Chapter. docs/format.md describes the format."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

from .errors import StoryError
from .inputs import MAX_STORY_BYTES, read_regular
from .model import SCENE_BREAK, Block, BlockKind, Chapter, Stats, changed_anew
from .separators import SEPARATOR_LENGTH, is_scene_break

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),  # Notepad's "Unicode"
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Characters XML 1.0 forbids (C0 controls but tab and newline, U+FFFE/U+FFFF), the C1 controls
# and DEL it merely discourages (mojibake from a wrong decoding, invisible on a page), stray BOMs from
# files pasted together, and the noncharacters U+FDD0-U+FDEF that carry inline marks inside
# ebookify (marks.py): they can only be noise from a copy, and the first kind would make a page
# unreadable.
_XML_INVALID = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ufffe\uffff\ufdd0-\ufdef]")
_BINARY_CONTROLS = re.compile("[\x00-\x08\x0b\x0d-\x1f]")  # control characters but tab, newline, form feed
_COUNT = r"(\d+(?:[.,]\d+)?[KkMm]?)"
_STATS = re.compile(rf"^{_COUNT}\s+{_COUNT}\s+{_COUNT}$")
_FOOTER = re.compile(r"where stories live\.?\s*discover now\.?\s*$", re.IGNORECASE)
_FOOTER_WORDS = "cover now"  # in every line _FOOTER matches, lowered (not "discover": "ſ" and "ı" match "s", "i")
_SYNOPSIS = re.compile(r"^synopsis\s*:\s*", re.IGNORECASE)
# "(part 1/3)", "(Part 2)", "pt. 2", "PART 2 OF 3" at the end of the title line. The separators
# before it are entered only at the start of their run and taken possessively: a search that could
# start anywhere in 2,000 spaces and give them back one by one took minutes (bench/growth.py). A
# number of more than 18 digits is no part number anyone wrote for a part: the title is then left
# as written (and int() never sees 5,000 digits, which it refuses).
_PART = re.compile(
    r"(?<![\s\-–—,:|])[\s\-–—,:|]*+[(\[]?\s*+\b(?:part|pt)\b\.?\s*+(\d{1,18})(?:\s*+(?:/|of)\s*+(\d{1,18}))?\s*+[)\]]?\s*+$",
    re.IGNORECASE,
)
_AUTHORS_NOTE = re.compile(r"^[(\[]?\s*(?:A/N|author[’']?s\s+note)\b", re.IGNORECASE)
_NOTE_OPENINGS = frozenset("([aA")
_SENTENCE_ENDS = (".", "…", '"', "”", "'", "’", ",", ";", ":")


def read_chapter(
    path: Path, source: str | None = None, change_all: Callable[[list[str]], list[str]] | None = None
) -> tuple[Chapter, list[str]]:
    """Read and parse one story file, with its warnings; `source` is how messages name it. Its
    paragraphs' texts are passed through `change_all` (typesetting), if given, before they are
    made blocks: once the file's whole text is let go (a 50 MB story's is 50 to 200 MB)."""
    source = source or str(path)
    data = read_story_bytes(path, source)
    # An ASCII file without tabs holds nothing word counting must look at closer (Chapter.counted_even).
    even = data.isascii() and b"\t" not in data
    text = decode(data, source)
    del data  # let go before the blocks are made: 50 MB for a 50 MB story
    heading, body, warnings = _outline(text, source)
    del text
    chapter = replace(heading, blocks=_blocks(body, change_all))
    return chapter.counted_even() if even else chapter, warnings


def read_story_bytes(path: Path, source: str) -> bytes:
    """A story file's bytes; a FIFO, a device, a huge or unreadable file is this file's error."""
    return read_regular(path, MAX_STORY_BYTES, lambda why: StoryError(source, why))


def decode(data: bytes, source: str) -> str:
    """Bytes -> NFC text with \\n line ends. UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252."""
    text, encoding = _decode_bytes(data, source)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if encoding != "utf-8" or not _clean_utf8(data):
        if _looks_binary(text):
            raise StoryError(source, "is not a text file (it looks like binary data)")
        text = _XML_INVALID.sub("", text)
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise StoryError(source, "is empty")
    return text


def _decode_bytes(data: bytes, source: str) -> tuple[str, str]:
    """The text, and the encoding it was read in."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise StoryError(source, f"is not valid {encoding.upper()} text") from exc
    if b"\x00" in data:
        raise StoryError(source, "is not a text file (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise StoryError(source, f"is neither UTF-8 nor Windows-1252 text (byte 0x{byte:02X})", line) from exc


# Every byte but those of the ASCII characters _XML_INVALID removes (a carriage return is a line
# end, made "\n" before it looks).
_NOT_INVALID = bytes(byte for byte in range(256) if byte in b"\t\n\r" or 0x20 <= byte != 0x7F)


def _clean_utf8(data: bytes) -> bool:
    """Whether UTF-8 `data` surely holds nothing _XML_INVALID removes, and so no control character
    _looks_binary counts: no ASCII control but tab and line ends, and no lead byte of the others
    (C1 controls start with 0xC2, U+FDD0-U+FDEF and U+FEFF-U+FFFF with 0xEF). A byte-level look is
    ten times quicker than the pattern's, which a story file is then spared."""
    return not data.translate(None, _NOT_INVALID) and b"\xc2" not in data and b"\xef" not in data


def _looks_binary(text: str) -> bool:
    """Many control characters mean an image or document saved as .txt, not a story."""
    sample = text[:65536]
    return len(_BINARY_CONTROLS.findall(sample)) > max(8, len(sample) // 100)


def parse_chapter(
    text: str, source: str, change_all: Callable[[list[str]], list[str]] | None = None
) -> tuple[Chapter, list[str]]:
    """Parse the decoded text of one story file, with its warnings: a file that opens with story
    text instead of a title line is titled from its file name, and says so. `change_all`, if given,
    changes the paragraphs' texts (parse_body)."""
    heading, body, warnings = _outline(text, source)
    return replace(heading, blocks=_blocks(body, change_all)), warnings


def _outline(text: str, source: str) -> tuple[Chapter, _Body, list[str]]:
    """A story file parsed, all but its blocks made: the chapter without them, what they will be
    (_Body), and the warnings."""
    # Its lines as two lists, their numbers and their stripped texts: a pair made for each line of
    # a book was a tenth of reading it.
    numbers, lines, group, group_line = _strip_footers(text.split("\n"), text)
    texts = list(map(str.strip, lines))
    del lines
    first = next((index for index, line in enumerate(texts) if line), None)
    if first is None:
        raise StoryError(source, "has no story in it, only Wattpad's footer")
    title_no, title_line = numbers[first], texts[first]
    rest = first + 1
    warnings = []
    if not _is_title_line(title_line, texts, rest):
        title_line, rest = title_from_file_name(source), 0
        warnings.append(
            f'{source}:{title_no} opens with story text, not a title line ("Character - Title"); '
            f'titled "{title_line}" from the file name'
        )
    who, title, part, total = split_title_line(title_line)
    stats, _, rest = _take_header_line(numbers, texts, rest, _parse_stats)
    synopsis, synopsis_no, rest = _take_header_line(numbers, texts, rest, _parse_synopsis)
    body = _body(numbers, texts, rest)
    if BlockKind.PARAGRAPH not in body.kinds:
        raise StoryError(source, "has a title line but no story text", title_no)
    heading = Chapter(source, who, title, part, total, stats, synopsis, (), group, title_no, synopsis_no, group_line)
    return heading, body, warnings


def _is_title_line(line: str, texts: Sequence[str], rest: int) -> bool:
    """A title line names who and what ("Mara - Fog"), or a part, or stands over Wattpad's stats
    or a synopsis; else it is a short line, set apart by a blank line (story paragraphs follow
    each other line by line), that does not end like a sentence ("Will You Stay?" may). `rest`:
    where the lines after it start in `texts`."""
    if " - " in line or _PART.search(line):
        return True
    following = next((text for text in islice(texts, rest, None) if text), "")
    if _parse_stats(following) is not None or _parse_synopsis(following) is not None:
        return True
    set_apart = rest >= len(texts) or not texts[rest]
    return set_apart and len(line) <= 80 and not line.endswith(_SENTENCE_ENDS)


def title_from_file_name(source: str) -> str:
    """'stories/03-the_last-ferry.txt' -> 'The Last Ferry': the name a person gave the file, less
    its ordering number; words capitalised only when the name was all lower case."""
    stem = re.sub(r"^[\d\s._-]+(?=\D)", "", Path(source).stem)
    words = re.sub(r"[_\s-]+", " ", stem).strip() or Path(source).stem
    return " ".join(w[:1].upper() + w[1:] for w in words.split()) if words.islower() else words


def _strip_footers(lines: list[str], text: str) -> tuple[Sequence[int], list[str], str | None, int | None]:
    """Drop Wattpad's embed footer lines of `text` (split into `lines`); the text glued before the
    last one is the book title. -> (the other lines' numbers, those lines, the book title, its line)"""
    candidates = _lines_holding(text.lower(), _FOOTER_WORDS)
    dropped: list[int] = []
    book, book_no = None, None
    for index in sorted(candidates):
        match = _FOOTER.search(lines[index])
        if match:
            dropped.append(index)
            if lines[index][: match.start()].strip():
                book, book_no = lines[index][: match.start()].strip(), index + 1
    if not dropped:
        return range(1, len(lines) + 1), lines, None, None
    numbers: list[int] = []
    kept: list[str] = []
    start = 0
    for index in [*dropped, len(lines)]:  # the runs of lines between footers, as they were
        numbers += range(start + 1, index + 1)
        kept += lines[start:index]
        start = index + 1
    return numbers, kept, book, book_no


def _lines_holding(lowered: str, words: str) -> set[int]:
    """The indices of the lines of `lowered` that hold `words`. Most files hold no footer, and
    most lines of a file that holds one are not one: a case-blind search of every line is slow, a
    lowered copy quick ("cover now" holds no letter that the footer's own pattern matches other
    than as its lower case does). Lowering changes no line break, so the lines are the text's."""
    found, line, counted = set(), 0, 0
    at = lowered.find(words)
    while at >= 0:
        line += lowered.count("\n", counted, at)
        found.add(line)
        counted = at
        at = lowered.find(words, at + 1)
    return found


def _take_header_line(numbers: Sequence[int], texts: Sequence[str], rest: int, parse):
    """Apply `parse` to the first non-blank line from `rest` on; on success consume it.
    -> (value, its line number, where the lines after it start)"""
    for index in range(rest, len(texts)):
        if texts[index]:
            value = parse(texts[index])
            return (value, numbers[index], index + 1) if value is not None else (None, None, rest)
    return None, None, rest


def _parse_stats(line: str) -> Stats | None:
    match = _STATS.match(line)
    return Stats(*(count.upper() for count in match.groups())) if match else None


def _parse_synopsis(line: str) -> str | None:
    match = _SYNOPSIS.match(line)
    if match is None:
        return None
    return line[match.end() :].strip() or None


def split_title_line(line: str) -> tuple[str, str, int | None, int | None]:
    """'Mara Voss - The Last Ferry (part 1/3)' -> ('Mara Voss', 'The Last Ferry', 1, 3)."""
    head, sep, tail = line.partition(" - ")
    who, title = (head.strip(), tail.strip()) if sep else ("", line.strip())
    part = total = None
    match = _PART.search(title)
    if match:
        title = title[: match.start()].strip()
        part = int(match.group(1))
        total = int(match.group(2)) if match.group(2) else None
    return who, title or who or "Untitled", part, total


def parse_body(
    lines: list[tuple[int, str]], change_all: Callable[[list[str]], list[str]] | None = None
) -> tuple[Block, ...]:
    """(line number, text) pairs -> blocks. One paragraph a line; a blank or ornament line between
    two paragraphs is a scene break. The texts are passed through `change_all`, if given, all at
    once, before the blocks are made: each block is made once, with its text as it is kept."""
    return _blocks(_body([n for n, _ in lines], [text for _, text in lines]), change_all)


@dataclass(frozen=True)
class _Body:
    """A story file's blocks before they are made: each paragraph's or note's kind, line and
    text, in order, and where the scene breaks go among them (each before the block it counts)."""

    kinds: list[BlockKind]
    lines: list[int]
    texts: list[str]
    breaks: list[int]


def _body(numbers: Sequence[int], texts: Sequence[str], start: int = 0) -> _Body:
    """The blocks of the stripped lines `texts` from `start` on (their line `numbers`)."""
    kinds: list[BlockKind] = []
    lines: list[int] = []
    kept: list[str] = []
    breaks: list[int] = []
    pending_break = False
    paragraph, note = BlockKind.PARAGRAPH, BlockKind.NOTE
    for number, line in zip(islice(numbers, start, None), islice(texts, start, None), strict=True):
        # A separator typed by hand ("* * *", "xxx", "~o~") is short: most lines are not asked.
        if not line or (len(line) <= SEPARATOR_LENGTH and is_scene_break(line)):
            pending_break = True
            continue
        # A note opens with "A/N", "author's note", or a bracket before one: a first look at its
        # first letter spares the pattern nearly every line.
        kind = note if line[0] in _NOTE_OPENINGS and _AUTHORS_NOTE.match(line) else paragraph
        # A break only means something between two stretches of story, not around a note.
        if pending_break:
            if kind is paragraph and kinds and kinds[-1] is paragraph:
                breaks.append(len(kinds))
            pending_break = False
        kinds.append(kind)
        lines.append(number)
        kept.append(line)
    return _Body(kinds, lines, kept, breaks)


def _blocks(body: _Body, change_all: Callable[[list[str]], list[str]] | None) -> tuple[Block, ...]:
    texts = changed_anew(body.texts, change_all) if change_all else body.texts
    if len(texts) != len(body.kinds):
        raise ValueError("changing the paragraphs' texts changed how many there are")
    blocks = list(map(Block, body.kinds, texts, body.lines))  # made without a Python loop's steps
    for at in reversed(body.breaks):  # a few a chapter
        blocks.insert(at, SCENE_BREAK)
    return tuple(blocks)
