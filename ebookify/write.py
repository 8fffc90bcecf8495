"""Writing books so that nothing is ever lost: whole files or none, all of a build or none."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import EbookifyError


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: `path` is whole or untouched."""
    with staged() as stage:
        stage(path, data)


@contextmanager
def staged() -> Iterator[Callable[[Path, bytes], None]]:
    """Books are written to temporary files beside their places, and renamed into them only when
    every one is written: a failure (a full disk, Ctrl-C) on the last reader's book leaves all the
    earlier builds' books as they were, and no temporary file behind."""
    pending: list[tuple[Path, Path]] = []

    def stage(path: Path, data: bytes) -> None:
        pending.append((_written_beside(path, data), path))

    try:
        yield stage
        _commit(pending)
    finally:
        for temporary, _ in pending:
            temporary.unlink(missing_ok=True)


def _written_beside(path: Path, data: bytes) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise EbookifyError(f"cannot write {path}: {exc.strerror or exc}") from exc
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise EbookifyError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return temporary


def _commit(pending: list[tuple[Path, Path]]) -> None:
    """Rename every written book into its place, or none: the books they replace are set aside
    first, and put back if any rename fails."""
    placed: list[Path] = []
    set_aside: list[tuple[Path, Path]] = []
    current = None
    try:
        for temporary, path in pending:
            current = path
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "a folder is in the way")
            if path.exists():
                aside = path.with_name(f".{path.name}.{os.getpid()}.old")
                os.replace(path, aside)
                set_aside.append((aside, path))
            os.replace(temporary, path)
            placed.append(path)
    except BaseException as exc:
        for path in placed:
            path.unlink(missing_ok=True)
        for aside, path in set_aside:
            os.replace(aside, path)
        if isinstance(exc, OSError):
            raise EbookifyError(f"cannot write {current}: {exc.strerror or exc}") from exc
        raise
    for aside, _ in set_aside:
        aside.unlink(missing_ok=True)
