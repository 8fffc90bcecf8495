"""Writing books so that nothing is ever lost: whole files or none, all of a build or none, never
an input or a device replaced, and no file left behind by a build that was killed.

Beside each book, while a build writes it: `.NAME.lock` (held with flock, so that another build of
the same file is refused, and released by the kernel if the build dies), `.NAME.XXXXXXXX.part` (the
new book, renamed over NAME when every book of the build is written) and, for a build of several
books, `.NAME.XXXXXXXX.old` (a link to the earlier book, to put back if a later rename fails)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from .errors import EbookifyError
from .interrupt import stops_deferred

try:
    import fcntl
except ImportError:  # Windows: no flock, so builds there are not guarded against each other
    fcntl = None  # type: ignore[assignment]

# What a killed build of ours leaves beside NAME: a temporary book, or an earlier book set aside.
# (Before locks, the earlier book was set aside as .NAME.PID.old: those are put back too.)
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:[a-z0-9_]{8}\.(?:part|old)|\d+\.old|lock)$")
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


@contextmanager
def staged() -> Iterator[Callable[[Path, bytes | Callable[[BinaryIO], None]], int]]:
    """Books are written to temporary files beside their places, and renamed into them only when
    every one is written: a failure (a full disk, Ctrl-C, SIGTERM) on the last reader's book leaves
    all the earlier builds' books as they were, and no temporary file behind. Each place is locked
    from its first book on, and what killed builds left beside it is cleared away first. A book is
    given as its bytes, or as the function that writes them to a file; stage() gives its size."""
    pending: list[tuple[Path, Path]] = []
    locks: dict[Path, int] = {}  # each place's lock, named here in the very step that takes it

    def stage(path: Path, data: bytes | Callable[[BinaryIO], None]) -> int:
        if path not in locks:
            _lock(path, locks, clear=path.parent not in {p.parent for p in locks})
        return _write_beside(path, data, pending)

    try:
        yield stage
        _commit(pending)
    finally:
        # Signals wait while this clears away, but one can come just before they are told to: it
        # comes once (its handler then ignores the rest), so a second go finishes what it cut short.
        try:
            with stops_deferred():
                _clear_away(pending, locks)
        finally:
            with stops_deferred():
                _clear_away(pending, locks)


def _clear_away(pending: list[tuple[Path, Path]], locks: dict[Path, int]) -> None:
    """Remove the temporaries and let go of the locks, each taken off its list as it goes: a second
    go never removes a lock file another build has taken since. A temporary that cannot be removed
    (a folder made read-only meanwhile) is left for the next build to clear (_clear_leftovers);
    the locks are let go all the same, and the build's own error is what is said."""
    while pending:
        temporary, _ = pending.pop()
        with suppress(OSError):
            temporary.unlink(missing_ok=True)
    while locks:
        _unlock(*locks.popitem())


def refuse_unsafe_outputs(paths: Iterable[Path], inputs: Mapping[Path, str]) -> None:
    """Refuse, before anything is written, a book path that is one of `inputs` (a story, the
    readers file: path -> what it is), or inside one of the input folders, or is not a regular file
    (a FIFO, /dev/null): renaming a book over any of them would destroy it."""
    files: dict[tuple[int, int], str] = {}
    folders: dict[tuple[int, int], str] = {}
    for path, what in inputs.items():
        status = _status(path)
        if status is not None:
            (folders if stat.S_ISDIR(status.st_mode) else files)[_identity(status)] = what
    for path in paths:
        problem = _clash(path, {**files, **folders}, folders) or _not_a_file(path)
        if problem:
            raise EbookifyError(f"cannot write the book to {path}: {problem}")


def _clash(path: Path, inputs: dict[tuple[int, int], str], folders: dict[tuple[int, int], str]) -> str | None:
    """How `path` would replace an input: compared by device and inode, so that a hard link, a
    symbolic link or another spelling of the same file or folder is caught too."""
    status = _status(path)
    if status is not None and _identity(status) in inputs:
        return f"it is {inputs[_identity(status)]}"
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a link loop: writing there fails later, with its own line
        resolved = Path(os.path.abspath(path))
    for folder in resolved.parents:
        status = _status(folder)
        if status is not None and _identity(status) in folders:
            return f"it would be in {folders[_identity(status)]}"
    return None


def _not_a_file(path: Path) -> str | None:
    """What `path` is, if it is there and not a regular file (a link is judged by what it points to)."""
    status = _status(path)
    if status is None or stat.S_ISREG(status.st_mode):
        return None
    return f"it is {_KINDS.get(stat.S_IFMT(status.st_mode), 'a special file')}, not a file"


def _status(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _identity(status: os.stat_result) -> tuple[int, int]:
    return status.st_dev, status.st_ino


def _write_beside(path: Path, data: bytes | Callable[[BinaryIO], None], pending: list[tuple[Path, Path]]) -> int:
    try:
        with stops_deferred():  # named in `pending` as soon as it exists, so that it is cleared away
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
            pending.append((Path(name), path))
            file = os.fdopen(handle, "wb")
        with file:
            if isinstance(data, bytes):
                file.write(data)
            else:  # a zip written straight into the file: no second copy of the book is held
                data(file)
            file.flush()
            os.fsync(file.fileno())
            size = file.tell()
        os.chmod(name, 0o644)
        return size
    except OSError as exc:
        raise EbookifyError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _commit(pending: list[tuple[Path, Path]]) -> None:
    """Rename every written book over its place, or none. Each rename is atomic, so a place is never
    empty, even for a moment; for several books, the earlier ones are kept as links until all are
    in place, and put back if any rename fails. Signals wait until this is done."""
    with stops_deferred():
        backups: dict[Path, Path] = {}
        try:
            if len(pending) > 1:
                for _, path in pending:
                    _back_up(path, backups)
            _replace_all(pending, backups)
        finally:
            for backup in backups.values():
                backup.unlink(missing_ok=True)


def _replace_all(pending: list[tuple[Path, Path]], backups: dict[Path, Path]) -> None:
    placed: list[Path] = []
    current = None
    try:
        for temporary, path in pending:
            current = path
            problem = _not_a_file(path)  # checked before the build too; this is in case it changed
            if problem:
                raise EbookifyError(f"cannot write the book to {path}: {problem}")
            os.replace(temporary, path)
            placed.append(path)
    except BaseException as exc:
        _put_back(placed, backups)
        if isinstance(exc, OSError):
            raise EbookifyError(f"cannot write {current}: {exc.strerror or exc}") from exc
        raise


def _put_back(placed: list[Path], backups: dict[Path, Path]) -> None:
    """Undo the renames done so far: the earlier book back, or no file where there was none."""
    for path in placed:
        backup = backups.get(path)
        try:
            if backup is None:
                path.unlink(missing_ok=True)
            else:
                os.replace(backup, path)
                del backups[path]
        except OSError:
            continue  # the backup stays, and the next build beside it puts it back (_clear_leftovers)


def _back_up(path: Path, backups: dict[Path, Path]) -> None:
    """A second name for the earlier book at `path`, if there is one: a hard link, or a copy where
    the file system has none (FAT on an e-reader)."""
    if not os.path.lexists(path):
        return
    try:
        backups[path] = _linked_beside(path)
        return
    except OSError:
        pass
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old")
        backups[path] = Path(name)
        with os.fdopen(handle, "wb") as file, open(path, "rb") as earlier:
            shutil.copyfileobj(earlier, file)
    except OSError as exc:
        raise EbookifyError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _linked_beside(path: Path) -> Path:
    # A link at `path` is itself linked (where the system can), so that putting it back restores a link.
    itself = os.link in os.supports_follow_symlinks
    while True:
        backup = path.with_name(f".{path.name}.{secrets.token_hex(4)}.old")
        try:
            os.link(path, backup, follow_symlinks=not itself)
            return backup
        except FileExistsError:
            continue


def _lock(path: Path, locks: dict[Path, int], clear: bool) -> None:
    """Take the lock beside `path` for the build, refusing if another build holds it; then, if
    `clear`, clear away what killed builds left in that folder."""
    # A signal between creating the lock file and naming its descriptor in `locks` would leave the
    # file behind (no clean-up would know of it): it waits, and then takes effect.
    with stops_deferred():
        locks[path] = _acquired(path)
    if clear:
        _clear_leftovers(path)


def _acquired(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = _try_lock(path)
    except OSError as exc:
        raise EbookifyError(f"cannot write {path}: {exc.strerror or exc}") from exc
    if lock is None:
        raise EbookifyError(f"another ebookify build is writing {path}; try again when it has finished")
    return lock


def _lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def _try_lock(path: Path) -> int | None:
    """The lock beside `path` (an open descriptor), or None if another build holds it. -1: no locks
    on this system. The lock file is removed on release, so a lock taken on a file that was just
    removed is let go and taken again on the new one."""
    if fcntl is None:
        return -1
    lock = _lock_path(path)
    while True:
        handle = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            return None
        except OSError:  # a file system without locks: write as before locks
            return handle
        status = _status(lock)
        if status is not None and _identity(status) == _identity(os.fstat(handle)):
            return handle
        os.close(handle)


def _unlock(path: Path, handle: int) -> None:
    if handle < 0:
        return
    # Removed while still held: a build waiting on this file sees that and takes a new one.
    with suppress(OSError):
        _lock_path(path).unlink(missing_ok=True)
    os.close(handle)


def _clear_leftovers(path: Path) -> None:
    """Remove what killed builds left in `path`'s folder: temporary books, and earlier books set
    aside (put back instead where their place is empty). Only files of our naming, and only for
    books no running build holds (their locks are free), or for `path`, whose lock is ours."""
    if fcntl is None:
        return
    leftovers: dict[str, list[Path]] = {}
    with suppress(OSError):  # a folder we may write to but not list: nothing to clear, then
        for entry in os.scandir(path.parent):
            match = _LEFTOVER.match(entry.name)
            if match and (match["name"] == path.name or match["name"].endswith(".epub")):
                leftovers.setdefault(match["name"], []).append(Path(entry.path))
    for name, files in leftovers.items():
        book = path.with_name(name)
        if book == path:
            _clear(book, files)
            continue
        # Taken, used and let go with signals waiting: a lock file let go halfway would stay.
        with stops_deferred():
            try:
                lock = _try_lock(book)
            except OSError:  # another user's lock file, in a shared folder: theirs to clear
                continue
            if lock is not None:
                try:
                    _clear(book, files)
                finally:
                    _unlock(book, lock)


def _clear(book: Path, files: list[Path]) -> None:
    for file in files:
        try:
            if file.suffix == ".old" and not os.path.lexists(book):
                os.replace(file, book)
            elif file.suffix != ".lock":
                file.unlink(missing_ok=True)
        except OSError:
            continue  # not ours to fight over: another user's file, a read-only folder
