"""The one door every input file comes in by: a regular file, of a bounded size, or one plain line.

A story, a readers file, a cover or an EPUB to lint can be anything a path can name: a FIFO (which
would block a plain open() for ever), /dev/zero (which read_bytes() reads until memory runs out), a
link that loops, a name too long for the file system, a file we may not read. Opening without
blocking and asking the open file what it is, before reading a byte, answers all of them alike.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import EbookifyError

if TYPE_CHECKING:
    from PIL.Image import Image

MB = 2**20
MAX_STORY_BYTES = 256 * MB  # fifty times the longest novel; the bench's 50 MB file fits
MAX_READERS_BYTES = 1 * MB  # a readers file is a few lines per friend
MAX_COVER_BYTES = 20 * MB
MAX_EPUB_BYTES = 512 * MB  # for `ebookify lint`: ten times Send-to-Kindle's e-mail limit
# A picture's size is checked before it is decoded: a 12 KB PNG can unpack to 100 million pixels.
MAX_PICTURE_PIXELS = 40_000_000  # a 40-megapixel photo; a cover needs 4

# The reasons an open or a folder listing fails, worded for the user ("Permission denied" is the
# system's own and already plain).
_REASONS = {
    errno.ELOOP: "is a link that leads round in a loop",
    errno.ENAMETOOLONG: "has a name too long for the file system",
    errno.ENOENT: "does not exist",
    errno.ENOTDIR: "is inside something that is not a folder",
}


def reason(exc: OSError) -> str:
    """Why an operation on a path failed, as the end of a sentence naming the path."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return f"cannot be read ({exc.strerror or exc})"


def read_regular(path: Path, limit: int, fail: Callable[[str], EbookifyError]) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes; else `fail(why)` is
    raised, `why` being the end of a sentence that starts with the file's name."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise fail(reason(exc)) from exc
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise fail("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise fail("is not a regular file (a device, pipe or socket)")
        if info.st_size > limit:
            raise fail(f"is larger than {_size(limit)}")
        with os.fdopen(descriptor, "rb", buffering=0) as file:
            descriptor = -1  # the file object closes it now
            data = _read_at_most(file, limit + 1)  # a file can grow after fstat: never read past the limit
    except OSError as exc:
        raise fail(reason(exc)) from exc
    finally:
        if descriptor >= 0:
            os.close(descriptor)
    if len(data) > limit:
        raise fail(f"is larger than {_size(limit)}")
    return data


def _read_at_most(file, count: int) -> bytes:
    chunks, left = [], count
    while left > 0:
        chunk = file.read(min(left, 8 * MB))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _size(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB else f"{limit // 1024} KB"


def plain_error(path: Path) -> Callable[[str], EbookifyError]:
    """For files that are no story: 'friends.toml is larger than 1 MB'."""
    return lambda why: EbookifyError(f"{path} {why}")


def skip_reason(path: Path, inside: str, kind: str) -> str | None:
    """Why a file listed in the `kind` folder (whose real path is `inside`) is not to be read, or
    None: a folder is no way to read files elsewhere on the machine, or to read a device or a pipe."""
    try:
        if path.is_symlink() and not _within(os.path.realpath(path), inside):
            return f"a link to a file outside the {kind} folder"
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a link that leads round in a loop"
        if exc.errno == errno.ENOENT:
            return "a link to a file that does not exist"
        raise
    return None if stat.S_ISREG(info.st_mode) else "not a regular file"


def real_folder(folder: Path) -> str:
    """The folder's real path; os.path.realpath, unlike Path.resolve, never raises on a link loop."""
    return os.path.realpath(folder)


def _within(target: str, folder: str) -> bool:
    return os.path.commonpath([target, folder]) == folder


def picture_errors() -> tuple[type[Exception], ...]:
    """What Pillow raises for bytes that are no picture it can read, or one too big to unpack."""
    from PIL import Image, UnidentifiedImageError

    return (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError)


@contextmanager
def opened_picture(data: bytes, formats: tuple[str, ...] | None = None) -> Iterator[Image]:
    """Pillow's picture of `data`, opened but not decoded, for the caller to check its size against
    MAX_PICTURE_PIXELS before it is. Pillow's own limit, far above that one, would print a Python
    warning on standard error on opening it (Image.DecompressionBombWarning): the caller's check,
    which comes first, says it in one line instead."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        picture = Image.open(io.BytesIO(data), formats=formats)
    with picture:
        yield picture
