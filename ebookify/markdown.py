"""Stories written in Markdown (.md) -> Chapter.

Some readers keep stories as Markdown notes (Obsidian, a phone's notes app, a GitHub gist). The
text is rendered by markdown-it-py (CommonMark, with tables and strikethrough) and then read
through the same allow-list as AO3's HTML (ao3text.py), so italics, lists, quotes and scene
breaks (`---`, `* * *`) come out as they do for every other source, and raw HTML in the file is
held to the same rules. The title is the first heading, read like a Wattpad title line
("Mara Voss - Fog (part 1/2)"), or else the file name.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from .errors import StoryError
from .marks import plain
from .model import Block, BlockKind, Chapter
from .parse import _AUTHORS_NOTE, decode, read_story_bytes, split_title_line, title_from_file_name

MARKDOWN_SUFFIXES = (".md", ".markdown")
_SYNOPSIS = re.compile(r"^synopsis\s*:\s*", re.IGNORECASE)


def read_markdown(path: Path) -> tuple[Chapter, list[str]]:
    source = str(path)
    return parse_markdown(decode(read_story_bytes(path, source), source), source)


def parse_markdown(text: str, source: str) -> tuple[Chapter, list[str]]:
    """A story in Markdown, and warnings about what it holds that a book cannot show."""
    from bs4 import BeautifulSoup
    from markdown_it import MarkdownIt

    from .ao3text import story_blocks

    renderer = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    soup = BeautifulSoup(renderer.render(text), "html.parser")
    heading = soup.find(re.compile(r"^h[1-6]$"))
    title_line = " ".join(heading.get_text().split()) if heading is not None else ""
    if heading is not None:
        heading.extract()
    who, title, part, total = split_title_line(title_line or title_from_file_name(source))
    found, warnings = story_blocks(soup, source)
    blocks = _located(found, text.split("\n"))
    synopsis = None
    if blocks and blocks[0].kind is BlockKind.PARAGRAPH and _SYNOPSIS.match(blocks[0].text):
        synopsis, blocks = _SYNOPSIS.sub("", blocks[0].text), blocks[1:]
    blocks = [_as_note(block) for block in blocks]
    if not any(b.kind is BlockKind.PARAGRAPH for b in blocks):
        raise StoryError(source, "has no story text")
    return Chapter(source, who, title, part, total, synopsis=synopsis, blocks=tuple(blocks), title_line=1), warnings


def _as_note(block: Block) -> Block:
    """A paragraph starting "A/N" is an author's note, as in a Wattpad paste."""
    if block.kind is BlockKind.PARAGRAPH and _AUTHORS_NOTE.match(plain(block.text)):
        return replace(block, kind=BlockKind.NOTE)
    return block


def _located(blocks: list[Block], lines: list[str]) -> list[Block]:
    """Each block with the line of the Markdown file it starts on (the HTML's lines say nothing
    about the file's): the first line, from the previous block's on, holding its opening words."""
    located, cursor = [], 0
    for block in blocks:
        opening = " ".join(plain(block.text).split()[:3])
        found = next((n for n in range(cursor, len(lines)) if opening and opening in _words(lines[n])), None)
        if found is not None:
            cursor = found
        located.append(replace(block, line=cursor + 1) if block.kind is not BlockKind.BREAK else block)
    return located


def _words(line: str) -> str:
    """A Markdown line as words, without the marks around them (`*so*` -> `so`)."""
    return " ".join(re.sub(r"[*_~`>#|\\]+", " ", line).split())
