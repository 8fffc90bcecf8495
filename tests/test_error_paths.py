"""Error paths the README promises that no other test reached (found by coverage, see tests/README.md)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import invoke, story_text
from PIL import Image

from ebookify import write as write_module
from ebookify.build import BuildOptions, build, checked_for_kindle
from ebookify.errors import EbookifyError
from ebookify.lint import lint_files, too_big


def built_entries(tmp_path: Path) -> tuple[dict[str, bytes], Path]:
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "1.txt").write_text(story_text(), encoding="utf-8")
    (written,) = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist", names=("Sam",))).written
    with zipfile.ZipFile(written.path) as book:
        return {name: book.read(name) for name in book.namelist()}, written.path


def test_a_book_send_to_kindle_would_refuse_is_not_written(tmp_path):
    """The build lints every book before writing it. ebookify's own books pass, so the refusal is a
    safety net: here the real lint gets a book whose package document lost its language."""
    entries, path = built_entries(tmp_path)
    assert checked_for_kindle(lint_files(entries, 1000), path) == ()  # as built: nothing to say
    opf = next(name for name in entries if name.endswith(".opf"))
    entries[opf] = entries[opf].replace(b"<dc:language>en</dc:language>", b"")
    with pytest.raises(EbookifyError, match=rf"^{path} would be refused by Send-to-Kindle: .*dc:language"):
        checked_for_kindle(lint_files(entries, 1000), path)


def test_a_book_over_the_e_mail_limit_is_a_warning_not_a_refusal(tmp_path):
    entries, path = built_entries(tmp_path)
    (warning,) = checked_for_kindle(lint_files(entries, 60 * 2**20), path)
    assert warning.startswith(f"{path}: ") and "over Send-to-Kindle's 50 MB e-mail limit" in warning
    # As a build checks it: every rule before the zip is made, then its size.
    assert lint_files(entries, 60 * 2**20) == lint_files(entries, 0) + too_big(60 * 2**20)
    assert too_big(50 * 2**20) == []


EARLIER = b"an earlier build, which a failed build must leave alone"


@pytest.mark.parametrize(
    ("files", "args", "line"),
    [
        ({"afile.txt": b"x"}, ["--stories", "afile.txt"], "afile.txt is not a folder"),
        (
            {"stories/1.txt": story_text().encode(), "stories/2.txt": b"\xff\xfeA\x00\x00\xd8"},
            [],
            "stories/2.txt is not valid UTF-16 text",  # a BOM, then a lone surrogate
        ),
        (
            {"stories/1.txt": b"\xfe\xff\x00A\xdc\x00"},
            [],
            "stories/1.txt is not valid UTF-16 text",
        ),
    ],
    ids=["stories-is-a-file", "utf16-le-lone-surrogate", "utf16-be-lone-low-surrogate"],
)
def test_refused_in_one_line_with_the_earlier_book_kept(tmp_path, files, args, line):
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (tmp_path / "out.epub").write_bytes(EARLIER)
    result = invoke(tmp_path, "build", "-n", "Sam", "-o", "out.epub", *args)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"ebookify: error: {line}\n")
    assert (tmp_path / "out.epub").read_bytes() == EARLIER


def test_a_cover_that_is_not_jpeg_or_png_is_refused_naming_it(tmp_path):
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "1.txt").write_text(story_text(), encoding="utf-8")
    (tmp_path / "covers").mkdir()
    Image.new("RGB", (320, 512), (200, 30, 30)).save(tmp_path / "covers" / "harbour-imagines.png", "GIF")
    (tmp_path / "out.epub").write_bytes(EARLIER)
    result = invoke(tmp_path, "build", "-n", "Sam", "-o", "out.epub")
    assert (result.returncode, result.stderr) == (
        1,
        "ebookify: error: covers/harbour-imagines.png is a GIF image; covers must be JPEG or PNG\n",
    )
    assert (tmp_path / "out.epub").read_bytes() == EARLIER


def test_an_interrupt_while_the_book_is_written_leaves_no_temporary_file(tmp_path, monkeypatch):
    """Ctrl-C while the new book's bytes are flushed (before any rename): the temporary file goes,
    the earlier book stays (test_robust interrupts the renames)."""
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "1.txt").write_text(story_text(), encoding="utf-8")
    (tmp_path / "out.epub").write_bytes(EARLIER)

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(write_module.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(BuildOptions(stories=tmp_path / "stories", output=tmp_path / "out.epub", names=("Sam",)))
    assert (tmp_path / "out.epub").read_bytes() == EARLIER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.epub", "stories"]
