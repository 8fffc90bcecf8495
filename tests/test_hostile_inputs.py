"""Hostile inputs through the real command (issue 11): special files, links, long and unreadable
paths, huge numbers, the environment, broken zips for `lint`, click's own errors, control
characters in names, other locales. Each case: one line `ebookify: error: …` (or a build with a
note), the exit code, no traceback, a time bound, and an earlier book left as it was."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import assert_sound_epub, epub_pages, invoke, page_text, story_text
from PIL import Image

from ebookify.model import Chapter

GOOD = story_text("Mara Voss - The Last Ferry", body="Y/N ran.\nThe ferry left.")
EARLIER = b"an earlier build, which a failed build must leave alone"
BIN = Path(sys.executable).with_name("ebookify")  # the venv's own entry point
COMMAND = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "ebookify"]
NOBODY = 65534


def run(cwd: Path, *args: str | bytes, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [*COMMAND, *args],
        cwd=cwd,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,  # a hang (a FIFO read, a quadratic loop) fails the test instead of the suite
    )


def run_here(cwd: Path, *args: str, env: dict[str, str] | None = None):
    """The same as run, in this process (conftest.invoke), with bytes out as run gives them."""
    result = invoke(cwd, *args, env=env)
    result.stdout, result.stderr = result.stdout_bytes, result.stderr_bytes
    return result


def assert_one_line(result, pattern: str, code: int = 1) -> str:
    """Exactly one line on stderr, ours, matching `pattern` (a regex, from after the prefix)."""
    stderr = result.stderr.decode("utf-8", "backslashreplace")
    assert "Traceback" not in stderr, stderr
    assert result.returncode == code, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("ebookify: error: "), stderr
    assert re.fullmatch(pattern, stderr.removeprefix("ebookify: error: ").rstrip("\n")), stderr
    return stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """stories/1.txt, and out.epub from an earlier build that no failure may touch."""
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "1.txt").write_text(GOOD)
    (tmp_path / "out.epub").write_bytes(EARLIER)
    return tmp_path


def sparse(path: Path, size: int) -> None:
    """A file that says it is `size` bytes long, without using the disk."""
    with open(path, "wb") as file:
        file.truncate(size)


def jpeg(path: Path, colour=(200, 30, 30)) -> None:
    Image.new("RGB", (160, 256), colour).save(path, "JPEG")


# --- refused, with one line --------------------------------------------------------------------

REFUSED: list[tuple[str, Callable[[Path], None], list[str], dict[str, str], str]] = [
    # (id, set-up in the project folder, arguments after `build -n Sam -o out.epub`, env, line)
    (
        "readers /dev/zero",
        lambda p: None,
        ["--readers", "/dev/zero"],
        {},
        r"/dev/zero is not a regular file \(a device, pipe or socket\)",
    ),
    (
        "readers FIFO",
        lambda p: os.mkfifo(p / "friends.toml"),
        ["--readers", "friends.toml"],
        {},
        r"friends\.toml is not a regular file \(a device, pipe or socket\)",
    ),
    (
        "readers huge",
        lambda p: sparse(p / "friends.toml", 2**21),
        ["--readers", "friends.toml"],
        {},
        r"friends\.toml is larger than 1 MB",
    ),
    (
        "readers folder",
        lambda p: (p / "friends.toml").mkdir(),
        ["--readers", "friends.toml"],
        {},
        r"friends\.toml is a folder, not a file",
    ),
    (
        "readers link loop",
        lambda p: (p / "friends.toml").symlink_to("friends.toml"),
        ["--readers", "friends.toml"],
        {},
        r"friends\.toml is a link that leads round in a loop",
    ),
    (
        "readers deep arrays",
        lambda p: (p / "friends.toml").write_text("x = " + "[" * 3000 + "]" * 3000),
        ["--readers", "friends.toml"],
        {},
        r"friends\.toml nests arrays or tables too deeply; a reader is one flat table",
    ),
    (
        "readers deep tables",
        lambda p: (p / "friends.toml").write_text("x = " + "{a = " * 2500 + "1" + "}" * 2500),
        ["--readers", "friends.toml"],
        {},
        r"friends\.toml nests arrays or tables too deeply; a reader is one flat table",
    ),
    (
        "story huge",
        lambda p: sparse(p / "stories" / "2.txt", 300 * 2**20),
        [],
        {},
        r"stories/2\.txt is larger than 256 MB",
    ),
    (
        "cover huge",
        lambda p: (p / "covers").mkdir() or sparse(p / "covers" / "cover.jpg", 25 * 2**20),
        [],
        {},
        r"covers/cover\.jpg is larger than 20 MB",
    ),
    (
        "stories folder loops",
        lambda p: (p / "loop").symlink_to("loop"),
        ["--stories", "loop"],
        {},
        r"the stories folder loop is a link that leads round in a loop",
    ),
    (
        "stories name 300 long",
        lambda p: None,
        ["--stories", "a" * 300],
        {},
        r"the stories folder a{300} has a name too long for the file system",
    ),
    (
        "stories path 4,200 long",
        lambda p: None,
        ["--stories", "ab/" * 1400],
        {},
        r"the stories folder (ab/){1399}ab has a name too long for the file system",
    ),
    (
        "covers name 300 long",
        lambda p: None,
        ["--covers", "c" * 300],
        {},
        r"the covers folder c{300} has a name too long for the file system",
    ),
    (
        "covers path 4,200 long",
        lambda p: None,
        ["--covers", "cd/" * 1400],
        {},
        r"the covers folder (cd/){1399}cd has a name too long for the file system",
    ),
    (
        "readers path 4,200 long",
        lambda p: None,
        ["--readers", "ef/" * 1400],
        {},
        r"(ef/){1399}ef has a name too long for the file system",
    ),
    (
        "epoch superscript",
        lambda p: None,
        [],
        {"SOURCE_DATE_EPOCH": "²"},
        r"SOURCE_DATE_EPOCH '²' is not a whole number of seconds",
    ),
    (
        "epoch 21 digits",
        lambda p: None,
        [],
        {"SOURCE_DATE_EPOCH": "9" * 21},
        r"SOURCE_DATE_EPOCH '9{21}' is after the year 9999 \(at most 253402300799\)",
    ),
    (
        "epoch year 10000",
        lambda p: None,
        [],
        {"SOURCE_DATE_EPOCH": "253402300800"},
        r"SOURCE_DATE_EPOCH '253402300800' is after the year 9999 \(at most 253402300799\)",
    ),
    (
        "epoch 5,000 digits",
        lambda p: None,
        [],
        {"SOURCE_DATE_EPOCH": "1" * 5000},
        r"SOURCE_DATE_EPOCH '1{40}…' is after the year 9999 \(at most 253402300799\)",
    ),
    (
        "newline in a file name",
        lambda p: (p / "stories" / "bad\nname.txt").write_text(""),
        [],
        {},
        r"stories/bad\\nname\.txt is empty",
    ),
    (
        "escape in a file name",
        lambda p: (p / "stories" / "bad\x1b[2Jname.txt").write_text(""),
        [],
        {},
        r"stories/bad\\x1b\[2Jname\.txt is empty",
    ),
]


@pytest.mark.parametrize(("setup", "args", "env", "line"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_with_one_line_and_the_earlier_book_kept(project, setup, args, env, line):
    setup(project)
    result = run_here(project, "build", "-n", "Sam", "-o", "out.epub", *args, env=env)
    assert_one_line(result, line)
    assert (project / "out.epub").read_bytes() == EARLIER


USAGE = [
    # (arguments, the line): click's own errors, in our form, with click's exit code 2
    (
        ["build", "--series-index", "abc"],
        r"invalid value for '--series-index': 'abc' is not a valid int(eger)?; see ebookify build --help",
    ),
    (
        ["build", "--nmae", "Sam"],
        r"no such option: --nmae \(Possible options: --name, --notes\); see ebookify build --help",
    ),
    (["lint"], r"missing argument 'EPUB\.\.\.'; see ebookify lint --help"),
    (["frob"], r"no such command 'frob'; see ebookify --help"),
]


@pytest.mark.parametrize(("args", "line"), USAGE, ids=[" ".join(a) for a, _ in USAGE])
def test_usage_errors_are_one_line_of_ours(project, args, line):
    assert_one_line(run_here(project, *args), line, code=2)


def test_no_arguments_still_shows_the_help(tmp_path):
    result = run(tmp_path)
    assert result.returncode == 2
    assert b"Usage: ebookify" in result.stdout + result.stderr and b"Traceback" not in result.stderr


# --- skipped with a note, the book built -------------------------------------------------------


def outside_jpeg(project: Path) -> Path:
    secret = project / "secret.jpg"
    jpeg(secret, (1, 2, 3))
    return secret


def covers_link(target: Callable[[Path], Path | str]) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        (project / "covers").mkdir()
        (project / "covers" / "cover.jpg").symlink_to(target(project))

    return setup


def fifo_cover(project: Path) -> None:
    (project / "covers").mkdir()
    os.mkfifo(project / "covers" / "cover.jpg")


SKIPPED: list[tuple[str, Callable[[Path], None], str]] = [
    ("story FIFO", lambda p: os.mkfifo(p / "stories" / "2.txt"), "skipped stories/2.txt: not a regular file"),
    (
        "story link to /dev/zero",
        lambda p: (p / "stories" / "2.txt").symlink_to("/dev/zero"),
        "skipped stories/2.txt: a link to a file outside the stories folder",
    ),
    (
        "story link loop",
        lambda p: (p / "stories" / "loop.txt").symlink_to("loop.txt"),
        "skipped stories/loop.txt: a link that leads round in a loop",
    ),
    (
        "story broken link",
        lambda p: (p / "stories" / "2.txt").symlink_to("gone.txt"),
        "skipped stories/2.txt: a link to a file that does not exist",
    ),
    (
        "cover link to /dev/zero",
        covers_link(lambda p: "/dev/zero"),
        "skipped covers/cover.jpg: a link to a file outside the covers folder",
    ),
    (
        "cover link to /dev/urandom",
        covers_link(lambda p: "/dev/urandom"),
        "skipped covers/cover.jpg: a link to a file outside the covers folder",
    ),
    (
        "cover link out of the folder",
        covers_link(outside_jpeg),
        "skipped covers/cover.jpg: a link to a file outside the covers folder",
    ),
    ("cover FIFO", fifo_cover, "skipped covers/cover.jpg: not a regular file"),
    (
        "cover link loop",
        covers_link(lambda p: "cover.jpg"),
        "skipped covers/cover.jpg: a link that leads round in a loop",
    ),
]


@pytest.mark.parametrize(("setup", "note"), [c[1:] for c in SKIPPED], ids=[c[0] for c in SKIPPED])
def test_special_files_in_the_folders_are_skipped_with_a_note(project, setup, note):
    setup(project)
    result = run(project, "build", "-n", "Sam", "-o", "out.epub")
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert f"ebookify: warning: {note}\n" in stderr
    book = (project / "out.epub").read_bytes()
    assert book.startswith(b"PK")
    with zipfile.ZipFile(io.BytesIO(book)) as archive:  # the drawn cover, never the linked file
        cover = archive.read("EPUB/cover.jpg")
    assert Image.open(io.BytesIO(cover)).size == (1600, 2560)


# --- numbers and names that once raised ValueError ---------------------------------------------

BUILT = [
    # (id, story files, what the book's text must hold)
    ("part number of 5,000 digits", {"1.txt": story_text("Mara - Fog (part 1" + "0" * 4999 + ")")}, "part 1000"),
    ("part total of 5,000 digits", {"1.txt": story_text("Mara - Fog (part 1/" + "9" * 5000 + ")")}, "part 1/999"),
    ("superscript in a file name", {"1²2.txt": GOOD, "².txt": story_text("Ansel - Lanterns")}, "Lanterns"),
    ("a 5,000-digit file name", {"1" * 250 + ".txt": GOOD, "2.txt": story_text("Ansel - Lanterns")}, "Lanterns"),
]


@pytest.mark.parametrize(("files", "text"), [c[1:] for c in BUILT], ids=[c[0] for c in BUILT])
def test_numbers_that_int_refuses_still_build(tmp_path, files, text):
    (tmp_path / "stories").mkdir()
    for name, content in files.items():
        (tmp_path / "stories" / name).write_text(content)
    result = run(tmp_path, "build", "-n", "Sam", "-o", "out.epub")
    assert result.returncode == 0, result.stderr.decode()
    pages = epub_pages((tmp_path / "out.epub").read_bytes())
    assert text in "".join(page_text(p) for p in pages.values())


def test_superscript_file_name_without_suffix_is_a_note(project):
    (project / "stories" / "²").write_text(GOOD)
    result = run(project, "build", "-n", "Sam", "-o", "out.epub")
    assert result.returncode == 0
    assert (
        "ebookify: warning: skipped stories/²: not a story file (.txt, .md, .html or .epub)\n" in result.stderr.decode()
    )


def test_the_last_second_of_9999_is_a_valid_date(project):
    result = run(project, "build", "-n", "Sam", "-o", "out.epub", env={"SOURCE_DATE_EPOCH": "253402300799"})
    assert result.returncode == 0, result.stderr.decode()
    assert b"9999-12-31T23:59:59Z" in zipfile.ZipFile(project / "out.epub").read("EPUB/content.opf")
    assert_sound_epub(project / "out.epub")  # EPUBCheck: books.py hostile (dated 9999)


# --- locales and encodings ---------------------------------------------------------------------

ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}


def test_check_under_an_ascii_locale_does_not_crash_on_a_dot(project):
    # Python reads the C locale as UTF-8 (PEP 538); click writes UTF-8 to a stream that says ASCII.
    # Either way "·" and "×" must not stop the command.
    for encoding in ("", "ascii"):
        result = run(project, "check", "-n", "Zoë", env={**ASCII_LOCALE, "PYTHONIOENCODING": encoding})
        assert result.returncode == 0, result.stderr.decode()
        assert b"reads \xc2\xb7 803 votes" in result.stdout or b"reads \\xb7 803 votes" in result.stdout


def test_a_utf8_name_under_a_posix_locale_is_read_as_utf8(project):
    result = run(project, "build", "-n", "Zoë", "-o", "out.epub", env={**ASCII_LOCALE, "LC_ALL": "POSIX"})
    assert result.returncode == 0, result.stderr.decode()
    text = "".join(page_text(p) for p in epub_pages((project / "out.epub").read_bytes()).values())
    assert "Zoë ran." in text


def test_a_name_that_is_not_utf8_says_what_to_do(project):
    result = run(project, "build", "-n", b"Zo\xeb", "-o", "out.epub", env={**ASCII_LOCALE, "LC_ALL": "POSIX"})
    assert_one_line(
        result,
        r"the name is not valid text \(it has bytes that are not UTF-8\); type it in a terminal set to UTF-8 "
        r"\(e\.g\. LANG=C\.UTF-8\) or put it in a readers file saved as UTF-8",
    )
    assert (project / "out.epub").read_bytes() == EARLIER


def test_a_phone_picture_mpo_is_a_cover_by_its_first_picture(project):
    (project / "covers").mkdir()
    first, second = Image.new("RGB", (320, 512), (200, 30, 30)), Image.new("RGB", (320, 512), (30, 200, 30))
    first.save(project / "covers" / "cover.jpg", "MPO", save_all=True, append_images=[second])
    assert Image.open(project / "covers" / "cover.jpg").format == "MPO"
    result = run(project, "build", "-n", "Sam", "-o", "out.epub")
    assert result.returncode == 0, result.stderr.decode()
    cover = Image.open(io.BytesIO(zipfile.ZipFile(project / "out.epub").read("EPUB/cover.jpg")))
    assert (cover.format, cover.size, getattr(cover, "n_frames", 1)) == ("JPEG", (320, 512), 1)
    red, green, _ = cover.getpixel((160, 256))
    assert red > 150 and green < 80  # the first picture, not the second
    assert_sound_epub(project / "out.epub")  # EPUBCheck: books.py user-covers (MPO)


# --- lint on files that are not EPUBs ----------------------------------------------------------


def good_epub(project: Path) -> bytes:
    assert run(project, "build", "-n", "Sam", "-o", "good.epub").returncode == 0
    return (project / "good.epub").read_bytes()


def rezipped(data: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    change(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def patched_headers(data: bytes, flags: int = 0, method: int | None = None) -> bytes:
    """Every entry's local and central header with `flags` set and, if given, another method."""
    out = bytearray(data)
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for match in re.finditer(re.escape(signature), data):
            at = match.start() + flag_at
            out[at : at + 2] = (int.from_bytes(out[at : at + 2], "little") | flags).to_bytes(2, "little")
            if method is not None:
                out[at + 2 : at + 4] = method.to_bytes(2, "little")
    return bytes(out)


def bomb(data: bytes) -> bytes:
    """The book plus one entry of 600 MB of zeros, deflated to well under a megabyte."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive, archive.open("EPUB/zeros.xhtml", "w") as entry:
        chunk = bytes(2**20)
        for _ in range(600):
            entry.write(chunk)
    return out.getvalue()


def no_full_path(files: dict[str, bytes]) -> None:
    files["META-INF/container.xml"] = re.sub(rb'full-path="[^"]*"', b"", files["META-INF/container.xml"])


def unknown_spine_page(files: dict[str, bytes]) -> None:
    files["EPUB/content.opf"] = files["EPUB/content.opf"].replace(b'idref="', b'idref="missing-', 1)


BROKEN: list[tuple[str, Callable[[bytes], bytes], str]] = [
    (
        "rootfile without full-path",
        lambda d: rezipped(d, no_full_path),
        r"bad\.epub is not a readable EPUB: its container\.xml names no package document that is in the book",
    ),
    (
        "no container.xml",
        lambda d: rezipped(d, lambda f: f.pop("META-INF/container.xml")),
        r"bad\.epub is not a readable EPUB: it has no META-INF/container\.xml",
    ),
    (
        "encrypted entries",
        lambda d: patched_headers(d, flags=0x1),
        r"bad\.epub is not a readable EPUB: mimetype is encrypted",
    ),
    (
        "compression method 99",
        lambda d: patched_headers(d, method=99),
        r"bad\.epub is not a readable EPUB: mimetype is compressed with method 99, not deflate",
    ),
    ("truncated", lambda d: d[: len(d) // 2], r"bad\.epub is not a readable EPUB \(File is not a zip file\)"),
    ("not a zip", lambda d: b"<html>hello</html>", r"bad\.epub is not a readable EPUB \(File is not a zip file\)"),
    ("zip bomb", bomb, r"bad\.epub is not a readable EPUB: it unpacks to more than 512 MB"),
    (
        "spine names a missing page",
        lambda d: rezipped(d, unknown_spine_page),
        r"bad\.epub is not a readable EPUB \(its package is incomplete: KeyError\('missing-.*'\)\)",
    ),
]


@pytest.mark.parametrize(("make", "line"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_lint_on_a_broken_epub_is_one_line(project, make, line):
    (project / "bad.epub").write_bytes(make(good_epub(project)))
    assert_one_line(run(project, "lint", "bad.epub"), line)


@pytest.mark.parametrize(
    ("target", "line"),
    [
        ("/dev/zero", r"/dev/zero is not a regular file \(a device, pipe or socket\)"),
        ("stories", r"stories is a folder, not a file"),
    ],
)
def test_lint_reads_only_regular_files(project, target, line):
    assert_one_line(run(project, "lint", target), line)


# --- permissions, as a user who is not root ----------------------------------------------------

# Root reads everything: as root, the command runs with every capability dropped (setpriv), which
# leaves it what any user has on their own files, the owner's permission bits and nothing more.
UNPRIVILEGED = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"] if os.geteuid() == 0 else []

PERMISSIONS = [
    # (what is made unreadable, its mode, the name the line must say)
    *[
        ("stories", mode, "the stories folder stories cannot be read (Permission denied)")
        for mode in (0o000, 0o100, 0o300, 0o400, 0o600)
    ],
    *[("stories/1.txt", mode, "stories/1.txt cannot be read (Permission denied)") for mode in (0o000, 0o200, 0o300)],
    *[
        ("covers", mode, "the covers folder covers cannot be read (Permission denied)")
        for mode in (0o000, 0o100, 0o300, 0o400, 0o600)
    ],
    *[("friends.toml", mode, "friends.toml cannot be read (Permission denied)") for mode in (0o000, 0o200, 0o300)],
    *[("dist", mode, "cannot write dist/book.epub") for mode in (0o000, 0o100, 0o200, 0o400, 0o500, 0o600)],
]


@pytest.fixture
def own_project(tmp_path):
    """stories, covers, a readers file and an earlier book in dist/, all the user's own."""
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "1.txt").write_text(GOOD)
    (tmp_path / "covers").mkdir()
    jpeg(tmp_path / "covers" / "cover.jpg")
    (tmp_path / "friends.toml").write_text('[[reader]]\nname = "Sam"\n')
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "book.epub").write_bytes(EARLIER)
    yield tmp_path
    for path in [tmp_path, *tmp_path.rglob("*")]:  # so that pytest can clean up
        path.chmod(stat.S_IRWXU | (path.stat().st_mode & 0o7777))


def run_unprivileged(cwd: Path, *args: str):
    return subprocess.run([*UNPRIVILEGED, *COMMAND, *args], cwd=cwd, capture_output=True, timeout=60)


@pytest.mark.parametrize(("target", "mode", "said"), PERMISSIONS, ids=[f"{t} {m:03o}" for t, m, _ in PERMISSIONS])
def test_unreadable_paths_as_a_user_are_one_line(own_project, target, mode, said):
    args = ("build", "--readers", "friends.toml", "-o", "dist/book.epub")
    built = run_unprivileged(own_project, *args)
    assert built.returncode == 0, built.stderr  # the project builds as it is …
    (own_project / "dist" / "book.epub").write_bytes(EARLIER)
    (own_project / target).chmod(mode)  # … and not once this is unreadable
    result = run_unprivileged(own_project, *args)
    (own_project / target).chmod(0o755)
    assert_one_line(result, re.escape(said) + ".*")
    assert (own_project / "dist" / "book.epub").read_bytes() == EARLIER


# --- many parts, many books: linear steps ------------------------------------------------------
# Each bound is some twenty times what the step takes now, and a small fraction of what it took
# when it was quadratic (timed at 20,000: grouping 74 s, the NCX 10 s, duplicate parts minutes).


def timed(step: Callable[[], object]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def test_grouping_stories_of_many_books_is_linear():
    from ebookify.collect import gather_groups
    from ebookify.model import Story

    stories = [Story("Mara", f"Tide {n}", (), f"Book {n}") for n in range(20_000)]
    assert timed(lambda: gather_groups(stories)) < 5
    assert [b.title for b in gather_groups(stories)[:2]] == ["Book 0", "Book 1"]


def test_warnings_for_many_duplicate_parts_are_linear():
    from ebookify.collect import _part_warnings

    parts = [Chapter(f"{n}-{copy}.txt", "Mara", "Tide", part=n) for n in range(1, 10_001) for copy in "ab"]
    warnings: list[str] = []
    assert timed(lambda: warnings.extend(_part_warnings(parts))) < 5
    assert len(warnings) == 10_000
    assert warnings[0] == '"Tide" (Mara) has part 1 more than once (1-a.txt, 1-b.txt); all copies are kept'


def ncx_toc(shape: list) -> list:
    from ebooklib import epub

    entries = []
    for n, children in enumerate(shape):
        link = epub.Link(f"p{n}.xhtml", f"Part {n} & <more>", f"toc-{n}")
        entries.append((link, ncx_toc(children)) if isinstance(children, list) else link)
    return entries


@pytest.mark.parametrize("shape", [[None], [[None, None], None, [[None], None]], [None, [None] * 40, [[[None]]]]])
def test_the_one_pass_ncx_is_ebooklibs_byte_for_byte(shape):
    """ebookify's NCX, its navMap built in one pass and its depth given, is ebooklib's NCX with
    the depth its deepest navPoint has (ebooklib writes 0), set by a plain reading of it."""
    from ebooklib import epub
    from lxml import etree

    from ebookify.epub import _LinearNcxWriter

    book = epub.EpubBook()
    book.set_identifier("urn:uuid:0"), book.set_title("T & <t>"), book.set_language("en")
    book.toc = ncx_toc(shape)
    theirs = etree.fromstring(epub.EpubWriter("x", book, {})._get_ncx())
    ns = {"n": "http://www.daisy.org/z3986/2005/ncx/"}
    depth = max(
        len(p.xpath("ancestor-or-self::n:navPoint", namespaces=ns)) for p in theirs.iterfind(".//n:navPoint", ns)
    )
    theirs.find(".//n:meta[@name='dtb:depth']", ns).set("content", str(depth))
    assert _LinearNcxWriter("x", book, {})._get_ncx() == etree.tostring(theirs, xml_declaration=True, encoding="utf-8")


def test_the_ncx_of_a_story_in_20000_parts_is_linear():
    from ebooklib import epub

    from ebookify.epub import _LinearNcxWriter

    book = epub.EpubBook()
    book.set_identifier("urn:uuid:0"), book.set_title("T"), book.set_language("en")
    book.toc = ncx_toc([[None] * 20_000])
    assert timed(lambda: _LinearNcxWriter("x", book, {})._get_ncx()) < 3


CHECKED = [
    # (id, set-up, arguments after `check -n Sam`, the one error line): the dry run uses the same door
    (
        "readers /dev/zero",
        lambda p: None,
        ["--readers", "/dev/zero"],
        r"/dev/zero is not a regular file \(a device, pipe or socket\)",
    ),
    (
        "stories folder loops",
        lambda p: (p / "loop").symlink_to("loop"),
        ["--stories", "loop"],
        r"the stories folder loop is a link that leads round in a loop",
    ),
    ("story huge", lambda p: sparse(p / "stories" / "2.txt", 300 * 2**20), [], r"stories/2\.txt is larger than 256 MB"),
]


@pytest.mark.parametrize(("setup", "args", "line"), [c[1:] for c in CHECKED], ids=[c[0] for c in CHECKED])
def test_check_refuses_the_same_inputs_in_one_line(project, setup, args, line):
    setup(project)
    result = run_here(project, "check", "-n", "Sam", *args)
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    errors = [x for x in result.stderr.decode().splitlines() if x.startswith("ebookify: error: ")]
    assert len(errors) == 1 and re.fullmatch(line, errors[0].removeprefix("ebookify: error: ")), result.stderr
