"""Nothing lost, nothing active: failures mid-write, links out of the folder, stray files, and
books that hold no scripts or remote resources."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
import zipfile

import pytest
from conftest import OPF_NS, REPO, epub_opf, epub_pages, story_text
from test_cli import EARLIER, run

from ebookify import write as write_module
from ebookify.build import BuildOptions, build
from ebookify.errors import EbookifyError

XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture
def earlier(tmp_path):
    """An earlier build's file, which no failure may touch."""
    path = tmp_path / "dist" / "the-last-ferry-for-sam.epub"
    path.parent.mkdir()
    path.write_bytes(EARLIER)
    return path


def options(folder, tmp_path) -> BuildOptions:
    return BuildOptions(stories=folder, out_dir=tmp_path / "dist", names=("Sam",))


def test_full_disk_mid_write_leaves_the_earlier_book(tmp_path, stories, earlier, monkeypatch):
    folder = stories({"1.txt": story_text()})
    real_fsync = os.fsync

    def disk_full(fd):  # the book's bytes are written, and the disk is full when they are flushed
        real_fsync(fd)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(write_module.os, "fsync", disk_full)  # write.py writes every book
    with pytest.raises(EbookifyError, match=r"^cannot write .*the-last-ferry-for-sam\.epub: No space left on device$"):
        build(options(folder, tmp_path))
    assert earlier.read_bytes() == EARLIER
    assert os.listdir(earlier.parent) == [earlier.name]


def interrupt_when_placing(monkeypatch, book_name: str) -> list[str]:
    """Ctrl-C at the worst moment: the new book is written and about to be renamed over the
    earlier one. Returns the renames seen."""
    real_replace = os.replace
    seen: list[str] = []

    def replace(src, dst):
        seen.append(f"{os.path.basename(src)} -> {os.path.basename(dst)}")
        if str(src).endswith(".part") and os.path.basename(dst) == book_name:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(write_module.os, "replace", replace)
    return seen


def test_interrupt_mid_write_leaves_the_earlier_book(tmp_path, stories, earlier, monkeypatch):
    folder = stories({"1.txt": story_text()})
    seen = interrupt_when_placing(monkeypatch, earlier.name)
    with pytest.raises(KeyboardInterrupt):
        build(options(folder, tmp_path))
    # One rename, of the new book over the earlier one, never the earlier one away: interrupted,
    # it leaves the earlier book where it was.
    assert len(seen) == 1 and seen[0].startswith(f".{earlier.name}.") and seen[0].endswith(f".part -> {earlier.name}")
    assert earlier.read_bytes() == EARLIER
    assert os.listdir(earlier.parent) == [earlier.name]


def test_interrupt_on_the_command_line_is_one_line(tmp_path, stories, earlier):
    stories({"1.txt": story_text()})
    # A real process, interrupted where the book is about to be renamed into place.
    code = (
        "import os, sys; from ebookify import write; from ebookify.cli import app\n"
        "real = os.replace\n"
        "def stop(src, dst):\n"
        "    if str(src).endswith('.part'): raise KeyboardInterrupt\n"
        "    real(src, dst)\n"
        "write.os.replace = stop\n"
        "sys.argv = ['ebookify', 'build', '--name', 'Sam']\n"
        "app()\n"
    )
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 130
    assert result.stderr == "ebookify: error: interrupted; nothing was left half-written\n"
    assert earlier.read_bytes() == EARLIER
    assert os.listdir(earlier.parent) == [earlier.name]


def test_links_out_of_the_stories_folder_are_not_followed(tmp_path, stories):
    secret = tmp_path / "secret.txt"
    secret.write_text(story_text("Private - Diary", body="my secret diary"))
    folder = stories({"1.txt": story_text()})
    (folder / "2.txt").symlink_to(secret)
    (folder / "3.txt").symlink_to(folder / "1.txt")  # a link that stays inside is fine
    report = build(options(folder, tmp_path))
    assert f"skipped {folder / '2.txt'}: a link to a file outside the stories folder" in report.warnings
    text = "".join("".join(p.itertext()) for p in epub_pages(report.written[0].path.read_bytes()).values())
    assert "secret diary" not in text
    assert len(report.collection.stories) == 2


@pytest.mark.parametrize("name", ["cover.jpg", ".DS_Store", "notes.docx", "README", "Thumbs.db", "._1.txt"])
def test_stray_files_are_skipped_with_a_note_and_clutter_silently(tmp_path, stories, name):
    stories({"1.txt": story_text(), name: b"\x89PNG\x00\x00 not a story"})
    result = run(tmp_path, "build", "-n", "Sam")
    assert result.returncode == 0, result.stderr
    note = f"ebookify: warning: skipped stories/{name}: not a story file (.txt, .md, .html or .epub)\n"
    clutter = name.startswith(".") or name == "Thumbs.db"  # left by the OS, not by the user: no note
    assert (note in result.stderr) != clutter
    assert name not in result.stderr or not clutter


HOSTILE_HTML = (
    (REPO / "tests" / "fixtures" / "ao3" / "oneshot.html")
    .read_text()
    .replace(
        '<div class="userstuff">',
        '<div class="userstuff"><p onmouseover="steal()">Hi &e; &xxe;</p>'
        '<p><a href="javascript:alert(1)">link</a> <img src="http://tracker.example/p.gif"/>'
        '<img src="data:image/png;base64,AAAA"/></p><script src="http://evil.example/x.js"></script>'
        '<iframe src="http://evil.example"></iframe><object data="x.swf">fallback</object>'
        '<form action="http://evil.example"><input value="typed"/></form><svg><script>1</script></svg>'
        '<p style="background:url(http://tracker.example/bg.png)">styled</p>',
        1,
    )
)
DOCTYPES = [
    '<!DOCTYPE html [<!ENTITY e "EXPANDED">]>',
    '<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://evil.example/x.dtd">',
]


@pytest.mark.parametrize("doctype", DOCTYPES)
def test_hostile_html_is_cleaned_and_the_book_has_nothing_active_or_remote(tmp_path, stories, doctype):
    html = HOSTILE_HTML.replace(HOSTILE_HTML.split("\n", 1)[0], doctype, 1)
    folder = stories({"1.html": html})
    report = build(options(folder, tmp_path))
    data = report.written[0].path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        # The cover page is ours alone, an SVG frame round the cover picture: the story's own SVG must not get in.
        cover = book.read("EPUB/cover.xhtml")
        pages = (n for n in book.namelist() if n.endswith((".xhtml", ".opf", ".ncx", ".css")) and "cover" not in n)
        raw = b"".join(book.read(n) for n in pages)
    assert cover.count(b"<svg") == 1 and cover.count(b"<image") == 1 and b"<script" not in cover
    for forbidden in (
        b"EXPANDED",
        b"root:",
        b"evil.example",
        b"tracker.example",
        b"javascript:",
        b"data:",
        b"<script",
        b"<iframe",
        b"<object",
        b"<form",
        b"<input",
        b"<svg",
        b"onmouseover",
        b"style=",
        b"fallback",
    ):
        assert forbidden not in raw, forbidden
    assert b"Hi &amp;e &amp;xxe" in raw  # an unknown entity stays text (bs4 drops its ";"), never expanded
    assert b"styled" in raw and b"link" in raw
    properties = " ".join(
        i.get("properties") or "" for i in epub_opf(data).iterfind(".//opf:manifest/opf:item", OPF_NS)
    )
    assert "scripted" not in properties and "remote-resources" not in properties
    for page in epub_pages(data).values():
        for element in page.iter():
            for attribute, value in element.attrib.items():
                assert not attribute.startswith("on")
                assert (
                    not str(value).startswith(("http:", "https:", "javascript:", "data:")) or element.tag == f"{XHTML}a"
                )
    assert sum(w.startswith("2 images in ") and "left out" in w for w in report.warnings) == 1  # one line for both


def test_every_href_in_the_book_stays_inside_it(tmp_path):
    (written,) = build(BuildOptions(stories=REPO / "stories", out_dir=tmp_path, names=("Sam",))).written
    for name, page in epub_pages(written.path.read_bytes()).items():
        for element in page.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                assert value is None or ("://" not in value and not value.startswith(("/", "data:", "javascript:"))), (
                    name,
                    value,
                )


FULL = "ebookify: error: cannot write to standard output: No space left on device\n"


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--name", "Sam"],  # a book's path, echoed (click flushes each line)
        ["check"],  # the report, printed
        ["check", "--json"],
        ["--help"],  # click's own output, outside the commands
        ["--version"],
    ],
)
@pytest.mark.parametrize(
    "env",
    [
        {"PYTHONUNBUFFERED": "1"},  # each write fails as it is made
        {},  # buffered: what waits fails at the final flush, after the write that failed
        {"PYTHONIOENCODING": "ascii"},  # click writes to the byte layer beneath, by its own wrapper
    ],
    ids=["unbuffered", "buffered", "ascii"],
)
def test_standard_output_that_cannot_be_written_is_one_line(tmp_path, stories, args, env):
    """`ebookify check --json > report.json` on a full disk (Linux's /dev/full, which refuses every
    write): one line, said once, and exit 1, not a traceback; however the output is buffered, and
    whichever layer of it click writes to."""
    stories({"01.txt": story_text()})
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "PYTHONIOENCODING")}
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "ebookify", *args],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**environment, **env},
        )
    assert done.returncode == 1, done.stderr
    said = [line for line in done.stderr.splitlines(keepends=True) if "warning" not in line and " EPUB" not in line]
    assert said == [FULL], done.stderr


def test_a_reader_gone_from_the_pipe_ends_it_quietly(tmp_path, stories):
    """`ebookify check --json | head -c 1`: the reader has what it wanted; no error is said."""
    stories({"01.txt": story_text()})
    read, write = os.pipe()
    os.close(read)  # the reader is gone before a byte is written
    with os.fdopen(write, "w") as gone:
        command = [sys.executable, "-m", "ebookify", "check", "--json"]
        done = subprocess.run(command, cwd=tmp_path, stdout=gone, stderr=subprocess.PIPE, text=True)
    assert "error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
