"""Error paths the README promises that no other test reached (found by coverage, see tests/README.md)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import story_text

from ebookify.build import BuildOptions, build, checked_for_kindle
from ebookify.errors import EbookifyError


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
    assert checked_for_kindle(entries, 1000, path) == []  # as built: nothing to say
    opf = next(name for name in entries if name.endswith(".opf"))
    entries[opf] = entries[opf].replace(b"<dc:language>en</dc:language>", b"")
    with pytest.raises(EbookifyError, match=rf"^{path} would be refused by Send-to-Kindle: .*dc:language"):
        checked_for_kindle(entries, 1000, path)


def test_a_book_over_the_e_mail_limit_is_a_warning_not_a_refusal(tmp_path):
    entries, path = built_entries(tmp_path)
    (warning,) = checked_for_kindle(entries, 60 * 2**20, path)
    assert warning.startswith(f"{path}: ") and "over Send-to-Kindle's 50 MB e-mail limit" in warning
