"""Value freezing: one encoding of JSON values, hashable and reversible."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ddialab.vocabulary import freeze, show, thaw

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@given(JSON)
def test_freeze_is_hashable_and_thaw_inverts_it(v: Any) -> None:
    """Guards the round trip witnesses rely on: thaw(freeze(v)) is v, as JSON."""
    hash(freeze(v))
    assert json.dumps(thaw(freeze(v)), sort_keys=True) == json.dumps(v, sort_keys=True)
    assert json.loads(show(freeze(v))) == v


def test_true_and_one_stay_distinct() -> None:
    """Guards the bool tag: without it Python's True == 1 merges two different values."""
    assert freeze(True) != freeze(1)
    assert freeze([True]) != freeze([1])
    assert len({freeze(True), freeze(1), freeze(1.0)}) == 2  # 1 == 1.0 in JSON too
    assert freeze({"b": 1, "a": [2]}) == freeze({"a": [2], "b": 1})
