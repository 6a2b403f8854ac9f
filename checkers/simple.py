"""A quick, sound (never falsely invalid) check for keyed register histories.

Every ``ok`` read of ``[k, v]`` must return the initial value (``None``) or a value that
some write or successful-or-unknown cas of ``k`` *invoked before the read completed*
could have written; otherwise the read saw a value from nowhere (or from the future).
This catches garbage and future reads only; full linearizability is
``checkers.linearizable``.  Values are ``[key, v]`` (``cas``: ``[key, [old, new]]``); with
``options["independent"] = False`` they are bare (one register).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checkers._result import Result, anomalies_result
from ddialab.errors import DdialabError
from ddialab.history import History


def _keyed(op: Any, independent: bool) -> tuple[Any, Any]:
    if not independent:
        return None, op.value
    v = op.value
    if not (isinstance(v, list) and len(v) == 2):
        raise DdialabError(
            f"op {op.index}: register-simple expects [key, value] values (or pass "
            f"independent=False for one bare register); got {v!r}"
        )
    return v[0], v[1]


def _written(op: Any, independent: bool) -> tuple[Any, Any] | None:
    if op.f not in ("write", "cas"):
        return None
    k, v = _keyed(op, independent)
    if op.f == "cas":
        if not (isinstance(v, list) and len(v) == 2):
            raise DdialabError(f"op {op.index}: a cas value must be [old, new]; got {v!r}")
        return k, v[1]
    return k, v


def check_register(history: History, options: Mapping[str, Any]) -> Result:
    independent = bool(options.get("independent", True))
    pairs = history.pairs()
    seen: dict[Any, set[Any]] = {}
    bad = []
    for op in history:
        if op.process == "nemesis":
            continue
        if op.type == "invoke":
            w = _written(op, independent)
            completion = history[pairs[op.index]] if pairs[op.index] >= 0 else None
            if w and not (completion and completion.type == "fail"):
                seen.setdefault(_h(w[0]), set()).add(_h(w[1]))
        elif op.type == "ok" and op.f == "read":
            k, v = _keyed(op, independent)
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
