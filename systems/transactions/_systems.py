"""The single-node transactional systems, one ``SystemEntry`` per isolation level.

Options (every entry): ``think_ns`` (client think time between micro-ops, the contention
knob: longer txns overlap more), ``abort_ratio`` (fraction of txns the client rolls back
instead of committing), ``timeout_ns`` (the client's budget for a whole txn) and
``txn_timeout_ns`` (the node aborts a txn older than this).  Claims are what the level
guarantees on one node, no more (``docs/transactions.md`` argues each).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ddialab.vocabulary import Option, implied_columns
from systems import SystemEntry
from systems.sim import MS, World
from systems.transactions._client import TxnClient
from systems.transactions._engines import LockingEngine
from systems.transactions._mvcc import MvccEngine
from systems.transactions._node import Engine, SerialNode, TxnNode

WORKLOADS = ("list-append", "rw-register", "bank")
DEFAULTS: dict[str, Any] = {
    "think_ns": 2 * MS,
    "abort_ratio": 0.0,
    "timeout_ns": 800 * MS,
    "txn_timeout_ns": 1000 * MS,
}

#: the consistency model each level provides on one node; it claims every transactional
#: model that one implies (the vocabulary's lattice)
LEVEL_MODELS = {
    "read-uncommitted": "read-uncommitted",
    "read-committed": "read-committed",
    "snapshot-isolation": "snapshot-isolation",
    "two-phase-locking": "strict-serializable",
    "ssi": "strict-serializable",
    "serial": "strict-serializable",
}


def _engine(level: str) -> Engine:
    if level == "snapshot-isolation":
        return MvccEngine(ssi=False)
    if level == "ssi":
        return MvccEngine(ssi=True)
    return LockingEngine(level)


class TxnSystem:
    """One transactional node at ``options["level"]``."""

    name = "txn"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = {**DEFAULTS, **options}
        self.level = str(self.options["level"])
        self.claims = CLAIMS[self.level]

    def node_names(self) -> list[str]:
        return ["n1"]

    def setup(self, world: World) -> None:
        level, timeout = self.level, int(self.options["txn_timeout_ns"])
        if level == "serial":
            exec_ns = int(self.options.get("exec_ns", MS // 5))
            world.add_node("n1", lambda: SerialNode(exec_ns))
        else:
            world.add_node("n1", lambda: TxnNode(_engine(level), timeout))

    def client(self, world: World, process: int) -> TxnClient:
        o = self.options
        return TxnClient(
            world,
            f"c{process}",
            timeout_ns=int(o["timeout_ns"]),
            think_ns=int(o["think_ns"]),
            abort_ratio=float(o["abort_ratio"]),
            stored_procedures=self.level == "serial",
        )


CLAIMS: dict[str, frozenset[str]] = {
    level: implied_columns(model, "txn") for level, model in LEVEL_MODELS.items()
}


def _entry(name: str, level: str, description: str) -> SystemEntry:
    #: serial execution takes stored procedures: no client-side logic, so no bank transfers
    workloads = WORKLOADS[:2] if level == "serial" else WORKLOADS
    return SystemEntry(
        name, description, TxnSystem, {**DEFAULTS, "level": level}, workloads,
        options=(Option("level", str, level, choices=tuple(CLAIMS)), Option("exec_ns", int, None)),
    )  # fmt: skip


ENTRIES = [
    _entry(
        "txn-read-uncommitted",
        "read-uncommitted",
        "interactive txns, write locks only, reads see uncommitted writes (dirty reads)",
    ),
    _entry(
        "txn-read-committed",
        "read-committed",
        "interactive txns, write locks to commit, reads see the latest committed value",
    ),
    _entry(
        "txn-snapshot-isolation",
        "snapshot-isolation",
        "MVCC snapshots with first-committer-wins: no read skew or lost updates; write skew",
    ),
    _entry(
        "txn-2pl",
        "two-phase-locking",
        "strict two-phase locking (shared/exclusive, wait-for-graph deadlock detection)",
    ),
    _entry(
        "txn-ssi",
        "ssi",
        "serializable snapshot isolation: MVCC, aborts on dangerous rw-antidependency structures",
    ),
    _entry(
        "txn-serial",
        "serial",
        "actual serial execution: whole txns as stored procedures, one at a time",
    ),
]
