"""Being stopped: SIGTERM ends a build the way Ctrl-C does (cleaned up, one line), the renames that
put books in place are never cut in two, and the forked workers die quietly with their parent."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_STOPPING = (signal.SIGINT, signal.SIGTERM)


class Terminated(BaseException):  # named like its sibling KeyboardInterrupt
    """SIGTERM, raised where the program is, so that the same clean-up runs as for Ctrl-C."""


@contextmanager
def stops_as_exceptions() -> Iterator[None]:
    """Within: SIGINT raises KeyboardInterrupt and SIGTERM raises Terminated, once. A second signal
    during the clean-up is ignored, so that the clean-up is not itself cut short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(number: int, frame: FrameType | None) -> None:
        for each in _STOPPING:
            signal.signal(each, signal.SIG_IGN)
        raise Terminated if number == signal.SIGTERM else KeyboardInterrupt

    previous = {number: signal.signal(number, stop) for number in _STOPPING}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def stops_deferred() -> Iterator[None]:
    """Within: SIGINT and SIGTERM wait, and take effect when the block is done. For the few steps
    that must not be cut in two: putting books in place, and naming a temporary file for clean-up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for number in _STOPPING:
        handler = signal.getsignal(number)
        if handler is None or handler is signal.SIG_IGN:  # set outside Python, or ignored: leave it
            continue
        previous[number] = handler
        signal.signal(number, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(caught):
            signal.raise_signal(number)


def quiet_worker(parent: int) -> None:
    """Set up a forked worker: Ctrl-C is its parent's to handle (the parent stops the pool), SIGTERM
    ends it silently, and it dies with its parent, even with a parent killed by SIGKILL, instead of
    finishing its book and printing a BrokenPipeError traceback to nobody."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl: nobody is waiting for this book
        os._exit(0)
