"""The single-node transactional systems, one ``SystemEntry`` per isolation level.

Options (every entry): ``timeout_ns`` (the client's budget for a whole txn) and
``txn_timeout_ns`` (the node aborts a txn older than this).  The interactive levels also
take ``think_ns`` (client think time between micro-ops, the contention knob: longer txns
overlap more) and ``abort_ratio`` (fraction of txns the client rolls back instead of
committing); serial execution, which takes whole txns as stored procedures, takes
``exec_ns`` (execution time per txn) instead.  An option of the other kind is refused by
name rather than accepted and ignored.  Claims are what the level guarantees on one node,
no more (``docs/transactions.md`` argues each).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ddialab.vocabulary import (
    OptionError,
    implied_columns,
    option,
    option_defaults,
    typed_options,
)
from systems import SystemEntry
from systems.sim import MS, World
from systems.transactions._client import TxnClient
from systems.transactions._engines import LockingEngine
from systems.transactions._mvcc import MvccEngine
from systems.transactions._node import Engine, SerialNode, TxnNode

WORKLOADS = ("list-append", "rw-register", "bank")

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


@dataclass(frozen=True)
class TxnOptions:
    """The single-node transactional family's options (one declaration)."""

    level: str = option("two-phase-locking", choices=tuple(LEVEL_MODELS), help="isolation level")
    exec_ns: int | None = option(None, help="level=serial: execution time per txn (0.2 ms)")
    think_ns: int | None = option(
        None, help="interactive levels: client think time between micro-ops (bound; 2 ms)"
    )
    abort_ratio: float | None = option(
        None, help="interactive levels: fraction of txns the client rolls back (0)"
    )
    timeout_ns: int = option(800 * MS, help="the client's budget for a whole txn")
    txn_timeout_ns: int = option(1000 * MS, help="the node aborts a txn older than this")

    def __post_init__(self) -> None:
        serial = self.level == "serial"
        given = {
            "exec_ns": self.exec_ns,
            "think_ns": self.think_ns,
            "abort_ratio": self.abort_ratio,
        }
        misplaced = [k for k, v in given.items() if v is not None and (k == "exec_ns") != serial]
        if misplaced:
            raise OptionError(f"system txn at level {self.level}: {_misplaced(misplaced, serial)}")


def _misplaced(names: list[str], serial: bool) -> str:
    if serial:
        return (
            f"{', '.join(names)} appl{'ies' if len(names) == 1 else 'y'} to interactive txns "
            "only; serial execution runs whole txns as stored procedures (its one timing "
            "option is exec_ns)"
        )
    return "exec_ns applies to level serial only (stored procedures), not to interactive txns"


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
        self.options = dict(options)
        self.settings = typed_options(TxnOptions, options, "system txn")
        self.level = self.settings.level
        self.claims = CLAIMS[self.level]

    def node_names(self) -> list[str]:
        return ["n1"]

    def setup(self, world: World) -> None:
        level, timeout = self.level, self.settings.txn_timeout_ns
        if level == "serial":
            exec_ns = MS // 5 if self.settings.exec_ns is None else self.settings.exec_ns
            world.add_node("n1", lambda: SerialNode(exec_ns))
        else:
            world.add_node("n1", lambda: TxnNode(_engine(level), timeout))

    def client(self, world: World, process: int) -> TxnClient:
        o = self.settings
        return TxnClient(
            world,
            f"c{process}",
            timeout_ns=o.timeout_ns,
            think_ns=_or_default(o.think_ns, "think_ns"),
            abort_ratio=_or_default(o.abort_ratio, "abort_ratio"),
            stored_procedures=self.level == "serial",
        )


#: the values every entry lists besides its level (the dataclass's defaults), and those
#: only the interactive levels take and list
DEFAULTS: dict[str, Any] = {
    k: v
    for k, v in option_defaults(TxnOptions).items()
    if k not in ("level", "exec_ns", "think_ns", "abort_ratio")
}
INTERACTIVE_DEFAULTS: dict[str, Any] = {"think_ns": 2 * MS, "abort_ratio": 0.0}


def _or_default(value: Any, name: str) -> Any:
    """An interactive option as given, else the default its entries list."""
    return INTERACTIVE_DEFAULTS[name] if value is None else value


CLAIMS: dict[str, frozenset[str]] = {
    level: implied_columns(model, "txn") for level, model in LEVEL_MODELS.items()
}


def _entry(name: str, level: str, description: str) -> SystemEntry:
    #: serial execution takes stored procedures: no client-side logic, so no bank transfers
    workloads = WORKLOADS[:2] if level == "serial" else WORKLOADS
    defaults = {**DEFAULTS, "level": level}
    if level != "serial":
        defaults.update(INTERACTIVE_DEFAULTS)
    return SystemEntry(name, description, TxnSystem, defaults, workloads, settings=TxnOptions)


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
