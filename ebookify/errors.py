"""One error type for everything the user can fix; the CLI prints it as one line."""

from __future__ import annotations


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
