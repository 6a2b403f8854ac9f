from checkers.invariants import check_queue, check_unique_ids
from checkers.session.testing import HistoryBuilder


def test_unique_ids():
    b = HistoryBuilder()
    b.op(0, "generate", None, result=1)
    b.op(1, "generate", None, result=2)
    assert check_unique_ids(b.history(), {})["valid"] is True
    b.op(2, "generate", None, result=1)
    r = check_unique_ids(b.history(), {})
    assert r["anomalies"]["duplicated"] == [
        {"id": 1, "ops": [1, 5], "explanation": "id 1 was returned by 2 ops: 1, 5"}
    ]


def _queue(*deqs, drain=None):
    b = HistoryBuilder()
    for e in (1, 2, 3):
        b.op(0, "enqueue", e)
    for d in deqs:
        b.op(1, "dequeue", None, result=d)
    if drain is not None:
        b.op(1, "drain", None, result=drain)
    return b.history()


def test_queue_in_order_and_drained_is_valid():
    r = check_queue(_queue(1, 2, drain=[3]), {"model": "fifo"})
    assert r["valid"] is True


def test_queue_lost_only_with_a_drain():
    assert check_queue(_queue(1), {})["remaining"] == [2, 3]
    r = check_queue(_queue(1, drain=[3]), {})
    assert r["anomaly_types"] == ["lost"]
    assert r["anomalies"]["lost"][0]["explanation"] == (
        "2 was enqueued (op 3, acknowledged) and never dequeued, not even by the drain"
    )


def test_queue_duplicated_unexpected_and_out_of_order():
    r = check_queue(_queue(2, 1, 1, 7, drain=[3]), {"model": "fifo"})
    assert r["anomaly_types"] == ["duplicated", "out-of-order", "unexpected"]
    (ooo,) = r["anomalies"]["out-of-order"]
    assert ooo["elements"] == [1, 2]
    assert check_queue(_queue(2, 1, drain=[3]), {})["valid"] is True  # unordered queue


def test_enqueued_after_the_drain_began_is_remaining_not_lost():
    b = HistoryBuilder()
    b.op(0, "enqueue", 1)
    b.op(1, "drain", None, result=[1])
    b.op(0, "enqueue", 2)
    r = check_queue(b.history(), {})
    assert r["valid"] is True
    assert r["remaining"] == [2]
