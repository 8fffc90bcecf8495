"""Work on all cores, and stop at once when asked.

Not multiprocessing.Pool: its workers share queue locks, and a worker ended while it holds one (by
Pool.terminate itself, after Ctrl-C or SIGTERM, or by a signal to the whole process group) leaves
the parent waiting for that lock for ever. Here each worker has a pipe of its own for its results,
and the work is handed out by a pipe of tickets, each read whole or not at all: no lock is shared,
so the parent can kill its workers at any moment and go on."""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, TypeVar

from .errors import EbookifyError
from .interrupt import stop_like

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
    """work(0) … work(count - 1), yielded in that order, made by `workers` workers: this process
    and `workers - 1` forked ones. Each takes the next index not yet taken whenever it is free (a
    ticket from a pipe they share, _Tickets), so that a slow item, or a worker slowed by sending
    its results, is made up by the others; this process takes one whenever the next result to
    yield is not there yet. The forked ones reach the work's data through the fork's copy-on-write
    memory, and send back only their results; this process's own never cross a pipe. When the
    iteration stops, finished or not (an error, Ctrl-C, SIGTERM, close()), the workers are killed
    and reaped. `meanwhile`, if given, is done by this process once the workers are started,
    before it takes any index."""
    tickets = _Tickets(count)
    children: list[_Child] = []
    made: dict[int, tuple[bool, Any]] = {}  # made ahead of its turn: (made, the result or the error)
    try:
        for _ in range(1, workers):
            children.append(_Child(*_started(work, tickets.taken())))
        if meanwhile:
            meanwhile()
        for index in range(count):
            while index not in made:
                # What the workers sent is taken in as soon as it is there: it waits in their pipes
                # otherwise, and this process would take it all in at the end, while they idle.
                _receive_some(children, made, wait_for_one=False)
                if index in made:
                    break
                taken = tickets.take()
                if taken is None:
                    _receive_some(children, made)
                    continue
                for ahead in taken:
                    made[ahead] = (True, _own_share(work, ahead)) if ahead == index else _made_ahead(work, ahead)
            ok, value = made.pop(index)
            if not ok:
                raise value
            yield value
    finally:
        tickets.close()
        for child in children:
            _end(child.pid)
            child.receiver.close()


class _Tickets:
    """The indices 0 … count - 1 in a pipe, taken in order by whichever process is free: a read of
    a ticket's four bytes takes them all or none, and needs no lock (a worker killed while holding
    one would leave the others waiting for ever). Past _MOST_TICKETS items, a ticket stands for a
    run of consecutive indices, so that all tickets fit in the pipe at once."""

    def __init__(self, count: int) -> None:
        self.step = -(-count // _MOST_TICKETS) if count else 1
        self.count = count
        self.reading, writing = os.pipe()
        try:
            os.write(writing, b"".join(n.to_bytes(4, "little") for n in range(0, count, self.step)))
        finally:
            os.close(writing)  # so that taking a ticket once all are taken finds none (EOF)

    def take(self) -> range | None:
        """The indices of the next ticket, None once all are taken."""
        ticket = os.read(self.reading, 4)
        if not ticket:
            return None
        first = int.from_bytes(ticket, "little")
        return range(first, min(first + self.step, self.count))

    def taken(self) -> Iterator[int]:
        """Each index of each ticket taken, until none is left: a worker's share."""
        while (indices := self.take()) is not None:
            yield from indices

    def close(self) -> None:
        os.close(self.reading)


_MOST_TICKETS = 1024  # four bytes each: 4 KB, less than any pipe holds


@dataclass
class _Child:
    pid: int
    receiver: _Receiver
    done: bool = False  # it took no more tickets, and sent all it made


def _made_ahead(work: Callable[[int], T], index: int) -> tuple[bool, Any]:
    """work(index), made by this process before its turn: an error it raises is kept for its turn,
    as a forked worker's is (an earlier item's may be the one to stop at)."""
    try:
        return True, _own_share(work, index)
    except Exception as exc:
        return False, exc


def _receive_some(children: list[_Child], made: dict[int, tuple[bool, Any]], wait_for_one: bool = True) -> None:
    """The forked workers' results there to be read, kept in `made`: waiting for one, or not at all."""
    working = [child for child in children if not child.done]
    if not working:
        if wait_for_one:  # cannot happen: every index is taken, and made by whoever took it
            raise EbookifyError("the workers finished without one of the results")
        return
    # poll, not select: select refuses a descriptor numbered past 1,024, which a process holding
    # many files may give a pipe.
    watching = select.poll()
    for child in working:
        watching.register(child.receiver.fileno(), select.POLLIN)
    ready = {fd for fd, _ in watching.poll(None if wait_for_one else 0)}  # data, or its writer gone
    for child in working:
        if child.receiver.fileno() in ready:
            message = _message(child.pid, child.receiver)
            if message is None:
                child.done = True
            else:
                index, ok, value = message
                made[index] = ok, value


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
    asked, asking = _pipe()

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


def _started(work: Callable[[int], object], indices: Iterable[int]) -> tuple[int, _Receiver]:
    """A forked worker making work(index) for each index (taken there: tickets, say), and the end of
    the pipe they come by."""
    parent = os.getpid()
    receiver, sender = _pipe()
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
    The items are cut into runs of about equal size, each taken by whichever worker is free (so
    that only their results cross back, and a slow run is made up by the others)."""
    workers = min(len(items), os.cpu_count() or 1)
    # In a worker already (one reader's copy among several), the cores are taken: no more workers,
    # and no sizes to weigh (a whole book's blocks, for each copy).
    sizes = [] if workers < 2 or not can_fork() or _in_worker else [size(item) for item in items]
    if not sizes or sum(sizes) < enough:
        if meanwhile:
            meanwhile()
        return (work(item) for item in items)
    runs = _runs(sizes, workers * 8)  # eight a worker: the last runs taken are short, and end together

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


def _received(pid: int, receiver: _Receiver) -> Any:
    """The next result from worker `pid`, or its error raised."""
    message = _message(pid, receiver)
    if message is None:  # cannot happen: it is only asked for a result it will make
        raise EbookifyError(f"a worker process ({pid}) finished without its result")
    _, ok, value = message
    if not ok:
        raise value
    return value


def _message(pid: int, receiver: _Receiver) -> tuple[int, bool, Any] | None:
    """What worker `pid` sends next: (index, made, the result or the error), or None once it has
    sent all it made."""
    try:
        return receiver.recv()
    except (EOFError, OSError):  # killed from outside, before or while it sent: say so, not wait
        # Ctrl-C or SIGTERM to the whole process group stops the workers too, and this process may
        # hear of a worker's end before its own signal: it is the same stop, said the same way.
        stop_like(_killed_by(pid))
        raise EbookifyError(f"a worker process ({pid}) stopped before it finished its book") from None


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


def _serve(work: Callable[[int], object], indices: Iterable[int], sender: _Sender, parent: int) -> None:
    """In the worker: make each result and send it with its index, or the error that stopped it,
    then None (all sent); never return into the parent's stack (os._exit, no atexit, no flushing
    of the parent's buffers)."""
    global _in_worker, _forked
    _in_worker = _forked = True
    try:
        _quiet(parent)
        outbox = _Outbox(sender)
        for index in indices:
            try:
                outbox.send((index, True, work(index)))
            except Exception as exc:
                outbox.send((index, False, _portable(exc)))
                break
        outbox.send(None)
        outbox.close()
    finally:
        os._exit(0)


class _Outbox:
    """What a worker made, written to its pipe by a thread of its own: a pipe holds 64 KB, and a
    result is megabytes, so a worker sending it itself would wait for the parent to read it (the
    parent making its own share meanwhile) before it could take the next item."""

    def __init__(self, sender: _Sender) -> None:
        import queue
        import threading

        self.sender = sender
        self.queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.writer = threading.Thread(target=self._write)
        self.writer.start()

    def send(self, message: object) -> None:
        self.queue.put(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    def close(self) -> None:
        """Once all is written."""
        self.queue.put(None)
        self.writer.join()

    def _write(self) -> None:
        while (message := self.queue.get()) is not None:
            self.sender.send_bytes(message)


def _pipe() -> tuple[_Receiver, _Sender]:
    """A pipe for pickled messages, each after its length. Not multiprocessing's Pipe: importing
    multiprocessing takes 10 ms, a twentieth of a short build."""
    reading, writing = os.pipe()
    return _Receiver(reading), _Sender(writing)


class _PipeEnd:
    """One end of a _pipe: its descriptor until closed."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    def fileno(self) -> int:
        if self.fd is None:
            raise OSError("the pipe is closed")
        return self.fd

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class _Sender(_PipeEnd):
    def send(self, message: object) -> None:
        self.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    def send_bytes(self, data: bytes) -> None:
        for part in (len(data).to_bytes(_LENGTH, "big"), data):
            view = memoryview(part)
            while view:
                view = view[os.write(self.fileno(), view) :]


class _Receiver(_PipeEnd):
    def recv(self) -> Any:
        """The next message; EOFError if the pipe ends before it does (its sender gone)."""
        length = int.from_bytes(self._exactly(_LENGTH), "big")
        return pickle.loads(self._exactly(length))

    def _exactly(self, size: int) -> bytearray:
        data = bytearray(size)
        view, got = memoryview(data), 0
        while got < size:
            read = os.readv(self.fileno(), [view[got:]])
            if not read:
                raise EOFError
            got += read
        return data


_LENGTH = 8  # bytes before each message: its length


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
