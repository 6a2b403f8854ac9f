"""Holes found by mutation testing (``tools/mutation.py``, issue #19), continued.

Each test names the mutant(s) or the mechanism it guards; each mutation was applied by hand
once and the test seen to fail.  Sixth pass of ``systems/replication`` (see
docs/testing.md); ``test_mutation_holes.py`` holds the first part.
"""

from __future__ import annotations

from typing import Any

import pytest

# -- option derivations no test in this directory pinned (written before seeds 85/87) -----


@pytest.mark.parametrize(
    ("options", "durable"),
    [
        ({"failover": "none", "replication": "async"}, True),
        ({"replication": "async"}, False),
        ({"failover": "careless", "replication": "sync"}, False),
        ({"nodes": 5, "sync_acks": 1}, False),
        ({"nodes": 5, "sync_acks": 2}, True),
        ({"nodes": 5, "replication": "sync"}, True),
        ({"nodes": 3, "sync_acks": 1}, True),
        ({"nodes": 4, "sync_acks": 1}, False),  # half the nodes: not a majority
    ],
)
def test_single_leader_writes_are_durable_only_when_every_commit_reaches_a_majority(
    options: dict[str, Any], durable: bool
) -> None:
    """Guards ``_single.durable`` and ``claims_for``: an unchanging leader, or safe
    elections with commits on a majority (``sync``: all followers; ``semi-sync``:
    ``sync_acks`` + the leader), make writes durable, and only then does a leader-reads
    system claim linearizability; careless failover claims nothing at all."""
    from systems.replication._single import claims_for, config_of
    from systems.replication._single import durable as is_durable

    assert is_durable(config_of(options)) is durable
    claims = claims_for(options)
    assert ("linearizable" in claims) is durable
    if options.get("failover") == "careless":
        assert claims == frozenset()
    elif not durable:
        assert claims == {"convergence"}


@pytest.mark.parametrize(
    ("options", "nrw"),
    [
        ({}, (3, 2, 2)),
        ({"nodes": 5}, (3, 2, 2)),
        ({"nodes": 2}, (2, 2, 2)),
        ({"nodes": 5, "n": 5}, (5, 3, 3)),
        ({"nodes": 5, "n": 4, "w": 1, "r": 4}, (4, 1, 4)),
    ],
)
def test_leaderless_quorums_default_to_a_majority_of_at_most_three_replicas(
    options: dict[str, Any], nrw: tuple[int, int, int]
) -> None:
    """Guards ``_leaderless.config_of``: ``n`` defaults to ``min(3, nodes)``, ``w`` and ``r``
    to ``n // 2 + 1``; given values win; the other options pass through."""
    from systems.replication._leaderless import config_of

    cfg = config_of({**options, "conflict": "lww", "sloppy": True, "read_repair": False})
    assert (cfg.n, cfg.w, cfg.r) == nrw
    assert len(cfg.nodes) == options.get("nodes", 3)
    assert (cfg.conflict, cfg.sloppy, cfg.read_repair, cfg.anti_entropy) == (
        "lww", True, False, True,
    )  # fmt: skip


def test_a_record_system_refuses_versions_it_has_no_schema_for() -> None:
    """Guards ``RecordSystem.__init__``'s check: the versions an upgrade walks through must
    be a non-empty list of known schemas; every node starts at the first one."""
    from systems.replication._upgrade import RecordSystem

    for bad in ([], [1, 4]):
        with pytest.raises(ValueError, match="non-empty list of"):
            RecordSystem({"versions": bad})
    system = RecordSystem({"versions": [2, 3], "nodes": 4})
    assert system.deployed == {"n1": 2, "n2": 2, "n3": 2, "n4": 2}
    assert system.versions == (2, 3)
