"""The records workload: old and new clients write, update and read schema'd records.

Ops, on a few keys (``keys``, default 4):

* ``write`` ``[k, record]`` -- replace the record: ``{"id", "name", "visits"}``, and from
  a *newer* client (a ``new_ratio`` share of writes, default 0.5) also ``"email"``, the
  field schema v1 lacks.  A write without ``email`` removes it (on purpose);
* ``update`` ``[k, {"visits": n}]`` or ``[k, {"name": s}]`` -- read-modify-write of one
  field that every version knows; it never touches ``email``;
* ``read`` ``[k, None]`` -- ok value ``[k, record]`` as the serving code's version shows it.

Completions carry the serving node's ``schema`` version and the ``fields`` it knows, so
the ``lost-fields`` checker can tell "this reader does not know the field" from "the field
was lost".  Final reads read every key.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from typing import Any

from workloads._protocol import CheckerSpec, Workload

DEFAULTS = {"keys": 4, "new_ratio": 0.5, "read_ratio": 0.4, "update_ratio": 0.35}


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    opts = {**DEFAULTS, **options}
    serial = itertools.count(1)

    def next_op() -> dict[str, Any]:
        k = rng.randrange(int(opts["keys"]))
        roll = rng.random()
        if roll < float(opts["read_ratio"]):
            return {"f": "read", "value": [k, None]}
        n = next(serial)
        if roll < float(opts["read_ratio"]) + float(opts["update_ratio"]):
            change = {"visits": n} if rng.random() < 0.5 else {"name": f"name{n}"}
            return {"f": "update", "value": [k, change]}
        record: dict[str, Any] = {"id": k, "name": f"name{n}", "visits": 0}
        if rng.random() < float(opts["new_ratio"]):
            record["email"] = f"user{k}.{n}@example.org"
        return {"f": "write", "value": [k, record]}

    return next_op


def final_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    keys = int({**DEFAULTS, **options}["keys"])
    return [{"f": "read", "value": [k, None], "final": True} for k in range(keys)]


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    return {"field-preservation": ("lost-fields", {})}


WORKLOAD = Workload(
    "records",
    "schema'd records written by old and new clients, updated read-modify-write; lost "
    "fields and undecodable records found",
    generator,
    checkers,
    final_generator,
    DEFAULTS,
)
