"""``checkers.retain``: a check's working set left to the process's exit, on request only."""

from __future__ import annotations

import gc
import weakref

import pytest

import checkers._retain as kept
from checkers import get_checker, retain, retain_working_sets
from checkers.elle.synth import synth_history


@pytest.fixture
def retaining():
    retain_working_sets()
    yield
    kept.release()
    gc.unfreeze()


def _elle(n: int) -> None:
    history, _ = synth_history(n, [], seed=1)
    assert get_checker("elle")(history, {"model": "list-append"})["valid"] is True


def test_nothing_is_kept_unless_asked():
    """Guards library callers (tests, runner, matrix): without ``retain_working_sets`` a
    check's graph must be freed when it returns, never kept for the life of the process."""
    _elle(30)
    assert kept.retained() is None


def test_the_last_working_set_is_kept_and_the_one_before_freed(retaining):
    """Guards both halves of the contract: the last check's graph outlives the check (the
    CLI's exit frees it), and handing over the next lets the one before go (a check of
    many files must not hold them all)."""
    _elle(30)
    first = kept.retained()
    assert first[0].n_txns == 30
    analysis = weakref.ref(first[2])
    del first
    _elle(40)
    assert kept.retained()[0].n_txns == 40
    assert analysis() is None


def test_what_is_kept_is_out_of_the_collectors_sight(retaining):
    """Guards the ``gc.freeze``: a kept working set left in the collector's generations
    costs a full collection about a second at 1M txns, more than freeing it would."""
    before = gc.get_freeze_count()
    retain([[i] for i in range(100)])
    assert gc.get_freeze_count() >= before + 100
