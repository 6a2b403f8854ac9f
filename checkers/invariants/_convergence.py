"""Eventual convergence: once faults heal and writes stop, every replica holds one state.

Theory of operation
-------------------
Vocabulary.  Writes are ``write`` / ``append`` / ``add`` ops with value ``[key, v]``
(``options["keyed"] = False``: the value is ``v`` itself and there is one key, ``null``).
A *final read* is an ok op with ``f == "final-read"`` (or ``f == "read"`` carrying
``extra["final"] = true``) whose ``node`` names the replica it read; its value is
``[key, state]``, or a ``{key: state}`` object for a whole-replica snapshot (or the bare
state when unkeyed).  The last final read of each (replica, key) is that replica's state.

Verdict, per key:

* ``divergence`` -- two replicas' final states differ (append keys compare lists, ``add``
  keys compare as sets, registers compare values);
* ``lost-writes`` -- an acknowledged append/add element missing from some replica's final
  state (reported by value, with the replicas that lack it);
* ``unexpected`` -- a final register value nobody wrote, or a set/list element nobody added.

A key with no writes in this vocabulary (say, counter ``incr`` ops) is judged on agreement
alone.

For registers the checker does not say which write *should* have won (that needs a version
order; see the session checker).  ``"unknown"`` when there are no final reads, when a final
read began before the last nemesis event (the faults had not healed yet) or before the last
write finished (the system had not quiesced), or when ``options["nodes"]`` names a replica
that was never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checkers import Result, admit, anomalies_result, nothing_to_check, unknown_result
from checkers.invariants._common import Pair, client_pairs, freeze, show, thaw
from ddialab.history import KEY_VALUE, OBJECT, History, ShapeTable, one_of

WRITE_FS = ("write", "append", "add")
#: Keyed values (the default): writes ``[key, v]``, final reads ``[key, state]`` or an
#: object of states; anything else is bad input (exit 3 naming the line).
KEYED: ShapeTable = {
    **{(f, "invoke"): KEY_VALUE for f in WRITE_FS},
    ("final-read", "ok"): one_of(KEY_VALUE, OBJECT),
}


def check_convergence(history: History, options: Mapping[str, Any]) -> Result:
    keyed = options.get("keyed", True)
    admit(history, "convergence", KEYED if keyed else {})
    finals = [p for p in client_pairs(history) if _is_final(p)]
    if not finals:
        return nothing_to_check(history, 'no final reads (f "final-read", or extra final=true)')
    last_nemesis = max((op.index for op in history.nemesis_ops()), default=-1)
    early = [p.op for p in finals if p.start < last_nemesis]
    if early:
        return unknown_result(
            f"final reads began before the last nemesis event (op {last_nemesis}): "
            f"ops {early[:10]}",
            early_final_reads=early,
        )
    busy = max((p.op for p in client_pairs(history, WRITE_FS)), default=-1)
    racing = [p.op for p in finals if p.start < busy]
    if racing:
        return unknown_result(
            f"final reads began before the last write finished (op {busy}): the system had "
            f"not quiesced; ops {racing[:10]}",
            racing_final_reads=racing,
        )
    states = _states(finals, keyed)
    missing_nodes = sorted(set(map(str, options.get("nodes") or ())) - {str(n) for n, _ in states})
    writes = _writes(history, keyed)
    result = _judge(states, writes)
    result["replicas"] = sorted({str(n) for n, _ in states})
    if missing_nodes and result["valid"] is True:
        result.update(valid="unknown", reason=f"no final read from replicas {missing_nodes}")
    return result


def _is_final(p: Pair) -> bool:
    if p.outcome != "ok":
        return False
    return p.inv.f == "final-read" or (p.inv.f == "read" and bool(p.extra("final")))


def _states(finals: list[Pair], keyed: bool) -> dict[tuple[Any, Any], tuple[Any, int]]:
    """(node, key) -> (state, op) from the last final read of each."""
    out: dict[tuple[Any, Any], tuple[Any, int]] = {}
    for p in finals:
        node = (p.comp.node if p.comp is not None else None) or p.inv.node
        for key, state in _key_states(p.value, keyed):
            out[(node, freeze(key))] = (state, p.op)
    return out


def _key_states(value: Any, keyed: bool) -> list[tuple[Any, Any]]:
    if not keyed:
        return [(None, value)]
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list) and len(value) == 2:
        return [(value[0], value[1])]
    return []


def _writes(history: History, keyed: bool) -> dict[Any, dict[str, Any]]:
    """key -> {"kind": f, "acked": {value: op}, "attempted": set of values}."""
    out: dict[Any, dict[str, Any]] = {}
    for p in client_pairs(history, WRITE_FS):
        if p.outcome == "fail":
            continue
        v = p.inv.value
        if keyed and not (isinstance(v, list) and len(v) == 2):
            continue
        key, x = (v[0], v[1]) if keyed else (None, v)
        w = out.setdefault(freeze(key), {"kind": p.inv.f, "acked": {}, "attempted": set()})
        w["attempted"].add(freeze(x))
        if p.outcome == "ok":
            w["acked"].setdefault(freeze(x), p.op)
    return out


def _normal(kind: str, state: Any) -> Any:
    if kind == "add" and isinstance(state, list):
        return frozenset(freeze(e) for e in state)
    if kind == "append" and state is None:
        return ()
    return freeze(state)


def _judge(states: dict[tuple[Any, Any], Any], writes: dict[Any, Any]) -> Result:
    by_key: dict[Any, dict[Any, tuple[Any, int]]] = {}
    for (node, key), got in states.items():
        by_key.setdefault(key, {})[node] = got
    anomalies: dict[str, list[Any]] = {"divergence": [], "lost-writes": [], "unexpected": []}
    for key, nodes in sorted(by_key.items(), key=lambda kv: repr(kv[0])):
        w = writes.get(key)
        normal = {n: _normal(w["kind"] if w else "write", s) for n, (s, _) in nodes.items()}
        if len(set(normal.values())) > 1:
            anomalies["divergence"].append(_divergence(key, nodes))
        if w is None:
            continue  # no write in this vocabulary (e.g. counter increments): agreement only
        if w["kind"] in ("append", "add"):
            anomalies["lost-writes"] += _lost(key, w, normal, nodes)
            anomalies["unexpected"] += _unexpected_elements(key, w, normal, nodes)
        else:
            anomalies["unexpected"] += _unexpected_values(key, w, normal, nodes)
    return anomalies_result(anomalies, keys=len(by_key))


def _divergence(key: Any, nodes: dict[Any, tuple[Any, int]]) -> dict[str, Any]:
    names = sorted(nodes, key=str)
    return {
        "key": thaw(key),
        "states": {str(n): nodes[n][0] for n in names},
        "ops": [nodes[n][1] for n in names],
        "explanation": f"the final reads of key {show(key)} disagree: "
        + "; ".join(f"{n} has {show(freeze(nodes[n][0]))} (op {nodes[n][1]})" for n in names),
    }


def _lost(key: Any, w: Any, normal: dict[Any, Any], nodes: Any) -> list[dict[str, Any]]:
    out = []
    for x, op in w["acked"].items():
        lacking = sorted((n for n, s in normal.items() if x not in s), key=str)
        if lacking:
            out.append(
                {
                    "key": thaw(key),
                    "value": thaw(x),
                    "op": op,
                    "ops": [op] + [nodes[n][1] for n in lacking],
                    "replicas": [str(n) for n in lacking],
                    "explanation": f"{show(x)} was acknowledged for key {show(key)} (op {op}) "
                    f"but is missing from the final state of {', '.join(map(str, lacking))}",
                }
            )
    return out


def _unexpected_elements(key: Any, w: Any, normal: dict[Any, Any], nodes: Any) -> list[Any]:
    held = {n: s for n, s in normal.items() if isinstance(s, tuple | frozenset)}
    seen = {x for s in held.values() for x in s}
    return [
        _unexpected(key, x, [n for n, s in held.items() if x in s], nodes)
        for x in sorted(seen - w["attempted"], key=repr)
    ]


def _unexpected_values(key: Any, w: Any, normal: dict[Any, Any], nodes: Any) -> list[Any]:
    seen = {s for s in normal.values() if s is not None}
    return [
        _unexpected(key, x, [n for n, s in normal.items() if s == x], nodes)
        for x in sorted(seen - w["attempted"], key=repr)
    ]


def _unexpected(key: Any, x: Any, holders: list[Any], nodes: Any) -> dict[str, Any]:
    """``holders``: the replicas whose final read holds ``x``; their reads are the ops."""
    return {
        "key": thaw(key),
        "value": thaw(x),
        "ops": sorted(nodes[n][1] for n in holders),
        "explanation": f"a final read of key {show(key)} holds {show(x)}, which no op wrote",
    }
