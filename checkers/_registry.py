"""The table of checkers the CLI and runner know, resolved lazily by import path.

Each entry names a ``check(history, options) -> Result`` function; every entry's module
is part of this installation (nothing is optional, nothing is skipped).  Options every checker
accepts when meaningful: ``model``, ``init``, ``consistency_model``, ``guarantee``,
``time_limit`` (seconds; running out gives ``"unknown"``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from ddialab.errors import UsageError
from ddialab.vocabulary import unknown_name


@dataclass(frozen=True)
class CheckerEntry:
    name: str
    target: str  # "module:function"
    description: str

    def load(self) -> Any:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)


CHECKERS: dict[str, CheckerEntry] = {
    e.name: e
    for e in [
        CheckerEntry(
            "linearizable",
            "checkers.linearizable:check",
            "linearizability against a sequential model (WGL search, P-compositional)",
        ),
        CheckerEntry(
            "elle",
            "checkers.elle:check",
            "Elle-style dependency-graph checker for list-append / rw-register txns",
        ),
        CheckerEntry(
            "session",
            "checkers.session:check",
            "session guarantees: read-your-writes, monotonic reads/writes, WFR, prefix",
        ),
        CheckerEntry(
            "convergence",
            "checkers.invariants:check_convergence",
            "final reads from every replica agree and keep every acknowledged write",
        ),
        CheckerEntry(
            "set",
            "checkers.invariants:check_set",
            "set / set-full: lost, unexpected, stale and recovered elements",
        ),
        CheckerEntry(
            "counter",
            "checkers.invariants:check_counter",
            "counter reads within bounds of acknowledged and indeterminate increments",
        ),
        CheckerEntry(
            "durability",
            "checkers.invariants:check_durability",
            "writes acknowledged after fsync survive every crash",
        ),
        CheckerEntry(
            "deletes",
            "checkers.invariants:check_deletes",
            "no read returns a value its key lost to an acknowledged delete",
        ),
        CheckerEntry(
            "unique-ids",
            "checkers.invariants:check_unique_ids",
            "every generated id is unique",
        ),
        CheckerEntry(
            "queue",
            "checkers.invariants:check_queue",
            "queue: lost, duplicated, out-of-order elements",
        ),
        CheckerEntry(
            "bank",
            "checkers.elle:check_bank",
            "bank: total conserved, no negative balances",
        ),
        CheckerEntry(
            "long-fork",
            "checkers.elle:check_long_fork",
            "long fork: two reads see incompatible orders of two writes",
        ),
        CheckerEntry(
            "text",
            "checkers.text:check_text",
            "collaborative text: replicas converge, acknowledged inserts survive, intent order",
        ),
        CheckerEntry(
            "kafka",
            "checkers.derived:check_kafka",
            "Kafka-style log: lost writes/deliveries, duplicates, offsets, poll skips",
        ),
        CheckerEntry(
            "derived-view",
            "checkers.derived:check_view",
            "derived view = f(source) after quiescence; divergence with racing writes; lag",
        ),
        CheckerEntry(
            "documents",
            "checkers.derived:check_documents",
            "denormalized document copies agree in every committed read",
        ),
        CheckerEntry(
            "graph",
            "checkers.derived:check_graph",
            "no half-written edges or edges to missing vertices in any committed read",
        ),
        CheckerEntry(
            "relational",
            "checkers.derived:check_relational",
            "no dangling foreign key in any committed read",
        ),
        CheckerEntry(
            "lost-fields",
            "checkers.evolution:check_lost_fields",
            "schema evolution: fields lost by old code rewriting new records; undecodable",
        ),
        CheckerEntry(
            "term-index",
            "checkers.indexes:check_term_index",
            "index reads vs data: missing, stale, phantom entries; mixed visibility",
        ),
        CheckerEntry(
            "register-simple",
            "checkers.simple:check_register",
            "quick sound check: every ok read returns a value that was written (or initial)",
        ),
    ]
}


def get_checker(name: str) -> Any:
    """The named checker's ``check`` function; an unknown name is a usage error.

    Every entry's module is part of this package: one that does not import is a bug and
    the ImportError propagates (``tests/checkers/test_registry.py`` loads them all).
    """
    entry = CHECKERS.get(name)
    if entry is None:
        raise UsageError(unknown_name("checker", name, list(CHECKERS)))
    return entry.load()
