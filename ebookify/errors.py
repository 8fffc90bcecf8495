"""One error type for everything the user can fix; the CLI prints it as one line."""

from __future__ import annotations

import re


class EbookifyError(Exception):
    """A problem with the user's input or environment, worded for the user."""


class StoryError(EbookifyError):
    """A problem inside one story file, located by file and (where it helps) line."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.message = message
        # "stories/002.txt:4 has ..." reads as a sentence and still jumps to the line in editors.
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where} {message}")

    def __reduce__(self):  # so that it crosses from a worker process whole
        return (type(self), (self.source, self.message, self.line))


# Line breaks and other control characters in a file name or a value would split the one line
# of a message in two, the second reading like a message of its own.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(message: str) -> str:
    """`message` with its control characters shown as escapes: "a\\nb.txt", never two lines."""
    return _CONTROLS.sub(_escape, message)


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    return _ESCAPES.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
