"""SQLite (WAL, one connection per client) is serializable; busy is a definite failure."""

from __future__ import annotations

import json
from typing import Any

import pytest

CONTENTION = {
    "system": "sqlite",
    "time_limit": 2.0,
    "concurrency": 8,
    "rate": 1000.0,
    "op_timeout": 5.0,
    "quiesce": 0.1,
    "workload_options": {"key_count": 3},
}


def test_list_append_is_serializable_and_busy_is_a_definite_failure(real: Any) -> None:
    r = real.run(workload="list-append", **CONTENTION)
    assert r.valid is True, r.results
    assert not r.results["checkers"]["elle"].get("anomaly_types"), r.results
    errs = real.errors(r)
    assert errs and all(kind == "fail" for kind, _ in errs), errs
    assert any("SQLITE_BUSY" in e or "locked" in e for _, e in errs), errs


@pytest.mark.parametrize("workload", ["rw-register", "bank"])
def test_other_workloads_are_valid(real: Any, workload: str) -> None:
    opts = {} if workload == "bank" else {"key_count": 3}
    r = real.run(workload=workload, **{**CONTENTION, "workload_options": opts})
    assert r.valid is True, r.results


def test_a_writer_crashed_mid_transaction_loses_nothing_committed(tmp_path: Any) -> None:
    """Guards the SQLite crash fault: a writer process SIGKILLed inside its txn (its
    uncommitted frames already spilled into the WAL: the file grew) leaves every earlier
    commit intact, none of its own writes visible, and the write lock free."""
    import os

    from systems.external._sqlite import CRASH_KEY, CRASH_VALUE, SQLite

    db = SQLite({})
    db.setup(str(tmp_path))
    client = db.client(0)
    client.open("db")
    for v in range(5):
        assert client.invoke({"f": "txn", "value": [["append", 1, v]]})["type"] == "ok"
    wal = db.path + "-wal"
    before = os.path.getsize(wal)
    db.kill("db")
    assert os.path.getsize(wal) > before + 100_000, "the crashed writer wrote no WAL frames"
    fresh = db.client(1)
    fresh.open("db")
    read = fresh.invoke({"f": "txn", "value": [["r", 1, None], ["r", CRASH_KEY, None]]})
    assert read["type"] == "ok" and read["value"] == [
        ["r", 1, [0, 1, 2, 3, 4]],
        ["r", CRASH_KEY, None],
    ], read
    assert fresh.invoke({"f": "txn", "value": [["append", 1, 5]]})["type"] == "ok"
    assert CRASH_VALUE not in fresh.invoke({"f": "txn", "value": [["r", 1, None]]})["value"][0][2]
    client.close()
    fresh.close()


def test_list_append_stays_serializable_across_writer_crashes(real: Any) -> None:
    """Guards ``--nemesis kill`` on SQLite: writers crash mid-txn during a contended run;
    Elle (which reports a read of the crashed writer's -1 as garbage-read) finds nothing."""
    spec = {**CONTENTION, "nemesis_interval": 0.3, "concurrency": 4, "rate": 300.0}
    r = real.run(workload="list-append", nemesis=["kill"], **spec)
    assert r.valid is True, r.results
    assert not r.results["checkers"]["elle"].get("anomaly_types"), r.results
    with open(f"{r.run_dir}/history.jsonl", encoding="utf-8") as f:
        kills = [op for op in map(json.loads, f) if op["f"] == "kill" and op["type"] == "info"]
    assert len(kills) >= 2 and all(op.get("error") is None for op in kills), kills
