"""Work on all cores, and stop at once when asked.

Not multiprocessing.Pool: its workers share queue locks, and a worker ended while it holds one (by
Pool.terminate itself, after Ctrl-C or SIGTERM, or by a signal to the whole process group) leaves
the parent waiting for that lock for ever. Here each worker has a pipe of its own and shares no
lock, so the parent can kill its workers at any moment and go on."""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import EbookifyError
from .interrupt import stop_like

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

A = TypeVar("A")
T = TypeVar("T")
R = TypeVar("R")
_in_worker = False  # set in a worker process: its own work stays on its core
_forked = False  # set in a forked worker: what it makes crosses a pipe to the parent


def can_fork() -> bool:
    return hasattr(os, "fork")


def in_worker() -> bool:
    """Whether this is a worker (a forked one, or this process making its own share of in_order's
    work): what it makes beyond its results (a page deflated) is work done while the other cores
    work too; done in the parent after them, it would only be one more copy held."""
    return _in_worker


def forked_worker() -> bool:
    """Whether this is a forked worker, whose results are pickled to the parent (not the parent
    making its own share of in_order's work)."""
    return _forked


def _own_share(work: Callable[[int], T], index: int) -> T:
    """work(index) made by this process as one of in_order's workers: as a worker, it forks no
    more workers for it (the cores are taken)."""
    global _in_worker
    _in_worker = True
    try:
        return work(index)
    finally:
        _in_worker = False


def in_order(
    work: Callable[[int], T], count: int, workers: int, meanwhile: Callable[[], object] | None = None
) -> Generator[T, None, None]:
    """work(0) … work(count - 1), yielded in that order, made by `workers` workers (worker k makes
    k, k + workers, …): this process is worker 0, the others are forked. Each reaches the work's
    data through the fork's copy-on-write memory, and sends back only its results; this process's
    own share never crosses a pipe. When the iteration stops, finished or not (an error, Ctrl-C,
    SIGTERM, close()), the workers are killed and reaped. `meanwhile`, if given, is done by this
    process once the workers are started, before its own share."""
    children: list[tuple[int, Connection]] = []
    try:
        for first in range(1, workers):
            children.append(_started(work, range(first, count, workers)))
        if meanwhile:
            meanwhile()
        for index in range(count):
            yield _own_share(work, index) if index % workers == 0 else _received(*children[index % workers - 1])
    finally:
        for pid, receiver in children:
            _end(pid)
            receiver.close()


@contextmanager
def standing_by(work: Callable[[A], T], ready: Callable[[], object]) -> Iterator[Callable[[A], Callable[[], T]]]:
    """A forked process that does ready() (imports, say) while this one goes on, then waits to be
    asked: the context gives ask(argument), which hands it work(argument) and gives back the
    function that waits for the result. Asked once at most. In a worker, whose cores are taken, or
    without fork, nothing is forked: work(argument) is done here when its result is wanted. On
    leaving, the process is killed and reaped, done, asked or not."""
    if not can_fork() or _in_worker:
        yield lambda argument: cache(partial(work, argument))
        return
    from multiprocessing.connection import Pipe

    asked, asking = Pipe(duplex=False)

    def answer(_: int) -> T:
        asking.close()  # its copy here: the parent's end is the only one
        ready()
        return work(asked.recv())

    pid, receiver = _started(answer, range(1))
    asked.close()

    def ask(argument: A) -> Callable[[], T]:
        asking.send(argument)
        return cache(partial(_received, pid, receiver))

    try:
        yield ask
    finally:
        asking.close()
        _end(pid)
        receiver.close()


def _started(work: Callable[[int], object], indices: range) -> tuple[int, Connection]:
    """A forked worker making work(index) for each index, and the end of the pipe they come by."""
    from multiprocessing.connection import Pipe  # only here: a one-reader build may need no workers

    parent = os.getpid()
    receiver, sender = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:
        receiver.close()
        _serve(work, indices, sender, parent)
    sender.close()
    return pid, receiver


def mapped(
    work: Callable[[T], R],
    items: Sequence[T],
    size: Callable[[T], int],
    enough: int,
    meanwhile: Callable[[], object] | None = None,
) -> list[R]:
    """[work(item) for item in items], on all cores when the items' total `size` reaches `enough`
    (below it, starting the workers costs more than it saves). `meanwhile` is done once, by this
    process: while the workers work, or first when there are none."""
    return list(streamed(work, items, size, enough, meanwhile))


def streamed(
    work: Callable[[T], R],
    items: Sequence[T],
    size: Callable[[T], int],
    enough: int,
    meanwhile: Callable[[], object] | None = None,
) -> Generator[R, None, None]:
    """mapped's results one by one, in order, as they come (close it to stop the workers at once).
    Each worker takes a run of items of about equal size, so that only their results cross back."""
    workers = min(len(items), os.cpu_count() or 1)
    # In a worker already (one reader's copy among several), the cores are taken: no more workers,
    # and no sizes to weigh (a whole book's blocks, for each copy).
    sizes = [] if workers < 2 or not can_fork() or _in_worker else [size(item) for item in items]
    if not sizes or sum(sizes) < enough:
        if meanwhile:
            meanwhile()
        return (work(item) for item in items)
    runs = _runs(sizes, workers * 2)  # two runs a worker: one slow run is made up by the others

    def run_of(index: int) -> list[R]:
        start, end = runs[index]
        return [work(item) for item in items[start:end]]

    return (result for results in in_order(run_of, len(runs), workers, meanwhile) for result in results)


def _runs(sizes: list[int], count: int) -> list[tuple[int, int]]:
    """(start, end) of `count` or fewer runs of consecutive items, each about total/count in size."""
    total, start, filled = sum(sizes), 0, 0
    runs: list[tuple[int, int]] = []
    for index, item_size in enumerate(sizes):
        filled += item_size
        if filled * count >= total * (len(runs) + 1) and index + 1 > start:
            runs.append((start, index + 1))
            start = index + 1
    if start < len(sizes):
        runs.append((start, len(sizes)))
    return runs


def _received(pid: int, receiver: Connection) -> Any:
    try:
        ok, value = receiver.recv()
    except (EOFError, OSError):  # killed from outside, before or while it sent: say so, not wait
        # Ctrl-C or SIGTERM to the whole process group stops the workers too, and this process may
        # hear of a worker's end before its own signal: it is the same stop, said the same way.
        stop_like(_killed_by(pid))
        raise EbookifyError(f"a worker process ({pid}) stopped before it finished its book") from None
    if not ok:
        raise value
    return value


def _killed_by(pid: int) -> int | None:
    """The signal that ended worker `pid`, if one did; it is left to be reaped (_end)."""
    try:
        ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    except ChildProcessError:
        return None
    killed = ended is not None and ended.si_code in (os.CLD_KILLED, os.CLD_DUMPED)
    return ended.si_status if killed and ended is not None else None


def _end(pid: int) -> None:
    with suppress(ProcessLookupError):  # a worker done with its books may have exited already
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _serve(work: Callable[[int], object], indices: range, sender: Connection, parent: int) -> None:
    """In the worker: make each result and send it, or the error that stopped it; never return
    into the parent's stack (os._exit, no atexit, no flushing of the parent's buffers)."""
    global _in_worker, _forked
    _in_worker = _forked = True
    try:
        _quiet(parent)
        for index in indices:
            try:
                sender.send((True, work(index)))
            except Exception as exc:
                sender.send((False, _portable(exc)))
                break
    finally:
        os._exit(0)


def _quiet(parent: int) -> None:
    """Stopping is the parent's business: a worker dies on Ctrl-C or SIGTERM without a word (the
    parent, told too, cleans up), and with its parent, even one killed by SIGKILL. Its parent's
    death closes the pipe before the death signal comes: a book sent then ends it by SIGPIPE,
    silently, instead of a BrokenPipeError traceback."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)
    die_with(parent)


def die_with(parent: int) -> None:
    """This forked process killed (SIGKILL) when `parent` dies, however it dies (Linux): no worker
    outlives it, holding what it inherited (a server's listening socket, say)."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl: nobody is waiting
        os._exit(0)


def give_back_memory() -> None:
    """Memory freed by this process returned to the system, where the C library can: glibc keeps
    what small objects freed scattered through its heap (the results received from workers once
    unpickled, the text of story files as read), and a worker forked after inherits it all."""
    if sys.platform == "linux":
        import ctypes

        with suppress(AttributeError, OSError):  # another C library than glibc
            ctypes.CDLL(None).malloc_trim(0)


def _portable(exc: Exception) -> Exception:
    """The error as the parent can receive it: ours as they are, anything else (a bug) as a
    RuntimeError that carries the worker's traceback."""
    if isinstance(exc, EbookifyError):
        try:
            pickle.loads(pickle.dumps(exc))
            return exc
        except Exception:
            return EbookifyError(str(exc))
    return RuntimeError("in a worker process:\n" + "".join(traceback.format_exception(exc)))
