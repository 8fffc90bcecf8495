"""The second round of issue 18: fewer passes, the same bytes. Typography over only the paragraphs
that hold a rule's trigger, story files read on all cores, pages deflated by the workers that
render them: each gives what the plain way gives."""

from __future__ import annotations

import os
import shutil
import zipfile

import pytest
from conftest import REPO
from hypothesis import given
from hypothesis import strategies as st

from ebookify import book, collect, typography
from ebookify.build import BuildOptions, build
from ebookify.epub import deflate, unzip, zip_files
from ebookify.errors import StoryError

# Text made of what the rules look at: quotes, dashes, dots, digits, spaces and line breaks.
_PIECES = [*"ab1 .-'\"′’“\t", "--", "...", "Y/N", "5'10", "xn--", " - ", "'cause"]
_TYPED = st.lists(st.sampled_from(_PIECES), max_size=20).map("".join)


@given(st.lists(_TYPED, max_size=30))
def test_typesetting_by_trigger_equals_each_paragraph_alone(texts):
    assert typography.typeset_all(texts) == [typography.typeset(text) for text in texts]


def test_no_rule_makes_its_own_trigger():
    """typeset_all finds a trigger's paragraphs once for its run of rules: a rule of the run that
    made the trigger would miss paragraphs."""
    for trigger, rules in typography._BY_TRIGGER:
        made = "".join(r.replacement for r in rules if isinstance(getattr(r, "replacement", None), str))
        assert trigger not in made, trigger


@given(st.dictionaries(st.from_regex(r"EPUB/[a-z]{1,8}\.xhtml", fullmatch=True), st.binary(max_size=3000), max_size=6))
def test_entries_deflated_beforehand_zip_to_the_same_bytes(files):
    files = {"mimetype": b"application/epub+zip", **files}
    ready = {name: (data, deflate(data)) for name, data in files.items()}
    assert zip_files(files, ready) == zip_files(files)


def test_deflated_data_is_used_only_for_the_data_it_was_made_from():
    """A page changed after it was deflated (a KEPUB's) is deflated again, never stored stale."""
    files = {"mimetype": b"application/epub+zip", "EPUB/a.xhtml": b"<p>new</p>" * 50}
    stale = {"EPUB/a.xhtml": (b"<p>old</p>" * 50, deflate(b"<p>old</p>" * 50))}
    assert unzip(zip_files(files, stale)) == files
    with zipfile.ZipFile(__import__("io").BytesIO(zip_files(files, stale))) as book_zip:
        assert book_zip.testzip() is None


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
    if not keep_going:
        with pytest.raises(StoryError, match=files[1].name):
            collect.read_items(files)
        with pytest.raises(ChildProcessError):  # the workers were stopped and reaped with the error
            __import__("os").waitpid(-1, __import__("os").WNOHANG)
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
