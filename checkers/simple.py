"""A quick, sound (never falsely invalid) check for keyed register histories.

Every ``ok`` read of ``[k, v]`` must return the initial value (``None``) or a value that
some write or successful-or-unknown cas of ``k`` *invoked before the read completed*
could have written; otherwise the read saw a value from nowhere (or from the future).
This catches garbage and future reads only; full linearizability is
``checkers.linearizable``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checkers._result import Result, anomalies_result
from ddialab.history import History


def _written(op: Any) -> tuple[Any, Any] | None:
    if op.f == "write":
        return op.value[0], op.value[1]
    if op.f == "cas":
        return op.value[0], op.value[1][1]
    return None


def check_register(history: History, options: Mapping[str, Any]) -> Result:
    pairs = history.pairs()
    seen: dict[Any, set[Any]] = {}
    bad = []
    for op in history:
        if op.process == "nemesis":
            continue
        if op.type == "invoke":
            w = _written(op)
            completion = history[pairs[op.index]] if pairs[op.index] >= 0 else None
            if w and not (completion and completion.type == "fail"):
                seen.setdefault(_h(w[0]), set()).add(_h(w[1]))
        elif op.type == "ok" and op.f == "read":
            k, v = op.value
            if v is not None and _h(v) not in seen.get(_h(k), set()):
                bad.append(_witness(op, k, v))
    return anomalies_result({"garbage-read": bad})


def _witness(op: Any, k: Any, v: Any) -> dict[str, Any]:
    return {
        "op": op.index,
        "key": k,
        "value": v,
        "explanation": (
            f"process {op.process} read key {k!r} = {v!r} at op {op.index}, but no write "
            f"of {v!r} to key {k!r} was invoked before that read completed"
        ),
    }


def _h(v: Any) -> Any:
    return tuple(_h(x) for x in v) if isinstance(v, list) else v
