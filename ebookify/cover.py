"""The cover: the user's own image from covers/, or a typographic one made for the reader.

Pillow is imported inside the functions: a build that never touches an image does not pay for it.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import EbookifyError
from .inputs import MAX_COVER_BYTES, plain_error, read_regular, real_folder, reason, skip_reason

COVER_SUFFIXES = (".jpg", ".jpeg", ".png")
_MEDIA_TYPES = {"JPEG": ("image/jpeg", "cover.jpg"), "PNG": ("image/png", "cover.png")}
SIZE = (1600, 2560)  # the 1:1.6 portrait that Kindle and Kobo stores ask for
MAX_COVER_PIXELS = 40_000_000
# Deep, quiet colours that keep light text readable, also as a grey e-ink thumbnail.
_PALETTE = ((34, 49, 63), (74, 35, 51), (28, 64, 58), (60, 44, 84), (86, 52, 28), (40, 40, 40))


@dataclass(frozen=True)
class CoverImage:
    data: bytes
    media_type: str
    file_name: str  # its name inside the EPUB
    size: tuple[int, int] = SIZE  # width and height in pixels


def slug(text: str) -> str:
    """'Saltmarsh Imagines!' -> 'saltmarsh-imagines': ASCII, for file names and matching."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def find_cover(folder: Path, title: str, notes: list[str] | None = None) -> Path | None:
    """The image in `folder` named like the collection ("Saltmarsh Imagines.jpg" or
    "saltmarsh-imagines.png"), else the only image there, else none. As in the stories folder, a
    link out of the folder, a device or a pipe is skipped with a note."""
    try:
        images = _images(folder, notes if notes is not None else [])
    except OSError as exc:
        raise EbookifyError(f"the covers folder {folder} {reason(exc)}") from exc
    named = [p for p in images if slug(p.stem) == slug(title)]
    if named:
        return named[0]
    return images[0] if len(images) == 1 else None


def _images(folder: Path, notes: list[str]) -> list[Path]:
    if not folder.is_dir():
        return []
    inside, images = real_folder(folder), []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in COVER_SUFFIXES and not path.name.startswith("."):
            why = skip_reason(path, inside, "covers")
            if why:
                notes.append(f"skipped {path}: {why}")
            else:
                images.append(path)
    return images


def load_cover(path: Path) -> CoverImage:
    """A user's cover, checked, and scaled down (never stretched) to fit 1600x2560 if larger."""
    from PIL import Image, UnidentifiedImageError

    data = read_regular(path, MAX_COVER_BYTES, plain_error(path))
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            if kind not in _MEDIA_TYPES and kind != "MPO":
                raise EbookifyError(f"{path} is a {kind} image; covers must be JPEG or PNG")
            # Checked before decoding: a small file can hold an image too big to unpack.
            if width * height > MAX_COVER_PIXELS:
                raise EbookifyError(
                    f"{path} is {width}×{height} pixels, more than {MAX_COVER_PIXELS // 10**6} megapixels; "
                    "use a smaller cover image"
                )
            image.load()
            # An MPO is a phone's JPEG with more pictures after the first (the other eye, a depth
            # map): e-readers want one plain JPEG, which the first picture, written again, is.
            if kind == "MPO" or width > SIZE[0] or height > SIZE[1]:
                return _fitted(image)
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
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


def generate_cover(title: str, dedication: str | None) -> CoverImage:
    """A 1600x2560 JPEG: the title set large and wrapped, the reader's name below it."""
    from PIL import Image, ImageDraw

    background = _PALETTE[hashlib.sha256(title.encode()).digest()[0] % len(_PALETTE)]
    image = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(image)
    margin = 90
    draw.rectangle((margin, margin, SIZE[0] - margin, SIZE[1] - margin), outline=(236, 228, 210), width=6)
    title_font, lines = _fit_title(draw, title, SIZE[0] - 4 * margin)
    line_height = title_font.size * 1.2
    y = SIZE[1] * 0.38 - line_height * len(lines) / 2
    for line in lines:
        draw.text((SIZE[0] / 2, y), line, font=title_font, fill=(250, 246, 236), anchor="mt")
        y += line_height
    if dedication:
        font = _font(96)
        text = _shorten(draw, dedication, font, SIZE[0] - 4 * margin)
        draw.text((SIZE[0] / 2, SIZE[1] * 0.72), text, font=font, fill=(236, 228, 210), anchor="mm")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return CoverImage(out.getvalue(), "image/jpeg", "cover.jpg")


@lru_cache(maxsize=16)
def _font(size: int):
    from PIL import ImageFont

    # Pillow's own bundled font: the same glyphs on every machine, so covers are reproducible.
    return ImageFont.load_default(size=size)


def _fit_title(draw, title: str, width: int):
    """The largest size, from 200px down, at which the title wraps into at most four lines."""
    for size in range(200, 59, -20):
        font = _font(size)
        lines = _wrap(draw, title, font, width)
        if len(lines) <= 4 and all(draw.textlength(line, font=font) <= width for line in lines):
            return font, lines
    font = _font(60)
    return font, [_shorten(draw, line, font, width) for line in _wrap(draw, title, font, width)[:6]]


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
