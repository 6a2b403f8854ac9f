"""DDIA ch. 5 replication lag, simulated: each scenario fails exactly what it should."""

import pytest

from checkers.session import check
from checkers.session.testing import replicated_history

SEEDS = range(8)


@pytest.mark.parametrize("seed", SEEDS)
def test_reads_pinned_to_a_lagging_follower_break_only_read_your_writes(seed):
    r = check(replicated_history(seed, 150, reads="pinned"), {})
    assert r["anomaly_types"] == ["read-your-writes"]
    assert "unknown" not in r["guarantees"].values()


@pytest.mark.parametrize("seed", SEEDS)
def test_reads_from_any_follower_go_back_in_time(seed):
    r = check(replicated_history(seed, 150, reads="random"), {})
    assert {"monotonic-reads", "read-your-writes"} <= set(r["anomaly_types"])
    assert r["guarantees"]["monotonic-writes"] is True
    assert r["guarantees"]["writes-follow-reads"] is True


@pytest.mark.parametrize("seed", SEEDS)
def test_independent_partitions_break_consistent_prefix(seed):
    r = check(replicated_history(seed, 150, reads="pinned", partitioned=True), {})
    assert r["anomaly_types"] == ["consistent-prefix", "read-your-writes"]
    (w, *_) = r["anomalies"]["consistent-prefix"]
    assert w["observed"]["key"] != w["read"]["key"]
