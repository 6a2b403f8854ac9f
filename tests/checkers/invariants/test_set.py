from checkers.invariants import check_set
from checkers.session.testing import HistoryBuilder


def _adds(b, *elements, type_="ok"):
    for e in elements:
        b.op(0, "add", e, type_=type_)


def test_all_present_is_valid():
    b = HistoryBuilder()
    _adds(b, 1, 2)
    b.op(1, "read", None, result=[1, 2])
    r = check_set(b.history(), {})
    assert r["valid"] is True
    assert r["counts"]["stable"] == 2


def test_lost_unexpected_duplicated_and_recovered():
    b = HistoryBuilder()
    _adds(b, 1, 2)
    b.op(0, "add", 3, type_="info")
    b.op(1, "read", None, result=[1, 3, 9, 9])
    r = check_set(b.history(), {})
    assert r["anomaly_types"] == ["duplicated", "lost", "unexpected"]
    assert r["lost"] == [2]
    assert r["recovered"] == [3]
    (lost,) = r["anomalies"]["lost"]
    assert lost["explanation"] == ("2 was known by op 3, but the last read (op 7) lacks it")
    assert r["anomalies"]["unexpected"][0]["explanation"] == (
        "the read at op 7 returned 9, which no op ever tried to add"
    )


def test_stale_is_reported_and_an_anomaly_only_when_linearizable():
    b = HistoryBuilder()
    _adds(b, 1)
    b.op(1, "read", None, result=[])
    b.op(1, "read", None, result=[1])
    assert check_set(b.history(), {})["valid"] is True
    assert check_set(b.history(), {})["stale"] == [1]
    # a named finding (what the shrinker and the matrix's index column target) ...
    assert check_set(b.history(), {})["findings"] == ["stale"]
    r = check_set(b.history(), {"linearizable": True})
    assert r["anomaly_types"] == ["stale"]
    assert r["findings"] == []  # ... and not both: under linearizable it is an anomaly
    assert r["anomalies"]["stale"][0]["explanation"] == (
        "1 was known by op 1, missing from the read at op 3, and back in the last read (op 5)"
    )


def test_never_read_and_failed_adds():
    b = HistoryBuilder()
    b.op(1, "read", None, result=[])
    _adds(b, 1)
    b.op(0, "add", 2, type_="fail")
    r = check_set(b.history(), {})
    assert r["valid"] is True
    assert r["counts"]["never-read"] == 1


def test_seen_then_gone_is_lost_and_an_info_add_can_be_recovered():
    b = HistoryBuilder()
    b.op(0, "add", 1, type_="info")
    b.op(1, "read", None, result=[1])  # known from here, though its add never completed
    b.op(1, "read", None, result=[])
    r = check_set(b.history(), {})
    assert r["lost"] == [1]
    assert r["recovered"] == [1]
    assert r["anomalies"]["lost"][0]["known_op"] == 3
