from __future__ import annotations

from checkers.elle import check_long_fork

from ._helpers import hist, txn


def test_reads_in_one_order_are_fine():
    h = hist(
        *txn(0, [["w", 1, 1]]),
        *txn(1, [["r", 1, 1], ["r", 2, None]]),
        *txn(0, [["w", 2, 1]]),
        *txn(1, [["r", 1, 1], ["r", 2, 1]]),
    )
    assert check_long_fork(h, {})["valid"] is True


def test_long_fork_found_and_explained():
    h = hist(
        *txn(0, [["w", 1, 1]]),
        *txn(1, [["w", 2, 1]]),
        *txn(2, [["r", 1, 1], ["r", 2, None]]),
        *txn(3, [["r", 1, None], ["r", 2, 1]]),
    )
    r = check_long_fork(h, {})
    assert r["valid"] is False and r["anomaly_types"] == ["long-fork"]
    assert r["anomalies"]["long-fork"][0]["explanation"] == (
        "op 5 saw the write of key 1 but not of key 2; op 7 saw the write of key 2 but not of key 1"
    )
    assert "snapshot-isolation" in r["not"] + r["also_not"]


def test_overlapping_key_groups_are_compared_on_common_keys():
    h = hist(
        *txn(2, [["r", 1, 1], ["r", 2, None], ["r", 3, None]]),
        *txn(3, [["r", 1, None], ["r", 2, 1]]),
    )
    assert check_long_fork(h, {})["anomaly_types"] == ["long-fork"]


def test_key_written_twice_is_unknown():
    h = hist(*txn(0, [["w", 1, 1]]), *txn(0, [["w", 1, 2]]))
    r = check_long_fork(h, {})
    assert r["valid"] == "unknown" and "written more than once" in r["reason"]
