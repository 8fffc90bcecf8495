"""Copies made on all cores, and the finished ones kept (least recently used out first, within a
number of bytes): a friend who downloads twice, or the same copy as EPUB then KEPUB, waits once."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import OrderedDict
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool as BrokenExecutor
from multiprocessing import get_context

from ..errors import EbookifyError
from ..forked import can_fork, die_with
from ..model import Reader
from .library import Library, make_copy

MB = 1024 * 1024
# The library each worker makes copies from: set before the workers are forked, so each has it
# through the fork's copy-on-write memory and only a reader and a kind travel per copy.
_LIBRARY: Library | None = None


class Busy(Exception):
    """More copies are being made or waited for than the server takes on."""


def _make_in_worker(name: str | None, values: dict[str, str], kind: str) -> bytes:
    assert _LIBRARY is not None, "workers are forked after the library is loaded"
    return make_copy(_LIBRARY, Reader(name, values), kind)


def _quiet_worker(server: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle, not each worker's
    # A server killed (SIGKILL, out of memory) takes its workers along: left, they would hold
    # its listening socket, and no new server could listen on that port.
    die_with(server)


class Copies:
    """make(reader, kind) -> the book's bytes, from the cache or from a worker."""

    def __init__(self, library: Library, workers: int, cache_bytes: int = 64 * MB, waiting: int = 64) -> None:
        global _LIBRARY
        _LIBRARY = library
        self.workers = max(1, workers)
        self.executor: Executor = self._executor()
        self.cache: OrderedDict[tuple, bytes] = OrderedDict()
        self.cache_bytes, self.cached = cache_bytes, 0
        self.making: dict[tuple, asyncio.Future[bytes]] = {}
        self.waiting = waiting  # copies being made or queued at once, at most

    def _executor(self) -> Executor:
        if not can_fork():
            return ThreadPoolExecutor(self.workers)
        pool = ProcessPoolExecutor(
            self.workers, mp_context=get_context("fork"), initializer=_quiet_worker, initargs=(os.getpid(),)
        )
        # With fork, the pool starts all its workers at the first task: make that now, from this
        # thread, before the server's threads exist.
        pool.submit(os.getpid).result(timeout=60)
        return pool

    async def make(self, reader: Reader, kind: str) -> bytes:
        key = (reader.name, tuple(sorted(reader.values.items())), kind)
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        if key in self.making:  # the same copy asked for twice at once is made once
            return await asyncio.shield(self.making[key])
        if len(self.making) >= self.waiting:
            raise Busy
        loop, executor = asyncio.get_running_loop(), self.executor
        try:
            future = loop.run_in_executor(executor, _make_in_worker, reader.name, dict(reader.values), kind)
            self.making[key] = future
            data = await asyncio.shield(future)
        except BrokenExecutor as exc:  # a worker was killed (out of memory, a stray signal)
            if self.executor is executor:  # not yet replaced by another request that saw it break
                executor.shutdown(wait=False, cancel_futures=True)
                self.executor = self._executor()
            raise EbookifyError("a worker making copies stopped; it has been replaced, try again") from exc
        finally:
            self.making.pop(key, None)
        self._keep(key, data)
        return data

    def _keep(self, key: tuple, data: bytes) -> None:
        if len(data) > self.cache_bytes:
            return
        self.cache[key] = data
        self.cached += len(data)
        while self.cached > self.cache_bytes:
            _, old = self.cache.popitem(last=False)
            self.cached -= len(old)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
