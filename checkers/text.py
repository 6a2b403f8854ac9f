"""The collaborative-text checker: replicas converge and keep what editors typed.

Theory of operation
-------------------
The text workload (``workloads.text``) inserts unique tokens after an anchor, deletes
tokens, and after healing reads every document from every replica (``final-read``).  This
checker folds the history into, per document: each replica's final text, the acknowledged
inserts with their anchors, the acknowledged deletes, and every delete that may have
happened (``ok`` or ``info``).  Then it judges each document:

* ``divergence``    -- two replicas' final texts differ;
* ``lost-insert``   -- an acknowledged insert is missing, and no delete of it was attempted;
* ``resurrected``   -- a token whose delete was acknowledged is still there;
* ``intent-order``  -- a token is not after the anchor it was typed after (both present).

No final read at all means nothing could be judged: ``"unknown"`` with the reason (an
empty history stays valid, as in Knossos and Porcupine).  Values are ``[doc, token]`` (a
final read's: ``[doc, [token, ...]]``); any other shape is bad input (exit 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ddialab.history import (
    NULL,
    SCALAR,
    History,
    Op,
    ShapeTable,
    check_shapes,
    list_of,
    one_of,
    pair_of,
    require_invocations,
)

#: Values are ``[doc, token]`` (a final read: ``[doc, [token, ...]]``); else exit 3.
TEXT_SHAPES: ShapeTable = {
    ("insert", "*"): pair_of(SCALAR, SCALAR),
    ("delete", "*"): pair_of(SCALAR, SCALAR),
    ("final-read", "ok"): pair_of(SCALAR, one_of(NULL, list_of(SCALAR))),
}


@dataclass
class _Doc:
    """One document's facts, each with the history index of the op that shows it."""

    finals: dict[str, tuple[list[Any], int]] = field(default_factory=dict)  # node -> read
    inserted: dict[Any, tuple[Any, int]] = field(default_factory=dict)  # token -> anchor, op
    deleted: dict[Any, int] = field(default_factory=dict)  # acknowledged delete's op
    attempted: set[Any] = field(default_factory=set)  # every delete that may have happened


def check_text(history: History, options: Any = None) -> dict[str, Any]:
    require_invocations(history, "text")
    check_shapes(history, TEXT_SHAPES, "text")
    docs: dict[Any, _Doc] = {}
    for inv, comp in history.completed_pairs():
        if (comp is None or comp.type != "fail") and inv.process != "nemesis":
            _fold(docs, inv, comp)
    anomalies: dict[str, list[dict[str, Any]]] = {}
    for doc, d in sorted(docs.items(), key=repr):
        if d.finals:
            _judge_doc(doc, d, anomalies)
    if not any(d.finals for d in docs.values()) and history.client_ops():
        why = "no final-read completed: replicas' texts were never compared"
        return {"valid": "unknown", "anomaly_types": [], "anomalies": {}, "reason": why}
    return {"valid": not anomalies, "anomaly_types": sorted(anomalies), "anomalies": anomalies}


def _fold(docs: dict[Any, _Doc], inv: Op, comp: Op | None) -> None:
    ok = comp is not None and comp.type == "ok"
    doc, tok = (comp.value if comp is not None else inv.value) or [None, None]
    d = docs.setdefault(doc, _Doc())
    if inv.f == "final-read" and comp is not None and ok:
        d.finals[str(comp.node)] = (list(tok or []), comp.index)
    elif inv.f == "insert" and comp is not None and ok:
        d.inserted[tok] = (comp.extra.get("after"), comp.index)
    elif inv.f == "delete" and tok is not None:
        d.attempted.add(tok)
        if comp is not None and ok:
            d.deleted[tok] = comp.index


def _judge_doc(doc: Any, d: _Doc, anomalies: dict[str, list[dict[str, Any]]]) -> None:
    """Judge one document against its first replica's final text (``read``)."""

    def add(kind: str, ops: list[int], text: str, **facts: Any) -> None:
        w = {"doc": doc, **facts, "ops": ops, "explanation": f"document {doc!r}: {text}"}
        anomalies.setdefault(kind, []).append(w)

    texts = {node: t for node, (t, _) in d.finals.items()}
    if len({tuple(t) for t in texts.values()}) > 1:
        shown = "; ".join(f"{n} has {t} (op {d.finals[n][1]})" for n, t in texts.items())
        add("divergence", [i for _, i in d.finals.values()], f"the final reads disagree: {shown}",
            texts=texts)  # fmt: skip
    text, read = next(iter(d.finals.values()))
    where = {tok: i for i, tok in enumerate(text)}
    for tok, (anchor, op) in d.inserted.items():
        if tok not in where and tok not in d.attempted:
            add("lost-insert", [op, read], f"{tok!r} was inserted (op {op}, acknowledged) and "
                f"never deleted, yet the final read (op {read}) lacks it", token=tok)  # fmt: skip
        if tok in where and anchor in where and where[anchor] > where[tok]:
            why = f"{tok!r} was typed after {anchor!r} (op {op}) but read (op {read}) before it"
            add("intent-order", [op, read], why, token=tok, after=anchor)
    for tok in sorted(d.deleted.keys() & where.keys(), key=str):
        op = d.deleted[tok]
        add("resurrected", [op, read], f"{tok!r} was deleted (op {op}, acknowledged) but the "
            f"final read (op {read}) still has it", token=tok)  # fmt: skip


__all__ = ["check_text"]
