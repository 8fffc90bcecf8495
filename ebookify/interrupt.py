"""Being stopped: SIGTERM ends a build the way Ctrl-C does (cleaned up, one line), and the renames
that put books in place are never cut in two."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_STOPPING = (signal.SIGINT, signal.SIGTERM)


class Terminated(BaseException):  # named like its sibling KeyboardInterrupt
    """SIGTERM, raised where the program is, so that the same clean-up runs as for Ctrl-C."""


def stop_like(number: int | None) -> None:
    """Stop as signal `number` stops the build, if it is SIGINT or SIGTERM: the signal came to
    the whole process group, and a worker's end told of it first. Later ones are ignored, as
    after the signal itself, so that the clean-up is not cut short."""
    if number not in _STOPPING:
        return
    if threading.current_thread() is threading.main_thread():
        for each in _STOPPING:
            signal.signal(each, signal.SIG_IGN)
    raise Terminated if number == signal.SIGTERM else KeyboardInterrupt


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

    # A signal ignored from the start stays ignored: `ebookify build &` in a script is not for Ctrl-C.
    previous = {n: signal.signal(n, stop) for n in _STOPPING if signal.getsignal(n) is not signal.SIG_IGN}
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
        for waiting in dict.fromkeys(caught):
            signal.raise_signal(waiting)
