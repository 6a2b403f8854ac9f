"""``check_deletes``: a read of a value an acknowledged delete overwrote is caught.

Guards the rule (write acknowledged -> delete invoked after it and acknowledged -> read
invoked after that returns the value: ``resurrected-delete``), the cases it must not
guess at (a delete concurrent with the write or with the read, an unacknowledged write, a
value written twice), and failing closed when no delete was ever followed by a read.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from checkers import get_checker
from checkers.invariants import check_deletes
from checkers.session.testing import HistoryBuilder


def test_a_read_of_a_deleted_value_is_a_resurrected_delete() -> None:
    b = HistoryBuilder()
    w = b.write(0, 1, 7)
    d = b.write(1, 1, None, delete=True)
    r = b.read(0, 1, 7)
    result = check_deletes(b.history(), {})
    assert result["valid"] is False and result["anomaly_types"] == ["resurrected-delete"]
    (witness,) = result["anomalies"]["resurrected-delete"]
    assert witness["ops"] == [w, d, r] and witness["key"] == 1 and witness["value"] == 7
    assert "the delete was undone" in witness["explanation"]
    assert get_checker("deletes") is check_deletes


def test_reads_after_a_delete_that_see_null_or_a_later_write_are_valid() -> None:
    b = HistoryBuilder()
    b.write(0, 1, 7)
    b.write(1, 1, None)
    b.read(0, 1, None)
    b.write(1, 1, 8)
    b.read(0, 1, 8)
    result = check_deletes(b.history(), {})
    assert result["valid"] is True and result["checked_reads"] == 2


def test_concurrent_or_unacknowledged_writes_are_not_guessed_at() -> None:
    """A delete invoked before the write completed, an indeterminate write, and a value
    written twice may all legitimately be read after the delete."""
    b = HistoryBuilder()
    b.invoke(0, "write", [1, 7])
    b.write(1, 1, None)  # concurrent with the write of 7
    b.complete(0, "write", [1, 7])
    b.read(2, 1, 7)
    b.write(0, 2, 5, type_="info")
    b.write(1, 2, None)
    b.read(2, 2, 5)
    b.write(0, 3, 4)
    b.write(0, 3, 4)
    b.write(1, 3, None)
    b.read(2, 3, 4)
    assert check_deletes(b.history(), {})["valid"] is True


def test_no_delete_followed_by_a_read_is_unknown() -> None:
    b = HistoryBuilder()
    b.write(0, 1, 7)
    b.read(0, 1, 7)
    b.write(0, 1, None)
    result = check_deletes(b.history(), {})
    assert result["valid"] == "unknown" and "no acknowledged delete" in result["reason"]


STEPS = st.tuples(st.sampled_from(["w", "d", "r"]), st.integers(0, 2))


@given(st.lists(STEPS, min_size=1, max_size=30))
def test_a_sequential_register_with_deletes_never_resurrects(steps: list) -> None:  # type: ignore[type-arg]
    """Property: a correct register driven sequentially (each op completes before the next)
    is never flagged; it is judged (valid) exactly when some read follows a delete of its
    key, else unknown."""
    b = HistoryBuilder()
    state: dict[int, int | None] = {}
    fresh = iter(range(1, 1000))
    deleted: set[int] = set()
    judged = False
    for kind, key in steps:
        if kind == "w":
            state[key] = next(fresh)
            b.write(0, key, state[key])
        elif kind == "d":
            state[key] = None
            deleted.add(key)
            b.write(0, key, None)
        else:
            b.read(0, key, state.get(key))
            judged |= key in deleted
    result = check_deletes(b.history(), {})
    assert result["valid"] == (True if judged else "unknown")
