"""Derived-data workloads: ``kafka`` (a partitioned log) and ``derived-view`` (CDC vs dual writes).

``kafka`` (Jepsen's Kafka workload, simplified): ``send [k, v]`` with ``v`` unique,
``poll`` (consume in the group ``app``), and now and then ``crash`` (the consumer loses
its in-memory state).  Final ops: polls in a separate group that read every partition
from its earliest offset.  Checked by ``kafka`` (``checkers.derived``), and again as
``durability`` restricted to lost and overwritten acknowledged sends.

``derived-view``: ``write [k, v]`` (``v`` unique per key) goes to the source of record;
the system keeps a derived view (a cache, a secondary index by value, a count per value)
up to date -- by dual writes from the client, or by change data capture.  ``read [k,
None]`` reads the source, ``read-view [k, None]`` the view (its answers give the lag
series).  Final op: ``read-all``, the whole source and the whole view after quiescence.
Checked by ``derived-view`` (result name ``convergence``): the view must equal the
function of the source.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from typing import Any

from workloads._protocol import CheckerSpec, Workload

KAFKA_DEFAULTS = {"keys": 4, "send_ratio": 0.5, "crash_ratio": 0.05, "final_polls": 2}
VIEW_DEFAULTS = {"keys": 2, "writes_per_key": 8, "write_ratio": 0.6, "view_read_ratio": 0.3}


def kafka_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    opts = {**KAFKA_DEFAULTS, **options}
    keys, values = int(opts["keys"]), itertools.count(1)

    def next_op() -> dict[str, Any]:
        roll = rng.random()
        if roll < float(opts["send_ratio"]):
            return {"f": "send", "value": [rng.randrange(keys), next(values)]}
        if roll < float(opts["send_ratio"]) + float(opts["crash_ratio"]):
            return {"f": "crash", "value": None}
        return {"f": "poll", "value": None}

    return next_op


def kafka_final(rng: random.Random, options: Mapping[str, Any]) -> Any:
    n = int({**KAFKA_DEFAULTS, **options}["final_polls"])
    return [{"f": "poll", "value": None, "final": True} for _ in range(n)]


def kafka_checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    """Everything, and the durability part alone (the matrix's ``durability`` column)."""
    durable = {"anomalies": ["lost-write", "inconsistent-offsets"]}
    return {"kafka": ("kafka", {}), "durability": ("kafka", durable)}


def view_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    """Writes and reads over a rolling pool of keys: a key retires after
    ``writes_per_key`` writes, so many keys end with a final state worth comparing."""
    opts = {**VIEW_DEFAULTS, **options}
    pool = list(range(int(opts["keys"])))
    fresh = itertools.count(len(pool))
    writes: dict[int, int] = {}
    w, vr = float(opts["write_ratio"]), float(opts["view_read_ratio"])

    def next_op() -> dict[str, Any]:
        slot, roll = rng.randrange(len(pool)), rng.random()
        k = pool[slot]
        if roll < w:
            writes[k] = writes.get(k, 0) + 1
            if writes[k] >= int(opts["writes_per_key"]):
                pool[slot] = next(fresh)
            return {"f": "write", "value": [k, writes[k]]}
        if roll < w + vr:
            return {"f": "read-view", "value": [k, None]}
        return {"f": "read", "value": [k, None]}

    return next_op


def view_final(rng: random.Random, options: Mapping[str, Any]) -> Any:
    return [{"f": "read-all", "value": None, "final": True}]


def view_checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    """Named ``convergence``: the matrix column it speaks for (the view is a replica)."""
    return {"convergence": ("derived-view", {})}


WORKLOADS = [
    Workload(
        "kafka",
        "sends and consumer-group polls over a partitioned log, with consumer crashes",
        kafka_generator,
        kafka_checkers,
        kafka_final,
        KAFKA_DEFAULTS,
    ),
    Workload(
        "derived-view",
        "writes to a source of record with a derived view (cache, index, counts); "
        "after quiescence the view must equal the function of the source",
        view_generator,
        view_checkers,
        view_final,
        VIEW_DEFAULTS,
    ),
]
