"""The kv-delete workload: the register workload plus deletes, to catch resurrected keys.

Ops are ``read``, ``write`` and ``cas`` over a few keys, as in ``register``, and deletes.  A
delete is recorded as a ``write`` of ``null`` (with ``"delete": true`` on the op): for a
register whose initial state is ``null`` a deleted key and a never-written key read the
same, so the ``cas-register`` model judges deletes exactly, and the history needs no new
model.  Systems of the ``systems.storage`` family serve a write of ``null`` as a delete
(a tombstone in the log-structured engines).  Written values are unique per key.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workloads._protocol import CheckerSpec, Workload, typed


@dataclass(frozen=True)
class KvDeleteOptions:
    keys: int = 8
    read_ratio: float = 0.4
    cas_ratio: float = 0.1
    delete_ratio: float = 0.2


def _typed(options: Mapping[str, Any]) -> KvDeleteOptions:
    return typed(KvDeleteOptions, options, "kv-delete")


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    o = _typed(options)
    keys, read, cas, delete = o.keys, o.read_ratio, o.cas_ratio, o.delete_ratio
    counters = {k: itertools.count(1) for k in range(keys)}
    last: dict[int, Any] = dict.fromkeys(range(keys))

    def next_op() -> dict[str, Any]:
        k = rng.randrange(keys)
        roll = rng.random()
        if roll < read:
            return {"f": "read", "value": [k, None]}
        if roll < read + delete:
            last[k] = None
            return {"f": "write", "value": [k, None], "delete": True}
        v = next(counters[k])
        if roll < read + delete + cas:
            old = rng.choice([None, last[k]])
            last[k] = v
            return {"f": "cas", "value": [k, [old, v]]}
        last[k] = v
        return {"f": "write", "value": [k, v]}

    return next_op


def final_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    keys = _typed(options).keys
    return [{"f": "read", "value": [k, None], "final": True} for k in range(keys)]


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    _typed(options)
    return {
        "linearizable": (
            "linearizable",
            {"model": "cas-register", "independent": True, "init": None},
        ),
        # the matrix's deletes-stay-deleted column: a read of a value a delete overwrote
        "deletes-stay-deleted": ("deletes", {}),
    }


WORKLOAD = Workload(
    "kv-delete",
    "read/write/cas/delete over a few keys (a delete is a write of null); linearizable per key",
    generator,
    checkers,
    final_generator,
    settings=KvDeleteOptions,
)
