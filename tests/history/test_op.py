"""``NO_EXTRA``: the one read-only empty ``extra`` that ops read without extras share.

Guards the memory saving (a dict per op, 13 MB at 100k txns) against its two ways of
breaking: the reader giving every op its own dict again, and the shared dict being
writable -- one op's new extra would then appear on every op of the history.
"""

from __future__ import annotations

import copy
import io
import json
import pickle

import pytest

from ddialab.history import Op, dumps_op, iter_jsonl
from ddialab.history._op import NO_EXTRA

LINES = [
    '{"index":0,"time":0,"type":"invoke","process":1,"f":"txn","value":[["r",1,null]]}',
    '{"index":1,"time":5,"type":"ok","process":1,"f":"txn","value":[["r",1,[]]]}',
]


def test_ops_read_without_extras_share_no_extra() -> None:
    """Guards: a dict per op again (the saving gone, unnoticed by every other test)."""
    ops = list(iter_jsonl(io.StringIO("\n".join(LINES))))
    assert all(op.extra is NO_EXTRA for op in ops)
    assert [dumps_op(op) for op in ops] == LINES  # written back exactly as read


def test_an_op_with_extras_gets_its_own_dict() -> None:
    """Guards: extras of one op landing in the shared dict (seen on every op)."""
    line = LINES[1][:-1] + ',"version":3}'
    ops = list(iter_jsonl(io.StringIO(LINES[0] + "\n" + line)))
    assert ops[0].extra is NO_EXTRA and ops[1].extra == {"version": 3}
    assert NO_EXTRA == {}


@pytest.mark.parametrize(
    "write",
    [
        lambda d: d.__setitem__("k", 1),
        lambda d: d.update(k=1),
        lambda d: d.setdefault("k", 1),
        lambda d: d.pop("k", None),
        lambda d: d.clear(),
        lambda d: d.__ior__({"k": 1}),
    ],
)
def test_the_shared_empty_extra_refuses_every_write(write: object) -> None:
    """Guards: a write into ``NO_EXTRA`` succeeding, i.e. an extra on every read op."""
    with pytest.raises(TypeError, match="assign a new dict"):
        write(NO_EXTRA)  # type: ignore[operator]
    assert NO_EXTRA == {}


def test_copies_and_pickles_stay_the_shared_empty_extra() -> None:
    """Guards: a deep copy or a pickled op (the matrix's worker pool) turning NO_EXTRA into
    an ordinary, writable dict that no longer compares equal, or failing to copy."""
    op = Op(0, 0, "ok", 1, "txn", [], extra=NO_EXTRA)
    for again in (copy.deepcopy(op), copy.copy(op), pickle.loads(pickle.dumps(op))):
        assert again == op and again.extra is NO_EXTRA
    assert json.dumps(NO_EXTRA) == "{}" and {**NO_EXTRA} == {}
    op.extra = {"mine": True}  # the way to give a read op extras
    assert op.extra == {"mine": True} and NO_EXTRA == {}
