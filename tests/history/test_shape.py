"""``op_error``: the one formatting of a bad op, shared by ``bad_op`` and the checkers.

Guards issue #17(b): the Elle checkers' ``Source.error`` and ``bad_op`` used to format a
bad op's message separately; both now go through ``op_error``, which must keep naming
the file, the line and the op exactly as before.
"""

from __future__ import annotations

from ddialab.errors import EXIT_BAD_INPUT
from ddialab.history import History, Op, bad_op, op_error


def test_op_error_names_file_line_op_and_what() -> None:
    """Guards: a message that drops the line, the op index or the reader's own words."""
    op = Op(7, 0, "ok", 1, "txn", [], line=9)
    e = op_error("h.jsonl", op, "micro-op 0 is 3; expected [f, k, v]", "list-append txn")
    assert str(e) == "h.jsonl:9: op 7 (list-append txn): micro-op 0 is 3; expected [f, k, v]"
    assert (e.path, e.line, e.exit_code) == ("h.jsonl", 9, EXIT_BAD_INPUT)


def test_op_error_says_type_and_f_by_default_and_no_line_in_memory() -> None:
    """Guards: the default ``(ok read)`` label and a history built in memory (no line)."""
    op = Op(3, 0, "ok", 1, "read", None)
    assert str(op_error(None, op, "expected an integer")) == (
        "<input>: op 3 (ok read): expected an integer"
    )


def test_bad_op_is_op_error_on_the_history_source() -> None:
    """Guards: ``bad_op`` formatting its own way again (two formats of one error)."""
    op = Op(0, 0, "invoke", 2, "write", {"x": 1}, line=4)
    history = History([op], source="runs/a/history.jsonl")
    got = bad_op(history, op, "the register checker expects a scalar")
    want = op_error("runs/a/history.jsonl", op, "the register checker expects a scalar")
    assert (
        str(got)
        == str(want)
        == ("runs/a/history.jsonl:4: op 0 (invoke write): the register checker expects a scalar")
    )
