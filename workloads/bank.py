"""The bank workload (Jepsen's; DDIA 7's read-skew example): transfers and whole reads.

``transfer`` ops move ``amount`` between two of ``accounts`` accounts; ``read`` ops read
every balance in one transaction.  Every account starts at ``total / accounts`` (ops carry
``initial`` and ``accounts`` as extras, so a client needs no setup phase); a transfer
that would overdraw its source is rolled back by the client.  Money is conserved by
every transfer, so every ``ok`` read must sum to ``total``: a read that saw part of a
transfer (read skew) or money created or destroyed by a lost update shows as
``wrong-total``; an overdraft as ``negative-value``.  Checked by the ``bank`` checker.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from workloads._protocol import CheckerSpec, Workload

DEFAULTS = {"accounts": 5, "total": 100, "max_transfer": 5, "read_ratio": 0.5}


def _settings(options: Mapping[str, Any]) -> tuple[int, int]:
    opts = {**DEFAULTS, **options}
    accounts, total = int(opts["accounts"]), int(opts["total"])
    if accounts < 2 or total % accounts:
        raise ValueError("bank: need at least 2 accounts and a total divisible by them")
    return accounts, total


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    opts = {**DEFAULTS, **options}
    accounts, total = _settings(opts)
    common = {"accounts": accounts, "initial": total // accounts}

    def next_op() -> dict[str, Any]:
        if rng.random() < float(opts["read_ratio"]):
            return {"f": "read", "value": None, **common}
        src, dst = rng.sample(range(accounts), 2)
        amount = rng.randint(1, int(opts["max_transfer"]))
        return {"f": "transfer", "value": {"from": src, "to": dst, "amount": amount}, **common}

    return next_op


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    accounts, total = _settings(options)
    return {"bank": ("bank", {"total": total, "accounts": list(range(accounts))})}


WORKLOAD = Workload(
    "bank",
    "transfers between accounts and whole reads; money must be conserved in every read",
    generator,
    checkers,
    None,
    DEFAULTS,
)
