"""The three data models over the transactional systems: the same kind of invariant (one
fact kept in several places) holds at snapshot isolation and above (SI, SSI, 2PL, serial,
2PC), and breaks under read committed / read uncommitted and without transactions
(``kv-no-txn``)."""

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
@pytest.mark.parametrize(
    "system", ["txn-snapshot-isolation", "txn-ssi", "txn-2pl", "txn-serial", "txn-2pc"]
)
def test_invariant_holds_with_snapshot_reads(workload: str, system: str) -> None:
    r = _run(workload, system)
    assert r["valid"] is True, r["anomalies"]


@pytest.mark.parametrize("workload", sorted(CHECKS))
@pytest.mark.parametrize("system", ["txn-read-committed", "txn-read-uncommitted"])
def test_weak_isolation_shows_the_invariant_broken(workload: str, system: str) -> None:
    r = _run(workload, system)
    assert ANOMALY[workload] in r["anomaly_types"]
    assert "committed txn op" in r["anomalies"][ANOMALY[workload]][0]["explanation"]


@pytest.mark.parametrize("workload", sorted(CHECKS))
def test_without_transactions_the_invariant_breaks(workload: str) -> None:
    r = _run(workload, "kv-no-txn", think_ns=5_000_000)
    assert ANOMALY[workload] in r["anomaly_types"]
