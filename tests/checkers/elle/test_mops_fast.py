"""The fast path of ``txn_mops`` (``plain_txn``) against the full micro-op validator.

A txn ``plain_txn`` accepts as it is must be one ``parse_mop`` accepts micro-op by
micro-op, frozen to the same thing; every other txn goes to ``parse_mop`` and gets its
error, formatted by ``Source.error``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from checkers import MopError, parse_mop
from checkers.elle._mops import MOP_NAMES, Source, txn_mops
from ddialab.errors import HistoryFormatError
from ddialab.history import Op

SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 5), st.floats(0, 1), st.text(max_size=2)
)
ANY = st.recursive(
    SCALAR,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=1), c, max_size=1),
    max_leaves=4,
)
F = st.sampled_from(["append", "r", "w", "x"]) | ANY
MOP = st.one_of(
    st.tuples(F, ANY, ANY).map(list),
    st.tuples(F, SCALAR, st.none() | SCALAR | st.lists(SCALAR, max_size=3)).map(list),
    st.lists(ANY, max_size=4),
    ANY,
)


def _mop(op: Op, i: int, mop: Any, src: Source) -> Any:
    try:
        return parse_mop(i, mop, src.grammar, op.type)
    except MopError as e:
        raise src.error(op, e.what) from None


def full(op: Op, mop: Any, src: Source) -> Any:
    try:
        return _mop(op, 0, mop, src)
    except HistoryFormatError as e:
        return str(e)


def fast(op: Op, mop: Any, src: Source) -> Any:
    try:
        return txn_mops(op, src)[0]
    except HistoryFormatError as e:
        return str(e)


@settings(max_examples=500)
@given(MOP, st.sampled_from(sorted(MOP_NAMES)), st.sampled_from(["invoke", "ok", "info"]))
def test_the_fast_path_accepts_and_freezes_exactly_what_the_validator_does(mop, model, typ):
    """Guards: a fast path that lets a map, a null write, a list key (unfrozen) or a read
    of non-scalars through -- or rejects what Elle accepts."""
    op = Op(0, 0, typ, 0, "txn", [mop])
    src = Source("h.jsonl", model)
    got, want = fast(op, mop, src), full(op, mop, src)
    assert got == want
    assert type(got) is type(want)


def full_txn(op: Op, src: Source) -> Any:
    try:
        return [_mop(op, i, m, src) for i, m in enumerate(op.value)]
    except HistoryFormatError as e:
        return str(e)


@settings(max_examples=500)
@given(
    st.lists(MOP, max_size=4),
    st.sampled_from(sorted(MOP_NAMES)),
    st.sampled_from(["invoke", "ok", "info"]),
)
def test_a_whole_txn_is_kept_or_rejected_exactly_as_the_validator_does(mops, model, typ):
    """Guards: the per-txn fast path (``plain_txn``) keeping a txn whose later micro-op
    is malformed (only the first checked), or naming the wrong micro-op in the error;
    and ``Source.mops`` (what ``check`` calls) answering otherwise than ``txn_mops``."""
    op = Op(0, 0, typ, 0, "txn", mops)
    src = Source("h.jsonl", model)
    try:
        got: Any = txn_mops(op, src)
    except HistoryFormatError as e:
        got = str(e)
    want = full_txn(op, src)
    assert got == want
    if isinstance(want, list):
        assert [type(m) for m in got] == [type(m) for m in want]
    try:  # the check's own entry (Source.mops: the plain test first, inline)
        via_source: Any = src.mops(op)
    except HistoryFormatError as e:
        via_source = str(e)
    assert via_source == got
