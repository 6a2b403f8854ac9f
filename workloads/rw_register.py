"""The rw-register workload: txns that write and read registers (unique values per key).

Weaker evidence than list-append (a read shows only the latest version), so Elle infers
less of the version order; checked against the system's strongest claimed model.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from workloads._protocol import CheckerSpec, Workload
from workloads._txn import DEFAULTS, txn_generator


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    return txn_generator("w", rng, options)


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    model = options.get("consistency_model", "strict-serializable")
    return {"elle": ("elle", {"model": "rw-register", "consistency_model": model})}


WORKLOAD = Workload(
    "rw-register",
    "txns of register writes and reads; Elle checks the inferred dependency graph",
    generator,
    checkers,
    None,
    DEFAULTS,
)
