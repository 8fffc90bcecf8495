"""The speed work (issue 18) changes how a book is made, never what it holds: the same bytes on
all cores as on one, word counts carried from copy to copy equal to counting afresh, and the
benchmark's floor doing what its slower regex did."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from dataclasses import replace

import pytest
from conftest import REPO
from hypothesis import given
from hypothesis import strategies as st

from ebookify import book, forked, typography
from ebookify.build import BuildOptions, build
from ebookify.model import Block, BlockKind, Chapter, Story, map_story
from ebookify.personalise import Tally, personalise


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7, 40])
def test_mapped_gives_every_result_in_order_on_all_cores(count):
    items = [f"item {i} " * (i % 5 + 1) for i in range(count)]
    assert forked.mapped(str.upper, items, len, enough=0) == [item.upper() for item in items]


@given(st.lists(st.integers(min_value=0, max_value=1000), max_size=60), st.integers(min_value=1, max_value=8))
def test_runs_cover_every_item_once_in_order(sizes, count):
    runs = forked._runs(sizes, count)
    covered = [i for start, end in runs for i in range(start, end)]
    assert covered == list(range(len(sizes)))
    assert all(end > start for start, end in runs)
    assert len(runs) <= max(count, 1) + 1


def test_a_worker_makes_no_workers_of_its_own(monkeypatch):
    """Several readers' copies are already made on all cores: a copy's stories stay on its core."""
    monkeypatch.setattr(forked, "_in_worker", True)
    parent = __import__("os").getpid()
    assert forked.mapped(lambda _: __import__("os").getpid(), [1, 2, 3, 4], lambda _: 10**9, 0) == [parent] * 4


def test_the_sample_on_all_cores_is_the_golden_book(tmp_path, golden, monkeypatch):
    """Rendering in forked workers (forced here for a small book) makes the very
    bytes that one core makes: the reviewed digest in tests/golden/."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setattr(book, "_PARALLEL_CHARACTERS", 0)
    shutil.copytree(REPO / "stories", tmp_path / "stories")
    options = BuildOptions(
        stories=tmp_path / "stories", covers=tmp_path / "none", out_dir=tmp_path / "out", names=("Sam",)
    )
    report = build(options)
    golden("sample-for-sam.epub", report.written[0].path.read_bytes())
    monkeypatch.setattr(forked, "_in_worker", True)  # now all on one core: the same count of what was replaced
    again = build(replace(options, out_dir=tmp_path / "again"))
    assert again.written[0].tally == report.written[0].tally
    assert sum(report.written[0].tally.replaced.values()) > 0


PARAGRAPHS = [
    "Y/N laughed. “Stay,” he said.",
    "你好，Y/N。我们走吧",
    "(Y/N) and (L/N)\ufdd0 ran\ufdd1 home\ufdd4 at last",
    "No placeholder here at all",
    "Y/N's coat, Y/N's hat",
]


@pytest.mark.parametrize("name", ["Sam", "Mary Ann Lee", "李小龙", "Zoë-Jane"])
def test_a_personalised_copy_counts_its_words_as_a_fresh_count_would(name):
    blocks = [Block(BlockKind.PARAGRAPH, text, line) for line, text in enumerate(PARAGRAPHS, start=1)]
    blocks.insert(2, Block(BlockKind.BREAK))
    blocks.append(Block(BlockKind.NOTE, "A/N: Y/N is you, twenty words would not count here"))
    chapter = Chapter("f.txt", "Kael x Reader", "Title", blocks=tuple(blocks))
    story = Story(chapter.who, chapter.title, (chapter,))
    assert chapter.words > 0  # counted: the copy's count is carried from it
    values, tally = {"Y/N": name, "L/N": "Rivers"}, Tally()
    copy = map_story(story, lambda text: personalise(text, values, tally)).parts[0]
    assert "words" in copy.__dict__  # carried, not counted yet
    assert copy.words == replace(copy).words  # a new Chapter object counts afresh


def _bench_floor():
    spec = importlib.util.spec_from_file_location("bench_floor", REPO / "bench" / "floor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FLOOR = _bench_floor()


def _bench_runner():
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_takes_turns_starting_one_further_on_each_round(tmp_path):
    """No command always runs just after the same other one (the reference floor after ebookify)."""
    runner = _bench_runner()
    log = tmp_path / "order"
    commands = {label: [sys.executable, "-c", f"open({str(log)!r}, 'a').write({label!r})"] for label in ("a", "b", "c")}
    series = runner.interleaved(commands, 4, tmp_path, "test")
    assert log.read_text() == "abc" + "abc" + "bca" + "cab" + "abc"  # one untimed run of each first
    assert {label: len(s.samples) for label, s in series.items()} == {"a": 4, "b": 4, "c": 4}


@given(st.text(alphabet="Yy/Nn([{}])a _'\n", max_size=24))
def test_the_floor_looks_for_placeholders_only_at_a_slash_and_finds_the_same(text):
    assert FLOOR.fill(text, "Sam") == FLOOR.NAME.sub("Sam", text)


def test_the_floor_fills_each_form():
    text = "Y/N, (y/n) and [Y/n]: {Y/N}'s. Not xY/N, Y/Ns or and/n. Y/N"
    assert FLOOR.fill(text, "Sam") == "Sam, Sam and Sam: Sam's. Not xY/N, Y/Ns or and/n. Sam"
    assert re.search("Y/N", FLOOR.fill("Y/N" * 3, "S")) is not None  # glued together: no placeholder


TYPESET_CASES = [
    '"Hi," she said -- once...',
    "'Cause it's Y/N's 5'10\" coat - see?",
    "B- Kylo 'wait' and 'Verse",
    "“Already curled,” he said.",
    "x" * 50,
]


@pytest.mark.parametrize("batch", [60, 97])  # 97: the last batch is not full
def test_typesetting_and_marking_up_in_small_batches_changes_nothing(monkeypatch, batch):
    """A 50 MB story is typeset, escaped and counted some paragraphs at a time, so that no step
    holds copies of the whole: the result is the same as in one go."""
    from ebookify import model, render

    texts = [*TYPESET_CASES * 7, "It ends -- here..."]  # the last batch has work to do
    whole = typography.typeset_all(texts)
    blocks = [Block(BlockKind.PARAGRAPH, text) for text in whole]
    words, marked = model._count_paragraphs(blocks), render._texts(whole)
    monkeypatch.setattr(typography, "_BATCH_CHARACTERS", batch)
    monkeypatch.setattr(model, "_COUNTED_AT_ONCE", 3)
    monkeypatch.setattr(render, "_TEXTS_AT_ONCE", 4)
    assert typography.typeset_all(texts) == whole == [typography.typeset(text) for text in texts]
    assert model._count_paragraphs(blocks) == words
    assert render._texts(whole) == marked == [render._text(text) for text in whole]


@pytest.mark.parametrize("kind", ["drawn", "PNG", "JPEG"])
def test_a_book_is_made_without_reading_the_systems_media_types(tmp_path, stories, monkeypatch, kind):
    """ebooklib guesses a cover's media type with mimetypes, whose first use reads the system's
    mime.types (7 ms of every build): the cover's type is given instead, and is still right."""
    import mimetypes
    import zipfile

    import ebooklib.utils
    from PIL import Image

    def read_the_system_table(*args, **kwargs):
        raise AssertionError("mimetypes.init: the system's mime.types read")

    monkeypatch.setattr(ebooklib.utils, "mimetype_initialised", False)
    monkeypatch.setattr(mimetypes, "init", read_the_system_table)
    covers = tmp_path / "covers"
    covers.mkdir()
    if kind != "drawn":
        Image.new("RGB", (60, 96), (90, 30, 40)).save(covers / f"cover.{kind.lower()}", kind)
    folder = stories({"01.txt": "Title: Tea\n\nY/N poured the tea.\n"})
    options = BuildOptions(stories=folder, covers=covers, out_dir=tmp_path / "out", names=("Sam",))
    with zipfile.ZipFile(build(options).written[0].path) as book:
        opf = book.read("EPUB/content.opf").decode()
    media_type = "image/png" if kind == "PNG" else "image/jpeg"
    name = "cover.png" if kind == "PNG" else "cover.jpg"
    assert f'<item href="{name}" id="cover-img" media-type="{media_type}" properties="cover-image"/>' in opf
    assert '<meta name="cover" content="cover-img"/>' in opf
