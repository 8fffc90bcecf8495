"""Formatting kept from AO3's HTML (strike, underline, sup/sub, lists, quotes, headings, tables,
alignment, picture descriptions), nothing active let through, and no recursion on input depth."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import REPO, assert_sound_epub, epub_pages, page_text
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ebookify.ao3 import read_work
from ebookify.build import BuildOptions, build
from ebookify.kepub import kepubify
from ebookify.marks import to_xhtml
from ebookify.model import BlockKind, Collection, FrameKind, Group
from ebookify.render import Edition, _section_pieces, render

FIXTURES = REPO / "tests" / "fixtures" / "ao3"
X = "{http://www.w3.org/1999/xhtml}"
TEMPLATE = (FIXTURES / "oneshot.html").read_text(encoding="utf-8")


def with_text(body: str) -> bytes:
    """The one-shot fixture with its story text replaced by `body`."""
    start = TEMPLATE.index('<div class="userstuff">')
    end = TEMPLATE.index("</div>", start)
    return (TEMPLATE[:start] + f'<div class="userstuff">{body}' + TEMPLATE[end:]).encode("utf-8")


def blocks_of(body: str):
    story = read_work(with_text(body), "t.html")[0]
    return [b for b in story.parts[0].blocks if b.kind is not BlockKind.NOTE]


def section_of(body: str) -> str:
    return "".join(_section_pieces(tuple(blocks_of(body)), 2))


def story_collection(story) -> Collection:
    return Collection("Deep", (Group(None, (story,)),))


def build_one(tmp_path: Path, data: bytes, kepub: bool = False) -> tuple[Path, list[str]]:
    folder = tmp_path / "stories"
    folder.mkdir(exist_ok=True)
    (folder / "work.html").write_bytes(data)
    report = build(BuildOptions(stories=folder, output=tmp_path / "book.epub", names=("Sam",), kepub=kepub))
    return report.written[0].path, report.warnings


# --- the fixture, built ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def formatted(tmp_path_factory) -> dict[str, etree._Element]:
    root = tmp_path_factory.mktemp("formatting")
    folder = root / "stories"
    folder.mkdir()
    shutil.copy(FIXTURES / "formatting.html", folder)
    report = build(BuildOptions(stories=folder, output=root / "book.epub", names=("Sam",), kepub=True))
    for written in (root / "book.epub", root / "book.kepub.epub"):
        assert_sound_epub(written)  # EPUBCheck: books.py ao3-mix
    pages = epub_pages((root / "book.epub").read_bytes())
    story = next(p for p in pages.values() if "Salt Road" in page_text(p) and p.find(f".//{X}section") is not None)
    return {"story": story, "warnings": report.warnings, "kepub": epub_pages((root / "book.kepub.epub").read_bytes())}


def texts(page: etree._Element, tag: str, **attributes: str) -> list[str]:
    return [
        "".join(e.itertext())
        for e in page.iter(f"{X}{tag}")
        if all(e.get(name) == value for name, value in attributes.items())
    ]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("s", ["I", "wrong", "invented"]),  # <strike>, <s> and <del> alike
        ("u", ["do not", "Or the second camel."]),  # <u> and <ins>
        ("sup", ["1", "1"]),  # the footnote mark, and the footnote's own
        ("sub", ["2"]),
        ("blockquote", ["\nWhoever crosses the salt keeps one coin for the road back.\n— an old courier’s saying\n"]),
        ("th", ["Day", "Water", "Mood"]),
        ("td", ["Monday", "12 skins", "hopeful", "Tuesday", "9 skins", ""]),
    ],
)
def test_inline_and_block_formatting_is_kept(formatted, tag, expected):
    assert texts(formatted["story"], tag) == expected


def test_numbered_list_keeps_its_numbers_and_nesting(formatted):
    (numbered,) = [ol for ol in formatted["story"].iter(f"{X}ol") if ol.get("start")]
    assert (numbered.get("start"), numbered.get("type"), numbered.get("class")) == ("3", "i", "lower-roman")
    items = numbered.findall(f"{X}li")
    assert [item.get("value") for item in items] == [None, None, "9"]  # iii, iv, then ix as written
    assert "".join(items[1].itertext()).strip() == "“shade” is a rumour"  # typography inside a list
    assert "".join(items[2].itertext()).strip().startswith("Sam was right about the boots")  # personalised
    assert ["".join(li.itertext()).strip() for li in items[2].iterfind(f"{X}ul/{X}li")] == [
        "both pairs",
        "especially the blue ones",
    ]


@pytest.mark.parametrize(
    ("text", "css"),
    [
        ("Yours across the flats,O.", "right"),
        ("The ledger, as promised, copied out for you by lamplight with the wrong ink:", "first justify"),
        ("The awning is the striped one.", "first left"),
        ("12 skins", "right"),
        ("The Second Letter", "text-heading center"),
    ],
)
def test_alignment_is_a_class(formatted, text, css):
    elements = [e for e in formatted["story"].iter() if "".join(e.itertext()) == text and e.get("class")]
    assert [e.get("class") for e in elements] == [css]


def test_headings_inside_a_chapter_sit_below_its_title(formatted):
    story = formatted["story"]
    title = story.find(f".//{X}h1")
    assert title is not None and "".join(title.itertext()) == "Letters from the Salt Road"
    assert texts(story, "h2", **{"class": "text-heading"}) == ["The First Letter"]
    assert texts(story, "h2", **{"class": "text-heading center"}) == ["The Second Letter"]


def test_a_picture_leaves_its_description(formatted):
    pictures = texts(formatted["story"], "span", **{"class": "picture"})
    assert pictures == [
        "[Picture: A pencil sketch of three camels under a striped awning]",
        "[Picture: the Salt Road postal stamp]",  # no alt: its title
    ]
    # three images, told once with their count (places.collapse), the first one's tail kept
    images = [w for w in formatted["warnings"] if "fetches no picture from the web" in w]
    assert len(images) == 1 and images[0].startswith("3 images in ")
    assert images[0].endswith("its description is kept")


def test_separators_are_scene_breaks_and_lookalikes_stay_text(formatted):
    story = formatted["story"]
    assert len(story.findall(f".//{X}hr")) == 4  # xxx, oOo, ~*~, -x-
    paragraphs = texts(story, "p")
    for kept in ("…", "xx"):  # a silence, and a sign-off: text as written
        assert kept in paragraphs
    for gone in ("xxx", "oOo", "~*~", "-x-"):
        assert gone not in paragraphs


def test_lists_in_notes_are_lists_too(formatted):
    note = formatted["story"].find(f".//{X}div[@class='authors-note']")
    assert [("".join(li.itertext())) for li in note.iterfind(f".//{X}ol/{X}li")] == ["a map", "patience"]


def test_kepub_keeps_the_formatting(formatted):
    story = next(
        p for p in formatted["kepub"].values() if p.find(f".//{X}ol") is not None and p.find(f".//{X}table") is not None
    )
    spans = [e for e in story.iter(f"{X}span") if e.get("class") == "koboSpan"]
    assert spans and story.find(f".//{X}s") is not None and story.find(f".//{X}li[@value='9']") is not None


# --- the model, table by table --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # (text, its containers as kind/number pairs) for each paragraph
        ("<ol><li>a</li><li>b</li></ol>", [("a", [("list", 1), ("item", 1)]), ("b", [("list", 1), ("item", 2)])]),
        ('<ol start="5"><li>a<li>b</ol>', [("a", [("list", 5), ("item", 5)]), ("b", [("list", 5), ("item", 6)])]),
        (
            '<ol><li value="4">a</li><li>b</li><li value="2">c</li></ol>',
            [("a", [("list", 1), ("item", 4)]), ("b", [("list", 1), ("item", 5)]), ("c", [("list", 1), ("item", 2)])],
        ),
        ('<ol start="x"><li value="²">a</li></ol>', [("a", [("list", 1), ("item", 1)])]),  # nonsense numbers
        ('<ol start="99999999999999999999"><li>a</li></ol>', [("a", [("list", 1), ("item", 1)])]),
        (
            "<ul><li>a<ul><li>b</li></ul></li></ul>",
            [("a", [("list", None), ("item", None)]), ("b", [("list", None), ("item", None)] * 2)],
        ),
        ("<ol>loose<li>a</li></ol>", [("loose", [("list", 1), ("item", None)]), ("a", [("list", 1), ("item", 1)])]),
        ("<li>an item outside a list</li>", [("an item outside a list", [])]),
        (
            "<blockquote><p>q</p><blockquote>qq</blockquote></blockquote>",
            [("q", [("quote", None)]), ("qq", [("quote", None)] * 2)],
        ),
        (
            "<table><tr><td>1<td>2</table>",
            [
                ("1", [("table", None), ("row", None), ("cell", None)]),
                ("2", [("table", None), ("row", None), ("cell", None)]),
            ],
        ),
        (
            "<table><caption>Cap</caption><tr><td>c</td></tr></table>",
            [("Cap", []), ("c", [("table", None), ("row", None), ("cell", None)])],
        ),
        (
            "<table><tr><td><p>a</p><table><tr><td>b</td></tr></table></td></tr></table>",
            [("a\ufdd4b", [("table", None), ("row", None), ("cell", None)])],
        ),
        ("<p>x</p><table><tr><td> </td></tr></table>", [("x", [])]),  # nothing to read: no table
    ],
)
def test_containers(body, expected):
    got = [(b.text, [(f.kind.value, f.number) for f in b.frames]) for b in blocks_of(body)]
    assert got == expected


@pytest.mark.parametrize(
    ("body", "align"),
    [
        ('<p align="right">a</p>', "right"),
        ('<p align="CENTER">a</p>', "center"),
        ('<p align="middle">a</p>', "center"),
        ('<p style="color: red; text-align: justify">a</p>', "justify"),
        ('<p style="text-align:left">a</p>', "left"),
        ("<center>a</center>", "center"),
        ('<div align="right"><p>a</p></div>', "right"),  # inherited
        ('<div align="right"><p align="left">a</p></div>', "left"),  # the nearest wins
        ('<p align="bogus">a</p>', None),
        ('<p style="text-align: inherit">a</p>', None),
        ("<p>a</p>", None),
    ],
)
def test_alignment(body, align):
    (block,) = blocks_of(body)
    assert block.align == align


@pytest.mark.parametrize(
    ("body", "xhtml"),
    [
        ("<p><strike>you</strike> us</p>", "<s>you</s> us"),
        ("<p><del>a</del><s>b</s></p>", "<s>a</s><s>b</s>"),
        ("<p><u>a</u><ins>b</ins></p>", "<u>a</u><u>b</u>"),
        ("<p>x<sup>2</sup> H<sub>2</sub>O</p>", "x<sup>2</sup> H<sub>2</sub>O"),
        ("<p><em>a <em>b</em> c</em></p>", "<em>a b c</em>"),  # an em in an em adds nothing
        ("<p><b>a <i>b</b> c</i></p>", "<strong>a <em>b</em></strong> c"),  # mis-nested, as the parser reads it
        ("<p><em> </em>a<s></s></p>", "a"),  # empty marks leave nothing
        (
            '<p><img src="a.png" alt="a &lt;b&gt; &amp; c" /></p>',
            '<span class="picture">[Picture: a &lt;b&gt; &amp; c]</span>',
        ),
        ('<p><img src="a.png" alt="  " title="t" /></p>', '<span class="picture">[Picture: t]</span>'),
    ],
)
def test_inline_marks(body, xhtml):
    (block,) = blocks_of(body)
    from html import escape

    assert to_xhtml(escape(block.text, quote=False)) == xhtml


def test_headings_are_demoted_relative_to_the_highest_in_the_chapter():
    html = section_of("<h1>A</h1><p>x</p><h3>B</h3><h6>C</h6>")
    assert '<h2 class="text-heading">A</h2>' in html and '<h4 class="text-heading">B</h4>' in html
    assert '<h6 class="text-heading">C</h6>' in html  # never below h6
    assert '<h2 class="text-heading">B</h2>' in section_of("<h3>B</h3><p>x</p>")


def test_two_lists_in_a_row_stay_two_lists():
    html = section_of("<ol><li>a</li></ol><ol><li>b</li></ol>")
    assert html.count("<ol>") == 2


def test_a_list_interrupted_by_a_break_goes_on_counting():
    html = section_of("<ol><li>a</li><li>b</li></ol><p>* * *</p><p>text</p><ol start='3'><li>c</li></ol>")
    assert '<ol start="3">' in html and "<hr" in html


# --- nothing active passes -----------------------------------------------------------------------

ALLOWED_ATTRIBUTES = {"class", "start", "type", "value"}

HOSTILE_FORMATTING = """
<ol onclick="alert(1)" start="2"
 style="background:url(javascript:alert(2))" type="a"><li onmouseover="alert(3)" value="4">item</li></ol>
<blockquote cite="javascript:alert(4)"><p onclick="alert(5)">quote</p></blockquote>
<table onload="alert(6)" background="javascript:alert(7)"><tr><td style="x:expression(alert(8))"
 onclick="alert(9)"><a href="javascript:alert(10)">cell</a>
<script>alert(11)</script></td></tr></table>
<h2 onclick="alert(12)" id="chapters">heading</h2>
<p align="right&quot; onclick=&quot;alert(13)">aligned</p>
<p><s onclick="alert(14)">struck</s><img src="javascript:alert(15)"
 alt="&lt;script&gt;alert(16)&lt;/script&gt;" onerror="alert(17)"/></p>
<ul><li><form><input value="alert(18)"/></form><iframe src="x">alert(19)</iframe>listed</li></ul>
"""


def test_no_active_content_passes_through_the_new_formatting(tmp_path):
    path, _ = build_one(tmp_path, with_text(HOSTILE_FORMATTING))
    assert_sound_epub(path)  # EPUBCheck: books.py ao3-mix
    (story,) = [p for p in epub_pages(path.read_bytes()).values() if "quote" in page_text(p)]
    section = story.find(f".//{X}section")
    for element in section.iter():
        assert set(element.attrib) <= ALLOWED_ATTRIBUTES | {"{http://www.idpf.org/2007/ops}type", "role"}, (
            element.attrib
        )
        assert element.tag.removeprefix(X) not in ("script", "a", "img", "form", "input", "iframe")
    text = page_text(section)
    for number in range(1, 20):
        if number != 16:
            assert f"alert({number})" not in text
    assert "[Picture: <script>alert(16)</script>]" in text  # an alt text that looks like code is text
    for word in ("item", "quote", "cell", "heading", "aligned", "struck", "listed"):
        assert word in text


# --- no recursion on input depth ------------------------------------------------------------------

DEEP = {
    "span": "<p>" + "<span>" * 1500 + "deep text" + "</span>" * 1500 + "</p>",
    "div": "<div>" * 1500 + "<p>deep text</p>" + "</div>" * 1500,
    "b": "<p>" + "<b>" * 100_000 + "deep text",
    "p": "".join(f"<p>deep text {i}" for i in range(1200)),
    "em": "<p>" + "<em>" * 300 + "deep text" + "</em>" * 300 + "</p>",
    "blockquote": "<blockquote>" * 1500 + "<p>deep text</p>" + "</blockquote>" * 1500,
    "ol": "<ol><li>" * 1500 + "deep text" + "</li></ol>" * 1500,
    "table": "<table><tr><td>" * 1500 + "deep text" + "</td></tr></table>" * 1500,
    "mixed": "<div><blockquote><ol><li><table><tr><td><em><s><h2>" * 400 + "deep text",
}


@pytest.mark.parametrize("name", DEEP)
def test_deep_nesting_reads_and_renders_in_bounded_time(name):
    started = time.monotonic()
    story = read_work(with_text(DEEP[name]), "deep.html")[0]
    rendered = render(story_collection(story), Edition("Deep", None, None, "en", "cover.jpg"))
    pages = [kepubify(page.xhtml) for page in rendered.pages]
    assert time.monotonic() - started < 30
    texts = [page_text(etree.fromstring(page)) for page in pages]  # lxml's default depth limit
    assert any("deep text" in text for text in texts)


def test_deep_nesting_builds_valid_books(tmp_path):
    """Every deep case in one build (EPUBCheck is slow): the EPUB and the KEPUB both valid."""
    folder = tmp_path / "stories"
    folder.mkdir()
    for name, body in DEEP.items():
        (folder / f"{name}.html").write_bytes(with_text(body))
    started = time.monotonic()
    report = build(BuildOptions(stories=folder, output=tmp_path / "book.epub", names=("Sam",), kepub=True))
    assert time.monotonic() - started < 120
    assert len(report.written) == 2  # the EPUB and the KEPUB
    for book in (tmp_path / "book.epub", tmp_path / "book.kepub.epub"):
        assert_sound_epub(book)  # EPUBCheck: books.py ao3-mix
        text = "\n".join(page_text(p) for p in epub_pages(book.read_bytes()).values())
        assert text.count("deep text") >= len(DEEP)


def test_unclosed_paragraphs_are_paragraphs():
    blocks = blocks_of("".join(f"<p>line {i}" for i in range(1200)))
    assert [b.text for b in blocks] == [f"line {i}" for i in range(1200)]


def test_deep_containers_are_flattened_not_dropped():
    (block,) = blocks_of("<blockquote>" * 1500 + "<p>deep</p>" + "</blockquote>" * 1500)
    assert block.text == "deep" and 0 < len(block.frames) <= 12
    assert all(f.kind is FrameKind.QUOTE for f in block.frames)


# --- whatever the nesting, the page is well-formed and keeps every word ---------------------------

TAGS = [
    "p",
    "div",
    "em",
    "b",
    "s",
    "u",
    "sup",
    "sub",
    "blockquote",
    "ol",
    "ul",
    "li",
    "h2",
    "h5",
    "table",
    "tr",
    "td",
    "th",
    "span",
    "center",
    "hr",
    "br",
]
WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "Y/N", "* * *", "xxx", "  "])
TREES = st.recursive(
    WORDS,
    lambda inner: st.tuples(st.sampled_from(TAGS), st.lists(inner, max_size=4)).map(
        lambda t: f"<{t[0]}>{''.join(t[1])}</{t[0]}>" if t[0] not in ("hr", "br") else f"<{t[0]}/>{''.join(t[1])}"
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(TREES, min_size=1, max_size=4))
def test_any_nesting_renders_well_formed_markup_with_every_word(parts):
    body = "<p>start</p>" + "".join(parts)
    html = "".join(_section_pieces(tuple(blocks_of(body)), 2))
    page = etree.fromstring(f'<section xmlns="http://www.w3.org/1999/xhtml">{html}</section>'.encode())
    text = "".join(page.itertext())
    for word in ("alpha", "beta", "gamma", "delta"):
        assert text.count(word) == body.count(word)
    for element in page.iter():
        name = element.tag.removeprefix(X)
        parent = element.getparent()
        if name == "li":
            assert parent.tag.removeprefix(X) in ("ol", "ul")
        if name in ("tr",):
            assert parent.tag.removeprefix(X) == "table"
        if name in ("td", "th"):
            assert parent.tag.removeprefix(X) == "tr"
        if parent is not None and parent.tag.removeprefix(X) in ("ol", "ul"):
            assert name == "li"


def test_the_stylesheet_styles_every_class_without_a_fixed_colour(formatted):
    css = (REPO / "ebookify" / "style.css").read_text(encoding="utf-8")
    assert not re.search(r"(?<![-\w])(color|background(-color)?)\s*:|#[0-9a-f]{3,6}\b|rgba?\(", css, re.IGNORECASE)
    classes = {name for e in formatted["story"].iter() for name in (e.get("class") or "").split()}
    kept = {"right", "left", "justify", "center", "picture", "text-heading", "lower-roman"}
    assert kept <= classes
    for name in kept | {"unnumbered", "lower-alpha", "upper-alpha", "upper-roman"}:
        assert re.search(rf"\.{name}\b", css), name
    # a centred heading is centred: the alignment classes come after the heading rule they override
    assert css.index(".text-heading {") < css.index(".center {")
