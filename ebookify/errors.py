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


class OptionError(EbookifyError):
    """A bad value in one of the build's options. The Python API names the option as BuildOptions
    spells it ("series_index 0 must be 1 or more"); the CLI names its flag instead
    (`as_flag`: "--series-index 0 must be 1 or more"). `key` is the placeholder code of a value."""

    def __init__(self, option: str, problem: str, key: str | None = None, see: str | None = None) -> None:
        self.option, self.problem, self.key, self.see = option, problem, key, see
        super().__init__(self.as_flag({}))

    def __reduce__(self):  # so that it crosses from a worker process whole
        return (type(self), (self.option, self.problem, self.key, self.see))

    def as_flag(self, flags: dict[str, str]) -> str:
        """The message with each option named as `flags` spells it (unlisted: as the API does)."""
        flag = flags.get(self.option, self.option)
        subject = (f"the value of {flag} {self.key}" if flags else f"{flag}[{self.key!r}]") if self.key else flag
        advice = f"; use {flags.get(self.see, self.see)}" if self.see else ""
        return _joined(subject, self.problem) + advice


def _joined(subject: str, problem: str) -> str:
    """ "--strict" + ": no value…" reads "--strict: no value…"; anything else takes a space."""
    return subject + problem if problem.startswith(":") else f"{subject} {problem}"


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
