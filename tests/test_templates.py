"""A book made for several readers renders each story once, leaving slots for the texts a reader
changes (render.story_template), and fills them in for each copy (render.fill). Every copy must be
the very book that reader gets built alone, with the same counts of what was replaced."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest
from conftest import REPO, story_text
from hypothesis import given, settings
from hypothesis import strategies as st

from ebookify import book, build
from ebookify.build import BuildOptions
from ebookify.model import Block, BlockKind, Chapter, Story

AO3 = REPO / "tests" / "fixtures" / "ao3"
READERS = """
[[reader]]
name = "Sam"

[[reader]]
name = "Zoë"
"L/N" = "Okafor"
"E/C" = "dark brown"

[[reader]]
name = "Alex"
"F/N" = "Alex"
"E/C" = "grey"
"""

# Each case: story files, and whether its stories can all be made from a template.
CASES = {
    "paragraphs, notes and a repeated line": (
        {
            "01.txt": story_text(
                body="Y/N ran for the ferry.\nA/N: Y/N is you!\nY/N?\nThe rain came.\nY/N?\nL/N was on the door."
            )
        },
        True,
    ),
    "a summary that names the reader": (
        {"01.txt": story_text(synopsis="Y/N misses the ferry.", body="Y/N waited.\nNobody came.")},
        True,
    ),
    "a title that names the reader": (
        {"01.txt": story_text(title_line="Mara Voss - Y/N and the Tide", body="Y/N waited.")},
        False,
    ),
    "a ship line that names the reader": (
        {"01.txt": story_text(title_line="Mara Voss x Y/N - The Tide", body="Y/N waited.")},
        False,
    ),
    "a value of two words": (
        {"01.txt": story_text(body="Your E/C eyes closed.\nY/N slept.\nThe ferry left.")},
        True,
    ),
    "two parts whose summaries one reader's values make one": (
        {
            "01.txt": story_text(
                title_line="Mara Voss - The Ferry (part 1/2)", synopsis="Y/N waits.", body="Y/N waited.\nF/N slept."
            ),
            "02.txt": story_text(
                title_line="Mara Voss - The Ferry (part 2/2)", synopsis="F/N waits.", body="Morning came for Y/N."
            ),
        },
        False,  # Y/N and F/N are both the name: the second summary is not shown, unlike the template's
    ),
    "AO3 works: chapters, summaries, formatting": (
        {name: (AO3 / name).read_text(encoding="utf-8") for name in ("multichapter.html", "formatting.html")},
        True,
    ),
}


@pytest.mark.parametrize("kepub", [False, True], ids=["epub", "kepub"])
@pytest.mark.parametrize("files, templated", CASES.values(), ids=CASES.keys())
def test_each_copy_is_the_book_its_reader_gets_built_alone(tmp_path, monkeypatch, files, templated, kepub):
    folder = _stories_and_readers(tmp_path, files)
    filled = _counting_fills(monkeypatch)
    options = BuildOptions(stories=folder, covers=tmp_path / "none", kepub=kepub)
    together = build.build(replace(options, out_dir=tmp_path / "all", readers_file=tmp_path / "readers.toml"))
    assert bool(filled) is templated
    assert len(together.written) == 3 * (2 if kepub else 1)
    for reader in {copy.reader.name: copy.reader for copy in together.written}.values():
        name = reader.name or ""
        alone = build.build(replace(options, out_dir=tmp_path / name, names=(name,), values=reader.values))
        copies = [copy for copy in together.written if copy.reader == reader]
        assert [copy.path.read_bytes() for copy in copies] == [mine.path.read_bytes() for mine in alone.written], name
        for copy, mine in zip(copies, alone.written, strict=True):
            assert (copy.tally.replaced, copy.tally.missing) == (mine.tally.replaced, mine.tally.missing)


def _stories_and_readers(tmp_path, files: dict[str, str]):
    """The story files in tmp_path/stories, and the three readers in tmp_path/readers.toml."""
    folder = tmp_path / "stories"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (tmp_path / "readers.toml").write_text(READERS, encoding="utf-8")
    return folder


def _counting_fills(monkeypatch) -> list[str]:
    """Every copy made in this process (no workers): the stories filled in from a template."""
    monkeypatch.setattr(build, "can_fork", lambda: False)
    filled: list[str] = []
    real = book.fill

    def fill(template, changed):
        filled.append(template.entry.title)
        return real(template, changed)

    monkeypatch.setattr(book, "fill", fill)
    return filled


def test_every_template_is_made_before_the_first_copy(tmp_path, monkeypatch):
    """The stories' templates are made once, all of them (on all cores) before any copy is: not by
    each process making copies, for its first one."""
    files, _ = CASES["AO3 works: chapters, summaries, formatting"]
    folder = _stories_and_readers(tmp_path, files)
    filled = _counting_fills(monkeypatch)
    made: list[str] = []
    real = book.story_template

    def story_template(job, personal):
        made.append(job.story.title)
        assert not filled, "a copy was filled in before every template was made"
        return real(job, personal)

    monkeypatch.setattr(book, "story_template", story_template)
    build.build(BuildOptions(stories=folder, covers=tmp_path / "none", readers_file=tmp_path / "readers.toml"))
    assert sorted(made) == sorted(set(made)) and len(made) == len(files)  # one each
    assert filled  # copies were made from them


def test_templates_and_placeholders_found_by_workers_make_the_same_copies(tmp_path, monkeypatch):
    """Where each paragraph's placeholders are is worked out with its story's template, by the
    forked workers for a long book (forced here): every copy is still the book its reader gets
    built alone, with the same counts."""
    files, _ = CASES["AO3 works: chapters, summaries, formatting"]
    folder = _stories_and_readers(tmp_path, files)
    makers, parent = tmp_path / "makers", os.getpid()
    real = book._placed_template

    def placed_template(job):
        with makers.open("a") as log:
            log.write(f"{os.getpid()}\n")
        if os.getpid() == parent:
            time.sleep(0.5)  # so that the worker takes a story too, however slow it is to start
        return real(job)

    monkeypatch.setattr(book, "_placed_template", placed_template)
    monkeypatch.setattr(book, "_PARALLEL_CHARACTERS", 0)
    options = BuildOptions(stories=folder, covers=tmp_path / "none")
    together = build.build(replace(options, out_dir=tmp_path / "all", readers_file=tmp_path / "readers.toml"))
    assert set(makers.read_text().split()) - {str(os.getpid())}, "no worker made a template"
    for copy in together.written:
        name = copy.reader.name or ""
        alone_options = replace(options, out_dir=tmp_path / name, names=(name,), values=copy.reader.values)
        (alone,) = build.build(alone_options).written
        assert copy.path.read_bytes() == alone.path.read_bytes(), name
        assert (copy.tally.replaced, copy.tally.missing) == (alone.tally.replaced, alone.tally.missing)


# What a reader's values and a story's words can put in a slot: tags written as text, marks.
_SLOT_TEXT = st.lists(
    st.sampled_from(["<a", "<img", "<!--", "<svg", "<body id='x'", "<", ">", "&", "a", "img", " ", "\ufdd0", "\ufdd1"])
).map("".join)


def _story_with_a_picture() -> Story:
    """Two parts: one whose page shows a picture (its caption no placeholder), beside paragraphs a
    reader changes, and one of paragraphs only."""
    picture = Block(BlockKind.PARAGRAPH, "A white lighthouse", 2, image="lighthouse.png")
    first = (Block(BlockKind.PARAGRAPH, "Y/N ran for the ferry.", 1), picture, Block(BlockKind.NOTE, "A/N: hi Y/N", 3))
    second = (Block(BlockKind.PARAGRAPH, "*Y/N* looked back.", 1), Block(BlockKind.PARAGRAPH, "L/N waved.", 2))
    parts = tuple(
        Chapter("01.txt", "Mara Voss", "The Ferry", part=n, synopsis="Y/N misses the ferry.", blocks=blocks)
        for n, blocks in enumerate((first, second), start=1)
    )
    return Story("Mara Voss", "The Ferry", parts, images=(("lighthouse.png", b"\x89PNG"),))


@given(st.lists(_SLOT_TEXT, min_size=8, max_size=8))
@settings(max_examples=80, deadline=None)
def test_a_page_filled_in_from_a_template_is_as_plain_as_its_template(changed):
    """A template page knows whether it holds SVG or anything lint reads past its declaration
    (Page.plain): a picture's page does, a page of paragraphs does not. Whatever is written into
    its slots, the page filled in is just as plain, so packing it need not look again."""
    from ebookify.epub import packed_page
    from ebookify.lint import read_by_rules
    from ebookify.render import StoryJob, fill, story_template

    template = story_template(StoryJob(_story_with_a_picture(), "story-001", "en", 1), lambda text: "/" in text)
    assert template is not None and len(template.texts) <= len(changed)
    shown = [b"<img" in b"".join(pieces) for _, pieces, _ in template.pages]
    assert any(shown) and not all(shown)  # a page with the picture, and one without
    assert [page.plain for page, _, _ in template.pages] == [not picture for picture in shown]
    pages, _ = fill(template, changed[: len(template.texts)])
    for page in pages:
        assert page.plain == (not read_by_rules(page.xhtml) and b"<svg" not in page.xhtml)
        assert packed_page(page, keep=False).packed == packed_page(replace(page, plain=False), keep=False).packed


@pytest.mark.parametrize(
    ("xhtml", "plain"),
    [
        (b"<p>\x000\x01</p><p>\x001\x01</p>", True),
        (b'<p title="\x000\x01">Hi</p>', False),  # a slot inside an attribute: its text could be anything there
        (b"<p>Said: \x000\x01</p>", False),  # after text, not a tag: not known, so looked at
        (b'<p>\x000\x01</p><img src="a.png" alt=""/>', False),
        (b"<p>\x000\x01</p><svg/>", False),
    ],
)
def test_a_template_page_is_plain_only_where_every_slot_follows_a_tag(xhtml, plain):
    from ebookify.render import Page, _with_slots

    declared = b'<?xml version="1.0" encoding="utf-8"?>\n<html><body>'
    page, _, _ = _with_slots(Page("a.xhtml", "A", declared + xhtml + b"</body></html>"))
    assert page.plain is plain
