"""The session workload: reads and writes of unique values per key, then per-replica reads.

Ops are Jepsen "independent" style: ``{"f": "read", "value": [key, None]}`` and
``{"f": "write", "value": [key, v]}`` with ``v`` unique per key (1, 2, 3, ... per key).  With
``options["mode"] = "append"`` the writes are ``append`` ops (``[key, element]``, unique
elements) and reads return lists, which makes a lost acknowledged write visible by value.
Two modes serve CRDTs: ``"set"`` writes are ``add`` ops (unique elements; reads return the
sorted elements), ``"counter"`` writes are ``incr`` ops by a small nonzero int (reads
return the total; the convergence checker compares totals as plain values).

Each op goes to a random free client process (``options["spread"]``, default on), so every
session gets work and sessions interleave; otherwise the runner hands most ops to the
lowest free process whenever ops complete quickly.

Where a read is served is the *system's* business (its read-routing option); the workload
only issues ops.  After the faults heal, the final phase reads every key from every
replica: ``{"f": "final-read", "value": [key, None], "replica": i}`` for ``i`` in
``range(options["replicas"])``; a client maps ``i`` to one of its system's nodes (``i``
modulo the node count, so extra indices repeat replicas harmlessly) and reports the node in
the completion's ``node`` field, as the convergence checker expects.

Default checkers: ``session`` (all five session guarantees) and ``convergence``.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ddialab.history import NEMESIS
from ddialab.vocabulary import option
from workloads._protocol import CheckerSpec, Workload, typed

WRITE_FS = {"write": "write", "append": "append", "set": "add", "counter": "incr"}


@dataclass(frozen=True)
class SessionOptions:
    keys: int = 3
    read_ratio: float = 0.6
    mode: str = option("write", choices=tuple(WRITE_FS), help="what the writes are")
    replicas: int = 5
    spread: bool = True


def _typed(options: Mapping[str, Any]) -> SessionOptions:
    return typed(SessionOptions, options, "session")


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    o = _typed(options)
    keys, read_ratio, mode, spread = o.keys, o.read_ratio, o.mode, o.spread
    write_f = WRITE_FS[mode]
    counters = {k: itertools.count(1) for k in range(keys)}

    def next_op(ctx: Any) -> dict[str, Any]:
        k = rng.randrange(keys)
        if rng.random() < read_ratio:
            op: dict[str, Any] = {"f": "read", "value": [k, None]}
        elif mode == "counter":
            op = {"f": write_f, "value": [k, rng.choice([-1, 1, 2])]}
        else:
            op = {"f": write_f, "value": [k, next(counters[k])]}
        free = [p for p in ctx.free_processes() if p != NEMESIS] if spread else []
        if free:
            op["process"] = rng.choice(free)
        return op

    return next_op


def final_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    o = _typed(options)
    keys, replicas = o.keys, o.replicas
    return [
        {"f": "final-read", "value": [k, None], "replica": i}
        for i in range(replicas)
        for k in range(keys)
    ]


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    _typed(options)
    return {"session": ("session", {}), "convergence": ("convergence", {})}


WORKLOAD = Workload(
    "session",
    "reads/writes of unique values per key, routed by the system; final reads per replica",
    generator,
    checkers,
    final_generator,
    settings=SessionOptions,
)
