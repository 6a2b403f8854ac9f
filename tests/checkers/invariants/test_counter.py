from checkers.invariants import check_counter
from checkers.session.testing import HistoryBuilder


def test_reads_within_bounds():
    b = HistoryBuilder()
    b.op(0, "add", 1)
    b.invoke(1, "add", 5)  # concurrent with the read: may or may not count
    b.invoke(2, "read", None)
    b.complete(2, "read", 6)
    b.complete(1, "add", 5, "info")
    b.op(2, "read", None, result=1)  # the indeterminate add may never happen
    r = check_counter(b.history(), {})
    assert r["valid"] is True
    assert r["final"] == {"op": 7, "value": 1, "lower": 1, "upper": 6}


def test_read_out_of_bounds_exact():
    b = HistoryBuilder()
    b.op(0, "add", 2)
    b.op(0, "add", -1, type_="fail")
    b.op(1, "read", None, result=5)
    r = check_counter(b.history(), {})
    (w,) = r["anomalies"]["out-of-bounds"]
    assert (w["op"], w["lower"], w["upper"]) == (5, 2, 2)
    assert w["explanation"] == (
        "the read at op 5 returned 5, outside the bounds [2, 2] allowed by the increments "
        "acknowledged before it began and those invoked before it completed"
    )


def test_negative_increments_and_init():
    b = HistoryBuilder()
    b.invoke(0, "add", -3)
    b.op(1, "read", None, result=7)
    b.op(1, "read", None, result=10)
    assert check_counter(b.history(), {"init": 10})["valid"] is True
    assert check_counter(b.history(), {})["valid"] is False
