"""Each invariant violation, planted alone, is flagged with its own type and nothing else."""

import pytest

from checkers.invariants import check_convergence, check_queue, check_set
from checkers.session.testing import HistoryBuilder


def _set(read):
    b = HistoryBuilder()
    b.op(0, "add", 1)
    b.op(0, "add", 2)
    b.op(1, "read", None, result=read)
    return check_set(b.history(), {})


def _queue(deqs):
    b = HistoryBuilder()
    for e in (1, 2):
        b.op(0, "enqueue", e)
    for d in deqs:
        b.op(1, "dequeue", None, result=d)
    b.op(1, "drain", None, result=[])
    return check_queue(b.history(), {"model": "fifo"})


def _replicas(x1, x2):
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.append(0, "x", 2)
    b.op(9, "final-read", ["x", None], result=["x", x1], node="n1")
    b.op(9, "final-read", ["x", None], result=["x", x2], node="n2")
    return check_convergence(b.history(), {})


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (lambda: _set([1]), "lost"),
        (lambda: _set([1, 2, 3]), "unexpected"),
        (lambda: _set([1, 2, 2]), "duplicated"),
        (lambda: _queue([1]), "lost"),
        (lambda: _queue([1, 2, 2]), "duplicated"),
        (lambda: _queue([1, 2, 3]), "unexpected"),
        (lambda: _queue([2, 1]), "out-of-order"),
        (lambda: _replicas([1, 2], [2, 1]), "divergence"),
        (lambda: _replicas([1, 2, 3], [1, 2, 3]), "unexpected"),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_single_plant(result, expected):
    assert result()["anomaly_types"] == [expected]
