"""The models use the vocabulary's one encoding of values (issue #17).

``freeze`` keeps ``true`` apart from ``1`` and encodes objects as ``("__dict__", items)``;
these tests fail if a model goes back to a private encoding (booleans equal to numbers,
objects read back as bare pairs) or mistakes a tagged value for a ``[key, v]`` array.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkers.linearizable import Model, check
from checkers.linearizable._check import calls_of
from ddialab.errors import HistoryFormatError, UsageError
from ddialab.vocabulary import PLAIN_TYPES, freeze, thaw

from ._helpers import hist


def test_a_read_of_1_after_a_write_of_true_is_not_linearizable():
    """Guards the boolean tag: with a private freeze, ``True == 1`` made the read legal."""
    one = hist(
        (0, "invoke", "write", True),
        (0, "ok", "write", True),
        (1, "invoke", "read", None),
        (1, "ok", "read", 1),
    )
    assert check(one, {"model": "register"})["valid"] is False
    same = hist(
        (0, "invoke", "write", True),
        (0, "ok", "write", True),
        (1, "invoke", "read", None),
        (1, "ok", "read", True),
    )
    assert check(same, {"model": "register"})["valid"] is True


def test_multi_register_state_is_a_frozen_object_and_thaws_to_one():
    """Guards the multi-register state in the vocabulary's object form: the witness state
    thaws, by the vocabulary's own ``thaw``, to ``{"x": 1, "y": 0}``."""
    h = hist(
        (0, "invoke", "txn", [["w", "x", 1]]),
        (0, "ok", "txn", [["w", "x", 1]]),
        (1, "invoke", "txn", [["r", "y", None]]),
        (1, "ok", "txn", [["r", "y", 5]]),
    )
    r = check(h, {"model": "multi-register", "init": {"y": 0, "x": 0}})
    states = [p["state"] for p in r["anomalies"]["nonlinearizable"][0]["prefixes"]]
    assert {"x": 1, "y": 0} in states


def test_multi_register_init_must_be_an_object():
    """Guards fail-closed init: a non-object init is a usage error, not a traceback."""
    h = hist((0, "invoke", "txn", [["w", "x", 1]]), (0, "ok", "txn", [["w", "x", 1]]))
    with pytest.raises(UsageError, match="init to be an object"):
        check(h, {"model": "multi-register", "init": 5})
    assert check(h, {"model": "multi-register", "init": None})["valid"] is True


def test_kv_init_object_gives_each_key_its_start():
    """Guards ``_kv_init_for`` reading the frozen object: key a starts as "s"."""
    h = hist((0, "invoke", "get", ["a", None]), (0, "ok", "get", ["a", "s"]))
    assert check(h, {"model": "kv", "init": {"a": "s"}})["valid"] is True
    assert check(h, {"model": "kv"})["valid"] is False


@pytest.mark.parametrize("value", [True, {"k": 1, "v": 2}])
def test_a_tagged_value_is_not_a_key_value_pair(value):
    """Guards ``is_pair``: a boolean or a two-field object freezes to a two-element tuple
    but is not ``[key, v]``: bad input, not a key named "__bool__"."""
    h = hist((0, "invoke", "put", value), (0, "ok", "put", value))
    with pytest.raises(HistoryFormatError, match=r"needs values \[key, v\]"):
        check(h, {"model": "kv"})
    with pytest.raises(HistoryFormatError, match=r"needs values \[key, v\]"):
        check(h, {"model": "register", "independent": True})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(JSON)
def test_freeze_fast_paths_keep_the_encoding(v):
    """Guards the list-of-scalars fast path in ``freeze`` and the inline one in
    ``calls_of``: both must give what the general path gives, and thaw back."""
    frozen = freeze(v)
    assert thaw(frozen) == v or v != v
    if type(v) in PLAIN_TYPES:
        assert frozen is v
    if isinstance(v, list):
        assert frozen == tuple(freeze(x) for x in v)


@given(JSON, JSON)
def test_calls_of_freezes_values_as_the_vocabulary_does(inv, out):
    """Guards the inline fast path in ``calls_of``: whatever the value (a bool inside a
    list, a dict, a nested list), a call carries exactly ``freeze`` of it -- the
    completion's for an ok op, the invocation's for one that timed out."""
    model = Model("any", "accepts every value", lambda s, c: s)
    h = hist(
        (0, "invoke", "w", inv), (0, "ok", "w", out), (1, "invoke", "w", inv), (1, "info", "w", out)
    )
    calls = calls_of(h, model)
    assert [c.value for c in calls] == [freeze(out), freeze(inv)]
