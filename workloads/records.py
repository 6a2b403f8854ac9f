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
from dataclasses import dataclass
from typing import Any

from ddialab.vocabulary import option
from workloads._protocol import CheckerSpec, Workload, typed


@dataclass(frozen=True)
class RecordsOptions:
    keys: int = 4
    new_ratio: float = option(0.5, help="share of writes from a newer client (with email)")
    read_ratio: float = 0.4
    update_ratio: float = 0.35


def _typed(options: Mapping[str, Any]) -> RecordsOptions:
    return typed(RecordsOptions, options, "records")


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    o = _typed(options)
    serial = itertools.count(1)

    def next_op() -> dict[str, Any]:
        k = rng.randrange(o.keys)
        roll = rng.random()
        if roll < o.read_ratio:
            return {"f": "read", "value": [k, None]}
        n = next(serial)
        if roll < o.read_ratio + o.update_ratio:
            change = {"visits": n} if rng.random() < 0.5 else {"name": f"name{n}"}
            return {"f": "update", "value": [k, change]}
        record: dict[str, Any] = {"id": k, "name": f"name{n}", "visits": 0}
        if rng.random() < o.new_ratio:
            record["email"] = f"user{k}.{n}@example.org"
        return {"f": "write", "value": [k, record]}

    return next_op


def final_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    keys = _typed(options).keys
    return [{"f": "read", "value": [k, None], "final": True} for k in range(keys)]


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    _typed(options)
    return {"field-preservation": ("lost-fields", {})}


WORKLOAD = Workload(
    "records",
    "schema'd records written by old and new clients, updated read-modify-write; lost "
    "fields and undecodable records found",
    generator,
    checkers,
    final_generator,
    settings=RecordsOptions,
)
