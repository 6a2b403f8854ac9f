"""``check(history, options)``: analyze, build the graph, search cycles, judge.

Theory of operation
-------------------
1. ``collect`` turns the history into txns plus process and real-time edges (only when
   the consistency model judged against forbids some -process / -realtime anomaly, as
   Elle adds those graphs only when needed).
2. The workload analyzer (``MODELS[model]``) infers version orders, reports non-cycle
   anomalies, and adds ww/wr/rw edges.
3. ``nontrivial_sccs`` finds the strongly connected components on plain lists; each one
   becomes a networkx graph and ``search_scc`` looks for every cycle type in it.
4. The verdict: ``False`` if an anomaly the consistency model forbids was found, else
   ``"unknown"`` if a search ran out of time (``time_limit``) before ruling forbidden
   cycles out, else ``True``.  All anomalies found are reported either way, with the
   models they rule out (``not``: the weakest; ``also_not``: the stronger rest).

On timeout, each unfinished SCC still contributes a *fallback* cycle: a shortest cycle
through some txn of the weakest edge-kind restriction that has one (Elle does likewise),
so a timed-out search can still prove invalidity, and never passes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from checkers import retain, unknown_result, valid_result
from checkers.elle._append import AppendAnalysis
from checkers.elle._compact import collect_compact
from checkers.elle._cycles import (
    classify,
    collapse_time,
    fallback_cycle,
    scc_graph,
    search_scc,
)
from checkers.elle._explain import cycle_witness, fmt, render_anomaly
from checkers.elle._mops import Source
from checkers.elle._register import RegisterAnalysis
from checkers.elle._scc import has_cycle, nontrivial_sccs
from checkers.elle._split import collect_split
from checkers.elle._tables import (
    ANOMALIES,
    CYCLE_TYPES,
    DEFAULT_MODEL,
    boundary,
    canonical_anomaly,
    canonical_model,
    implied_anomalies,
    prohibited_anomalies,
)
from checkers.elle._txns import RW, WR, WW, collect
from ddialab.errors import UsageError
from ddialab.history import NEMESIS, CompactHistory, CompactUnsupported

#: Seconds for the cycle search when ``time_limit`` is not given (``None``: no limit).
#: Elle likewise bounds its search; a budget that runs out never gives a false pass.
DEFAULT_TIME_LIMIT = 60.0


@dataclass(frozen=True)
class WorkloadModel:
    name: str
    description: str
    analyzer: Callable[..., Any]


MODELS: dict[str, WorkloadModel] = {
    "list-append": WorkloadModel(
        "list-append",
        'txns of ["append", k, v] and ["r", k, [v ...]] over lists; appends unique per key',
        AppendAnalysis,
    ),
    "rw-register": WorkloadModel(
        "rw-register",
        'txns of ["w", k, v] and ["r", k, v] over registers; writes unique per key',
        RegisterAnalysis,
    ),
}


def check(history: Any, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check a list-append or rw-register history; see the module docstring."""
    # The analysis allocates ~1M small objects and makes no reference cycles; pausing the
    # cyclic collector (which would rescan the whole history each generation-2 pass)
    # saves about a third of the time on 100k-txn histories.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(history, options)
    finally:
        if enabled:
            gc.enable()


def _check(history: Any, options: Mapping[str, Any] | None) -> dict[str, Any]:
    opts = dict(options or {})
    model = _workload(opts.get("model"))
    cm = opts.get("consistency_model") or DEFAULT_MODEL
    if isinstance(cm, list | tuple):  # several models, as Elle's :consistency-models
        cm = [canonical_model(m) for m in cm]
        prohibited = set().union(*(prohibited_anomalies(m) for m in cm))
    else:
        cm = canonical_model(cm)
        prohibited = prohibited_anomalies(cm)
    prohibited |= _also_forbidden(opts.get("anomalies"))
    limit = opts.get("time_limit", DEFAULT_TIME_LIMIT)
    deadline = time.monotonic() + float(limit) if limit is not None else None
    need_rt = any(t.endswith("-realtime") and t in prohibited for t in CYCLE_TYPES)
    need_proc = need_rt or any(t.endswith("-process") and t in prohibited for t in CYCLE_TYPES)
    src = Source(getattr(history, "source", None), model.name)
    g, failed = _collect(history, need_proc, need_rt, src)
    try:
        if not g.txns and not failed:
            return _no_txns(history, model.name)
        analysis = model.analyzer(g, failed, opts)
    finally:
        if g.tail is not None:  # the split child's reads pass: used or not, reaped
            g.tail.close()
    if analysis.duplicate_writes:
        return _duplicate_writes(model.name, analysis.duplicate_writes)
    analysis.add_edges()
    anomalies = {k: [_with_text(k, w) for w in ws] for k, ws in analysis.anomalies.items()}
    wanted = {t for t in CYCLE_TYPES if not t.endswith(("-process", "-realtime"))}
    wanted |= {t for t in CYCLE_TYPES if t.endswith("-process")} if need_proc else set()
    wanted |= {t for t in CYCLE_TYPES if t.endswith("-realtime")} if need_rt else set()
    incomplete = _cycles(g, analysis, anomalies, wanted, deadline)
    retain((g, failed, analysis))  # freed by the exit, if the caller will exit (_retain.py)
    out = _result(anomalies, incomplete, prohibited, cm, model.name, len(g.txns), limit)
    if not _has_dependencies(g) and out["valid"] is True:
        out["valid"] = "unknown"
        out["reason"] = (
            f"empty transaction graph: none of the {len(g.txns)} txn(s) observed another's "
            "write or was ordered by one, so no dependency could be checked"
        )
    if getattr(analysis, "unknown_reads", 0):
        out["unknown_reads"] = analysis.unknown_reads
    return out


def _collect(history: Any, proc: bool, rt: bool, src: Source) -> tuple[Any, list[Any]]:
    """Txns and order edges: from a ``CompactHistory``'s rows when it can be scanned
    (``_compact.py``: no ``Op`` and no invocation's value kept), else from its ops."""
    if isinstance(history, CompactHistory):
        try:
            got = collect_split(history, proc, rt, src)  # both cores, on a large file
            return got if got is not None else collect_compact(history, proc, rt, src)
        except CompactUnsupported:
            pass  # e.g. extras (an explicit version order): the full reader's ops
    return collect(history, proc, rt, src.mops)


def _no_txns(history: Any, model: str) -> dict[str, Any]:
    """Valid for an empty history; otherwise nothing of our kind was there to check."""
    client = [op for op in history if op.process != NEMESIS]
    if not client:
        return {**valid_result(model=model, txns=0), "not": [], "also_not": []}
    fs = sorted({str(op.f) for op in client})
    return unknown_result(
        f"no {model} transactions (f txn, value a list of [f, k, v] micro-ops) among "
        f"{len(client)} client op(s) (f: {', '.join(fs[:5])})",
        model=model,
        txns=0,
    )


def _has_dependencies(g: Any) -> bool:
    """Whether the graph has any ww, wr or rw edge (Elle: a non-empty txn graph)."""
    deps = WW | WR | RW
    return any(e & deps for edges in g.out[: g.n_txns] for e in edges)


def _also_forbidden(names: Any) -> set[str]:
    """Elle's ``:anomalies`` option: specific anomalies to forbid on top of the model."""
    if not names:
        return set()
    wanted = {canonical_anomaly(n) for n in ([names] if isinstance(names, str) else names)}
    unknown = sorted(wanted - set(ANOMALIES))
    if unknown:
        raise UsageError(f"unknown anomaly {unknown[0]!r}; known: {', '.join(sorted(ANOMALIES))}")
    return {a for a in ANOMALIES if implied_anomalies([a]) & wanted}


def _workload(name: Any) -> WorkloadModel:
    name = name or "list-append"
    if name not in MODELS:
        raise UsageError(f"unknown elle model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name]


def _duplicate_writes(model: str, dups: list[tuple[Any, Any]]) -> dict[str, Any]:
    shown = ", ".join(f"key {fmt(k)} value {fmt(v)}" for k, v in dups[:5])
    return {
        "valid": "unknown",
        "anomaly_types": [],
        "anomalies": {},
        "model": model,
        "reason": f"{model} needs every written value to be unique per key; "
        f"written more than once: {shown}",
    }


def _with_text(kind: str, w: dict[str, Any]) -> dict[str, Any]:
    return {**w, "ops": _named_ops(w), "explanation": render_anomaly(kind, w)}


def _named_ops(w: dict[str, Any]) -> list[int]:
    """A non-cycle witness's ops (the witness schema's ``ops``): the txn that read or
    wrote badly (``op``), then the txn it read from (``writer``, ``aborted_writer``); a
    lost update already lists its writers as ``ops``."""
    if "ops" in w:
        return list(w["ops"])
    return [w[k] for k in ("op", "writer", "aborted_writer") if isinstance(w.get(k), int)]


def _cycles(
    g: Any,
    analysis: Any,
    anomalies: dict[str, list[Any]],
    wanted: set[str],
    deadline: float | None,
) -> list[dict[str, Any]]:
    incomplete = []
    sccs = nontrivial_sccs(g.out) if has_cycle(g.out) else []  # valid: the cheap pass only
    for nodes in sccs:
        sg = scc_graph(nodes, g)
        found, unsearched = search_scc(sg, g.n_txns, wanted, deadline)
        if unsearched:
            size = sum(1 for v in nodes if v < g.n_txns)
            incomplete.append({"scc_size": size, "not_searched": unsearched})
            fb = fallback_cycle(sg, g.n_txns)
            if fb is not None and all(t != classify(fb, g.n_txns) for t, _ in found):
                found.append((classify(fb, g.n_txns), fb))
        for kind, steps in found:
            w = cycle_witness(kind, collapse_time(steps, g.n_txns), g.txns, analysis.explain)
            anomalies.setdefault(kind, []).append(w)
    return incomplete


def _result(
    anomalies: dict[str, list[Any]],
    incomplete: list[dict[str, Any]],
    prohibited: set[str],
    cm: str | list[str],
    model: str,
    n: int,
    limit: Any,
) -> dict[str, Any]:
    found = sorted(k for k, v in anomalies.items() if v)
    bad = [k for k in found if k in prohibited]
    not_, also_not = boundary(found)
    valid: Any = False if bad else ("unknown" if incomplete else True)
    out: dict[str, Any] = {
        "valid": valid,
        "anomaly_types": found,
        "anomalies": {k: anomalies[k] for k in found},
        "not": not_,
        "also_not": also_not,
        "model": model,
        "consistency_model": cm,
        "txns": n,
    }
    if incomplete:
        out["incomplete"] = incomplete
        if valid == "unknown":
            out["reason"] = (
                f"cycle search ran out of time (time_limit={limit}s) in "
                f"{len(incomplete)} strongly connected component(s)"
            )
    return out


__all__ = ["MODELS", "WorkloadModel", "check"]
