"""Witnesses as data first, then text: cycle steps, non-cycle anomalies, DOT and JSON.

Theory of operation
-------------------
A cycle witness names its txns T1..Tn in cycle order and records, for every step, the
facts that justify it (the key, the list read, the appended or written value), as the
workload analyzer reports them.  ``render_*`` functions turn those facts into sentences;
nothing in the text is not also in the data.  Each cycle witness also carries its graph,
as a JSON node/edge list (edge kinds ww/wr/rw/process/realtime) and as Graphviz DOT.
"""

from __future__ import annotations

from typing import Any

from checkers.elle._txns import KIND_NAMES, PROCESS, REALTIME, Txn


def fmt(v: Any) -> str:
    """Values as Elle prints them: lists as [1 2], nil for None."""
    if v is None:
        return "nil"
    if isinstance(v, list | tuple):
        return "[" + " ".join(fmt(x) for x in v) + "]"
    return str(v)


def cycle_witness(
    anomaly: str, steps: list[tuple[int, int, int]], txns: list[Txn], explain: Any
) -> dict[str, Any]:
    order = [a for a, _, _ in steps]
    names = {tid: f"T{i + 1}" for i, tid in enumerate(order)}
    facts = [_step_facts(a, b, kind, txns, explain) for a, b, kind in steps]
    for (a, b, _), f in zip(steps, facts, strict=True):
        f["from"], f["to"] = names[a], names[b]
    txn_data = [
        {
            "name": names[t],
            "op": txns[t].index,
            "process": txns[t].process,
            "type": txns[t].type,
            "value": [list(m) for m in txns[t].mops],  # lists, also from compact tuples
        }
        for t in order
    ]
    w: dict[str, Any] = {
        "type": anomaly,
        "cycle": [txns[t].index for t in order],
        "ops": [txns[t].index for t in order],
        "txns": txn_data,
        "steps": facts,
    }
    w["graph"] = {
        "nodes": [{"id": d["name"], "op": d["op"], "process": d["process"]} for d in txn_data],
        "edges": [{"from": f["from"], "to": f["to"], "kind": f["type"]} for f in facts],
    }
    w["dot"] = to_dot(w)
    w["explanation"] = render_cycle(w)
    return w


def _step_facts(a: int, b: int, kind: int, txns: list[Txn], explain: Any) -> dict[str, Any]:
    if kind == PROCESS:
        return {"type": "process", "process": txns[a].process}
    if kind == REALTIME:
        return {"type": "realtime", "completed": txns[a].complete, "invoked": txns[b].invoke}
    facts = explain(a, b, kind)
    return facts if facts is not None else {"type": KIND_NAMES[kind]}


def render_step(f: dict[str, Any]) -> str:
    a, b, t = f["from"], f["to"], f["type"]
    k = fmt(f.get("key"))
    if t == "process":
        why = f"process {f['process']} executed {a} before {b}"
    elif t == "realtime":
        why = f"{a} completed (op {f['completed']}) before {b} was invoked (op {f['invoked']})"
    elif t == "wr" and "read" in f:
        why = f"{b} read key {k} = {fmt(f['read'])} including {a}'s append of {fmt(f['value'])}"
    elif t == "rw" and "read" in f:
        why = (
            f"{a} read key {k} = {fmt(f['read'])} which did not include "
            f"{b}'s append of {fmt(f['value'])}"
        )
    elif t == "ww" and "value2" in f:
        why = f"{b} appended {fmt(f['value2'])} after {a} appended {fmt(f['value'])} to key {k}"
    elif t == "wr":
        why = f"{b} read key {k} = {fmt(f['value'])}, written by {a}"
    elif t == "rw":
        why = f"{a} read key {k} = {fmt(f['value'])}, which {b} overwrote with {fmt(f['value2'])}"
    elif t == "ww":
        why = f"{b} wrote key {k} = {fmt(f['value2'])} after {a} wrote {fmt(f['value'])}"
    else:
        why = f"of a {t} dependency"
    return f"{a} < {b} because {why}"


def render_cycle(w: dict[str, Any]) -> str:
    steps = "; ".join(render_step(f) for f in w["steps"])
    who = ", ".join(f"{d['name']} = op {d['op']}" for d in w["txns"])
    return f"{steps}: a contradiction ({who})"


def to_dot(w: dict[str, Any]) -> str:
    colors = {
        "ww": "#c02020",
        "wr": "#2050c0",
        "rw": "#20a040",
        "process": "#808080",
        "realtime": "#a060c0",
    }
    lines = [f'digraph "{w["type"]}" {{']
    for n in w["graph"]["nodes"]:
        lines.append(f'  {n["id"]} [label="{n["id"]} (op {n["op"]})"];')
    for e in w["graph"]["edges"]:
        c = colors.get(e["kind"], "black")
        lines.append(f'  {e["from"]} -> {e["to"]} [label="{e["kind"]}", color="{c}"];')
    lines.append("}")
    return "\n".join(lines)


def render_anomaly(kind: str, w: dict[str, Any]) -> str:
    """One sentence for a non-cycle anomaly witness."""
    k = fmt(w.get("key"))
    op = w.get("op")
    r = fmt(w.get("read"))
    if kind == "G1a":
        return (
            f"op {op} read key {k} = {r} including {fmt(w['element'])}, appended by "
            f"op {w['writer']}, which failed"
        )
    if kind == "G1b":
        return (
            f"op {op} read key {k} = {r} ending in {fmt(w['element'])}, an intermediate "
            f"append of op {w['writer']} (its final append to key {k} was "
            f"{fmt(w['final'])})"
        )
    if kind == "internal":
        exp = fmt(w["expected"]) if w["prefix_known"] else "[... " + fmt(w["expected"])[1:]
        return f"op {op} read key {k} = {r}, but its own earlier micro-ops imply {exp}"
    if kind == "future-read":
        return (
            f"op {op} read key {k} = {r} including {fmt(w['element'])}, which the same "
            f"txn appends only later (micro-op {w['append_mop']})"
        )
    if kind == "dirty-update":
        return (
            f"key {k} has version order {fmt(w['order'])}, in which "
            f"{fmt(w['aborted'])} (appended by op {w['aborted_writer']}, which failed) "
            f"is followed by {fmt(w['element'])} (appended by committed op {w['writer']})"
        )
    if kind == "duplicate-elements":
        return f"op {op} read key {k} = {r}, containing {fmt(w['duplicates'])} more than once"
    if kind == "incompatible-order":
        a, b = w["reads"]
        return (
            f"key {k} was read as {fmt(a)} and as {fmt(b)} (op {op}): "
            f"neither is a prefix of the other"
        )
    if kind == "lost-update":
        ops = " and ".join(f"op {i}" for i in w["ops"])
        return f"{ops} all read key {k} = {fmt(w['value'])} and then wrote key {k}"
    if kind == "garbage-read":
        return (
            f"op {op} read key {k} = {r} including {fmt(w['element'])}, which no "
            f"operation ever wrote"
        )
    if kind == "cyclic-versions":
        order = " < ".join(fmt(v) for v in w["cycle"])
        return f"key {k} has a cyclic version order: {order} (from {', '.join(w['sources'])})"
    return kind
