"""The Kindle lint: each rule fails on a book that breaks it and passes on ours."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from conftest import story_text
from hypothesis import given
from hypothesis import strategies as st
from test_cli import run

from ebookify.build import BuildOptions, build
from ebookify.epub import unzip, zip_files
from ebookify.lint import EMAIL_LIMIT, lint, lint_files, stand_in


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A book made the way every build makes one (typeset, personalised, linted)."""
    root = tmp_path_factory.mktemp("lint")
    folder = root / "stories"
    folder.mkdir()
    for name, title_line in (
        ("1.txt", "Ansel - Lanterns (part 1/2)"),
        ("2.txt", "Ansel - Lanterns (part 2/2)"),
        ("3.txt", "Iris - Pines"),
    ):
        (folder / name).write_text(story_text(title_line), encoding="utf-8")
    report = build(BuildOptions(stories=folder, covers=root / "covers", out_dir=root / "dist", names=("Sam",)))
    return report.written[0].path.read_bytes()


def changed(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """The book with one entry rewritten."""
    assert name in zipfile.ZipFile(io.BytesIO(data)).namelist(), name
    files = unzip(data)
    return zip_files(files | {name: change(files[name])})


def replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def change(content: bytes) -> bytes:
        assert old in content, old
        return content.replace(old, new, 1)

    return change


ORNAMENT = b'<div class="ornament" aria-hidden="true"></div>'
BREAKS = [
    pytest.param(
        "EPUB/story-002.xhtml",
        replace(b'<?xml version="1.0" encoding="utf-8"?>\n', b""),
        "xhtml-utf8",
        id="no-xml-declaration",
    ),
    pytest.param(
        "EPUB/story-002.xhtml",
        replace(b'encoding="utf-8"', b'encoding="iso-8859-1"'),
        "xhtml-utf8",
        id="other-encoding-declared",
    ),
    pytest.param(
        "EPUB/content.opf", replace(b"<dc:language>en<", b"<dc:language>English<"), "plain-language", id="language-name"
    ),
    pytest.param(
        "EPUB/content.opf", replace(b"<dc:language>en<", b"<dc:language>en_US<"), "plain-language", id="underscore"
    ),
    pytest.param(
        "EPUB/story-002.xhtml",
        replace(b'<body epub:type="bodymatter">', b'<body id="top" epub:type="bodymatter">'),
        None,  # an id on <body> alone is fine; the next case links to it
        id="body-id-unlinked",
    ),
    pytest.param(
        "EPUB/contents.xhtml",
        replace(b'href="story-002.xhtml"', b'href="title.xhtml#start"'),
        None,
        id="link-to-non-body-id-is-fine",
    ),
    # The cover page's picture is an SVG <image>: an <img> is put on the title page to break.
    pytest.param("EPUB/title.xhtml", replace(ORNAMENT, b'<img src="" alt=""/>'), "img-src", id="empty-src"),
    pytest.param("EPUB/title.xhtml", replace(ORNAMENT, b'<img alt=""/>'), "img-src", id="no-src"),
    pytest.param(
        "EPUB/content.opf",
        replace(b'<itemref idref="story-001-part-01"/>', b""),
        "spine-ncx-order",
        id="ncx-entry-not-in-spine",
    ),
    pytest.param(
        "EPUB/story-002.xhtml",
        replace(b"<head>", b"<head><!-- made -- by hand -->"),
        "no-double-hyphen-comments",
        id="double-hyphen-comment",
    ),
    pytest.param(
        "EPUB/story-002.xhtml", replace(b"<head>", b"<head><!-- made by hand -->"), None, id="plain-comment-is-fine"
    ),
]


def test_our_book_breaks_no_rule(good):
    assert lint(good) == []


@pytest.mark.parametrize(("name", "change", "rule"), BREAKS)
def test_each_rule_catches_its_break(good, name, change, rule):
    violations = lint(changed(good, name, change))
    assert [v.rule for v in violations] == ([rule] if rule else [])
    for violation in violations:
        assert violation.fix and not violation.warning
        # lint also checks books ebookify did not make: its advice is about the book, not our options
        assert " --" not in violation.fix and "(--" not in violation.fix


def test_body_id_link_is_caught(good):
    book = changed(
        good,
        "EPUB/story-002.xhtml",
        replace(b'<body epub:type="bodymatter">', b'<body id="top" epub:type="bodymatter">'),
    )
    book = changed(book, "EPUB/contents.xhtml", replace(b'href="story-002.xhtml"', b'href="story-002.xhtml#top"'))
    assert [v.rule for v in lint(book)] == ["no-body-id-links"]


def test_links_go_unread_where_no_body_has_an_id(good, monkeypatch):
    """Only a link to an id on a <body> breaks no-body-id-links: with no such id in the book, no
    page is parsed for its links (a long book's contents and nav, 10 ms of each copy). With one,
    they are."""
    from ebookify import lint as linting

    read: list[str] = []
    real = linting._read_through

    def reading(data, tag, recover=False):
        read.append(tag.rpartition("}")[2])
        return real(data, tag, recover)

    monkeypatch.setattr(linting, "_read_through", reading)
    assert lint(good) == [] and "a" not in read
    body_id = replace(b'<body epub:type="bodymatter">', b'<body id="top" epub:type="bodymatter">')
    assert lint(changed(good, "EPUB/story-002.xhtml", body_id)) == [] and "a" in read


def test_spine_order_other_than_ncx_is_caught(good):
    def swap(opf: bytes) -> bytes:
        one, two = b'<itemref idref="story-001-part-01"/>', b'<itemref idref="story-001-part-02"/>'
        return opf.replace(one, b"@@").replace(two, one).replace(b"@@", two)

    assert [v.rule for v in lint(changed(good, "EPUB/content.opf", swap))] == ["spine-ncx-order"]


def test_a_book_over_the_email_limit_is_a_warning(good):
    padding = zipfile.ZipInfo("EPUB/padding.bin")
    out = io.BytesIO(good)
    with zipfile.ZipFile(out, "a") as book:
        book.writestr(padding, bytes(EMAIL_LIMIT + 1), compress_type=zipfile.ZIP_STORED)
    (violation,) = lint(out.getvalue())
    assert (violation.rule, violation.warning) == ("email-size", True)
    assert "50 MB" in violation.problem


def test_lint_command(tmp_path, good):
    (tmp_path / "good.epub").write_bytes(good)
    bad = changed(good, "EPUB/title.xhtml", replace(ORNAMENT, b'<img src="" alt=""/>'))
    (tmp_path / "bad.epub").write_bytes(bad)
    (tmp_path / "notes.txt").write_text("not a book")
    assert run(tmp_path, "lint", "good.epub").stdout == "good.epub: ok\n"
    result = run(tmp_path, "lint", "good.epub", "bad.epub")
    assert result.returncode == 1
    assert result.stderr.startswith("ebookify: error: bad.epub: img-src: EPUB/title.xhtml has an <img> without src")
    broken = run(tmp_path, "lint", "notes.txt")
    assert (broken.returncode, broken.stderr) == (
        1,
        "ebookify: error: notes.txt is not a readable EPUB (File is not a zip file)\n",
    )


def _with_stand_ins(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: stand_in(data) if name.endswith(".xhtml") else data for name, data in files.items()}


@pytest.mark.parametrize(("name", "change", "rule"), BREAKS)
def test_lint_judges_stand_ins_as_the_pages_they_stand_for(good, name, change, rule):
    """A page packed by a worker keeps only lint.stand_in(page) for the rules (often its XML
    declaration alone): every rule finds in the book just what it finds with the whole pages."""
    files = unzip(changed(good, name, change))
    whole = [v.rule for v in lint_files(files, len(good))]
    assert [v.rule for v in lint_files(_with_stand_ins(files), len(good))] == whole
    assert whole == ([rule] if rule else [])


def test_a_stand_in_is_the_declaration_of_a_page_of_story_text_and_else_the_page(good):
    files = unzip(good)
    story, title = files["EPUB/story-002.xhtml"], files["EPUB/title.xhtml"]
    assert stand_in(story) == b'<?xml version="1.0" encoding="utf-8"'
    assert stand_in(files["EPUB/contents.xhtml"]) == files["EPUB/contents.xhtml"]  # its links are read
    for page in (story.replace(b"<head>", b"<head><!-- a -->"), title.replace(ORNAMENT, b'<img alt=""/>')):
        assert stand_in(page) == page
    with_id = story.replace(b'<body epub:type="bodymatter">', b'<body id="top" epub:type="bodymatter">')
    assert stand_in(with_id) == with_id and stand_in(story[40:]) == story[40:]


_PAGE_PIECES = [b'<?xml version="1.0" encoding="utf-8"?>', b"<p>", b"</p>", b"<a", b"<abbr>", b"<img", b"<!--", b"-->"]
_PAGE_PIECES += [b"<body>", b'<body id="top">', b"<body class='x' id='b'>", b" text ", b"<", b"a", b"id="]


@given(st.lists(st.sampled_from(_PAGE_PIECES), max_size=12).map(b"".join))
def test_a_stand_in_is_made_where_no_rule_reads_more_than_the_declaration(page):
    """stand_in looks once for all a rule reads of a page: the same pages kept whole as looking
    for each thing in turn."""
    from ebookify.lint import _BODY_ID, _ENCODING_DECLARATION

    declared = _ENCODING_DECLARATION.match(page)
    whole = declared is None or bool(_BODY_ID.search(page)) or any(t in page for t in (b"<a", b"<img", b"<!--"))
    assert stand_in(page) == (page if whole else page[: declared.end()])
