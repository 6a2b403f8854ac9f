"""Checker results -> what the report shows: verdicts, ruled-out models, witness views.

Theory of operation
-------------------
Results are read defensively, because checkers are written independently and new ones
appear: ``results.json`` is ``{"valid", "checkers": {name: result}}``, each result
``{"valid", "anomaly_types", "anomalies": {type: [witness]}, "not", "also_not", ...}``.

A witness is shown generically first -- its ``explanation`` and a table of the ops it
names -- so an unknown anomaly still renders.  The ops it names are the integers found
under the witness schema's ``ops`` (``ddialab.vocabulary.WITNESS_KEYS``), which every
checker writes (tests/checkers/conftest.py holds them to it); nothing else is searched for
op indices.  Then recognised shapes add drawings:

* a graph (``graph: {nodes, edges}`` or top-level ``edges``): a cycle diagram;
* linearizability dead ends (``prefixes``): the Porcupine-like partition view;
* a network log (``messages.jsonl``): a message diagram around the witness's ops.

Models ruled out are the checkers' ``not``/``also_not``, plus, for checkers that do not
name models, any anomaly type that is itself a model name (a session checker's
``read-your-writes``) and ``nonlinearizable`` -> ``linearizable``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from ddialab.vocabulary import witness_ops
from reports._graphs import (
    LATTICE,
    GEdge,
    GNode,
    canonical,
    cycle_svg,
    edge_legend,
    stronger_closure,
)
from reports._history import HistoryView, Pair, short

MAX_WITNESSES = 6
MAX_OPS = 40
RAW_CHARS = 20_000
ANOMALY_MODELS = {"nonlinearizable": "linearizable", "non-linearizable": "linearizable"}


@dataclass
class CheckerView:
    name: str
    valid: Any
    result: dict[str, Any]
    facts: list[tuple[str, str]]
    sub_verdicts: list[tuple[str, Any, str]]
    witness_count: int
    anomaly_types: list[str] = field(default_factory=list)
    not_models: list[str] = field(default_factory=list)


@dataclass
class WitnessView:
    checker: str
    type: str
    number: int
    explanation: str
    ops: list[dict[str, Any]]
    raw: str
    graph: Markup | None = None
    graph_legend: list[tuple[str, str]] = field(default_factory=list)
    dot: str | None = None
    linear: Any = None
    messages: Any = None
    more: int = 0
    op_indices: list[int] = field(default_factory=list)
    error: str | None = None
    #: the witness's key (partition), as the timeline's key filter spells it
    key: str | None = None


def verdict_word(valid: Any) -> str:
    return "valid" if valid is True else "invalid" if valid is False else "unknown"


def checker_results(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    checkers = results.get("checkers")
    if isinstance(checkers, dict):
        return {str(k): v for k, v in checkers.items() if isinstance(v, dict)}
    if "valid" in results:  # a single checker's result, stored bare
        return {"checker": results}
    return {}


def checker_views(results: dict[str, Any]) -> list[CheckerView]:
    out = []
    for name, r in checker_results(results).items():
        anomalies = r.get("anomalies")
        if not isinstance(anomalies, dict):
            anomalies = {}
        count = sum(len(v) if isinstance(v, list) else 1 for v in anomalies.values())
        cv = CheckerView(name, r.get("valid", "unknown"), r, _facts(r), _subs(r), count)
        cv.anomaly_types = names(r.get("anomaly_types")) or sorted(map(str, anomalies))
        cv.not_models = names(r.get("not"))
        out.append(cv)
    return out


_SKIP_FACTS = frozenset({"valid", "anomalies", "anomaly_types", "not", "also_not"})


def _facts(r: dict[str, Any]) -> list[tuple[str, str]]:
    """The result's other scalar fields (model, seconds, reason, ...), for the summary."""
    out = []
    for k, v in r.items():
        if k in _SKIP_FACTS or isinstance(v, dict):
            continue
        if isinstance(v, list) and len(v) > 20:
            v = f"[{len(v)} items]"
        out.append((k, v if isinstance(v, str) else short(v, 200)))
    return out


def _subs(r: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """Per-guarantee (or per-key) verdicts: any dict of dicts that carry ``valid``."""
    out = []
    for k, v in r.items():
        if k == "anomalies" or not isinstance(v, dict):
            continue
        for name, sub in v.items():
            if isinstance(sub, dict) and "valid" in sub:
                note = sub.get("explanation") or sub.get("reason") or ""
                out.append((f"{k}: {name}", sub["valid"], str(note)))
            elif isinstance(sub, bool | str) and k in ("guarantees", "verdicts"):
                out.append((f"{k}: {name}", sub, ""))
    return out


def ruled_out(results: dict[str, Any]) -> tuple[set[str], set[str], list[str]]:
    """``(all ruled out, the weakest named, ruled-out names not in the drawn lattice)``."""
    weakest: set[str] = set()
    also: set[str] = set()
    for r in checker_results(results).values():
        weakest |= {canonical(m) for m in names(r.get("not"))}
        also |= {canonical(m) for m in names(r.get("also_not"))}
        for a in names(r.get("anomaly_types")):
            model = ANOMALY_MODELS.get(a, canonical(str(a)))
            if model in LATTICE and r.get("valid") is False:
                weakest.add(model)
    everything = stronger_closure(weakest) | also
    weakest -= {m for m in weakest if set(LATTICE.get(m, ())) & everything}
    off_lattice = sorted(m for m in everything if m not in LATTICE)
    return everything, weakest, off_lattice


def checked_models(results: dict[str, Any]) -> dict[str, list[str]]:
    """Models a checker judged and found no violation of: model -> the checkers' names.

    Elle's ``consistency_model`` when its verdict is valid, ``linearizable`` for a valid
    linearizability checker, and each session guarantee whose own verdict is ``True``."""
    out: dict[str, list[str]] = {}
    for name, r in checker_results(results).items():
        found: list[Any] = []
        if r.get("valid") is True and isinstance(r.get("consistency_model"), str):
            found.append(r["consistency_model"])
        if r.get("valid") is True and "linearizab" in name:
            found.append("linearizable")
        guarantees = r.get("guarantees")
        if isinstance(guarantees, dict):
            found += [g for g, v in guarantees.items() if v is True]
        for m in found:
            out.setdefault(canonical(str(m)), []).append(name)
    return out


# --- witnesses -----------------------------------------------------------------------


def witness_views(
    results: dict[str, Any], view: HistoryView, decorate: Callable[[WitnessView, Any], None]
) -> list[WitnessView]:
    """A view per witness; ``decorate(view, witness)`` adds the drawings that need more data."""
    out = []
    for name, r in checker_results(results).items():
        anomalies = r.get("anomalies")
        if not isinstance(anomalies, dict):
            continue
        for kind in sorted(anomalies, key=str):
            ws = anomalies[kind]
            ws = ws if isinstance(ws, list) else [ws]
            for n, w in enumerate(ws[:MAX_WITNESSES]):
                wv = _robust_view(name, str(kind), n + 1, w, view, decorate)
                if n == 0:
                    wv.more = max(0, len(ws) - MAX_WITNESSES)
                out.append(wv)
    return out


def _robust_view(
    checker: str, kind: str, n: int, w: Any, view: HistoryView, decorate: Callable
) -> WitnessView:
    """A witness the report cannot draw still shows its explanation and data, never a crash."""
    try:
        wv = witness_view(checker, kind, n, w, view)
        decorate(wv, w)
        return wv
    except Exception as e:  # a witness of a shape no drawing expected
        text = w.get("explanation") if isinstance(w, dict) else None
        wv = WitnessView(checker, kind, n, str(text or kind), [], _raw(w))
        wv.error = f"the report could not draw this witness ({type(e).__name__}: {e})"
        return wv


def witness_view(checker: str, kind: str, n: int, w: Any, view: HistoryView) -> WitnessView:
    w = w if isinstance(w, dict) else {"data": w}
    indices = named_ops(w, len(view.ops))
    explanation = w.get("explanation") or w.get("description") or _fallback(kind, indices)
    wv = WitnessView(
        checker, kind, n, str(explanation), op_rows(indices, view), _raw(w),
        op_indices=indices,
    )  # fmt: skip
    graph = graph_of(w)
    if graph is not None:
        nodes, edges = graph
        for node in nodes:
            node.detail = _node_detail(node, view)
        wv.graph = cycle_svg(nodes, edges)
        wv.graph_legend = edge_legend(e.kind for e in edges)
    if isinstance(w.get("dot"), str):
        wv.dot = w["dot"]
    if isinstance(w.get("key"), str | int) and not isinstance(w.get("key"), bool):
        wv.key = short(w["key"])
    return wv


def _fallback(kind: str, indices: list[int]) -> str:
    named = ", ".join(map(str, indices[:10])) or "none recorded"
    return f"{kind} (the checker gave no explanation; ops named: {named})"


def _raw(w: Any) -> str:
    try:
        text = json.dumps(w, indent=1, default=str)
    except (TypeError, ValueError):
        text = repr(w)
    return text if len(text) <= RAW_CHARS else text[:RAW_CHARS] + "\n… (truncated)"


def named_ops(w: Any, n_ops: int) -> list[int]:
    """History indices the witness names: its ``ops`` (the witness schema), those inside
    the history, first mention first.  A witness without ``ops`` (no checker of this
    version writes one) names none: the report shows its explanation and data only."""
    seen: set[int] = set()
    out = []
    for i in witness_ops(w) or []:
        if i < n_ops and i not in seen:
            seen.add(i)
            out.append(i)
    return out[:MAX_OPS]


def names(x: Any) -> list[str]:
    """A list of names from a result field that should be one (anything else: none)."""
    return [str(m) for m in x if isinstance(m, str | int)] if isinstance(x, list) else []


def op_rows(indices: list[int], view: HistoryView) -> list[dict[str, Any]]:
    rows = []
    for i in indices:
        p = view.by_index.get(i)
        if p is None:
            op = view.ops[i]
            rows.append(_bare_row(i, op))
            continue
        rows.append(_pair_row(i, p))
    return rows


def _bare_row(i: int, op: dict[str, Any]) -> dict[str, Any]:
    return {
        "index": i,
        "comp": None,
        "process": op.get("process"),
        "f": op.get("f"),
        "outcome": op.get("type"),
        "value": short(op.get("value")),
        "start": op.get("time"),
        "end": None,
        "latency": None,
    }


def _pair_row(i: int, p: Pair) -> dict[str, Any]:
    return {
        "index": p.inv,
        "comp": p.comp if p.comp >= 0 else None,
        "named": i,
        "process": p.process,
        "f": p.f,
        "outcome": p.outcome,
        "value": mops(p.value, 120) + (f" ({short(p.error, 40)})" if p.error is not None else ""),
        "start": p.start,
        "end": p.end if p.end >= 0 else None,
        "latency": p.latency,
    }


# --- graphs --------------------------------------------------------------------------

_SRC = ("from", "source", "src", "a")
_DST = ("to", "target", "dst", "b")
_KIND = ("kind", "type", "rel", "relation", "label")


def graph_of(w: dict[str, Any]) -> tuple[list[GNode], list[GEdge]] | None:
    if not isinstance(w.get("graph"), dict) and _is_path(w.get("cycle")):
        return _path_graph(w["cycle"])
    g = w["graph"] if isinstance(w.get("graph"), dict) else w
    raw_edges = g.get("edges")
    if not isinstance(raw_edges, list) or not raw_edges:
        return None
    edges = [e for e in map(_edge, raw_edges) if e is not None]
    nodes = [_gnode(n) for n in g.get("nodes") or []]
    ids = {n.id for n in nodes}
    for e in edges:
        for end in (e.src, e.dst):
            if end not in ids:
                ids.add(end)
                nodes.append(GNode(end, str(end), str(end)))
    return (nodes, edges) if edges else None


def _is_path(c: Any) -> bool:
    """A cycle written as ``[op, kind, op, kind, ..., op]`` (the session checker's form)."""
    return (
        isinstance(c, list)
        and len(c) >= 3
        and len(c) % 2 == 1
        and all(isinstance(x, str) for x in c[1::2])
        and all(isinstance(x, int | str) and not isinstance(x, bool) for x in c[0::2])
    )


def _path_graph(c: list[Any]) -> tuple[list[GNode], list[GEdge]]:
    ids = list(dict.fromkeys(c[0::2]))
    nodes = [GNode(i, str(i), str(i)) for i in ids]
    edges = [GEdge(c[k], c[k + 2], c[k + 1]) for k in range(0, len(c) - 2, 2)]
    return nodes, edges


def _edge(e: Any) -> GEdge | None:
    if isinstance(e, list | tuple) and len(e) >= 2:
        return GEdge(_key(e[0]), _key(e[1]), str(e[2]) if len(e) > 2 else "")
    if not isinstance(e, dict):
        return None
    src = next((e[k] for k in _SRC if k in e), None)
    dst = next((e[k] for k in _DST if k in e), None)
    kind = next((e[k] for k in _KIND if k in e), "")
    if src is None or dst is None:
        return None
    return GEdge(_key(src), _key(dst), str(kind if not isinstance(kind, list) else "/".join(kind)))


def _key(x: Any) -> Any:
    return json.dumps(x) if isinstance(x, list | dict) else x


def _gnode(n: Any) -> GNode:
    if not isinstance(n, dict):
        return GNode(_key(n), str(n), str(n))
    nid = next((n[k] for k in ("id", "name", "index", "op") if k in n), None)
    node = GNode(_key(nid), str(n.get("label", nid)), "")
    node.detail = json.dumps({k: v for k, v in n.items() if k != "id"}, default=str)
    if isinstance(n.get("op"), int):
        node.detail = f"op:{n['op']}"
    return node


def _node_detail(node: GNode, view: HistoryView) -> str:
    """Tooltip text for a graph node: the op it stands for, when the history has it."""
    i: Any = None
    if node.detail.startswith("op:"):
        i = int(node.detail[3:])
    elif isinstance(node.id, int):
        i = node.id
    p = view.by_index.get(i) if i is not None else None
    if p is None:
        return node.detail
    span = f"{p.inv}–{p.comp}" if p.comp >= 0 else f"{p.inv}"
    return f"op {span}: p{p.process} {p.f} {mops(p.value)}"


def _elle(x: Any) -> str:
    if x is None:
        return "nil"
    if isinstance(x, list):
        return "[" + " ".join(_elle(v) for v in x) + "]"
    return short(x, 24)


def mops(value: Any, limit: int = 60) -> str:
    """A transaction's micro-ops as Elle prints them (``[append 9 2] [r 8 nil]``)."""
    if not (isinstance(value, list) and value and all(isinstance(m, list) for m in value)):
        return short(value, limit)
    text = " ".join(_elle(m) for m in value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
