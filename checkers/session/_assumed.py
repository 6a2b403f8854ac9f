"""Version orders the user vouches for: Elle's wfr-, sequential- and linearizable-keys.

Theory of operation
-------------------
A register history without system versions leaves the order of two writers' values
unknowable, so the session checker answers ``"unknown"``.  The user may *declare* what the
system promises, with the options Elle uses (``wfr_keys``, ``sequential_keys``,
``linearizable_keys``; CLI ``--wfr-keys`` etc.).  Each declared assumption is a source of
per-key version graphs, derived by the shared ``checkers.versions`` exactly as the Elle
checker derives them: ``initial-state`` first, then the declared sources in
``ASSUMPTIONS`` order.  A source that would make a key's order cyclic contradicts itself
on this history; as in Elle it is left out for that key and reported as a
``cyclic-versions`` anomaly (with the sources that clash), never trusted.

Only register keys take part (append and set reads show their own order).  Each session
txn is seen as a ``VersionTxn``: its external reads, then its writes, as ``r``/``w``
micro-ops; ``info`` txns count only by their writes, ``fail`` ones were never parsed.

A key's merged graph answers "is ``a`` at or before ``b``": yes if a path leads from ``a``
to ``b``, no if one leads from ``b`` to ``a``, unknown if the two are unordered (the
graph is a partial order).  The evidence is named after the sources that built the key's
graph (e.g. ``linearizable-keys``, or ``wfr-keys+sequential-keys``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from checkers.session._model import MOP_WRITE, Parsed, Txn
from checkers.versions import (
    ASSUMPTIONS,
    Graphs,
    initial_graphs,
    linearizable_graphs,
    merge_sources,
    reaches,
    sequential_graphs,
    wfr_graphs,
)
from ddialab.vocabulary import thaw

_DERIVE = {
    "wfr-keys": wfr_graphs,
    "sequential-keys": sequential_graphs,
    "linearizable-keys": linearizable_graphs,
}


def declared(options: Mapping[str, Any]) -> list[str]:
    """The source names of the assumptions ``options`` declare, in merge order."""
    return [name for opt, name in ASSUMPTIONS.items() if options.get(opt)]


@dataclass(frozen=True, slots=True)
class _VTxn:
    id: int
    process: Any
    type: str
    mops: list[tuple[str, Any, Any]]
    invoke: int
    complete: int | None


@dataclass
class Assumed:
    """Per register key: the merged graph and its evidence name; clashes as witnesses."""

    graphs: Graphs = field(default_factory=dict)
    evidence: dict[Any, str] = field(default_factory=dict)
    cyclic: list[dict[str, Any]] = field(default_factory=list)
    _memo: dict[Any, dict[tuple[Any, Any], bool]] = field(default_factory=dict)

    def order(self, key: Any, a: Any, b: Any) -> bool | None:
        """Is ``a`` at or before ``b`` (``a != b``) in ``key``'s assumed order?"""
        graph = self.graphs.get(key)
        if graph is None:
            return None
        memo = self._memo.setdefault(key, {})
        if reaches(graph, a, b, memo):
            return True
        if reaches(graph, b, a, memo):
            return False
        return None


def derive(parsed: Parsed, registers: set[Any], sources: list[str]) -> Assumed:
    """Merge ``initial-state`` and the declared sources over the register keys."""
    if not sources:
        return Assumed()
    vtxns = [_view(t, registers) for t in parsed.txns]
    merged, cyclic, used = merge_sources(
        [("initial-state", initial_graphs(vtxns))]
        + [(name, _DERIVE[name](vtxns)) for name in sources]
    )
    out = Assumed(cyclic=[_witness(w, parsed) for w in cyclic])
    for key, names in used.items():
        assumed = [n for n in names if n != "initial-state"]
        if assumed:
            out.graphs[key] = merged[key]
            out.evidence[key] = "+".join(assumed)
    return out


def _view(t: Txn, registers: set[Any]) -> _VTxn:
    mops = [("r", k, v) for k, v in t.reads.items() if k in registers]
    mops += [("w", k, v) for k, v, kind in t.writes if kind == MOP_WRITE and k in registers]
    return _VTxn(t.id, t.process, "ok" if t.ok else "info", mops, t.invoke, t.complete)


def _witness(w: dict[str, Any], parsed: Parsed) -> dict[str, Any]:
    key, order = thaw(w["key"]), [thaw(v) for v in w["cycle"]]
    shown = " < ".join(_show(v) for v in order)
    return {
        "key": key,
        "cycle": order,
        "ops": _writers(parsed, w["key"], w["cycle"]),
        "sources": w["sources"],
        "explanation": f"the declared assumptions order the versions of key {_show(key)} "
        f"cyclically: {shown} (from {', '.join(w['sources'])}); they do not hold on this "
        "history, so they are not used for that key",
    }


def _writers(parsed: Parsed, key: Any, versions: list[Any]) -> list[int]:
    """The ops that wrote the cycle's versions of ``key``, in cycle order (the initial
    version, written by no op, names none)."""
    by_value = {v: t.op for t in parsed.txns for k, v, _ in t.writes if k == key}
    return list(dict.fromkeys(by_value[v] for v in versions if v in by_value))


def _show(v: Any) -> str:
    return "null" if v is None else repr(v)
