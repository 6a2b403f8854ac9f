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
from dataclasses import dataclass
from typing import Any

from workloads._protocol import CheckerSpec, Workload, typed


@dataclass(frozen=True)
class KafkaOptions:
    keys: int = 4
    send_ratio: float = 0.5
    crash_ratio: float = 0.05
    final_polls: int = 2


@dataclass(frozen=True)
class ViewOptions:
    keys: int = 2
    writes_per_key: int = 8
    write_ratio: float = 0.6
    view_read_ratio: float = 0.3


def kafka_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    o = typed(KafkaOptions, options, "kafka")
    keys, values = o.keys, itertools.count(1)

    def next_op() -> dict[str, Any]:
        roll = rng.random()
        if roll < o.send_ratio:
            return {"f": "send", "value": [rng.randrange(keys), next(values)]}
        if roll < o.send_ratio + o.crash_ratio:
            return {"f": "crash", "value": None}
        return {"f": "poll", "value": None}

    return next_op


def kafka_final(rng: random.Random, options: Mapping[str, Any]) -> Any:
    n = typed(KafkaOptions, options, "kafka").final_polls
    return [{"f": "poll", "value": None, "final": True} for _ in range(n)]


def kafka_checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    """Everything, and the durability part alone (the matrix's ``durability`` column)."""
    typed(KafkaOptions, options, "kafka")
    durable = {"anomalies": ["lost-write", "inconsistent-offsets"]}
    return {"kafka": ("kafka", {}), "durability": ("kafka", durable)}


def view_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    """Writes and reads over a rolling pool of keys: a key retires after
    ``writes_per_key`` writes, so many keys end with a final state worth comparing."""
    o = typed(ViewOptions, options, "derived-view")
    pool = list(range(o.keys))
    fresh = itertools.count(len(pool))
    writes: dict[int, int] = {}
    w, vr = o.write_ratio, o.view_read_ratio

    def next_op() -> dict[str, Any]:
        slot, roll = rng.randrange(len(pool)), rng.random()
        k = pool[slot]
        if roll < w:
            writes[k] = writes.get(k, 0) + 1
            if writes[k] >= o.writes_per_key:
                pool[slot] = next(fresh)
            return {"f": "write", "value": [k, writes[k]]}
        if roll < w + vr:
            return {"f": "read-view", "value": [k, None]}
        return {"f": "read", "value": [k, None]}

    return next_op


def view_final(rng: random.Random, options: Mapping[str, Any]) -> Any:
    typed(ViewOptions, options, "derived-view")
    return [{"f": "read-all", "value": None, "final": True}]


def view_checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    """Named ``convergence``: the matrix column it speaks for (the view is a replica)."""
    typed(ViewOptions, options, "derived-view")
    return {"convergence": ("derived-view", {})}


WORKLOADS = [
    Workload(
        "kafka",
        "sends and consumer-group polls over a partitioned log, with consumer crashes",
        kafka_generator,
        kafka_checkers,
        kafka_final,
        settings=KafkaOptions,
    ),
    Workload(
        "derived-view",
        "writes to a source of record with a derived view (cache, index, counts); "
        "after quiescence the view must equal the function of the source",
        view_generator,
        view_checkers,
        view_final,
        settings=ViewOptions,
    ),
]
