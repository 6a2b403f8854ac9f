"""A quick, sound (never falsely invalid) check for keyed register histories.

Every ``ok`` read of ``[k, v]`` must return the initial value (``None``) or a value that
some write or successful-or-unknown cas of ``k`` *invoked before the read completed*
could have written; otherwise the read saw a value from nowhere (or from the future).
This catches garbage and future reads only; full linearizability is
``checkers.linearizable``.  Values are ``[key, v]`` (``cas``: ``[key, [old, new]]``); with
``options["independent"] = False`` they are bare (one register).  Register values are
scalars or arrays of them; any other value shape, or a completion with no invocation, is
bad input (exit 3 naming the line).  A history with client ops but no ok read checked
nothing: ``"unknown"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checkers._input import admit, nothing_to_check
from checkers._result import Result, anomalies_result
from ddialab.history import PLAIN, History, Shape, ShapeTable, pair_of

_BARE: ShapeTable = {
    ("write", "invoke"): PLAIN,
    ("cas", "invoke"): pair_of(PLAIN, PLAIN),
    ("read", "ok"): PLAIN,
}
#: Keyed (the default): the same values, each as ``[key, v]``.
_KEYED: ShapeTable = {
    ("write", "invoke"): Shape(pair_of(PLAIN, PLAIN).test, "[key, value] values"),
    ("cas", "invoke"): Shape(pair_of(PLAIN, pair_of(PLAIN, PLAIN)).test, "[key, [old, new]]"),
    ("read", "ok"): Shape(pair_of(PLAIN, PLAIN).test, "[key, value] values"),
}


def _keyed(op: Any, independent: bool) -> tuple[Any, Any]:
    return (op.value[0], op.value[1]) if independent else (None, op.value)


def _written(op: Any, independent: bool) -> tuple[Any, Any] | None:
    if op.f not in ("write", "cas"):
        return None
    k, v = _keyed(op, independent)
    return (k, v[1]) if op.f == "cas" else (k, v)


def check_register(history: History, options: Mapping[str, Any]) -> Result:
    independent = bool(options.get("independent", True))
    admit(history, "register-simple", _KEYED if independent else _BARE)
    if not any(op.type == "ok" and op.f == "read" for op in history.client_ops()):
        return nothing_to_check(history, "no ok reads (f read) to check")
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
        "ops": [op.index],
        "key": k,
        "value": v,
        "explanation": (
            f"process {op.process} read key {k!r} = {v!r} at op {op.index}, but no write "
            f"of {v!r} to key {k!r} was invoked before that read completed"
        ),
    }


def _h(v: Any) -> Any:
    return tuple(_h(x) for x in v) if isinstance(v, list) else v
