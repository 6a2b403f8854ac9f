"""Shared generator of Jepsen-style transactions over a rolling pool of keys.

A txn is 1..``max_txn_length`` micro-ops, each a read ``["r", k, None]`` or a write
(``["append", k, v]`` or ``["w", k, v]``) with ``v`` unique per key (1, 2, 3, ...).  The
pool holds ``key_count`` active keys; once a key has taken ``max_writes_per_key`` writes
it is retired and a fresh key takes its place, as Jepsen's append workload does, so
histories stay checkable in linear time.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ddialab.vocabulary import columns, option
from workloads._protocol import CheckerSpec, Workload, typed

#: the transactional models a system may claim and a workload may judge against,
#: strongest first (from the vocabulary's lattice)
CONSISTENCY_ORDER = columns("txn")


@dataclass(frozen=True)
class TxnOptions:
    key_count: int = 5
    max_txn_length: int = 4
    max_writes_per_key: int = 32
    read_ratio: float = 0.5
    consistency_model: str | None = option(
        None,
        choices=CONSISTENCY_ORDER,
        help="judge against this model (default: the system's strongest claim)",
    )


def txn_generator(
    write_f: str, rng: random.Random, options: Mapping[str, Any], workload: str = "txn"
) -> Callable[[], dict[str, Any]]:
    opts = typed(TxnOptions, options, workload)
    pool = list(range(opts.key_count))
    next_key = [len(pool)]
    writes: dict[int, int] = {}

    def micro_op() -> list[Any]:
        slot = rng.randrange(len(pool))
        k = pool[slot]
        if rng.random() < opts.read_ratio:
            return ["r", k, None]
        writes[k] = writes.get(k, 0) + 1
        if writes[k] >= opts.max_writes_per_key:
            pool[slot] = next_key[0]
            next_key[0] += 1
        return [write_f, k, writes[k]]

    def next_txn() -> dict[str, Any]:
        n = rng.randint(1, opts.max_txn_length)
        return {"f": "txn", "value": [micro_op() for _ in range(n)]}

    return next_txn


def final_reads(keys: int) -> list[dict[str, Any]]:
    return [{"f": "txn", "value": [["r", k, None] for k in range(keys)], "final": True}]


def strongest_claim(claims: frozenset[str] | set[str]) -> str | None:
    """The strongest transactional consistency model among a system's claims."""
    for model in CONSISTENCY_ORDER:
        if model in claims:
            return model
    return None


def txn_workload(name: str, write_f: str, description: str) -> Workload:
    """A transactional workload whose writes are ``write_f``, checked by Elle as ``name``."""

    def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
        return txn_generator(write_f, rng, options, name)

    def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
        model = typed(TxnOptions, options, name).consistency_model or "strict-serializable"
        elle: dict[str, Any] = {"model": name, "consistency_model": model}
        if name == "rw-register":
            # where a txn reads a key and then writes it, every engine here installs the
            # write after the version it read: Elle's wfr-keys? holds, so assume it
            elle["wfr_keys"] = True
        return {"elle": ("elle", elle)}

    return Workload(name, description, generator, checkers, None, settings=TxnOptions)
