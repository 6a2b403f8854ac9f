"""The msgspec fast path of the JSON Lines reader against the reference decoder.

``iter_jsonl`` builds ops from msgspec-decoded lines and leaves anything unusual to
``json`` + ``op_from_mapping``.  These tests hold the two to the same result on arbitrary
lines: the same ops (every field, extras and line numbers included) or the same error.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddialab.errors import HistoryFormatError
from ddialab.history import Op, iter_jsonl
from ddialab.history._jsonl import _dict_op, _slow_op, _typed_op, dumps_op

SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=3),
)
JSONV = st.recursive(
    SCALAR,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=2), c, max_size=2),
    max_leaves=5,
)
#: Per key: values the contract accepts, then values it must reject.
FIELD = {
    "index": (st.just(0), st.sampled_from([-1, True, 0.0, "0", None])),
    "time": (st.integers(0, 9), st.sampled_from([-1, False, 1.5, "1", [1]])),
    "type": (st.sampled_from(["invoke", "ok", "fail", "info"]), st.sampled_from(["OK", 1, None])),
    "process": (st.integers(-2, 9) | st.just("nemesis"), st.sampled_from(["n", True, 1.0, [0]])),
    "f": (st.text(max_size=3), st.sampled_from([1, None, ["read"]])),
    "value": (JSONV, JSONV),
    "node": (st.none() | st.text(max_size=2), JSONV),
    "error": (JSONV, JSONV),
    "extra-key": (JSONV, JSONV),
}
CORE = ["index", "time", "type", "process", "f"]


@st.composite
def op_objects(draw: Any) -> Any:
    """Op objects, each key present and well formed most of the time."""
    keys = [k for k in CORE if draw(st.integers(0, 19))]
    keys += draw(st.lists(st.sampled_from(sorted(set(FIELD) - set(CORE))), unique=True))
    return {k: draw(FIELD[k][0] if draw(st.integers(0, 7)) else FIELD[k][1]) for k in keys}


def reference(text: str) -> Any:
    try:
        op = _slow_op(text, "h.jsonl", 1)
    except HistoryFormatError as e:
        return str(e)
    return op if op.index == 0 else "index"


def fast(text: str) -> Any:
    try:
        ops = list(iter_jsonl([text], "h.jsonl"))
    except HistoryFormatError as e:
        return "index" if "dense" in str(e) else str(e)
    return ops[0]


@settings(max_examples=400)
@given(op_objects() | JSONV)
def test_the_fast_path_builds_the_op_or_error_the_reference_does(obj):
    """Guards: a fast path that accepts an op the validator rejects (a bool index, a float
    process), drops extras, or forgets the line number."""
    text = json.dumps(obj)
    got, want = fast(text), reference(text)
    assert got == want
    if not isinstance(want, str):
        assert (got.line, got.extra) == (want.line, want.extra)


@pytest.mark.parametrize("text", ['{"index": 0, "time": NaN', "[", '{"index": 0, "time": 1'])
def test_lines_msgspec_rejects_get_the_reference_message(text):
    """Guards: a line the C decoder rejects still gets the precise message (not a
    msgspec error or a traceback)."""
    assert fast(text) == reference(text)
    assert "line 1" in fast(text) or "h.jsonl:1" in fast(text)


def _reference_op(text: str) -> Op | None:
    try:
        return _slow_op(text, "h.jsonl", 1)
    except HistoryFormatError:
        return None


@settings(max_examples=400)
@given(op_objects() | JSONV)
def test_each_fast_step_builds_the_reference_op_or_passes_the_line_on(obj):
    """Guards: the typed struct (step 1) or the dict step (step 2) accepting a line the
    validator rejects, or building a different op (extras dropped, a missing value not
    null, the line number lost); either step may only decline (``None``)."""
    text = json.dumps(obj)
    want = _reference_op(text)
    for step in (_typed_op, _dict_op):
        got = step(text, 1)
        if got is not None:
            assert want is not None
            assert (got, got.line, got.extra) == (want, want.line, want.extra)


@settings(max_examples=200)
@given(op_objects())
def test_the_typed_step_takes_every_canonical_line_without_extras(obj):
    """Guards: step 1 silently never applying (a struct field typed too narrowly, e.g. a
    nemesis process or a null node), which would leave every line to the slower steps."""
    op = _reference_op(json.dumps(obj))
    if op is None or op.extra or not isinstance(op.node, str | None):
        return
    line = dumps_op(op)
    if "Infinity" in line or "NaN" in line:
        return  # not JSON (Python's extension): the reference step's alone, by design
    got = _typed_op(line, 1)
    assert got == op
    assert got is not None and got.extra == {}


def test_a_history_with_extras_reads_the_same_through_the_dict_step():
    """Guards: the switch from step 1 to step 2 after a line with extras losing or
    duplicating an op, or a later plain line losing its line number."""
    lines = [
        '{"index":0,"time":0,"type":"invoke","process":0,"f":"r","value":null}',
        '{"index":1,"time":1,"type":"ok","process":0,"f":"r","value":[1],"version":3}',
        '{"index":2,"time":2,"type":"invoke","process":"nemesis","f":"kill"}',
    ]
    ops = list(iter_jsonl(lines, "h.jsonl"))
    want = [_slow_op(t, "h.jsonl", i) for i, t in enumerate(lines, 1)]
    assert [(o, o.line, o.extra) for o in ops] == [(o, o.line, o.extra) for o in want]
    assert ops[1].extra == {"version": 3}


def test_a_blank_line_does_not_turn_the_typed_step_off(monkeypatch):
    """Guards: a blank line (or a torn one) sending every later line of the file down the
    slower dict step; only a good op the struct refused (extras) may do that."""
    from ddialab.history import _jsonl

    calls: list[int] = []

    def counting(line: str, lineno: int) -> Any:
        calls.append(lineno)
        return _dict_op(line, lineno)

    monkeypatch.setattr(_jsonl, "_dict_op", counting)
    lines = ["", *(dumps_op(Op(i, i, "ok", 0, "r", [i])) for i in range(3))]
    assert [op.line for op in iter_jsonl(lines, "h.jsonl")] == [2, 3, 4]
    assert calls == [1]
    lines.insert(2, dumps_op(Op(1, 1, "ok", 0, "r", 1, extra={"v": 1})))
    lines[3:] = [dumps_op(Op(i, i, "ok", 0, "r", [i])) for i in (2, 3)]
    calls.clear()
    assert len(list(iter_jsonl(lines, "h.jsonl"))) == 4
    assert calls == [1, 3, 4, 5]
