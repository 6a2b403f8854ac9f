"""Every invariant checker returns a well-formed result on arbitrary well-formed histories."""

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkers.invariants import (
    check_convergence,
    check_counter,
    check_durability,
    check_queue,
    check_set,
    check_unique_ids,
)
from checkers.session.testing import HistoryBuilder
from ddialab.errors import HistoryFormatError

values = st.none() | st.integers(-3, 5) | st.lists(st.integers(0, 4) | st.none(), max_size=3)
fs = ["add", "read", "final-read", "generate", "enqueue", "dequeue", "drain", "write", "append"]


@st.composite
def histories(draw):
    b = HistoryBuilder()
    open_ops: dict[int, str] = {}
    for _ in range(draw(st.integers(0, 30))):
        p = draw(st.integers(0, 3))
        if p in open_ops:
            t = draw(st.sampled_from(["ok", "ok", "fail", "info"]))
            extra = {
                "durable": draw(st.none() | st.booleans()),
                "node": draw(st.sampled_from([None, "n1", "n2"])),
            }
            b.complete(
                p,
                open_ops.pop(p),
                draw(values | st.dictionaries(st.sampled_from("xy"), values)),
                t,
                **extra,
            )
        elif draw(st.integers(0, 4)):
            f = draw(st.sampled_from(fs))
            open_ops[p] = f
            b.invoke(p, f, draw(values))
        else:
            b.nemesis(draw(st.sampled_from(["crash", "heal"])))
    return b.history()


CHECKERS = [
    check_convergence,
    check_counter,
    check_durability,
    check_queue,
    check_set,
    check_unique_ids,
]


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.__name__)
@given(h=histories(), fifo=st.booleans())
def test_never_raises(checker, h, fifo):
    """Guards: any history gives a well-formed result, or -- values of the wrong shape for
    this checker -- a HistoryFormatError naming the op; never another exception."""
    try:
        r = checker(h, {"model": "fifo"} if fifo else {})
    except HistoryFormatError as e:
        assert re.search(r"op \d+ \((ok|info|fail|invoke) [\w-]+\)", str(e)), str(e)
        return
    assert r["valid"] in (True, False, "unknown")
    assert r["anomaly_types"] == sorted(r["anomalies"])
    json.dumps(r)
