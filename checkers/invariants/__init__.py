"""Invariant checkers: convergence, set, counter, unique ids, queues, durability.

Public surface (each ``check_*(history, options) -> Result``)::

    check_convergence   final reads from every replica agree and keep acknowledged writes
    check_set           set / set-full: lost, stale, unexpected, duplicated, recovered
    check_counter       every read within the bounds of the increments
    check_unique_ids    every generated id unique
    check_queue         lost, duplicated, unexpected, out-of-order (model "fifo")
    check_durability    writes acknowledged with extra durable=true survive crashes
    check_deletes       no read returns a value lost to an acknowledged delete

Each module's docstring defines its op vocabulary; ``docs/session.md`` collects them.
"""

from checkers.invariants._convergence import check_convergence
from checkers.invariants._counter import check_counter
from checkers.invariants._deletes import check_deletes
from checkers.invariants._durability import check_durability
from checkers.invariants._ids import check_unique_ids
from checkers.invariants._queue import check_queue
from checkers.invariants._set import check_set

__all__ = [
    "check_convergence",
    "check_counter",
    "check_deletes",
    "check_durability",
    "check_queue",
    "check_set",
    "check_unique_ids",
]
