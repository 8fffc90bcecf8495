"""Pictures inside an EPUB: carried into the book when Pillow reads them whole, as they are when a
reader can show them, scaled and written again when not; else left out with their description."""

from __future__ import annotations

import io
import zipfile

import pytest
from conftest import assert_sound_epub, epub_opf, epub_pages
from epubmaker import package, page, picture
from PIL import Image

from ebookify.build import BuildOptions, build
from ebookify.epubimages import MAX_SIDE, fit_image
from ebookify.epubstory import read_epub

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

FITTED = [
    # (name, bytes, the format carried, whether the bytes are kept as they are)
    ("a small PNG", picture(), "PNG", True),
    ("a small JPEG", picture(kind="JPEG"), "JPEG", True),
    ("a GIF", picture(kind="GIF"), "GIF", True),
    ("a WebP", picture(kind="WEBP"), "JPEG", False),
    ("a WebP with transparency", picture(mode="RGBA", kind="WEBP"), "PNG", False),
    ("a huge PNG", picture((MAX_SIDE * 2, 40)), "JPEG", False),
]


@pytest.mark.parametrize(("name", "data", "kind", "kept"), FITTED, ids=[row[0] for row in FITTED])
def test_pictures_fit_to_carry(name, data, kind, kept):
    fitted = fit_image(data)
    assert not isinstance(fitted, str), fitted
    file_name, out = fitted
    with Image.open(io.BytesIO(out)) as image:
        assert image.format == kind and max(image.size) <= MAX_SIDE
    assert (out == data) is kept
    assert file_name.endswith({"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif"}[kind])
    assert fit_image(data) == fitted  # the same picture, the same name and bytes


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (15000, 15000)).save(out, "PNG")  # 225 million pixels, a few kilobytes
    return out.getvalue()


@pytest.mark.parametrize(
    "data", [picture()[:-20], b"GIF89a but not really", SVG, b""], ids=["cut", "junk", "svg", "empty"]
)
def test_what_is_no_picture_is_not_carried(data):
    assert isinstance(fit_image(data), str)


def test_a_decompression_bomb_is_not_carried():
    assert "decompression bomb" in str(fit_image(_bomb())).casefold()


@pytest.mark.parametrize(
    ("side", "refusal"),
    [
        (7_100, "is 7100×7100 pixels, more than 40 megapixels"),
        (10_000, "is 10000×10000 pixels, more than 40 megapixels"),
    ],
)
def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(side, refusal, recwarn):
    """Millions of pixels in a few kilobytes of PNG, refused unread and in one line. Pillow's own
    limit only warns (a Python warning on standard error) up to 179 million pixels, and then
    decodes them; the check against inputs.MAX_PICTURE_PIXELS comes first."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    assert fit_image(out.getvalue()) == refusal
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_chapter_pictures_in_the_book(tmp_path):
    """A picture inside the EPUB is shown with its alt text; one on the web, one that is not there,
    an SVG and a broken one leave their descriptions, with warnings."""
    body = (
        '<p>Before.</p><p><img src="img/a.png" alt="the harbour at dusk"/></p>'
        '<p><img src="img/a.png" alt="the same harbour"/></p>'
        '<p><img src="https://example.com/b.png" alt="a remote boat"/></p>'
        '<p><img src="img/missing.png" alt="a lost map"/></p>'
        '<p><img src="img/c.svg" alt="a drawing"/></p>'
        '<p><img src="img/d.png" alt="a torn photo"/></p><p>After.</p>'
    )
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Pictures</dc:title>'
        '<dc:identifier id="id">x</dc:identifier><dc:language>en</dc:language></metadata><manifest>'
        '<item id="c" href="text/c.xhtml" media-type="application/xhtml+xml"/></manifest>'
        '<spine><itemref idref="c"/></spine></package>'
    )
    files = {
        "OPS/content.opf": opf,
        "OPS/text/c.xhtml": page(body),
        "OPS/text/img/a.png": picture(),
        "OPS/text/img/c.svg": SVG,
        "OPS/text/img/d.png": picture()[:-20],
    }
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "pictures.epub").write_bytes(package(files, "OPS/content.opf"))
    (story,), _ = read_epub(folder / "pictures.epub", "pictures.epub")
    assert len(story.images) == 1  # one picture, shown twice, carried once
    report = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist"))
    path = report.written[0].path
    assert_sound_epub(path)
    pages = epub_pages(path.read_bytes())
    images = [(i.get("src"), i.get("alt")) for p in pages.values() for i in p.iter(f"{XHTML}img")]
    name = story.images[0][0]
    assert images == [(f"images/{name}", "the harbour at dusk"), (f"images/{name}", "the same harbour")]
    text = "\n".join("".join(p.itertext()) for p in pages.values())
    for left in ("a remote boat", "a lost map", "a drawing", "a torn photo"):
        assert f"[Picture: {left}]" in text
    with zipfile.ZipFile(path) as book:
        assert b"div.figure img" in book.read("EPUB/style.css")  # a book with pictures has their rules
    manifest = [e.get("href") for e in epub_opf(path.read_bytes()).iterfind(".//{http://www.idpf.org/2007/opf}item")]
    assert f"images/{name}" in manifest
    said = "\n".join(report.warnings)
    assert "img/d.png is not a picture ebookify can carry" in said
    assert (
        "4 images in" in said and "pictures.epub, first at chapter 1, file OPS/text/c.xhtml" in said
    )  # the web's, the lost, the SVG, the torn
