"""The three data models over the transactional systems: the same kind of invariant (one
fact kept in several places) holds under snapshot isolation and serial execution, and
breaks under read committed and without transactions (``kv-no-txn``)."""

from __future__ import annotations

from typing import Any

import pytest

from checkers.derived import check_documents, check_graph, check_relational
from ddialab.runner import TestSpec, simulate

CHECKS = {"documents": check_documents, "graph": check_graph, "relational": check_relational}
ANOMALY = {
    "documents": "inconsistent-copies",
    "graph": "half-written-edge",
    "relational": "dangling-reference",
}


def _run(workload: str, system: str, seed: int = 0, **system_options: Any) -> dict[str, Any]:
    spec = TestSpec(
        system=system, workload=workload, seed=seed, time_limit=4, concurrency=4, rate=80,
        system_options=system_options,
    )  # fmt: skip
    return CHECKS[workload](simulate(spec).history, {})


@pytest.mark.parametrize("workload", sorted(CHECKS))
@pytest.mark.parametrize("system", ["txn-snapshot-isolation", "txn-serial"])
def test_invariant_holds_with_snapshot_reads(workload: str, system: str) -> None:
    r = _run(workload, system)
    assert r["valid"] is True, r["anomalies"]


@pytest.mark.parametrize("workload", sorted(CHECKS))
def test_read_committed_shows_read_skew_of_the_invariant(workload: str) -> None:
    r = _run(workload, "txn-read-committed")
    assert ANOMALY[workload] in r["anomaly_types"]
    assert "committed txn op" in r["anomalies"][ANOMALY[workload]][0]["explanation"]


@pytest.mark.parametrize("workload", sorted(CHECKS))
def test_without_transactions_the_invariant_breaks(workload: str) -> None:
    r = _run(workload, "kv-no-txn", think_ns=5_000_000)
    assert ANOMALY[workload] in r["anomaly_types"]
