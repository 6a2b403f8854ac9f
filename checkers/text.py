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

from typing import Any

from ddialab.history import (
    NULL,
    SCALAR,
    History,
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


def check_text(history: History, options: Any = None) -> dict[str, Any]:
    require_invocations(history, "text")
    check_shapes(history, TEXT_SHAPES, "text")
    finals: dict[Any, dict[str, list[Any]]] = {}
    inserted: dict[Any, dict[Any, Any]] = {}  # doc -> token -> anchor (acknowledged)
    deleted: dict[Any, set[Any]] = {}  # acknowledged deletes
    attempted: dict[Any, set[Any]] = {}  # every delete that may have happened
    for inv, comp in history.completed_pairs():
        kind = comp.type if comp is not None else "info"
        if kind == "fail" or inv.process == "nemesis":
            continue
        doc, tok = (comp.value if comp is not None else inv.value) or [None, None]
        if inv.f == "final-read" and comp is not None and kind == "ok":
            finals.setdefault(doc, {})[str(comp.node)] = list(tok or [])
        elif inv.f == "insert" and kind == "ok" and comp is not None:
            inserted.setdefault(doc, {})[tok] = comp.extra.get("after")
        elif inv.f == "delete" and tok is not None:
            attempted.setdefault(doc, set()).add(tok)
            if kind == "ok":
                deleted.setdefault(doc, set()).add(tok)
    anomalies: dict[str, list[dict[str, Any]]] = {}
    for doc, texts in sorted(finals.items(), key=repr):
        _judge_doc(doc, texts, inserted.get(doc, {}), deleted.get(doc, set()),
                   attempted.get(doc, set()), anomalies)  # fmt: skip
    if not finals and history.client_ops():
        why = "no final-read completed: replicas' texts were never compared"
        return {"valid": "unknown", "anomaly_types": [], "anomalies": {}, "reason": why}
    return {"valid": not anomalies, "anomaly_types": sorted(anomalies), "anomalies": anomalies}


def _judge_doc(
    doc: Any,
    texts: dict[str, list[Any]],
    inserted: dict[Any, Any],
    deleted: set[Any],
    attempted: set[Any],
    anomalies: dict[str, list[dict[str, Any]]],
) -> None:
    def add(kind: str, **facts: Any) -> None:
        anomalies.setdefault(kind, []).append({"doc": doc, **facts})

    if len({tuple(t) for t in texts.values()}) > 1:
        add("divergence", texts=texts)
    text = next(iter(texts.values()))
    where = {tok: i for i, tok in enumerate(text)}
    for tok, anchor in inserted.items():
        if tok not in where and tok not in attempted:
            add("lost-insert", token=tok)
        if tok in where and anchor in where and where[anchor] > where[tok]:
            add("intent-order", token=tok, after=anchor)
    for tok in sorted(deleted & set(where), key=str):
        add("resurrected", token=tok)


__all__ = ["check_text"]
