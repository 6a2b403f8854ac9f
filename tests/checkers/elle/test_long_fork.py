from __future__ import annotations

from pathlib import Path

import pytest

from checkers.elle import check_long_fork
from ddialab.cli import main
from ddialab.errors import HistoryFormatError

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


def test_nothing_to_compare_is_unknown_and_empty_is_valid():
    """Guards 'nothing of the kind it checks' -> unknown: writes only, or reads of one
    key each, give no pair of reads to compare (it said valid)."""
    writes = hist(*txn(0, [["w", 1, 1]]), *txn(1, [["w", 2, 1]]))
    r = check_long_fork(writes, {})
    assert r["valid"] == "unknown" and "no ok read txn of two or more keys" in r["reason"]
    singles = hist(*txn(0, [["w", 1, 1]]), *txn(1, [["r", 1, 1]]))
    assert check_long_fork(singles, {})["valid"] == "unknown"
    assert check_long_fork(hist(), {})["valid"] is True


def test_malformed_micro_ops_are_bad_input():
    """Guards validation: a cut-short or unknown micro-op was silently skipped."""
    for mops in ([["r"]], [["cas", 1, 2]], [["w", 1, {"a": 1}]]):
        h = hist(*txn(0, [["w", 1, 1]]), ("ok", 1, mops))
        with pytest.raises(HistoryFormatError, match="op 2 \\(long-fork txn\\)"):
            check_long_fork(h, {})


def test_vector_keys():
    """Guards freezing: vector keys group and compare like scalars."""
    h = hist(
        *txn(0, [["w", ["k", 1], 1]]),
        *txn(1, [["w", ["k", 2], 1]]),
        *txn(2, [["r", ["k", 1], 1], ["r", ["k", 2], None]]),
        *txn(3, [["r", ["k", 1], None], ["r", ["k", 2], 1]]),
    )
    assert check_long_fork(h, {})["anomaly_types"] == ["long-fork"]


def test_cli_long_fork_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Guards the CLI: a fork exits 1, nothing to compare 4, a bad micro-op 3."""
    fork = [
        "{:process 0, :type :ok, :f :txn, :value [[:w 1 1]]}",
        "{:process 1, :type :ok, :f :txn, :value [[:w 2 1]]}",
        "{:process 2, :type :ok, :f :txn, :value [[:r 1 1] [:r 2 nil]]}",
        "{:process 3, :type :ok, :f :txn, :value [[:r 1 nil] [:r 2 1]]}",
    ]
    cases = [(fork, 1), (fork[:2], 4), ([*fork, "{:process 4, :type :ok, :value [[:r]]}"], 3)]
    for lines, code in cases:
        p = tmp_path / "lf.edn"
        p.write_text("\n".join(lines) + "\n")
        assert main(["check", str(p), "-c", "long-fork"]) == code, lines
    assert "Traceback" not in capsys.readouterr().err
