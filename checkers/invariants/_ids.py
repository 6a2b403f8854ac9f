"""Unique ids: no two acknowledged ``generate`` ops return the same id.

Any value can be an id.  A completion with no invocation is bad input (exit 3); a
history with client ops but no ok ``generate`` checked nothing (``"unknown"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checkers import Result, admit, anomalies_result, nothing_to_check
from checkers.invariants._common import client_pairs, freeze, show, thaw
from ddialab.history import History


def check_unique_ids(history: History, options: Mapping[str, Any]) -> Result:
    admit(history, "unique-ids", {})
    if not any(op.type == "ok" and op.f == "generate" for op in history.client_ops()):
        return nothing_to_check(history, "no ok generate ops: no ids to compare")
    seen: dict[Any, list[int]] = {}
    attempted = 0
    for p in client_pairs(history, ("generate",)):
        attempted += 1
        if p.outcome == "ok":
            seen.setdefault(freeze(p.value), []).append(p.op)
    dups = [
        {
            "id": thaw(v),
            "ops": ops,
            "explanation": f"id {show(v)} was returned by {len(ops)} ops: "
            + ", ".join(str(o) for o in ops),
        }
        for v, ops in seen.items()
        if len(ops) > 1
    ]
    return anomalies_result(
        {"duplicated": dups},
        attempted=attempted,
        acknowledged=sum(len(o) for o in seen.values()),
        unique=len(seen),
    )
