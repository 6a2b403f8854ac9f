"""The checkers' one micro-op parser (``checkers/_mops.py``), as Elle and session use it.

Guards issue #17(a): the session checker parsed txn values itself while Elle had its
own parser; both now state a ``Grammar`` and call ``parse_mops``.  These tests pin what
each grammar accepts, how it freezes, and that a malformed micro-op is named by index.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkers import MopError, parse_mops
from checkers.elle._mops import GRAMMARS, Source, txn_mops
from checkers.session._model import GRAMMAR as SESSION
from checkers.session._model import _mops as session_mops
from ddialab.errors import HistoryFormatError
from ddialab.history import Op

APPEND = GRAMMARS["list-append"]
SCALAR = st.one_of(st.booleans(), st.integers(-3, 300), st.text(max_size=2))


def test_elle_keys_vectors_to_tuples_and_keeps_values() -> None:
    """Guards: a vector key left a list (unhashable in Elle's indices)."""
    got = parse_mops([["append", ["k", 1], 5], ["r", "x", [1, 2]]], APPEND, "ok")
    assert got == [["append", ("k", 1), 5], ["r", "x", [1, 2]]]


def test_a_plain_txn_is_kept_as_the_ops_own_list() -> None:
    """Guards: the fast path copying every txn (the memory and time it was made to save)."""
    value = [["append", 1, 2], ["r", 1, [2]]]
    assert parse_mops(value, APPEND, "ok") is value


@pytest.mark.parametrize(
    ("value", "what"),
    [
        (
            [["append", 1, 2], ["x", 1, 2]],
            "micro-op 1 has unknown f 'x'; expected one of append, r",
        ),
        ([["append", {"k": 1}, 2]], "micro-op 0 has key {'k': 1}; expected a scalar or a vector"),
        ([["append", 1, None]], "micro-op 0 writes None; expected a scalar value"),
        ([["r", 1, 5]], "micro-op 0 reads 5; expected null or a list of scalars"),
        ([["r", 1]], "micro-op 0 ['r', 1] has no value; expected [f, k, v]"),
        ([7], "micro-op 0 is 7; expected [f, k, v]"),
        ({"r": 1}, "expected a list of [f, k, v] micro-ops, got {'r': 1}"),
    ],
)
def test_elle_rejects_naming_the_micro_op_and_what_was_expected(value: Any, what: str) -> None:
    """Guards: a malformed micro-op accepted, or an error that no longer says which one."""
    with pytest.raises(MopError) as e:
        parse_mops(value, APPEND, "ok")
    assert e.value.what == what


def test_a_short_read_is_null_in_an_invocation_for_elle_only() -> None:
    """Guards: ``["r", k]`` guessed as null in an ok completion (an invented anomaly), or
    accepted by the session checker, whose reads always carry their value."""
    assert parse_mops([["r", 1]], APPEND, "invoke") == [["r", 1, None]]
    with pytest.raises(MopError):
        parse_mops([["r", 1]], SESSION, "invoke")


def test_elle_errors_go_through_op_error_with_file_and_line() -> None:
    """Guards: ``txn_mops`` losing the file, line or model in its exit-3 message."""
    op = Op(4, 0, "ok", 0, "txn", [["append", 1, [2]]], line=5)
    with pytest.raises(HistoryFormatError) as e:
        txn_mops(op, Source("h.jsonl", "list-append"))
    assert str(e.value) == (
        "h.jsonl:5: op 4 (list-append txn): micro-op 0 writes [2]; expected a scalar value"
    )


def test_session_freezes_with_the_vocabulary_so_true_and_1_differ() -> None:
    """Guards: the session grammar freezing Elle's way (``true`` and ``1`` one value)."""
    got = session_mops("txn", [["w", "k", True], ["w", "k", 1], ["r", ["a"], {"b": [1]}]])
    assert got is not None
    assert got[0][2] != got[1][2]
    assert got[2][1] == ("a",) and got[2][2] == ("__dict__", (("b", (1,)),))


@given(st.sampled_from(["read", "write", "append", "add"]), SCALAR, SCALAR)
def test_a_single_object_op_is_the_same_micro_op_as_in_a_txn(f: str, k: Any, v: Any) -> None:
    """Guards: single-object ops and txns parsed two ways by the session checker."""
    kind = {"read": "r", "write": "w", "append": "append", "add": "add"}[f]
    assert session_mops(f, [k, v]) == session_mops("txn", [[kind, k, v]])


@pytest.mark.parametrize("value", [[1, 2, 3], [["w", 1]], [["x", 1, 2]], "s"])
def test_session_skips_what_it_cannot_read(value: Any) -> None:
    """Guards: a malformed value parsed into a txn instead of counted as skipped."""
    assert session_mops("write" if value == [1, 2, 3] else "txn", value) is None
