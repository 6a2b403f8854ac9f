"""The list-append workload (Elle's favourite): txns that append to and read lists.

Appends make the version order of every key recoverable from the longest read, so Elle
can infer ww, wr and rw dependencies exactly.  Checked by the Elle checker against the
system's strongest claimed consistency model (strict-serializable when it claims none).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from workloads._protocol import CheckerSpec, Workload
from workloads._txn import DEFAULTS, txn_generator


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    return txn_generator("append", rng, options)


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    model = options.get("consistency_model", "strict-serializable")
    return {"elle": ("elle", {"model": "list-append", "consistency_model": model})}


WORKLOAD = Workload(
    "list-append",
    "txns of appends and reads over rolling keys; Elle infers the dependency graph",
    generator,
    checkers,
    None,
    DEFAULTS,
)
