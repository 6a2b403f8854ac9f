"""User-facing errors and the exit codes every command shares.

A user mistake (bad history file, unknown model name, bad option) raises one of these; the
CLI turns it into a one-paragraph message and the matching exit code, never a traceback.
"""

from __future__ import annotations

# Exit codes, everywhere in ddialab (documented in README and ``ddialab --help``).
EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_UNKNOWN = 4


class DdialabError(Exception):
    """Base class for errors that are reported to the user without a traceback."""

    exit_code = EXIT_BAD_INPUT


class UsageError(DdialabError):
    """A command was called wrongly: unknown name, missing or conflicting option."""

    exit_code = EXIT_USAGE


class HistoryFormatError(DdialabError):
    """A history file is malformed.  Carries the file, the line and what was expected."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, path: str | None, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")
