"""The cover: the user's own image from covers/, or a typographic one made for the reader.

Pillow is imported inside the functions: a build that never touches an image does not pay for it.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import EbookifyError
from .inputs import (
    MAX_COVER_BYTES,
    MAX_PICTURE_PIXELS,
    opened_picture,
    picture_errors,
    plain_error,
    read_regular,
    real_folder,
    reason,
    skip_reason,
)

COVER_SUFFIXES = (".jpg", ".jpeg", ".png")
_MEDIA_TYPES = {"JPEG": ("image/jpeg", "cover.jpg"), "PNG": ("image/png", "cover.png")}
SIZE = (1600, 2560)  # the 1:1.6 portrait that Kindle and Kobo stores ask for


@dataclass(frozen=True)
class CoverImage:
    data: bytes
    media_type: str
    file_name: str  # its name inside the EPUB
    size: tuple[int, int] = SIZE  # width and height in pixels


def find_cover(folder: Path, title: str, *others: str) -> tuple[Path | None, tuple[str, ...]]:
    """The image in `folder` named like the collection ("Saltmarsh Imagines.jpg" or
    "saltmarsh-imagines.png"), else like one of `others` (the series a lone work is part of),
    else the only image there, else none; and notes on what was skipped. As in the stories
    folder, a link out of the folder, a device or a pipe is skipped with a note."""
    from .naming import slug  # naming reads most of ebookify: not imported before the cover process forks

    try:
        images, notes = _images(folder)
    except OSError as exc:
        raise EbookifyError(f"the covers folder {folder} {reason(exc)}") from exc
    for name in (title, *others):
        named = [p for p in images if slug(p.stem) and slug(p.stem) == slug(name)]
        if named:
            return named[0], notes
    return (images[0] if len(images) == 1 else None), notes


def _images(folder: Path) -> tuple[list[Path], tuple[str, ...]]:
    if not folder.is_dir():
        return [], ()
    inside, images, notes = real_folder(folder), [], []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in COVER_SUFFIXES and not path.name.startswith("."):
            why = skip_reason(path, inside, "covers")
            if why:
                notes.append(f"skipped {path}: {why}")
            else:
                images.append(path)
    return images, tuple(notes)


def load_cover(path: Path) -> CoverImage:
    """A user's cover, checked, and scaled down (never stretched) to fit 1600x2560 if larger."""

    data = read_regular(path, MAX_COVER_BYTES, plain_error(path))
    try:
        with opened_picture(data) as image:
            kind, (width, height) = image.format, image.size
            if kind not in _MEDIA_TYPES and kind != "MPO":
                raise EbookifyError(f"{path} is a {kind} image; covers must be JPEG or PNG")
            # Checked before decoding: a small file can hold an image too big to unpack.
            if width * height > MAX_PICTURE_PIXELS:
                raise EbookifyError(
                    f"{path} is {width}×{height} pixels, more than {MAX_PICTURE_PIXELS // 10**6} megapixels; "
                    "use a smaller cover image"
                )
            image.load()
            # An MPO is a phone's JPEG with more pictures after the first (the other eye, a depth
            # map): e-readers want one plain JPEG, which the first picture, written again, is.
            if kind == "MPO" or width > SIZE[0] or height > SIZE[1]:
                return _fitted(image)
    except picture_errors() as exc:
        raise EbookifyError(f"{path} is not a readable JPEG or PNG image") from exc
    media_type, file_name = _MEDIA_TYPES[kind]
    return CoverImage(data, media_type, file_name, (width, height))


def _fitted(image) -> CoverImage:
    """Scaled to fit inside SIZE, keeping its proportions; as JPEG, with any transparency on white."""
    from PIL import Image

    image = image.copy()
    image.thumbnail(SIZE, Image.Resampling.LANCZOS)
    if image.mode != "RGB":
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, optimize=True)
    return CoverImage(out.getvalue(), "image/jpeg", "cover.jpg", image.size)


# Per collection, chosen by the title's hash: a deep ground, a light ink and a softer accent, so
# that light text stays readable, also as a grey e-ink thumbnail.
_PALETTES = (
    ((31, 45, 61), (247, 242, 232), (200, 170, 112)),  # ink blue, cream, brass
    ((72, 33, 50), (249, 238, 233), (218, 160, 146)),  # plum, shell, rose
    ((26, 62, 56), (241, 245, 237), (170, 202, 168)),  # sea green, foam, sage
    ((56, 42, 82), (244, 239, 249), (190, 172, 224)),  # violet, mist, lilac
    ((88, 50, 28), (251, 242, 228), (232, 182, 124)),  # rust, linen, apricot
    ((38, 38, 42), (245, 244, 240), (196, 192, 180)),  # charcoal, paper, silver
    ((20, 54, 86), (240, 245, 250), (160, 196, 222)),  # harbour, white, sky
)
_FONT_FILES = {False: "NotoSerif[wdth,wght].ttf", True: "NotoSerif-Italic[wdth,wght].ttf"}


def generate_cover(title: str, dedication: str | None, again: bool = True) -> CoverImage:
    """A 1600x2560 JPEG set like a book jacket: a double frame, the title large and wrapped into
    lines of even length, a small ornament, and the dedication in italics. A line the typeface has
    no letters for (Chinese, Arabic…) is left out of the picture rather than drawn as boxes; the
    title page still says it. Unless it will be drawn `again`, its jacket is not kept."""
    from PIL import ImageDraw

    # Every reader's cover of a collection differs by the dedication alone: the jacket is kept
    # for the next, and a copy of it written on.
    image = _jacket(title).copy() if again else _jacket.__wrapped__(title)
    if dedication:
        draw = ImageDraw.Draw(image)
        font = _font(_DEDICATION_SIZE, italic=True)
        text = _shorten(draw, dedication, font, image.width - 400)
        if drawable(text, font):
            ink = _palette(title)[1]
            draw.text((image.width / 2, image.height * 0.74), text, font=font, fill=ink, anchor="mm")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return CoverImage(out.getvalue(), "image/jpeg", GENERATED_COVER)


GENERATED_COVER = "cover.jpg"  # generate_cover's file name in the book; its size is SIZE


def drawn_cover(title_and_dedication: tuple[str, str | None]) -> CoverImage:
    return generate_cover(*title_and_dedication)


def drawn_once(title_and_dedication: tuple[str, str | None]) -> CoverImage:
    """drawn_cover(), by a process that draws no other: 12 MB not copied."""
    return generate_cover(*title_and_dedication, again=False)


# Asked with what one reader's cover says (book.cover_lines), gives the function that waits for it.
AskCover = Callable[[tuple[str, str | None]], Callable[[], CoverImage]]


def drawing_process() -> AbstractContextManager[AskCover]:
    """A process forked to draw one reader's cover (forked.standing_by): it loads Pillow and the
    typefaces (warm_up) while this one goes on, then draws the cover it is asked for (drawn_once)."""
    from .forked import standing_by

    return standing_by(drawn_once, _ready_to_draw)


def _ready_to_draw() -> None:
    """The drawing process behind the ones making the book (a lower priority, Unix's nice): it
    draws on a core they leave idle (while the parent checks and readies what it read, say), and
    takes a share of theirs only when nothing else is left to wait for."""
    with suppress(OSError):
        os.nice(10)
    warm_up()
    # A cover drawn and thrown away: a process's first cover costs twice what the next does (its
    # glyphs rendered, the JPEG encoder set up, the picture's memory mapped), 0.05 s against 0.025,
    # and the build waits for the cover at its end. Nothing of it is kept (drawn_once).
    drawn_once(("Warming Up", "for a reader"))


def warm_up() -> None:
    """Pillow and the typefaces loaded, at the sizes every cover uses: what generate_cover spends
    a third of its time on the first time, done by a process drawing covers while it waits."""
    from PIL import Image, ImageDraw, JpegImagePlugin  # noqa: F401

    for font in (_font(_TITLE_SIZES[0]), _font(_DEDICATION_SIZE, italic=True)):
        _font_at(font.path, _GLYPH_SIZE)  # drawable()'s


def _palette(title: str) -> tuple[tuple[int, int, int], ...]:
    return _PALETTES[hashlib.sha256(title.encode()).digest()[0] % len(_PALETTES)]


@lru_cache(maxsize=2)  # 12 MB a picture: a server shares one collection, a build one title
def _jacket(title: str):
    """The cover without its dedication: drawn once for a collection, copied for each reader."""
    from PIL import Image, ImageDraw

    ground, ink, accent = _palette(title)
    image = Image.new("RGB", SIZE, ground)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    draw.rectangle((80, 80, width - 80, height - 80), outline=accent, width=5)
    draw.rectangle((104, 104, width - 104, height - 104), outline=accent, width=2)
    title_font, lines = _fit_title(draw, title, width - 400)
    lines = [line for line in lines if drawable(line, title_font)]
    line_height = title_font.size * 1.22
    top = height * 0.42 - line_height * len(lines) / 2
    for number, line in enumerate(lines):
        draw.text((width / 2, top + number * line_height), line, font=title_font, fill=ink, anchor="mt")
    if lines:
        _ornament(draw, (width / 2, top - 150), accent)
    _ornament(draw, (width / 2, top + line_height * len(lines) + 110 if lines else height * 0.42), accent)
    return image


def _ornament(draw, centre: tuple[float, float], colour: tuple[int, int, int]) -> None:
    """A rule with a small diamond at its middle, drawn (not a glyph, so never a missing one)."""
    x, y = centre
    draw.line((x - 260, y, x - 40, y), fill=colour, width=4)
    draw.line((x + 40, y, x + 260, y), fill=colour, width=4)
    draw.polygon(((x, y - 22), (x + 22, y), (x, y + 22), (x - 22, y)), fill=colour)


def drawable(text: str, font) -> bool:
    """Whether the font has a glyph for every visible character of `text`: a character it lacks
    renders as its .notdef box, which no cover should show."""
    return all(char.isspace() or _has_glyph(font, char) for char in text)


def _has_glyph(font, char: str) -> bool:
    return _glyph_key(font.path, char) != _glyph_key(font.path, _NOT_A_CHARACTER)


_GLYPH_SIZE = 48
_NOT_A_CHARACTER = "\ue000"  # private use: no font for text has a glyph for it, so it draws .notdef


@lru_cache(maxsize=4096)
def _glyph_key(path: str, char: str) -> tuple[tuple[int, int], bytes]:
    mask = _font_at(path, _GLYPH_SIZE).getmask(char)
    return mask.size, bytes(mask)


@lru_cache(maxsize=32)
def _font_at(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def _font(size: int, italic: bool = False):
    """The bundled Noto Serif (a pinned package: the same glyphs on every machine, so covers are
    reproducible), at its regular weight."""
    return _font_at(str(resources.files("fontpkg_noto_serif") / "files" / _FONT_FILES[italic]), size)


_TITLE_SIZES = range(220, 79, -20)
_DEDICATION_SIZE = 104


def _fit_title(draw, title: str, width: int):
    """The largest size, from 220px down, at which the title wraps into at most four lines."""
    for size in _TITLE_SIZES:
        font = _font(size)
        lines = _wrap(draw, title, font, width)
        if len(lines) <= 4 and all(draw.textlength(line, font=font) <= width for line in lines):
            return font, _balanced(draw, title, font, width, len(lines))
    font = _font(80)
    return font, [_shorten(draw, line, font, width) for line in _wrap(draw, title, font, width)[:6]]


def _balanced(draw, title: str, font, width: int, count: int) -> list[str]:
    """The same number of lines, as even in length as they go: the narrowest measure that still
    wraps into `count` lines ("Saltmarsh / Imagines", not "Saltmarsh Imagines of / Summer")."""
    narrowest, widest = 1, width
    while narrowest < widest:
        middle = (narrowest + widest) // 2
        if len(_wrap(draw, title, font, middle)) <= count:
            widest = middle
        else:
            narrowest = middle + 1
    return _wrap(draw, title, font, widest)


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _shorten(draw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"
