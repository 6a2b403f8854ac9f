"""The lock manager: unit cases, and a state machine checking its invariants."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from systems.transactions import LockManager
from systems.transactions._locks import EXCLUSIVE, SHARED

TXNS = st.sampled_from(["a", "b", "c", "d"])
KEYS = st.sampled_from(["x", "y", "z"])
MODES = st.sampled_from([SHARED, EXCLUSIVE])


def test_shared_locks_share_and_exclusive_waits() -> None:
    lm = LockManager()
    assert lm.acquire("a", "x", SHARED) == "granted"
    assert lm.acquire("b", "x", SHARED) == "granted"
    assert lm.acquire("c", "x", EXCLUSIVE) == "wait"
    assert lm.waits_for("c") == {"a", "b"}
    assert lm.release_all("a") == []
    assert lm.release_all("b") == ["c"]
    assert lm.holders("x") == {"c": EXCLUSIVE}


def test_a_wait_that_closes_a_cycle_is_a_deadlock() -> None:
    lm = LockManager()
    assert lm.acquire("a", "x", EXCLUSIVE) == "granted"
    assert lm.acquire("b", "y", EXCLUSIVE) == "granted"
    assert lm.acquire("a", "y", EXCLUSIVE) == "wait"
    assert lm.acquire("b", "x", EXCLUSIVE) == "deadlock"
    assert "b" not in lm.waiting  # the victim's request was withdrawn
    assert lm.release_all("b") == ["a"]


def test_two_upgrades_deadlock() -> None:
    lm = LockManager()
    lm.acquire("a", "x", SHARED)
    lm.acquire("b", "x", SHARED)
    assert lm.acquire("a", "x", EXCLUSIVE) == "wait"
    assert lm.acquire("b", "x", EXCLUSIVE) == "deadlock"
    assert lm.release_all("b") == ["a"]
    assert lm.holders("x") == {"a": EXCLUSIVE}


def test_upgrade_goes_ahead_of_the_queue() -> None:
    lm = LockManager()
    lm.acquire("a", "x", SHARED)
    lm.acquire("b", "x", SHARED)
    assert lm.acquire("c", "x", EXCLUSIVE) == "wait"
    assert lm.acquire("a", "x", EXCLUSIVE) == "wait"  # waits for b only, not for c
    assert lm.waits_for("a") == {"b"}
    assert lm.release_all("b") == ["a"]


def test_try_acquire_never_queues() -> None:
    lm = LockManager()
    assert lm.try_acquire("a", "x", EXCLUSIVE)
    assert not lm.try_acquire("b", "x", SHARED)
    assert lm.waiting == {}


class LockMachine(RuleBasedStateMachine):
    """Random acquires and releases; the invariants are those 2PL relies on."""

    def __init__(self) -> None:
        super().__init__()
        self.lm = LockManager()
        #: the model: what each txn holds (key -> mode), as the answers told us
        self.model: dict[Any, dict[Any, str]] = {}

    @rule(txn=TXNS, key=KEYS, mode=MODES)
    def acquire(self, txn: str, key: str, mode: str) -> None:
        if txn in self.lm.waiting:
            return
        got = self.lm.acquire(txn, key, mode)
        held = self.model.setdefault(txn, {})
        if got == "granted":
            if held.get(key) != EXCLUSIVE:
                held[key] = mode
        elif got == "deadlock":
            self.release(txn)  # the caller's duty: abort the victim

    @rule(txn=TXNS)
    def release(self, txn: str) -> None:
        for granted in self.lm.release_all(txn):
            key = self.lm_key_of_new_grant(granted)
            self.model.setdefault(granted, {})[key] = self.lm.mode(granted, key) or ""
        self.model.pop(txn, None)

    def lm_key_of_new_grant(self, txn: Any) -> Any:
        fresh = [
            k
            for k, locks in self.lm.keys.items()
            if txn in locks.holders and self.model.get(txn, {}).get(k) != locks.holders[txn]
        ]
        assert len(fresh) == 1, fresh
        return fresh[0]

    @invariant()
    def holders_are_compatible(self) -> None:
        for locks in self.lm.keys.values():
            modes = list(locks.holders.values())
            assert EXCLUSIVE not in modes or len(modes) == 1

    @invariant()
    def model_agrees(self) -> None:
        for txn, held in self.model.items():
            for key, mode in held.items():
                assert self.lm.mode(txn, key) == mode

    @invariant()
    def no_deadlock_survives(self) -> None:
        for txn in self.lm.waiting:
            assert not self.lm._reaches(txn, txn)

    @invariant()
    def queue_heads_are_really_blocked(self) -> None:
        for locks in self.lm.keys.values():
            if locks.queue:
                txn, mode = locks.queue[0]
                others = [m for t, m in locks.holders.items() if t != txn]
                assert others and not (mode == SHARED and all(m == SHARED for m in others))


TestLockMachine = LockMachine.TestCase


def test_a_shared_waiter_does_not_wait_for_compatible_shared_holders_or_waiters() -> None:
    """Guards ``LockManager.waits_for``'s compatibility tests against the wanted mode (seed
    131's survivors ``_compatible(m, None)`` in the holders set and in the queue loop): a
    shared request queued behind a writer waits for the writer, not for the shared holder
    ahead of it, nor for a shared waiter ahead of it.  Waiting on compatible txns adds false
    edges to the waits-for graph: spurious deadlock aborts."""
    lm = LockManager()
    assert lm.acquire("a", "x", SHARED) == "granted"
    assert lm.acquire("w", "x", EXCLUSIVE) == "wait"
    assert lm.acquire("c", "x", SHARED) == "wait"  # behind the waiting writer
    assert lm.waits_for("c") == {"w"}
    lm = LockManager()
    assert lm.acquire("a", "x", EXCLUSIVE) == "granted"
    assert lm.acquire("s", "x", SHARED) == "wait"
    assert lm.acquire("c", "x", SHARED) == "wait"
    assert lm.waits_for("c") == {"a"}
