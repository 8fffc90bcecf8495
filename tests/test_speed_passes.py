"""The second round of issue 18: fewer passes, the same bytes. Typography over only the paragraphs
that hold a rule's trigger, story files read on all cores, pages deflated by the workers that
render them: each gives what the plain way gives."""

from __future__ import annotations

import os
import select
import shutil
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from books import REPRESENTATIVE, epub_input_folder
from conftest import REPO
from hypothesis import example, given
from hypothesis import strategies as st

from ebookify import book, collect, epub, lint, model, parse, render, typography
from ebookify.build import BuildOptions, build, kepub_rendered
from ebookify.epub import packed_page, write_zip, zip_files
from ebookify.errors import StoryError
from ebookify.lint import too_big
from ebookify.model import Block, BlockKind
from ebookify.parse import parse_body
from ebookify.render import Page, Rendered


def _children() -> set[int]:
    """This process's child processes, running or not yet reaped (Linux's /proc): a test's own
    workers must be gone when it ends, whatever other tests' fixtures have running."""
    return {int(pid) for task in Path("/proc/self/task").iterdir() for pid in (task / "children").read_text().split()}


# Text made of what the rules look at: quotes, dashes, dots, digits, spaces and line breaks.
_PIECES = [*"ab1 .-'\"′’“\t", "--", "...", "Y/N", "5'10", "xn--", " - ", "'cause"]
_TYPED = st.lists(st.sampled_from(_PIECES), max_size=20).map("".join)


@given(st.lists(_TYPED, max_size=30))
def test_typesetting_by_trigger_equals_each_paragraph_alone(texts):
    assert typography.typeset_all(texts) == [typography.typeset(text) for text in texts]


# Paragraph texts as they reach rendering: escapable characters, inline marks, line breaks.
_PARAGRAPH_PIECES = ["a", " ", "&", "<b>", '"', "\n", "\ufdd0", "\ufdd1", "\ufdd4", "Y/N"]


@given(st.lists(st.lists(st.sampled_from(_PARAGRAPH_PIECES), max_size=8).map("".join), max_size=12), st.booleans())
def test_a_run_of_plain_paragraphs_is_marked_up_as_each_alone(texts, after_break):
    """render's one-go markup of plain paragraphs (_Flow.paragraphs) is block()'s, paragraph by
    paragraph: the same tags, the first set apart after a break, one paragraph a line."""
    blocks = [Block(BlockKind.PARAGRAPH, text) for text in texts]
    each, at_once = render._Flow(2, 1), render._Flow(2, 1)
    each.after_break = at_once.after_break = after_break
    expected = "\n".join(each.block(block, False, render._text(block.text)) for block in blocks)
    assert at_once.run(blocks, note=False) == expected
    assert at_once.after_break == each.after_break


# A paragraph of an ASCII file without tabs, as parse gives it: printable ASCII, single spaces or not.
_ASCII_LINE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)


@given(st.lists(st.one_of(_ASCII_LINE, _TYPED.map(lambda text: text.replace("\t", " "))), max_size=12))
def test_ascii_without_tabs_stays_even_when_typeset_so_its_count_may_skip_the_look(texts):
    """Chapter.counted_even's premise: typesetting such text writes nothing model._UNEVEN finds
    (dashes, curly quotes, ellipses, primes), so counting its words without that look gives the
    count with it."""
    typeset = typography.typeset_all(texts)
    assert not any(model._UNEVEN.search(text) for text in typeset)
    assert model.count_paragraphs(typeset, even=True) == model.count_paragraphs(typeset)


def test_a_story_file_in_ascii_is_counted_as_any_other(tmp_path):
    """The same words whether the file's chapter was counted as even (ASCII, no tab) or looked at."""
    body = '"Well -- I don\'t know," Y/N said... "Maybe."\n\nShe  left -  quickly.\n'
    (tmp_path / "ascii.txt").write_text(f"Mara Voss - Lamps\n\n{body}", encoding="utf-8")
    (tmp_path / "tab.txt").write_text(f"Mara Voss - Lamps\n\n{body}\tend\n", encoding="utf-8")
    even, _ = parse.read_chapter(tmp_path / "ascii.txt", change_all=typography.typeset_all)
    looked, _ = parse.read_chapter(tmp_path / "tab.txt", change_all=typography.typeset_all)
    assert "words" in even.__dict__ and "words" not in looked.__dict__  # counted as even; not
    assert even.words == model._count_paragraphs(even.blocks) == 8
    assert looked.words == model._count_paragraphs(looked.blocks) == 9


@given(st.lists(st.lists(st.sampled_from([*_PIECES, "\n", "\ufdd0", "\ufdd1"]), max_size=4).map("".join), max_size=14))
def test_typesetting_looks_at_a_few_paragraphs_at_once_and_still_each_alone(texts):
    """typeset_all looks for line breaks and marks a few thousand paragraphs at once (here two):
    a look that finds one takes each of those paragraphs alone, as before."""
    looked_at_once, typography._LOOKED_AT_ONCE = typography._LOOKED_AT_ONCE, 2
    try:
        assert typography.typeset_all(texts) == [typography.typeset(text) for text in texts]
    finally:
        typography._LOOKED_AT_ONCE = looked_at_once


# Text made of what the spaced-hyphen rules look at: spaces of every kind, line breaks, hyphens,
# digits, quotes and letters.
_HYPHEN_PIECES = [*" \t\u00a0\u2009\n-1a\"'’", " - ", "5 - 10", "  -  ", " -- ", "xn--", "---"]
_AROUND_HYPHENS = st.lists(st.sampled_from(_HYPHEN_PIECES), max_size=30).map("".join)


@given(_AROUND_HYPHENS)
@example("a -  - b 1 - 2 - 3\t-\u00a0-x -\n - ' -- ---- xn-- a--b  --  -- ")
def test_a_rule_looked_for_from_its_hyphens_matches_where_its_pattern_alone_does(text):
    rules = [rule for rule in typography.RULES if isinstance(rule, typography._HyphenRule)]
    assert len(rules) == 3  # the dash of two or three hyphens, the range and the spaced dash
    for rule in rules:
        alone = [(m.start(), m.end(), rule.replacement) for m in rule.pattern.finditer(text)]
        assert list(rule.from_hyphens(text)) == alone  # however crowded
        assert list(rule.edits(text)) == alone
        assert rule.apply(text) == rule.pattern.sub(rule.replacement, text)
        text = rule.apply(text)  # as typeset() gives each rule the one before's text


def test_no_rule_makes_its_own_trigger():
    """typeset_all finds a trigger's paragraphs once for its run of rules: a rule of the run that
    made the trigger would miss paragraphs."""
    for trigger, rules in typography._BY_TRIGGER:
        made = "".join(r.replacement for r in rules if isinstance(getattr(r, "replacement", None), str))
        assert not typography.holds(made, trigger), trigger


@given(st.dictionaries(st.from_regex(r"EPUB/[a-z]{1,8}\.xhtml", fullmatch=True), st.binary(max_size=3000), max_size=6))
def test_entries_packed_beforehand_zip_to_the_same_bytes(files):
    """A page packed by its worker (deflated, its CRC and size reckoned) and its XHTML dropped:
    the zip writes the very bytes it would have made of the page."""
    pages = {name: packed_page(Page(name, "", data), keep=False) for name, data in files.items()}
    assert all(not page.xhtml for page in pages.values())
    files = {"mimetype": b"application/epub+zip", **files}
    # What the zip is given in a packed page's place (lint's stand-in) is never written.
    stand_ins = {name: b"" if name in pages else data for name, data in files.items()}
    assert zip_files(stand_ins, {name: page.packed for name, page in pages.items() if page.packed}) == zip_files(files)


@given(st.dictionaries(st.from_regex(r"EPUB/[a-z]{1,8}\.xhtml", fullmatch=True), st.binary(max_size=3000), max_size=6))
def test_a_zip_written_into_a_file_is_the_zip_made_in_memory(files):
    """One reader's book is zipped straight into its file (write_zip on a real file: zipfile seeks
    back to finish each entry's header), several readers' books made by workers come as bytes
    (zip_files, in memory): the same bytes either way, with packed pages among them."""
    files = {"mimetype": b"application/epub+zip", **files}
    packed = {name: page.packed for name, page in _packed(files).items() if page.packed}
    with tempfile.TemporaryFile() as out:
        write_zip(out, files, packed)
        out.seek(0)
        assert out.read() == zip_files(files, packed)


def _packed(files: dict[str, bytes]) -> dict[str, Page]:
    return {name: packed_page(Page(name, "", data), keep=True) for name, data in files.items() if name != "mimetype"}


@pytest.mark.parametrize("over", [True, False])
def test_the_size_a_book_is_warned_of_is_the_size_of_its_file(tmp_path, monkeypatch, over):
    """A book zipped straight into its file is weighed there: Send-to-Kindle's e-mail limit is
    judged on the very size written."""
    shutil.copytree(REPO / "stories", tmp_path / "stories")
    options = BuildOptions(stories=tmp_path / "stories", covers=tmp_path / "none", out_dir=tmp_path, names=("Sam",))
    size = build(options).written[0].path.stat().st_size
    monkeypatch.setattr(lint, "EMAIL_LIMIT", size - 1 if over else size)
    report = build(options)
    warned = [w for w in report.warnings if "e-mail limit" in w]
    assert warned == ([f"{report.written[0].path}: {too_big(size)[0]}"] if over else [])


@given(st.binary(max_size=20_000), st.lists(st.integers(min_value=1, max_value=5_000), min_size=1, max_size=30))
@example(data=b"<!--", cuts=[1])  # a comment cut in two: lint reads the page, so it is packed whole
@example(data=b"<body class='a' id='b'>", cuts=[9, 3])
def test_a_page_deflated_in_pieces_is_the_page_deflated_whole(data, cuts):
    """A page too long to hold is deflated as its pieces come (Page.pieces): the same bytes."""
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(data[start : start + cut])
        start += cut
    pieces.append(data[start:])
    page = b'<?xml version="1.0" encoding="utf-8"?>\n'
    packed = epub.packed_page(Page("a.xhtml", "A", b"", pieces=lambda: iter([page, *pieces])), keep=False)
    whole = epub.packed_page(Page("a.xhtml", "A", page + data), keep=False)
    assert packed.packed == whole.packed and (packed.packed.deflated, packed.packed.linted) == (
        whole.packed.deflated,
        whole.packed.linted,
    )


# Every kind of book (tests/books.py) but the one whose input is made anew each time (a real
# FanFicFare run dates its EPUB): that input is made once here, without it.
_BOOKS = {label: make for label, make in REPRESENTATIVE.items() if label != "epub-input"}


@pytest.mark.parametrize("label", [*sorted(_BOOKS), "epub-input"])
def test_books_of_pages_made_in_pieces_are_the_books_of_pages_made_whole(tmp_path, monkeypatch, label):
    """Every kind of book, each chapter long enough to be made in pieces (a few paragraphs at a
    time, never held whole): the very bytes of the book made whole. Pages lint reads more of
    (a picture, a link) and a KEPUB's pages are made whole from their pieces."""
    if label == "epub-input":
        options = BuildOptions(stories=epub_input_folder(tmp_path), names=("Sam",), kepub=True)

        def make(root: Path) -> list[Path]:
            return [book.path for book in build(replace(options, out_dir=root)).written]
    else:
        make = _BOOKS[label]
    (tmp_path / "whole").mkdir()
    (tmp_path / "pieces").mkdir()
    whole = [path.read_bytes() for path in make(tmp_path / "whole")]
    monkeypatch.setattr(render, "_HELD_WHOLE", 0)
    monkeypatch.setattr(render, "_TEXTS_AT_ONCE", 2)
    assert [path.read_bytes() for path in make(tmp_path / "pieces")] == whole


def test_the_sample_made_in_pieces_is_the_golden_book(tmp_path, golden, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setattr(render, "_HELD_WHOLE", 0)
    monkeypatch.setattr(render, "_TEXTS_AT_ONCE", 2)
    packed_in_pieces = []
    real = epub._packed_in_pieces
    monkeypatch.setattr(epub, "_packed_in_pieces", lambda pieces: packed_in_pieces.append(1) or real(pieces))
    shutil.copytree(REPO / "stories", tmp_path / "stories")
    options = BuildOptions(stories=tmp_path / "stories", covers=tmp_path / "no", out_dir=tmp_path, names=("Sam",))
    golden("sample-for-sam.epub", build(options).written[0].path.read_bytes())
    assert len(packed_in_pieces) >= 5  # every chapter of the sample


def test_a_story_typeset_as_read_keeps_none_of_the_text_as_read():
    """The text as read is let go whole once typeset, a paragraph left as it was included: one
    kept would hold the memory around it (model._copy)."""
    from ebookify.model import Block, BlockKind, Chapter, map_paragraphs

    # "Alone" holds nothing any rule looks for: typesetting hands back the very string.
    paragraphs = (Block(BlockKind.PARAGRAPH, "Alone"), Block(BlockKind.PARAGRAPH, '"Hi."'))
    assert typography.typeset_all([paragraphs[0].text])[0] is paragraphs[0].text
    read = Chapter("a.txt", "", "A", blocks=paragraphs * 1001)  # a long chapter: a short one keeps its blocks
    typeset = map_paragraphs(read, typography.typeset_all, anew=True)
    assert [block.text for block in typeset.blocks] == ["Alone", "\u201cHi.\u201d"] * 1001
    assert not any(new.text is old.text for new, old in zip(typeset.blocks, read.blocks, strict=True))
    # A Wattpad part is typeset before its blocks are made (parse_body): the same holds.
    lines = [(number, text) for number, text in enumerate([block.text for block in read.blocks], start=1)]
    parsed = parse_body(lines, typography.typeset_all)
    assert [block.text for block in parsed] == ["Alone", "\u201cHi.\u201d"] * 1001
    assert not any(block.text is text for block, (_, text) in zip(parsed, lines, strict=True))


def test_a_page_changed_after_it_was_packed_is_deflated_again():
    """A KEPUB's page is made from the packed page's XHTML (kept for it): never stored stale."""
    xhtml = b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
    xhtml += b"<head><title>A</title></head><body>" + b"<p>Old.</p>" * 50 + b"</body></html>"
    page = packed_page(Page("a.xhtml", "A", xhtml), keep=True)
    assert page.xhtml and page.packed
    (kobo,) = kepub_rendered(Rendered((page,), (), b"", ())).pages
    assert kobo.packed is None and kobo.xhtml != page.xhtml


def test_the_sample_read_on_all_cores_is_the_golden_book(tmp_path, golden, monkeypatch):
    """Story files read and typeset by forked workers, stories rendered and deflated by them
    (forced here for a small book): the very bytes of the reviewed digest in tests/golden/."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setattr(collect, "_PARALLEL_BYTES", 0)
    monkeypatch.setattr(book, "_PARALLEL_CHARACTERS", 0)
    shutil.copytree(REPO / "stories", tmp_path / "stories")
    options = BuildOptions(
        stories=tmp_path / "stories", covers=tmp_path / "none", out_dir=tmp_path / "out", names=("Sam",)
    )
    golden("sample-for-sam.epub", build(options).written[0].path.read_bytes())


@pytest.mark.parametrize("keep_going", [False, True])
def test_a_broken_file_read_by_a_worker_stops_or_is_listed_as_on_one_core(tmp_path, monkeypatch, keep_going):
    monkeypatch.setattr(collect, "_PARALLEL_BYTES", 0)
    shutil.copytree(REPO / "stories", tmp_path / "stories")
    files = sorted((tmp_path / "stories").iterdir())
    files[1].write_bytes(b"\x00\x01binary\x00" * 100)
    before = _children()
    if not keep_going:
        with pytest.raises(StoryError, match=files[1].name):
            collect.read_items(files)
        assert _children() <= before  # the workers were stopped and reaped with the error
        return
    reading = collect.read_items(files, keep_going=True)
    assert len(reading.errors) == 1 and files[1].name in reading.errors[0]
    monkeypatch.setattr(collect, "_PARALLEL_BYTES", 10**15)
    assert reading.items == collect.read_items(files, keep_going=True).items


def test_a_block_sent_from_a_worker_comes_back_equal():
    """Blocks cross from the reading workers as their fields (Block.__reduce__), in field order."""
    import pickle

    from ebookify.model import Block, BlockKind, Frame, FrameKind

    frame = Frame(FrameKind.LIST, (1, 2, 3), numbering="a", number=4)
    blocks = [
        Block(BlockKind.PARAGRAPH, "Y/N's \ue000text", 7, "center", 2, (frame,), "images/a.png"),
        Block(BlockKind.BREAK),
        Block(BlockKind.NOTE, "A/N", 3),
    ]
    assert pickle.loads(pickle.dumps(blocks)) == blocks


@pytest.mark.parametrize("enough", [0, 10**9])  # on all cores, and on this one
def test_what_is_done_meanwhile_is_done_once_by_this_process(enough):
    """The cover is drawn while the stories are rendered: once, here, whether workers run or not."""
    from ebookify import forked

    here, done = __import__("os").getpid(), []
    results = forked.mapped(str.upper, ["a", "b", "c", "d"], len, enough, lambda: done.append(os.getpid()))
    assert results == ["A", "B", "C", "D"]
    assert done == [here]


def test_a_process_standing_by_does_the_work_it_is_asked_once_ready():
    """The one reader's cover is drawn by a process forked before the stories are read: it gets
    ready (Pillow, the typefaces) at once, then waits for what to draw."""
    from ebookify import forked

    here, ready, before = os.getpid(), [], _children()
    with forked.standing_by(lambda text: (os.getpid(), text.upper(), list(ready)), lambda: ready.append(1)) as ask:
        answer = ask("y/n")
        pid, made, was_ready = answer()
        assert answer() == (pid, made, was_ready)  # asked once, answered once: the same answer again
    assert pid != here and made == "Y/N" and was_ready == [1]
    assert ready == []  # made ready there, not here
    assert _children() <= before  # reaped on leaving


def test_a_process_standing_by_never_asked_is_killed_and_reaped():
    from ebookify import forked

    before = _children()
    with forked.standing_by(str.upper, lambda: None):
        assert len(_children() - before) == 1
    assert _children() <= before


def test_the_process_drawing_a_cover_stands_behind_the_ones_making_the_book():
    """It runs at a lower priority (nice 10 more than this process): it draws on a core the build
    leaves idle, not on the ones rendering the pages."""
    import time

    from ebookify.cover import drawing_process

    before = _children()
    with drawing_process():
        (pid,) = _children() - before
        behind = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)  # 19 is the lowest
        deadline = time.monotonic() + 10
        while os.getpriority(os.PRIO_PROCESS, pid) != behind:  # it lowers its own, once forked
            assert time.monotonic() < deadline, "the drawing process did not lower its priority"
            time.sleep(0.01)


def test_in_a_worker_the_work_asked_is_done_here(monkeypatch):
    from ebookify import forked

    monkeypatch.setattr(forked, "_in_worker", True)  # a worker's cores are taken: no process forked
    with forked.standing_by(lambda text: (os.getpid(), text), lambda: None) as ask:
        assert ask("a")() == (os.getpid(), "a")


def test_the_process_that_draws_one_readers_cover_draws_the_same_cover(tmp_path):
    """The cover drawn once, without keeping its jacket, is the cover drawn again and again."""
    from ebookify.cover import drawn_cover, drawn_once

    lines = ("Saltmarsh Imagines", "for Sam")
    assert drawn_once(lines) == drawn_cover(lines) == drawn_cover(lines)


def _old_keep_blocks(blocks, keep):
    """keep_blocks as it was: every block looked at, every chapter's blocks copied."""
    from ebookify.model import BlockKind

    kept = [b for b in blocks if b.kind is BlockKind.BREAK or keep(b)]
    return tuple(
        b
        for i, b in enumerate(kept)
        if b.kind is not BlockKind.BREAK
        or (
            0 < i < len(kept) - 1
            and kept[i - 1].kind is BlockKind.PARAGRAPH
            and kept[i + 1].kind is BlockKind.PARAGRAPH
        )
    )


_KINDS = st.lists(st.sampled_from(["p", "n", "N", "b"]), max_size=12)  # N: a note that is dropped


@given(st.lists(_KINDS, min_size=1, max_size=4))
def test_notes_kept_as_every_block_was_looked_at(chapters):
    """keep_notes skips the chapters it would leave as they are (most: no note, breaks between
    paragraphs); what it gives is what looking at every block gave."""
    from ebookify.model import Block, BlockKind, Chapter, Collection, Group, Story, keep_notes

    kind = {"p": BlockKind.PARAGRAPH, "n": BlockKind.NOTE, "N": BlockKind.NOTE, "b": BlockKind.BREAK}
    parts = tuple(
        Chapter(f"{i}.txt", "A", "T", blocks=tuple(Block(kind[k], k if k != "b" else "", n) for n, k in enumerate(c)))
        for i, c in enumerate(chapters)
    )
    collection = Collection("T", (Group(None, (Story("A", "T", parts),)),))
    kept = keep_notes(collection, lambda note: note.text != "N")
    for before, after in zip(parts, kept.stories[0].parts, strict=True):
        assert after.blocks == _old_keep_blocks(before.blocks, lambda b: b.text != "N")


_WORDY = st.lists(
    st.sampled_from(
        [
            *("word", " ", "  ", "\t", "\n", "\xa0", "\u2009", "\u3000", "’", "—", "é"),
            *("\ufdd0", "\ufdd1", "\ufdd4", "你好", "ภาษา"),
        ]
    ),
    max_size=25,
).map("".join)


@given(_WORDY)
def test_words_counted_in_one_look_are_the_words_counted_in_full(text):
    """A chapter's words are counted with one scan where its text holds no mark and no script
    written without spaces: the same count as taking the marks out and counting in full."""
    from ebookify.languages import count_words
    from ebookify.marks import plain
    from ebookify.model import _words

    assert _words(text) == count_words(plain(text))


def test_counting_by_spaces_is_looked_at_for_every_other_space_and_script():
    """_words counts the spaces of a text where _UNEVEN finds nothing: it must find every character
    str.split() parts words at but U+0020, and all that MAYBE_PER_CHARACTER finds."""
    from ebookify.languages import MAYBE_PER_CHARACTER
    from ebookify.model import _UNEVEN

    every = "".join(map(chr, range(0x110000)))
    wanted = {c for c in every if c.isspace() and c != " "} | set(MAYBE_PER_CHARACTER.findall(every))
    assert set(_UNEVEN.findall(every)) == wanted


def test_every_mark_is_among_what_the_first_look_finds():
    from ebookify.languages import MAYBE_PER_CHARACTER
    from ebookify.marks import MARK

    marks = [chr(code) for code in range(0x110000) if MARK.fullmatch(chr(code))]
    assert marks and all(MAYBE_PER_CHARACTER.fullmatch(mark) for mark in marks)


def test_paragraphs_left_alone_keep_their_blocks_and_their_count():
    """load() typesets titles and the like with the paragraphs left as read (typeset already):
    each chapter keeps its very blocks, and its word count, instead of a copy a block at a time."""
    from ebookify.model import Block, BlockKind, Chapter, Collection, Group, Story, map_text

    blocks = tuple(Block(BlockKind.PARAGRAPH, f"one two {n}", n) for n in range(5))
    chapter = Chapter("a.txt", "who", "title", blocks=blocks)
    assert chapter.words == 15
    mapped = map_text(Collection("t", (Group(None, (Story("who", "title", (chapter,)),)),)), str.upper, lambda t: t)
    (changed,) = mapped.stories[0].parts
    assert changed.title == "TITLE" and changed.blocks is blocks and changed.__dict__["words"] == 15


_PLACEHOLDERY = st.lists(
    st.sampled_from(
        ["Y/N", "(y/n)", "[L/N]", "{E/C}", "H/C", "h/c", "A/N", " ", "SAID", "said", ". ", "'s", "Y/N = your name"]
    ),
    max_size=12,
).map("".join)


@given(
    _PLACEHOLDERY, st.sampled_from([{}, {"Y/N": "Sam", "F/N": "Sam"}, {"Y/N": "Zoë", "L/N": "Okafor", "E/C": "grey"}])
)
def test_placeholders_found_once_are_replaced_as_found_each_time(text, values):
    """For many readers, where each paragraph's placeholders are is worked out once (placements):
    every copy gets the text and the counts it gets when they are looked for in it each time."""
    from ebookify.personalise import Tally, personalise, places_of

    alone, known = Tally(), Tally()
    assert personalise(text, values, known, {text: places_of(text)}) == personalise(text, values, alone)
    assert (known.replaced, known.missing) == (alone.replaced, alone.missing)


@pytest.mark.parametrize("on_all_cores", [False, True])
def test_what_a_chapter_knows_of_its_blocks_comes_with_it_right(tmp_path, monkeypatch, on_all_cores):
    """A chapter's words, slashed blocks, their codes, whether it holds notes and its length are
    looked at once, with its file (perhaps by a worker), and carried to the chapters made from it
    that keep its blocks: each is what a fresh look gives."""
    from ebookify.build import find_sources, load
    from ebookify.model import Chapter

    if on_all_cores:
        monkeypatch.setattr(collect, "_PARALLEL_BYTES", 0)
    shutil.copytree(REPO / "stories", tmp_path / "stories")
    shutil.copy(REPO / "tests" / "fixtures" / "ao3" / "multichapter.html", tmp_path / "stories" / "20-ao3.html")
    collection = load(find_sources(BuildOptions(stories=tmp_path / "stories", names=("Sam",)))).collection
    assert collection is not None
    for chapter in (part for story in collection.stories for part in story.parts):
        assert {"words", "slashed", "codes", "weeded", "characters"} <= chapter.__dict__.keys()  # known already
        fresh = Chapter(chapter.source, chapter.who, chapter.title, blocks=chapter.blocks)
        known = (chapter.words, chapter.slashed, chapter.codes, chapter.weeded, chapter.characters)
        assert known == (fresh.words, fresh.slashed, fresh.codes, fresh.weeded, fresh.characters)


def test_one_readers_cover_process_is_forked_before_the_build_is_imported(tmp_path, golden):
    """`ebookify build` for one reader forks the process that draws the cover before it imports
    the build (and most of ebookify): the child loads Pillow while the parent imports. The book
    is the golden one."""
    import subprocess
    import sys

    shutil.copytree(REPO / "stories", tmp_path / "stories")
    probe = (
        "import sys; from ebookify import cli, forked\n"
        "real = forked.standing_by\n"
        "def spy(*args):\n"
        "    print('forked with the build imported:', 'ebookify.build' in sys.modules, file=sys.stderr)\n"
        "    return real(*args)\n"
        "forked.standing_by = spy\n"
        "sys.argv = ['ebookify', 'build', '--name', 'Sam', '--covers', 'none', '-o', 'sam.epub']\n"
        "cli.run()\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("forked with the build imported: False") == 1, done.stderr
    assert "forked with the build imported: True" not in done.stderr
    golden("sample-for-sam.epub", (tmp_path / "sam.epub").read_bytes())


# Bytes a story file may hold: text and line ends, then, a few at most, controls and the UTF-8 of
# what reading removes (C1 controls, a BOM, noncharacters) or of characters sharing their lead bytes.
_PLAIN_PIECES = [b"\t", b"\n", b"\r", b"\r\n", b" ", b"word", "’é".encode()]
_ODD_PIECES = [
    *[bytes([b]) for b in (0x00, 0x01, 0x08, 0x0B, 0x0C, 0x1F, 0x7F, 0x81, 0x8D)],
    *(c.encode() for c in "\x85\x9f\xa0\xa9\ufeff\ufffe\uffff\ufdd0\ufdef\ufdcf\ufb01"),
]
_PLAIN_RUN = st.lists(st.sampled_from(_PLAIN_PIECES), max_size=12).map(b"".join)
_FILE_BYTES = st.tuples(_PLAIN_RUN, st.lists(st.sampled_from(_ODD_PIECES), max_size=2), _PLAIN_RUN).map(
    lambda made: made[0] + b"".join(made[1]) + made[2]
)


@given(_FILE_BYTES)
def test_a_story_file_read_with_a_look_at_its_bytes_reads_as_it_did_without(data):
    """decode() skips the search for characters to remove when the UTF-8 bytes show none: it gives
    what looking at the text always gives, or the same error."""
    from ebookify.parse import _XML_INVALID, _decode_bytes, _looks_binary, decode

    def always_looked_at() -> str:
        text = _decode_bytes(data, "s.txt")[0].replace("\r\n", "\n").replace("\r", "\n")
        if _looks_binary(text):
            raise StoryError("s.txt", "is not a text file (it looks like binary data)")
        text = unicodedata.normalize("NFC", _XML_INVALID.sub("", text))
        if not text.strip():
            raise StoryError("s.txt", "is empty")
        return text

    def outcome(read):
        try:
            return read()
        except StoryError as exc:
            return str(exc)

    assert outcome(lambda: decode(data, "s.txt")) == outcome(always_looked_at)


_WITH_CODES = st.lists(
    st.sampled_from(
        [*("Y/N", "y/n", "Y/L/N", "h/c", "A/N", "(Y/N)", "[e/c]", "{Y/L/N}", "(a/b", "/", "//"), *"()[]{}aY '_"]
    ),
    max_size=20,
).map("".join)


@given(_WITH_CODES)
def test_placeholders_tried_only_before_slashes_are_those_found_everywhere(text):
    """personalise finds placeholders by trying the pattern only just before each slash: the very
    matches the regex engine finds trying every character (a look behind included)."""
    from ebookify.personalise import _PLACEHOLDER, _placeholder_matches

    def spans(matches):
        return [(m.span(), m.groups()) for m in matches]

    assert spans(_placeholder_matches(text)) == spans(_PLACEHOLDER.finditer(text))


@given(st.lists(st.sampled_from(["cover now", "Cover Now", "cover", " now", "\n", "x", "İ"]), max_size=20).map("".join))
def test_footer_lines_found_by_position_are_the_lines_holding_it(text):
    """The footer pattern is tried only on the lines where its words stand, found by searching the
    lowered text once: the very lines that hold them, lowering line by line."""
    from ebookify.parse import _FOOTER_WORDS, _lines_holding

    lowered = text.lower()
    assert _lines_holding(lowered, _FOOTER_WORDS) == {
        index for index, line in enumerate(lowered.split("\n")) if _FOOTER_WORDS in line
    }


_STORY_LINES = st.lists(
    st.sampled_from(['"Hi," she said...', "A/N: thanks - all", "* * *", "", "Y/N's 5'10 -- 'cause", "x - y", "Plain."]),
    min_size=1,
    max_size=30,
)


@pytest.mark.parametrize("times", [1, 120])  # 120 times: past 2,000 blocks, whose texts are copied anew
@given(lines=_STORY_LINES)
def test_a_story_typeset_as_it_is_parsed_is_the_story_parsed_then_typeset(times, lines):
    """Reading a Wattpad part typesets its paragraphs before their blocks are made: the chapter
    that parsing it, then typesetting each block (map_paragraphs), gives."""
    from ebookify.model import map_paragraphs
    from ebookify.parse import parse_chapter

    text = "Mara Voss - Fog\n\n" + "\n".join(lines * times) + "\nLast line."
    typeset_first, _ = parse_chapter(text, "s.txt", typography.typeset_all)
    assert typeset_first == map_paragraphs(parse_chapter(text, "s.txt")[0], typography.typeset_all, anew=True)


@pytest.mark.parametrize("count", [0, 1, 7, 3_000])  # 3,000: past 1,024 tickets, a ticket is a run
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_in_order_yields_every_result_in_order_whoever_makes_it(count, workers):
    from ebookify import forked

    before = _children()
    made = list(forked.in_order(lambda index: (index, os.getpid()), count, workers))
    assert [index for index, _ in made] == list(range(count))
    assert len({pid for _, pid in made}) <= workers
    assert _children() <= before


def test_a_slow_item_is_made_up_by_the_other_workers():
    """Each worker takes the next item when it is free: while one makes a slow item, the other
    makes all the rest (taking turns, each would have made half)."""
    import time

    from ebookify import forked

    def work(index: int) -> int:
        if index == 0:
            time.sleep(1)
        return os.getpid()

    makers = list(forked.in_order(work, 8, 2))
    assert max(makers.count(pid) for pid in set(makers)) == 7


@pytest.mark.parametrize("failing", [0, 1, 2, 5])
def test_the_first_error_in_order_is_the_one_raised(failing):
    """An item that fails stops the iteration at its turn, after every earlier result, whichever
    process made it and however soon; a later item's error, even one made first, is never told."""
    import time

    from ebookify import forked
    from ebookify.errors import EbookifyError

    taken, taking = os.pipe()

    def work(index: int) -> int:
        if forked.forked_worker():
            os.write(taking, b"x")
            time.sleep(0.3)  # while the worker makes its item, this process makes (and fails) later ones
        else:
            select.select([taken], [], [], 10)  # until the worker has taken an item
        if index >= failing:
            raise EbookifyError(f"item {index}")
        return index

    made = []
    with pytest.raises(EbookifyError, match=f"^item {failing}$"):
        for result in forked.in_order(work, 8, 2):
            made.append(result)
    assert made == list(range(failing))


def test_results_of_every_size_cross_from_a_worker_whole():
    """What a worker makes crosses its pipe whole, framed by its length: nothing, a byte, more than
    a pipe holds, megabytes. This process makes one item, slowly, once the worker has taken one:
    the worker makes the rest."""
    import time

    from ebookify import forked

    sizes = [3_000_000, 0, 1, 65_535, 65_536, 65_537, 3_000_000]
    taken, taking = os.pipe()

    def work(index: int) -> tuple[int, bytes]:
        if forked.forked_worker():
            os.write(taking, b"x")
        else:
            select.select([taken], [], [], 10)
            time.sleep(1)
        return os.getpid(), bytes([index]) * sizes[index]

    made = list(forked.in_order(work, len(sizes), 2))
    assert [data for _, data in made] == [bytes([index]) * size for index, size in enumerate(sizes)]
    assert sum(pid != os.getpid() for pid, _ in made) >= len(sizes) - 1


@given(
    st.text(
        alphabet=st.sampled_from([*"a “’—", "\ufdd0", "\ufdd4", "\ufdef", "\ufdcf", "\ufdf0", "ý", "\u20fd", "\ud8fd"])
    )
)
def test_marks_looked_for_in_the_utf16_bytes_first_are_found_as_by_the_pattern(text):
    """has_marks looks for the byte every mark's UTF-16 holds before it asks the pattern: the same
    answer for marks, their neighbours, characters sharing that byte, and a lone surrogate."""
    from ebookify.marks import MARK, has_marks

    assert has_marks(text) is (MARK.search(text) is not None)


def test_workers_are_heard_from_past_a_thousand_open_files():
    """A worker's pipe numbered past 1,024 (a process holding many files) is waited on all the
    same: select() refuses such a number, poll() does not."""
    import resource
    import time

    from ebookify import forked

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2_048
    assert hard == resource.RLIM_INFINITY or hard >= wanted, f"this machine allows {hard} open files"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    taken, taking = os.pipe()  # before the files held: this test's own select() is given small numbers
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1_100)]

    def work(index: int) -> int:
        if forked.forked_worker():
            os.write(taking, b"x")
            time.sleep(0.2)  # this process waits for it: poll is asked
        else:
            select.select([taken], [], [], 10)
        return os.getpid()

    try:
        makers = list(forked.in_order(work, 4, 2))
    finally:
        for fd in [*held, taken, taking]:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert len(set(makers)) == 2
