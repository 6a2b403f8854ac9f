"""What every non-Elle checker does first: admit the history, or say there is nothing to check.

Theory of operation
-------------------
``admit(history, checker, shapes)`` rejects, as bad input naming file and line, a client
completion that no invocation opened and any op whose value does not have the shape the
checker declared for its ``(f, type)`` (``ddialab.history.check_shapes``).  Nothing is
dropped silently: an op either has the shape the checker reads, or the file is rejected.

``nothing_to_check(history, reason)`` is the fail-closed rule for a history that holds no
op of the kind the checker checks: an empty history (no client ops) is valid, as Knossos
and Porcupine say; otherwise the verdict is ``"unknown"`` with ``reason``, never a valid
that rests on nothing.
"""

from __future__ import annotations

from typing import Any

from checkers._result import Result, unknown_result, valid_result
from ddialab.history import NEMESIS, History, ShapeTable, check_shapes, require_invocations


def admit(history: History, checker: str, shapes: ShapeTable) -> None:
    """Raise ``HistoryFormatError`` (file, line, what was expected) on malformed input."""
    require_invocations(history, checker)
    check_shapes(history, shapes, checker)


def nothing_to_check(history: History, reason: str, **extra: Any) -> Result:
    """Valid when the history has no client ops at all; else unknown with ``reason``."""
    if not any(op.process != NEMESIS for op in history):
        return valid_result(**extra)
    return unknown_result(reason, **extra)
