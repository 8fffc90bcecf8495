"""XHTML page -> the same page as Kobo's KEPUB renderer wants it.

Kobo's own books, and the two tools that make KEPUBs from EPUBs (pgaskin/kepubify's
`kepub/transform.go`, calibre's `ebooks/oeb/polish/kepubify.py`), add three things to every page:

* a `<style id="kobostylehacks">` in the head, which zeroes the wrapper's top and bottom margin;
* the body's content wrapped in `<div id="book-columns"><div id="book-inner">…</div></div>`,
  which the renderer paginates;
* every sentence of text in `<span class="koboSpan" id="kobo.P.S">`, and every `<img>` in one
  too: highlights, bookmarks and reading position are stored against these ids.

The numbering is kepubify's, which it checked against Kobo's own books: P counts "paragraphs" over
the whole page in document order and S counts spans within one. A p, h1-h6, ul, ol or table starts
a new paragraph when its first span is made (so an empty one uses no number, and the items of a
list share their list's number); an image is always a paragraph of its own. Spans never cross an
element boundary: text in `<em>` gets spans of its own inside the `<em>`, so the markup stays
well-formed and keeps its meaning. Text in script, style, pre, audio, video, svg and math is left
alone, and so is text that is only whitespace.

Every character stays where it was: the spans of one text node, put together, are that text node.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
SPAN_CLASS = "koboSpan"
OUTER_DIV_ID = "book-columns"
INNER_DIV_ID = "book-inner"
STYLE_ID = "kobostylehacks"  # Kobo's own books use id=; kepubify uses class=
STYLE_CSS = "div#book-inner { margin-top: 0; margin-bottom: 0; }"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

# A span's number moves to the next paragraph at these (kepubify's list, from Kobo's books).
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"})
# Text inside these is not the book's prose, or must keep its exact layout.
_UNTOUCHED = frozenset({"script", "style", "pre", "audio", "video", "svg", "math"})
# Elements that can never have content; every other element is written <x></x>, never <x/>.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)

# A sentence ends at . ! ? or … (a run of them: "?!", "..."), any closing quotes or brackets right
# after, then whitespace, which stays with the sentence it follows. It does not end when the next
# word starts with a lower-case letter: "“Wait!” she said." and "I was… thinking" are one sentence.
# No-break spaces are there to keep words together, so they never end a sentence.
_SPACE = r"[^\S\u00a0\u2007\u202f]"
# (Entered at the start of a run of marks and taken possessively: linear on "!!!!…" of any length.)
_SENTENCE_END = re.compile(rf"(?<![.!?…])[.!?…]++[\"'”’»›)\]}}]*+{_SPACE}+")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, each with the whitespace after it: "".join(result) == text."""
    pieces, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        following = text[end.end() : end.end() + 1]
        if following and not following.islower():
            pieces.append(text[start : end.end()])
            start = end.end()
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return pieces


def kepubify(xhtml: bytes) -> bytes:
    """The page with Kobo's style, wrapper divs and sentence spans. A page that already has them
    is left as it is, so kepubify(kepubify(page)) == kepubify(page)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    tree = etree.ElementTree(etree.fromstring(xhtml, parser))
    root = tree.getroot()
    head, body = root.find(f"{{{XHTML_NS}}}head"), root.find(f"{{{XHTML_NS}}}body")
    if body is None:
        raise ValueError("not an XHTML page: there is no <body>")
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}

    if head is not None and STYLE_ID not in ids:
        _add_style(head)
    if not _is_wrapped(body):
        _refuse_taken_ids(ids, (OUTER_DIV_ID, INNER_DIV_ID))
        _wrap_body(body)
    if not any(SPAN_CLASS in (el.get("class") or "").split() for el in body.iter() if isinstance(el.tag, str)):
        _refuse_taken_ids(ids, (i for i in ids if i.startswith("kobo.")))
        _Spanner().walk(body)
    _no_self_closing(root)
    return _serialize(tree)


def _add_style(head: etree._Element) -> None:
    style = head.makeelement(f"{{{XHTML_NS}}}style", {"type": "text/css", "id": STYLE_ID})
    style.text = STYLE_CSS
    if len(head):
        style.tail = head[-1].tail
        head[-1].tail = "\n"
    else:
        style.tail, head.text = head.text, "\n"
    head.append(style)


def _is_wrapped(body: etree._Element) -> bool:
    return any(
        outer.get("id") == OUTER_DIV_ID and any(inner.get("id") == INNER_DIV_ID for inner in outer)
        for outer in body
        if isinstance(outer.tag, str)
    )


def _refuse_taken_ids(ids: set[str], wanted: Iterable[str]) -> None:
    taken = sorted(set(wanted) & ids)
    if taken:
        raise ValueError(f"the page already uses the id {taken[0]!r}, which Kobo's markup needs")


def _wrap_body(body: etree._Element) -> None:
    """body > div#book-columns > div#book-inner > everything the body had, text included."""
    outer = body.makeelement(f"{{{XHTML_NS}}}div", {"id": OUTER_DIV_ID})
    inner = etree.SubElement(outer, f"{{{XHTML_NS}}}div", {"id": INNER_DIV_ID})
    inner.text, body.text = body.text, None
    inner.extend(list(body))  # moving an element moves its tail with it
    body.append(outer)


class _Spanner:
    """kepubify's counting: `paragraph` moves on lazily, when the first span of a new block is made."""

    def __init__(self) -> None:
        self.paragraph = 0
        self.segment = 0
        self.new_paragraph = False

    def walk(self, element: etree._Element) -> None:
        if _name(element) in _PARAGRAPHS:
            self.new_paragraph = True
        content: list[etree._Element] = []
        text, element.text = element.text, None
        self._text(element, text, content)
        for child in list(element):
            tail, child.tail = child.tail, None
            name = _name(child)
            if name == "img":
                child = self._image(child)
            elif name is not None and name not in _UNTOUCHED:
                self.walk(child)
            content.append(child)
            self._text(element, tail, content)
        for child in list(element):
            element.remove(child)
        element.extend(content)

    def _text(self, parent: etree._Element, text: str | None, content: list[etree._Element]) -> None:
        """Append `text` to `content` as spans; text that is only whitespace stays bare text."""
        if not text:
            return
        if text.isspace():
            if content:
                content[-1].tail = (content[-1].tail or "") + text
            else:
                parent.text = (parent.text or "") + text
            return
        for sentence in split_sentences(text):
            span = self._span(parent)
            span.text = sentence
            content.append(span)

    def _image(self, image: etree._Element) -> etree._Element:
        """An image is a paragraph of its own: <span id="kobo.P.1"><img/></span>."""
        self.new_paragraph = True
        span = self._span(image)
        span.append(image)
        return span

    def _span(self, near: etree._Element) -> etree._Element:
        if self.new_paragraph:
            self.paragraph += 1
            self.segment = 0
            self.new_paragraph = False
        self.segment += 1
        return near.makeelement(
            f"{{{XHTML_NS}}}span", {"class": SPAN_CLASS, "id": f"kobo.{self.paragraph}.{self.segment}"}
        )


def _name(element: etree._Element) -> str | None:
    """The local name of an element ("em"), or None for a comment or processing instruction."""
    if not isinstance(element.tag, str):
        return None
    return etree.QName(element).localname.lower()


def _no_self_closing(root: etree._Element) -> None:
    """lxml writes an empty element as <p/>; an HTML parser reads <p/> as an opening tag only."""
    for element in root.iter(f"{{{XHTML_NS}}}*"):
        if element.text is None and not len(element) and _name(element) not in _VOID:
            element.text = ""


def _serialize(tree: etree._ElementTree) -> bytes:
    """The declaration exactly as render.py writes it (lxml would write single quotes), then the
    doctype and the document as lxml writes them."""
    return (XML_DECLARATION + etree.tostring(tree, encoding="unicode") + "\n").encode("utf-8")
