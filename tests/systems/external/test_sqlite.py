"""SQLite (WAL, one connection per client) is serializable; busy is a definite failure."""

from __future__ import annotations

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
