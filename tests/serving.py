"""A real `ebookify serve` for the tests: started as a user starts it (python -m ebookify serve, on
port 0 so that the system picks a free one), its address read from what it prints, stopped after."""

from __future__ import annotations

import base64
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from conftest import REPO

FRIENDS = """\
[[reader]]
name = "Zoë"
"L/N" = "Rivers"
"E/C" = "grey"

[[reader]]
name = "Alex"
"""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Server:
    url: str
    port: int
    output: list[str]  # what it printed before it was ready
    root: Path  # the folder it was started in: stories/, covers/, friends.toml
    pid: int

    def get(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None
    ) -> Answer:
        """The request exactly as given: the path is sent as written (no "/../" is resolved)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def book(self, kind: str = "epub", **fields: str) -> Answer:
        return self.get("/book?" + urlencode({**fields, "format": kind}))


def basic(password: str, user: str = "kobo") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def sample_root(root: Path) -> Path:
    shutil.copytree(REPO / "stories", root / "stories")
    shutil.copytree(REPO / "covers", root / "covers")
    (root / "friends.toml").write_text(FRIENDS, encoding="utf-8")
    return root


@contextmanager
def serving(root: Path, *options: str) -> Iterator[Server]:
    """`ebookify serve --readers friends.toml --port 0 OPTIONS` in `root`, until the block ends."""
    command = [sys.executable, "-m", "ebookify", "serve", "--readers", "friends.toml", "--port", "0", *options]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    output: list[str] = []
    try:
        url = _wait_for_address(process, output)
        yield Server(url, int(url.rsplit(":", 1)[1].strip("/")), output, root, process.pid)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_address(process: subprocess.Popen, output: list[str]) -> str:
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError("ebookify serve stopped before it was ready:\n" + "".join(output))
        output.append(line)
        found = re.search(r"Open (http://\S+?)(?:\?\S*)? on a phone", line)
        if found:
            return found.group(1).replace("0.0.0.0", "127.0.0.1")
    raise AssertionError("ebookify serve printed no address within a minute:\n" + "".join(output))
