"""The lock workload: increments of one counter, each a read-modify-write under a lock.

Ops: ``add`` (value 1: acquire the lock, read the counter, write it plus one, release) and
``read`` (value ``None``: the counter).  How the lock protects the counter is the system's
business (``systems.consensus``: fencing tokens, or none).  If mutual exclusion fails --
a holder stalls past its lease and writes back a stale value -- an acknowledged increment
is lost, and the counter checker finds a read below the increments that certainly
happened.  A final read after healing makes the loss visible at the end.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workloads._protocol import CheckerSpec, Workload, typed


@dataclass(frozen=True)
class LockOptions:
    read_ratio: float = 0.2


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    read_ratio = typed(LockOptions, options, "lock").read_ratio

    def next_op() -> dict[str, Any]:
        if rng.random() < read_ratio:
            return {"f": "read", "value": None}
        return {"f": "add", "value": 1}

    return next_op


def final_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    typed(LockOptions, options, "lock")
    return [{"f": "read", "value": None, "final": True}]


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    typed(LockOptions, options, "lock")
    return {"counter": ("counter", {})}


WORKLOAD = Workload(
    "lock",
    "increments of one counter under a lock (lease); lost updates show as low reads",
    generator,
    checkers,
    final_generator,
    settings=LockOptions,
)
