"""A run is judged by the claims of the system *as built with its options*.

These would fail if claims were read off the entry's defaults (the old duplicate): the
option changes what the system promises, and the checkers' yardstick must follow.
"""

from __future__ import annotations

import dataclasses

import pytest

from ddialab.runner import TestSpec
from ddialab.runner._check import built_claims, checker_specs
from ddialab.vocabulary import GUARANTEE_NAMES
from systems import SYSTEMS, SystemEntry


def _model(system: str, **options: object) -> str:
    spec = TestSpec(system=system, workload="list-append", system_options=dict(options))
    return str(checker_specs(spec)["elle"][1]["consistency_model"])


def test_txn_level_option_sets_the_model_elle_checks() -> None:
    """Guards `-s txn-2pl --system-option level=read-uncommitted` (was judged as 2PL)."""
    assert _model("txn-2pl") == "strict-serializable"
    assert _model("txn-2pl", level="read-uncommitted") == "read-uncommitted"
    assert _model("txn-read-uncommitted", level="snapshot-isolation") == "snapshot-isolation"


def test_a_workload_option_still_overrides_the_claim() -> None:
    spec = TestSpec(system="txn-2pl", workload="list-append",
                    workload_options={"consistency_model": "read-committed"})  # fmt: skip
    assert checker_specs(spec)["elle"][1]["consistency_model"] == "read-committed"


@pytest.mark.parametrize(
    ("system", "options", "lost"),
    [
        ("bitcask", {"mode": "ack-before-fsync"}, {"durability", "linearizable"}),
        ("lsm", {"wal": False}, {"durability", "linearizable"}),
        ("single-node", {"durable": False}, {"durability", "linearizable"}),
        ("leader-follower", {"failover": "careless"}, {"linearizable", "convergence"}),
        ("raft", {"reads": "lease-unsafe"}, {"linearizable"}),
        ("raft-lock", {"locking": "unfenced"}, {"linearizable"}),
        ("multi-leader", {"conflict": "arrival"}, {"convergence"}),
        ("partitioned-hash", {"index": "global"}, {"linearizable"}),
        ("txn-serial", {"level": "read-committed"}, {"serializable"}),
    ],
)
def test_unsafe_options_drop_the_claims_they_break(
    system: str, options: dict[str, object], lost: set[str]
) -> None:
    """Guards every family against claims that ignore the options they were built with."""
    default = built_claims(TestSpec(system=system))
    unsafe = built_claims(TestSpec(system=system, system_options=options))
    assert lost <= default
    assert not lost & unsafe


def test_listed_claims_have_one_source_the_default_build() -> None:
    """Guards ``ddialab list`` / the matrix against a listed claim set that can drift from
    what the system as built claims (postgres once did): an entry stores no claims, and
    its listed claims follow what its factory builds from the entry's defaults."""
    assert "claims" not in {f.name for f in dataclasses.fields(SystemEntry)}
    entry = SYSTEMS["single-node"]
    assert entry.claims and entry.claims <= GUARANTEE_NAMES
    unsafe = dataclasses.replace(entry, defaults={"durable": False})
    assert (
        unsafe.claims
        == frozenset()
        == built_claims(TestSpec(system="single-node", system_options={"durable": False}))
    )
