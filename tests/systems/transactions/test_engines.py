"""The single-version engines, step by step: what each level lets a reader see."""

from __future__ import annotations

import pytest

from systems.transactions import LockingEngine
from systems.transactions._engines import apply_mop


def dirty_setup(level: str) -> LockingEngine:
    e = LockingEngine(level)
    e.begin("w")
    e.begin("r")
    assert e.op("w", ["append", "x", 1]).kind == "ok"
    return e


def test_read_uncommitted_reads_a_dirty_write() -> None:
    e = dirty_setup("read-uncommitted")
    assert e.op("r", ["r", "x", None]).value == ["r", "x", [1]]
    e.abort("w")
    assert e.op("r", ["r", "x", None]).value == ["r", "x", None]  # it read an aborted write


def test_read_committed_never_reads_a_dirty_write() -> None:
    e = dirty_setup("read-committed")
    assert e.op("r", ["r", "x", None]).value == ["r", "x", None]
    assert e.commit("w").kind == "ok"
    assert e.op("r", ["r", "x", None]).value == ["r", "x", [1]]  # a non-repeatable read


@pytest.mark.parametrize("level", ["read-uncommitted", "read-committed", "two-phase-locking"])
def test_no_level_allows_a_dirty_write(level: str) -> None:
    e = dirty_setup(level)
    assert e.op("r", ["append", "x", 2]).kind == "wait"
    step = e.commit("w")
    assert step.resumed == ["r"]
    assert e.op("r", ["append", "x", 2]).kind == "ok"  # re-run on resume: lock now held
    e.commit("r")
    assert e.data == {"x": [1, 2]}


def test_two_phase_locking_blocks_a_reader_until_commit() -> None:
    e = dirty_setup("two-phase-locking")
    assert e.op("r", ["r", "x", None]).kind == "wait"
    assert e.commit("w").resumed == ["r"]
    assert e.op("r", ["r", "x", None]).value == ["r", "x", [1]]


def test_two_phase_locking_aborts_a_deadlock_victim() -> None:
    e = LockingEngine("two-phase-locking")
    e.begin("a")
    e.begin("b")
    e.op("a", ["r", "x", None])
    e.op("b", ["r", "y", None])
    assert e.op("a", ["w", "y", 1]).kind == "wait"
    step = e.op("b", ["w", "x", 1])
    assert (step.kind, step.code, step.resumed) == ("abort", "deadlock", ["a"])
    assert not e.active("b")


def test_apply_mop_never_mutates() -> None:
    old = [1]
    assert apply_mop(old, "append", 2) == [1, 2]
    assert old == [1]
    assert apply_mop(old, "w", 5) == 5
    with pytest.raises(ValueError):
        apply_mop(None, "cas", 1)
