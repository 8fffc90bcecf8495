"""The pictures inside an EPUB's chapters, made fit to carry into the book.

A picture is bytes from an archive from anywhere: Pillow must read it whole as a JPEG, PNG, GIF or
WebP, within its decompression-bomb limit, or it is left out (its description stays). One that a
reader can show as it is (a JPEG, PNG or GIF of at most MAX_SIDE pixels a side and MAX_BYTES) is
kept byte for byte; anything else (WebP, which older readers cannot show; a huge picture) is
scaled down and written again, as PNG where it has transparency or few colours, else as JPEG.
SVG pictures are not carried: an SVG is a program as much as a picture.
File names are the content's hash, so the same picture is carried once and builds are reproducible.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from .inputs import MAX_PICTURE_PIXELS, opened_picture, picture_errors

MAX_SIDE = 2048  # a tablet's screen, twice over an e-reader's
MAX_BYTES = 2 * 2**20
_KEPT = {"JPEG": "jpg", "PNG": "png", "GIF": "gif"}
_READ = ("JPEG", "PNG", "GIF", "WEBP")


def fit_image(data: bytes) -> tuple[str, bytes] | str:
    """(file name, bytes) of the picture as the book carries it, or why it cannot be carried."""
    try:
        with opened_picture(data, _READ) as probe:
            probe.verify()  # the whole file, not just its header
        with opened_picture(data, _READ) as image:
            if image.width * image.height > MAX_PICTURE_PIXELS:  # before it is decoded (inputs.py)
                return f"is {image.width}×{image.height} pixels, more than {MAX_PICTURE_PIXELS // 10**6} megapixels"
            image.load()
            kind = image.format or ""
            small = max(image.size) <= MAX_SIDE and len(data) <= MAX_BYTES
            if kind in _KEPT and small:
                return _named(data, _KEPT[kind])
            return _rewritten(image)
    except picture_errors() as exc:
        return f"is not a picture ebookify can carry ({str(exc) or type(exc).__name__})"


def _rewritten(image: Image.Image) -> tuple[str, bytes]:
    image.seek(0)  # an animation: its first frame
    frame = image.convert("RGBA") if image.mode in ("P", "LA", "RGBA", "PA") else image.convert("RGB")
    frame.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if frame.mode == "RGBA":
        frame.save(out, "PNG", optimize=True)
        return _named(out.getvalue(), "png")
    frame.save(out, "JPEG", quality=85, optimize=True)
    return _named(out.getvalue(), "jpg")


def _named(data: bytes, extension: str) -> tuple[str, bytes]:
    return f"p{hashlib.sha256(data).hexdigest()[:20]}.{extension}", data
