"""End to end: real builds, checked by EPUBCheck, lxml and zip reading, compared byte for byte."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import OPF_NS, REPO, assert_sound_epub, epub_opf, epub_pages, page_text, story_text
from PIL import Image

from ebookify.build import BuildOptions, build

XHTML = "{http://www.w3.org/1999/xhtml}"
NAV = {"x": "http://www.w3.org/1999/xhtml"}
PLACEHOLDER = re.compile(r"[(\[{]?\b[YyFf]/[Nn]\b[)\]}]?")


@pytest.fixture(scope="module")
def sample(validated_books) -> dict[str, bytes]:
    """The bundled stories, built for Sam and as the neutral edition, from a copy of the repo's
    folders (tests/books.py's "sample", through EPUBCheck once a session)."""
    sam, neutral = validated_books.get("sample")
    return {"Sam": sam.read_bytes(), "neutral": neutral.read_bytes()}


def spine_pages(data: bytes) -> list[str]:
    opf = epub_opf(data)
    hrefs = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:manifest/opf:item", OPF_NS)}
    return [hrefs[r.get("idref")] for r in opf.iterfind(".//opf:spine/opf:itemref", OPF_NS)]


def nav_tree(data: bytes) -> list:
    """The nav TOC as nested [(label, href, children)]."""
    nav = epub_pages(data)["EPUB/nav.xhtml"]

    def items(ol) -> list:
        out = []
        for li in ol.findall(f"{XHTML}li"):
            a = li.find(f"{XHTML}a")
            child = li.find(f"{XHTML}ol")
            out.append((a.text, a.get("href"), items(child) if child is not None else []))
        return out

    return items(nav.find(f".//{XHTML}nav/{XHTML}ol"))


def story_pages_text(data: bytes) -> str:
    return "\n".join(page_text(p) for name, p in epub_pages(data).items() if "story-" in name)


def test_sample_build_is_personalised_everywhere(sample):
    text = story_pages_text(sample["Sam"])
    assert not PLACEHOLDER.search(text)
    assert text.count("Sam") >= 14
    assert "A.Q. + SAM, ONE SUMMER" in text  # shouted where the text around it shouts
    assert "Sam’s" in text  # the possessive keeps its (typeset) apostrophe
    title_page = page_text(epub_pages(sample["Sam"])["EPUB/title.xhtml"])
    assert "for Sam" in title_page


def test_sample_build_has_no_wattpad_boilerplate_or_header_lines(sample):
    text = "\n".join(page_text(p) for p in epub_pages(sample["Sam"]).values())
    assert "Where stories live" not in text
    assert "Discover now" not in text
    assert "Synopsis:" not in text
    assert "1.4M reads · 62.8K votes · 3.3K comments" in text  # stats written out, not raw


def test_sample_build_is_typeset_and_markup_stays_text(sample):
    text = story_pages_text(sample["Sam"])
    assert '"' not in text and "..." not in text and " - " not in text
    assert "<3" in text and "5 < 7 & 8 > 3" in text  # markup-like text reaches the reader as text
    assert "’90s" in text and "I—I" in text


def test_sample_toc_nests_parts_in_order_and_follows_the_spine(sample):
    tree = nav_tree(sample["Sam"])
    lantern = next(entry for entry in tree if entry[0] == "The Lantern Keeper")
    assert [label for label, _, _ in lantern[2]] == ["Part 1", "Part 2", "Part 3"]
    assert [len(children) for _, _, children in tree].count(0) == len(tree) - 1  # one-shots are leaves

    def hrefs(entries):
        return [h for _, h, children in entries for h in [h, *hrefs(children)]]

    spine = spine_pages(sample["Sam"])
    assert hrefs(tree) == [p for p in spine if p in hrefs(tree)]  # TOC order is spine order
    assert spine[:2] == ["cover.xhtml", "title.xhtml"]


def test_parts_are_in_part_order_whatever_their_file_names(sample):
    pages = epub_pages(sample["Sam"])
    texts = [page_text(pages[f"EPUB/story-001-part-0{n}.xhtml"]) for n in (1, 2, 3)]
    stories = REPO / "stories"
    files = ["01-lanterns.txt", "04-lanterns-part2.txt", "03-lanterns-part3.txt"]  # parts 1, 2, 3
    words = [set(re.findall(r"[A-Za-z]{6,}", (stories / file).read_text(encoding="utf-8-sig"))) for file in files]
    for n, text in enumerate(texts):
        others = set().union(*(w for i, w in enumerate(words) if i != n))
        markers = sorted(words[n] - others)[:5]  # words of this part's file that no other part has
        assert len(markers) == 5
        for marker in markers:
            assert marker in text, (n + 1, marker)
            assert all(marker not in other for i, other in enumerate(texts) if i != n), (n + 1, marker)


def test_sample_metadata(sample):
    opf = epub_opf(sample["Sam"])

    def dc(name: str) -> list[str]:
        return [e.text for e in opf.iterfind(f".//dc:{name}", OPF_NS)]

    assert dc("title") == ["Saltmarsh Imagines"]
    assert dc("language") == ["en"]
    assert dc("creator") == ["Unknown"]
    assert dc("subject") == ["Ansel Quade", "Marisol Penhallow", "Idris Fenwick", "Bastian Okafor", "Juniper Oakes"]
    assert "personalised for Sam" in dc("description")[0]
    assert dc("identifier")[0].startswith("urn:uuid:")
    assert dc("identifier") != [e.text for e in epub_opf(sample["neutral"]).iterfind(".//dc:identifier", OPF_NS)]
    cover = opf.find(".//opf:item[@properties='cover-image']", OPF_NS)
    assert cover is not None and cover.get("media-type") == "image/jpeg"


def test_generated_cover_is_a_real_cover(sample):
    with zipfile.ZipFile(io.BytesIO(sample["Sam"])) as book:
        image = Image.open(io.BytesIO(book.read("EPUB/cover.jpg")))
        assert (image.format, image.size) == ("JPEG", (1600, 2560))
        neutral = zipfile.ZipFile(io.BytesIO(sample["neutral"])).read("EPUB/cover.jpg")
        assert book.read("EPUB/cover.jpg") != neutral  # the reader's name is drawn on it


def test_neutral_edition_keeps_y_n_and_says_so(sample):
    pages = epub_pages(sample["neutral"])
    assert "Y/N" in story_pages_text(sample["neutral"])
    assert "Unpersonalised edition" in page_text(pages["EPUB/title.xhtml"])


def test_every_page_is_utf8_xhtml_with_a_title(sample):
    with zipfile.ZipFile(io.BytesIO(sample["Sam"])) as book:
        for name in book.namelist():
            if name.endswith(".xhtml"):
                head = book.read(name)[:60].lower()
                assert head.startswith(b"<?xml") and b"utf-8" in head, name
    for name, page in epub_pages(sample["Sam"]).items():
        assert page.findtext(f"{XHTML}head/{XHTML}title"), name


def test_rebuild_is_byte_identical_wherever_it_runs(tmp_path, sample, golden, monkeypatch):
    """Two builds in one process could share any accident of this machine; the digest in
    tests/golden/ was made on another run (and machine), so a build that drifts fails here."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    shutil.copytree(REPO / "stories", tmp_path / "elsewhere")
    options = BuildOptions(
        stories=tmp_path / "elsewhere", covers=tmp_path / "none", out_dir=tmp_path / "out", names=("Sam",)
    )
    first = build(options).written[0].path.read_bytes()
    assert build(options).written[0].path.read_bytes() == first
    assert first == sample["Sam"]
    golden("sample-for-sam.epub", first)


def test_several_books_nest_book_story_part(validated_books):
    (path,) = validated_books.get("several-books")  # two books, a story in parts, author, en-gb
    assert path.name == "harbour-imagines-forest-imagines-for-sam.epub"
    data = path.read_bytes()
    tree = [(label, [(s, [p for p, _, _ in parts]) for s, _, parts in stories]) for label, _, stories in nav_tree(data)]
    assert tree == [("Harbour Imagines", [("Lanterns", ["Part 1", "Part 2"])]), ("Forest Imagines", [("Pines", [])])]
    assert [e.text for e in epub_opf(data).iterfind(".//dc:language", OPF_NS)] == ["en-GB"]
    assert "Sam & <b>" in page_text(epub_pages(data)["EPUB/story-001.xhtml"])
    assert [e.text for e in epub_opf(data).iterfind(".//dc:creator", OPF_NS)] == ["Mara Voss"]


HOSTILE = [
    "<script>alert('x')</script>",
    '<a href="javascript:alert(1)">click</a>',
    "<iframe src=http://example.com></iframe>",
    "&amp; &lt; &#x26; &nbsp;",
    "]]> <![CDATA[ x ]]>",
    '<?xml version="1.0"?> <!DOCTYPE x [<!ENTITY e "boom">]> &e;',
    "<!-- a comment --> -- double dashes --",
]


def test_hostile_text_stays_inert_text(tmp_path, stories):
    folder = stories(
        {"1.txt": story_text("<b>Who</b> - <i>Title</i>", body="\n".join(HOSTILE), synopsis="<img src=x>")}
    )
    (written,) = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist", names=("<Sam & Co>",))).written
    assert_sound_epub(written.path)  # EPUBCheck: books.py hostile
    page = epub_pages(written.path.read_bytes())["EPUB/story-001.xhtml"]
    names = {e.tag.removeprefix(XHTML) for e in page.iter() if isinstance(e.tag, str)}
    assert names <= {"html", "head", "title", "link", "body", "section", "div", "h1", "p", "dl", "dt", "dd"}
    paragraphs = [page_text(p) for p in page.iterfind(f".//{XHTML}p")]
    assert paragraphs[0] == "<b>Who</b>"
    assert len(paragraphs) == 3 + len(HOSTILE)  # who, the summary's label and text, then every line, kept
    assert paragraphs[1:3] == ["Summary", "<img src=x>"]
    assert paragraphs[3] == "<script>alert(‘x’)</script>"


def test_user_cover_is_used(tmp_path, stories):
    folder = stories({"1.txt": story_text()})
    covers = tmp_path / "covers"
    covers.mkdir()
    Image.new("RGB", (400, 640), (200, 30, 30)).save(covers / "Harbour Imagines.png")
    Image.new("RGB", (400, 640), (30, 30, 200)).save(covers / "other.png")
    (written,) = build(BuildOptions(stories=folder, covers=covers, out_dir=tmp_path / "dist")).written
    assert_sound_epub(written.path)  # EPUBCheck: books.py user-covers
    with zipfile.ZipFile(written.path) as book:
        assert book.read("EPUB/cover.png") == (covers / "Harbour Imagines.png").read_bytes()


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


@pytest.mark.parametrize(
    ("names", "files"),
    [
        (["Sam"], ["x-for-sam.epub"]),
        (["Mary Jane", "Zoë"], ["x-for-mary-jane.epub", "x-for-zoe.epub"]),
        (["../../etc/passwd"], ["x-for-etc-passwd.epub"]),
        (["Sam", "sam"], ["x-for-sam.epub", f"x-for-sam-{short_hash('sam')}.epub"]),
        (["李"], ["x-for-li.epub"]),  # transliterated, readable
        (["Sam-e96e02", "Sam", "sam"], ["x-for-sam-e96e02.epub", "x-for-sam.epub", "x-for-sam-e96e02d8.epub"]),
        ([], ["x.epub"]),
    ],
)
def test_output_file_names_are_safe_and_distinct(names, files):
    from ebookify.build import make_readers
    from ebookify.naming import output_paths

    paths = output_paths(BuildOptions(out_dir=Path("d")), "X", make_readers(names, {}))
    assert paths == [Path("d") / f for f in files]
