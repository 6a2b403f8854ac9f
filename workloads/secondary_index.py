"""The secondary-index workload: insert documents, query them back through an index.

Ops: ``add`` (value: a new document id; the document gets the colour the system indexes)
and ``read`` (value ``None``; ok value: the ids the index returns for that colour).  Every
document has the colour, so the index for it is a grow-only set, checked by the set
checker: an acknowledged document missing from later index reads is ``lost``; one missing
for a while and then present is ``stale`` -- what an asynchronously maintained
(term-partitioned, global) index shows.  Stale elements are a *finding* (counted in the
result), an anomaly only when the set checker is asked for linearizability.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from typing import Any

from workloads._protocol import CheckerSpec, Workload

DEFAULTS = {"read_ratio": 0.3}


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    read_ratio = float(options.get("read_ratio", DEFAULTS["read_ratio"]))
    ids = itertools.count()

    def next_op() -> dict[str, Any]:
        if rng.random() < read_ratio:
            return {"f": "read", "value": None}
        return {"f": "add", "value": next(ids)}

    return next_op


def final_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    return [{"f": "read", "value": None, "final": True}]


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    return {"set": ("set", {})}


WORKLOAD = Workload(
    "secondary-index",
    "insert documents and read them back by a secondary index; stale index reads reported",
    generator,
    checkers,
    final_generator,
    DEFAULTS,
)
