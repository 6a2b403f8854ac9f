"""The register workload: read, write and compare-and-set over a few keys.

Ops are Jepsen "independent" style: ``value = [key, v]``; ``cas`` carries
``[key, [old, new]]``.  Every written value (write or cas ``new``) is unique per key, so
session and convergence checkers can tell versions apart.  Checked for linearizability
per key against a compare-and-set register starting at ``None``.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workloads._protocol import CheckerSpec, Workload, typed


@dataclass(frozen=True)
class RegisterOptions:
    keys: int = 3
    read_ratio: float = 0.5
    cas_ratio: float = 0.2


def _typed(options: Mapping[str, Any]) -> RegisterOptions:
    return typed(RegisterOptions, options, "register")


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    o = _typed(options)
    keys, read_ratio, cas_ratio = o.keys, o.read_ratio, o.cas_ratio
    counters = {k: itertools.count(1) for k in range(keys)}
    last = dict.fromkeys(range(keys), 0)

    def next_op() -> dict[str, Any]:
        k = rng.randrange(keys)
        roll = rng.random()
        if roll < read_ratio:
            return {"f": "read", "value": [k, None]}
        v = next(counters[k])
        if roll < read_ratio + cas_ratio:
            old = rng.choice([None, last[k], max(0, last[k] - 1)])
            last[k] = v
            return {"f": "cas", "value": [k, [old, v]]}
        last[k] = v
        return {"f": "write", "value": [k, v]}

    return next_op


def final_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    keys = _typed(options).keys
    return [{"f": "read", "value": [k, None], "final": True} for k in range(keys)]


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    """Linearizability (which implies every session guarantee); durability when killed.

    The session checker is not run here: on histories without system-supplied versions it
    rightly answers "unknown" for orders the history cannot show, while linearizability
    decides them.  Workloads aimed at weaker systems run it (``workloads.session``).
    """
    _typed(options)
    specs: dict[str, CheckerSpec] = {
        "linearizable": (
            "linearizable",
            {"model": "cas-register", "independent": True, "init": None},
        ),
        "register-simple": ("register-simple", {}),
    }
    if "kill" in options.get("nemesis", ()):
        specs["durability"] = ("durability", {})
    return specs


WORKLOAD = Workload(
    "register",
    "read/write/cas over a few keys; checked for linearizability per key",
    generator,
    checkers,
    final_generator,
    settings=RegisterOptions,
)
