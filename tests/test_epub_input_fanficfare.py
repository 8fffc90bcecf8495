"""A real FanFicFare EPUB, made offline by FanFicFare itself from its built-in test site
(test1.com, which fetches nothing), read as a story: its title and log pages are metadata."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_sound_epub

from ebookify.build import BuildOptions, build
from ebookify.epubstory import read_epub
from ebookify.marks import LINE_BREAK, plain


def fanficfare(folder: Path, sid: int) -> Path:
    """FanFicFare's EPUB of test story `sid`, with its update log page (include_logpage)."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "fanficfare.cli", "-f", "epub", "-o", "include_logpage=true"]
    # HOME: FanFicFare reads ~/.fanficfare/personal.ini; the test's own home has none.
    env = {**os.environ, "HOME": str(folder)}
    subprocess.run(
        [*command, f"http://test1.com?sid={sid}"], cwd=folder, env=env, check=True, capture_output=True, timeout=120
    )
    (made,) = folder.glob("*.epub")
    return made


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    return fanficfare(tmp_path_factory.mktemp("fff"), 1)


def test_fanficfare_epub_reads_as_its_story(made):
    (story,), _ = read_epub(made, made.name)
    work = story.work
    assert story.title == "Test Story Title 1" and work is not None
    assert work.authors == ("Test Author aa",) and work.url == "http://test1.com?sid=1"
    assert work.series == (("The Great Test", 1),) and story.group == "The Great Test"
    assert work.rating == "Tweenie" and "Harry Potter" in work.fandoms and "Bob Smith" in work.characters
    assert work.chapters == (9, None) and work.unfinished  # "Status: In-Progress", "Chapters: 9"
    assert work.words == 123456 and work.published == "1975-03-15"
    assert len((story.synopsis or "").split(LINE_BREAK)) >= 2  # the title page's summary, paragraphs kept
    labels = [part.label or "" for part in story.parts]
    assert len(labels) == 9 and labels[1] == "Chapter 1, Xenos on Cinnabar"
    assert not [label for label in labels if label in ("Title Page", "Update Log")]
    for part in story.parts:
        assert not any(plain(b.text).startswith(("Packaged:", "Update Log")) for b in part.blocks)


def test_fanficfare_epub_builds_a_sound_book(made, tmp_path):
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / made.name).write_bytes(made.read_bytes())
    (written,) = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist", names=("Sam",))).written
    assert_sound_epub(written.path)  # EPUBCheck: books.py epub-input holds one too
