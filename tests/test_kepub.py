"""Kobo's KEPUB markup: sentence spans, the wrapper divs, and a page that stays the same page."""

from __future__ import annotations

import io
import re
import zipfile
from html import escape
from itertools import pairwise

import pytest
from conftest import REPO, assert_sound_epub
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ebookify.build import BuildOptions, build
from ebookify.kepub import kepubify, split_sentences
from ebookify.render import _page

X = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
PARSER = etree.XMLParser(resolve_entities=False)
HEAD = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
    b'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">\n'
)


def page(body: str, body_type: str = "chapter") -> bytes:
    """A page in render.py's form, written by hand so that these tables do not move when render.py
    does: declaration, doctype, html with both namespaces and both lang attributes, head, body."""
    return (
        HEAD
        + (
            '<head>\n<title>A Page</title>\n<link rel="stylesheet" type="text/css" href="style.css"/>\n</head>\n'
            f'<body epub:type="{body_type}">\n{body}</body>\n</html>\n'
        ).encode()
    )


def parse(xhtml: bytes) -> etree._Element:
    return etree.fromstring(xhtml, PARSER)


def spans(root: etree._Element) -> list[etree._Element]:
    return root.findall(f".//{X}span[@class='koboSpan']")


def span_ids(root: etree._Element) -> list[str]:
    return [s.get("id") for s in spans(root)]


def texts(element: etree._Element) -> list[tuple[str, str]]:
    """(id, text) of each span inside `element`, in order."""
    return [(s.get("id"), "".join(s.itertext())) for s in spans(element)]


def inner_xml(element: etree._Element) -> str:
    """`element` serialized, without namespace declarations, to compare with expected markup."""
    xml = etree.tostring(element, encoding="unicode", with_tail=False)
    return re.sub(r' xmlns(:\w+)?="[^"]*"', "", xml)


def span(ident: str, text: str) -> str:
    return f'<span class="koboSpan" id="kobo.{ident}">{text}</span>'


# --- sentence splitting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("“Wait!” she said. Then she left.", ["“Wait!” she said. ", "Then she left."]),
        ("I was… thinking. Maybe not.", ["I was… thinking. ", "Maybe not."]),  # mid-sentence ellipsis
        ("It was over… Then the lights came on.", ["It was over… ", "Then the lights came on."]),
        ("Really?! No way.", ["Really?! ", "No way."]),
        ("She said, “Go.” Then she went.", ["She said, “Go.” ", "Then she went."]),
        ("(He left.) She stayed.", ["(He left.) ", "She stayed."]),
        ("'Fine.' \"Good.\" Done.", ["'Fine.' ", '"Good." ', "Done."]),
        ("Mr. Quade waved.", ["Mr. ", "Quade waved."]),  # abbreviations may split
        ("Bring snacks, e.g. crisps.", ["Bring snacks, e.g. crisps."]),
        ("It cost 3.50 today.", ["It cost 3.50 today."]),
        ("Hello.World", ["Hello.World"]),
        ("End.  \n Next.", ["End.  \n ", "Next."]),
        ("Trailing space. ", ["Trailing space. "]),
        ("Wait.\u00a0Here.", ["Wait.\u00a0Here."]),  # a no-break space holds the words together
        ("מה? לא. טוב.", ["מה? ", "לא. ", "טוב."]),  # RTL, no letter case: every end splits
        ("Hi! 😀 Bye.", ["Hi! ", "😀 Bye."]),
        ("No end at all", ["No end at all"]),
        ("", [""]),
    ],
)
def test_split_sentences(text, sentences):
    assert split_sentences(text) == sentences
    assert "".join(sentences) == text


# --- a page as render.py makes it ----------------------------------------------------------------

CHAPTER = (
    '<div class="story-head">\n<h1 class="story-title">The Last Ferry</h1>\n<p class="who">Mara Voss x Reader</p>\n'
    "</div>\n"
    '<div class="authors-note"><p>A/N: thank you for 1K reads! I screamed.</p><p>Enjoy.</p></div>\n'
    '<p class="first">“Wait!” she said. Then she left.</p>\n'
    "<p>The lights went out… one by one. The ferry was gone.</p>\n"
    '<hr class="scene-break"/>\n'
    '<p class="first">Morning &amp; tea &lt;3</p>\n'
)


def test_chapter_page_spans_every_block_in_order():
    root = parse(kepubify(page(CHAPTER)))
    body = root.find(f"{X}body")
    assert texts(body) == [
        ("kobo.1.1", "The Last Ferry"),
        ("kobo.2.1", "Mara Voss x Reader"),
        ("kobo.3.1", "A/N: thank you for 1K reads! "),
        ("kobo.3.2", "I screamed."),
        ("kobo.4.1", "Enjoy."),
        ("kobo.5.1", "“Wait!” she said. "),
        ("kobo.5.2", "Then she left."),
        ("kobo.6.1", "The lights went out… one by one. "),
        ("kobo.6.2", "The ferry was gone."),
        ("kobo.7.1", "Morning & tea <3"),
    ]
    # The spans are the paragraphs' only children: nothing outside them, nothing lost.
    for p in body.iter(f"{X}p", f"{X}h1"):
        assert p.text is None and all(child.get("class") == "koboSpan" for child in p)


def test_page_from_render_keeps_its_structure():
    """Whatever render._page wraps the body in today, kepubify keeps it and spans the text."""
    source = _page("story-001.xhtml", "The Last Ferry", "en", CHAPTER, "chapter").xhtml
    original, root = parse(source), parse(kepubify(source))
    old_body, body = original.find(f"{X}body"), root.find(f"{X}body")
    assert body.attrib == old_body.attrib
    inner = body.find(f"{X}div[@id='book-columns']/{X}div[@id='book-inner']")
    assert [(c.tag, c.attrib) for c in inner] == [(c.tag, c.attrib) for c in old_body]
    assert "".join(body.itertext()) == "".join(old_body.itertext())
    assert [text for _, text in texts(body)][:2] == ["The Last Ferry", "Mara Voss x Reader"]
    assert span_ids(root)[-1] == "kobo.7.1"
    assert kepubify(source).startswith(source[: source.index(b"<head>")])


def test_scene_break_is_untouched():
    out = kepubify(page(CHAPTER))
    assert b'</p>\n<hr class="scene-break"/>\n<p class="first">' in out
    hr = parse(out).find(f".//{X}hr")
    assert hr.getparent().tag == f"{X}div" and hr.getparent().get("id") == "book-inner"
    assert not len(hr) and hr.text is None


def test_cover_image_is_wrapped_in_a_span():
    body = '<div class="cover"><img src="cover.jpg" alt="Cover: Saltmarsh Imagines, for Sam"/></div>\n'
    root = parse(kepubify(page(body, "cover")))
    cover = root.find(f".//{X}div[@class='cover']")
    assert inner_xml(cover) == (
        '<div class="cover"><span class="koboSpan" id="kobo.1.1">'
        '<img src="cover.jpg" alt="Cover: Saltmarsh Imagines, for Sam"/></span></div>'
    )


def test_image_is_a_paragraph_of_its_own():
    root = parse(kepubify(page('<p>One.</p><img src="a.jpg" alt=""/><p>Three. Four.</p>\n')))
    assert span_ids(root) == ["kobo.1.1", "kobo.2.1", "kobo.3.1", "kobo.3.2"]
    assert root.find(f".//{X}span[@id='kobo.2.1']/{X}img").get("src") == "a.jpg"


def test_wrapper_divs_keep_the_body_and_everything_in_it():
    original = parse(page(CHAPTER))
    root = parse(kepubify(page(CHAPTER)))
    body = root.find(f"{X}body")
    assert body.get(EPUB_TYPE) == "chapter"
    (outer,) = body
    assert outer.tag == f"{X}div" and outer.attrib == {"id": "book-columns"}
    (inner,) = outer
    assert inner.tag == f"{X}div" and inner.attrib == {"id": "book-inner"}
    assert [c.tag for c in inner] == [c.tag for c in original.find(f"{X}body")]
    assert "".join(body.itertext()) == "".join(original.find(f"{X}body").itertext())


def test_declaration_doctype_namespaces_and_attributes_are_kept():
    out = kepubify(page(CHAPTER))
    assert out.startswith(HEAD)
    assert out.endswith(b"</html>\n")
    root = parse(out)
    assert root.nsmap == {None: "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
    assert root.get("lang") == "en" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert root.find(f".//{X}title").text == "A Page"
    assert root.find(f".//{X}link").attrib == {"rel": "stylesheet", "type": "text/css", "href": "style.css"}
    assert root.find(f".//{X}p[@class='who']") is not None


def test_kobo_style_is_added_to_the_head_once():
    out = kepubify(page(CHAPTER))
    styles = parse(out).findall(f"{X}head/{X}style")
    assert [s.get("id") for s in styles] == ["kobostylehacks"]
    assert "div#book-inner" in styles[0].text


# --- inline markup -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "<p>One <em>two. Three</em> four.</p>",
            f"<p>{span('1.1', 'One ')}<em>{span('1.2', 'two. ')}{span('1.3', 'Three')}</em>{span('1.4', ' four.')}</p>",
        ),
        (
            "<p>Line one.<br/>Line <strong>two</strong>!</p>",
            f"<p>{span('1.1', 'Line one.')}<br/>{span('1.2', 'Line ')}<strong>{span('1.3', 'two')}</strong>"
            f"{span('1.4', '!')}</p>",
        ),
        (  # whitespace alone between two inline elements stays bare text
            "<p><em>Yes.</em> <strong>No.</strong></p>",
            f"<p><em>{span('1.1', 'Yes.')}</em> <strong>{span('1.2', 'No.')}</strong></p>",
        ),
        (
            '<p>See <a href="story-002.xhtml">the <em>next</em> one</a>.</p>',
            f'<p>{span("1.1", "See ")}<a href="story-002.xhtml">{span("1.2", "the ")}<em>{span("1.3", "next")}</em>'
            f"{span('1.4', ' one')}</a>{span('1.5', '.')}</p>",
        ),
        ("<p>  </p>", "<p>  </p>"),  # nothing to span
    ],
)
def test_inline_markup_is_kept_and_spans_split_at_its_edges(paragraph, expected):
    root = parse(kepubify(page(paragraph + "\n")))
    p = root.find(f".//{X}p")
    assert inner_xml(p) == expected
    assert "".join(p.itertext()) == "".join(parse(page(paragraph)).find(f".//{X}p").itertext())


def test_empty_elements_are_not_written_self_closed():
    out = kepubify(page('<p></p>\n<div class="authors-note"></div>\n'))
    assert b"<p></p>" in out and b'<div class="authors-note"></div>' in out
    assert b"<p/>" not in out and b"<title/>" not in out
    assert b"<hr/>" in kepubify(page("<hr/>\n"))  # void elements stay void
    assert span_ids(parse(out)) == []


def test_italics_survive_with_their_text():
    root = parse(kepubify(page("<p>One <em>two. Three</em> four.</p>\n")))
    em = root.find(f".//{X}em")
    assert "".join(em.itertext()) == "two. Three"
    assert [s.getparent() for s in spans(em)] == [em, em]


def test_untouched_elements_keep_their_text():
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>Not. This.</text></svg>'
    body = f"<pre>keep.  This.</pre>\n<p>Spanned.</p>\n{svg}\n"
    root = parse(kepubify(page(body)))
    assert root.find(f".//{X}pre").text == "keep.  This."
    assert root.find(".//{http://www.w3.org/2000/svg}text").text == "Not. This."
    assert span_ids(root) == ["kobo.1.1"]


# --- ids -----------------------------------------------------------------------------------------


def test_ids_are_unique_and_in_document_order():
    body = CHAPTER + '<div class="authors-note"><p>Bye! See you. Soon.</p></div>\n<p>Last. <em>One.</em></p>\n'
    root = parse(kepubify(page(body)))
    ids = span_ids(root)
    assert len(ids) == len(set(ids)) == 15
    numbers = [tuple(int(n) for n in i.removeprefix("kobo.").split(".")) for i in ids]
    assert numbers == sorted(numbers)
    for (para, seg), (next_para, next_seg) in pairwise(numbers):
        assert (next_para, next_seg) in ((para, seg + 1), (para + 1, 1))
    assert numbers[0] == (1, 1)


def test_a_kepubified_page_is_left_as_it_is():
    once = kepubify(page(CHAPTER))
    assert kepubify(once) == once


def test_a_page_using_kobos_ids_is_refused():
    with pytest.raises(ValueError, match=r"kobo\.1\.1"):
        kepubify(page('<p id="kobo.1.1">Mine.</p>\n'))
    with pytest.raises(ValueError, match="book-inner"):
        kepubify(page('<div id="book-inner"><p>Mine.</p></div>\n'))


# --- any text ------------------------------------------------------------------------------------

TRICKY = list(" \n\t\r<>&\"'“”‘’«»‹›….!?‽¡¿;:()[]{}—–-*_~😀👩‍👩‍👧 שלום עולם. مرحبا؟ 你好。\u00a0\u202f\u200f\u200d]]>")
STORY_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(TRICKY), st.characters(blacklist_categories=("Cs", "Cc", "Cn"))),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(plain=STORY_TEXT, before=STORY_TEXT, italic=STORY_TEXT, after=STORY_TEXT)
def test_any_text_survives_exactly(plain, before, italic, after):
    body = (
        f"<p>{escape(plain, quote=False)}</p>\n<p>{escape(before, quote=False)}<em>{escape(italic, quote=False)}</em>"
    )
    body += f"{escape(after, quote=False)}<br/></p>\n"
    source = page(body)
    out = kepubify(source)
    assert kepubify(source) == out  # deterministic
    original, result = parse(source), parse(out)  # parses as XML
    old_ps, new_ps = original.findall(f".//{X}p"), result.findall(f".//{X}p")
    assert ["".join(p.itertext()) for p in new_ps] == ["".join(p.itertext()) for p in old_ps]
    ids = span_ids(result)
    assert len(ids) == len(set(ids))
    assert all("".join(s.itertext()).strip() for s in spans(result) if s.find(f"{X}img") is None)
    # A plain paragraph is its spans, in order, unless it is only whitespace.
    text = old_ps[0].text or ""
    if not text.isspace():
        assert "".join(s.text for s in spans(new_ps[0])) == text


@settings(max_examples=300, deadline=None)
@given(STORY_TEXT)
def test_splitting_never_loses_or_reorders_a_character(text):
    sentences = split_sentences(text)
    assert "".join(sentences) == text
    assert all(sentences) or sentences == [""]


# --- a whole book --------------------------------------------------------------------------------


def test_kepubified_book_is_sound(tmp_path):
    options = BuildOptions(stories=REPO / "stories", covers=REPO / "covers", out_dir=tmp_path / "dist", names=("Sam",))
    (written, *_) = build(options).written
    kepub = tmp_path / "book.kepub.epub"
    changed = 0
    with zipfile.ZipFile(written.path) as source, zipfile.ZipFile(kepub, "w") as target:
        names = source.namelist()
        assert names[0] == "mimetype"
        target.writestr("mimetype", source.read("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name in names[1:]:
            data = source.read(name)
            if name.endswith(".xhtml") and not name.endswith("/nav.xhtml"):
                new = kepubify(data)
                old_body, new_body = parse(data).find(f"{X}body"), parse(new).find(f"{X}body")
                assert "".join(new_body.itertext()) == "".join(old_body.itertext()), name
                # The cover page is a picture in an SVG frame: SVG is left as it is, so no spans.
                assert bool(spans(new_body)) != name.endswith("/cover.xhtml"), name
                data, changed = new, changed + 1
            target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    assert changed >= 8  # cover, title page, and the stories' pages
    assert_sound_epub(kepub)  # EPUBCheck: books.py ao3-mix (its KEPUB)
    with zipfile.ZipFile(io.BytesIO(kepub.read_bytes())) as book:
        assert book.read("EPUB/cover.xhtml") == kepubify(book.read("EPUB/cover.xhtml"))
        cover = parse(book.read("EPUB/cover.xhtml"))
    assert cover.find(".//{http://www.w3.org/2000/svg}image") is not None
