"""Stories kept as Markdown notes: read through the same allow-list as AO3's HTML."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_sound_epub, epub_pages, page_text

from ebookify.build import BuildOptions, build
from ebookify.errors import StoryError
from ebookify.markdown import parse_markdown
from ebookify.marks import EM_CLOSE, EM_OPEN
from ebookify.model import BlockKind

STORY = """\
# Idris Fenwick - Salt on the Wind (part 2/3)

Synopsis: Y/N takes the night shift.

The lamp turned *slowly* above the rocks.
It did not stop.

"You're late," Idris said.

* * *

A/N: thanks for reading!
"""

CASES = [
    # (file name, text, (who, title, part), paragraphs as plain text)
    (
        "02-salt.md",
        STORY,
        ("Idris Fenwick", "Salt on the Wind", 2),
        ["The lamp turned slowly above the rocks. It did not stop.", '"You\'re late," Idris said.'],
    ),
    ("03-the_quiet-hour.md", "The harbour slept.\n", ("", "The Quiet Hour", None), ["The harbour slept."]),
    ("x.md", "## Low Tide\n\n- one\n- two\n", ("", "Low Tide", None), ["one", "two"]),
]


@pytest.mark.parametrize(("name", "text", "head", "paragraphs"), CASES)
def test_markdown_story(name, text, head, paragraphs):
    chapter = parse_markdown(text, f"stories/{name}")[0]
    assert (chapter.who, chapter.title, chapter.part) == head
    shown = [b.text.replace(EM_OPEN, "").replace(EM_CLOSE, "") for b in chapter.blocks if b.kind is BlockKind.PARAGRAPH]
    assert shown == paragraphs


def test_synopsis_note_break_italics_and_lines():
    chapter = parse_markdown(STORY, "stories/02-salt.md")[0]
    assert chapter.synopsis == "Y/N takes the night shift."
    assert [b.kind for b in chapter.blocks] == [
        BlockKind.PARAGRAPH,
        BlockKind.PARAGRAPH,
        BlockKind.BREAK,
        BlockKind.NOTE,
    ]
    assert f"{EM_OPEN}slowly{EM_CLOSE}" in chapter.blocks[0].text
    assert [b.line for b in chapter.blocks if b.kind is not BlockKind.BREAK] == [5, 8, 12]


def test_no_story_text_is_one_error():
    with pytest.raises(StoryError, match=r"stories/empty.md has no story text"):
        parse_markdown("# Only a title\n", "stories/empty.md")[0]


def test_markdown_beside_wattpad_text_builds_a_valid_book(tmp_path: Path):
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "02-salt.md").write_text(STORY, encoding="utf-8")
    (stories / "03-raw.md").write_text('# Raw\n\n<script>alert(1)</script><p onclick="x()">Hi Y/N</p>\n')
    report = build(BuildOptions(stories=stories, out_dir=tmp_path / "dist", names=("Sam",)))
    data = report.written[0].path.read_bytes()
    text = " ".join(page_text(page) for page in epub_pages(data).values())
    assert "Sam takes the night shift" in text and "Hi Sam" in text
    assert b"alert" not in data and b"onclick" not in data
    assert_sound_epub(report.written[0].path)  # EPUBCheck: books.py ao3-mix holds this story
