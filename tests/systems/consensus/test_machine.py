"""The replicated state machine behind Raft, and the client's mapping of its replies.

These pin what the end-to-end runs only exercise: lock ownership on release, the replies'
exact fields (a checker and a client read them), snapshots that round-trip every field,
and request sessions (a duplicated request takes effect once).
"""

from __future__ import annotations

from typing import Any

from systems.consensus import StateMachine
from systems.consensus._system import completion


def _locked(owner: str = "a") -> StateMachine:
    sm = StateMachine()
    assert sm.apply(1, ["acquire", "L", owner, 0, 1000]) == {
        "type": "ok", "value": None, "token": 1, "index": 1}  # fmt: skip
    return sm


def test_only_the_holder_releases_a_lock() -> None:
    """Guards ``_release``: the owner check (``held[0] == owner``: comparing the token, or
    looking up the wrong lock, lets anyone release, or no one) and its reply's index."""
    sm = _locked("a")
    assert sm.apply(2, ["release", "L", "b"]) == {
        "type": "error", "code": "not-holder", "definite": True, "index": 2}  # fmt: skip
    assert sm.apply(3, ["acquire", "L", "b", 10, 1000])["code"] == "lock-held"
    assert sm.apply(4, ["release", "L", "a"]) == {"type": "ok", "value": None, "index": 4}
    assert sm.apply(5, ["acquire", "L", "b", 20, 1000])["token"] == 5  # a new, larger token


def test_replies_carry_their_index_and_version() -> None:
    """Guards the reply fields clients and checkers read: a write's version and index, a
    no-op's index (a mutant dropping them leaves reads unversioned)."""
    sm = StateMachine()
    assert sm.apply(1, ["noop"]) == {"type": "ok", "value": None, "index": 1}
    assert sm.apply(2, ["write", "k", 7]) == {"type": "ok", "value": None, "version": 2,
                                               "index": 2}  # fmt: skip
    assert sm.local_read("k", 2) == {"type": "ok", "value": 7, "version": 2, "index": 2}


def test_a_snapshot_round_trips_every_field() -> None:
    """Guards ``dump``/``load``: data, versions, locks, fences, delivered messages and
    sessions all survive (a renamed or dropped field loses state on a snapshot install)."""
    sm = _locked("a")
    sm.apply(2, ["write", ["k", 1], "v"])
    sm.apply(3, ["fenced-write", "f", 1, 1])
    sm.apply(4, ["broadcast", "m"])
    sm.apply(5, ["session", "c1", 9, ["write", "k", 2]])
    state = sm.dump()
    again = StateMachine.load(state)
    assert again.dump() == state
    assert again.delivered == ["m"] and again.sessions == sm.sessions
    assert again.apply(6, ["session", "c1", 9, ["write", "k", 3]])["index"] == 5  # remembered


def test_a_duplicated_request_takes_effect_once() -> None:
    """Guards ``_session``: the same request id returns the first reply without applying
    again; a request older than the window is refused as an indefinite duplicate."""
    sm = StateMachine()
    first = sm.apply(1, ["session", "c", 1, ["broadcast", "x"]])
    assert sm.apply(2, ["session", "c", 1, ["broadcast", "x"]]) == first
    assert sm.delivered == ["x"]
    for i in range(2, 40):
        sm.apply(i + 1, ["session", "c", i, ["noop"]])
    assert sm.apply(50, ["session", "c", 1, ["broadcast", "x"]]) == {
        "type": "error", "code": "duplicate", "definite": False, "index": 50}  # fmt: skip
    assert sm.delivered == ["x"]


def _op(f: str, value: Any) -> dict[str, Any]:
    return {"f": f, "value": value}


def test_replies_map_to_completions() -> None:
    """Guards ``completion``: a definite error is a ``fail``, an indefinite one or a timeout
    an ``info`` (Jepsen's rule), each with the op's value and the error code."""
    write = _op("write", ["k", 1])
    definite = {"type": "error", "code": "cas-mismatch", "definite": True}
    assert completion(write, definite) == {"type": "fail", "value": ["k", 1],
                                           "error": "cas-mismatch"}  # fmt: skip
    lost = {"type": "error", "code": "leadership-lost", "definite": False}
    assert completion(write, lost) == {"type": "info", "value": ["k", 1],
                                       "error": "leadership-lost"}  # fmt: skip
    assert completion(write, None) == {"type": "info", "value": ["k", 1], "error": "timeout"}
    read = completion(_op("read", ["k", None]), {"type": "ok", "value": 3, "version": 2})
    assert read == {"type": "ok", "value": ["k", 3], "version": 2}
