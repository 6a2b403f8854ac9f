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
from dataclasses import dataclass
from typing import Any

from ddialab.vocabulary import OptionError
from workloads._protocol import CheckerSpec, Workload, typed


@dataclass(frozen=True)
class BankOptions:
    accounts: int = 5
    total: int = 100
    max_transfer: int = 5
    read_ratio: float = 0.5

    def __post_init__(self) -> None:
        if self.accounts < 2 or self.total % self.accounts:
            raise OptionError("bank: need at least 2 accounts and a total divisible by them")


def _settings(options: Mapping[str, Any]) -> BankOptions:
    return typed(BankOptions, options, "bank")


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    o = _settings(options)
    accounts = o.accounts
    common = {"accounts": accounts, "initial": o.total // accounts}

    def next_op() -> dict[str, Any]:
        if rng.random() < o.read_ratio:
            return {"f": "read", "value": None, **common}
        src, dst = rng.sample(range(accounts), 2)
        amount = rng.randint(1, o.max_transfer)
        return {"f": "transfer", "value": {"from": src, "to": dst, "amount": amount}, **common}

    return next_op


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    o = _settings(options)
    return {"bank": ("bank", {"total": o.total, "accounts": list(range(o.accounts))})}


WORKLOAD = Workload(
    "bank",
    "transfers between accounts and whole reads; money must be conserved in every read",
    generator,
    checkers,
    None,
    settings=BankOptions,
)
