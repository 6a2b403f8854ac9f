"""The text workload: several editors type into shared documents, then every replica is read.

Ops: ``{"f": "insert", "value": [doc, token], "after": "cursor" | "random"}`` -- type a
unique token right after this editor's previous one (its cursor), or after a random token it
has seen (or at the start); the client reports the anchor it used in the completion's
``after``.  ``{"f": "delete", "value": [doc, None]}`` deletes a random token the editor has
seen (the completion names it).  ``{"f": "read", "value": [doc, None]}`` returns the text
as a list of tokens.  After the faults heal, ``final-read`` ops read every document from
every replica (``replica`` index, as in the session workload).

``check_text(history)`` judges a history (no registered checker does yet):

* ``divergence``    -- two replicas' final texts differ;
* ``lost-insert``   -- an acknowledged insert is missing, and no delete of it was attempted;
* ``resurrected``   -- a token whose delete was acknowledged is still there;
* ``intent-order``  -- a token is not after the anchor it was typed after (both present).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
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
from workloads._protocol import CheckerSpec, Workload

DEFAULTS = {"docs": 1, "insert_ratio": 0.7, "delete_ratio": 0.1, "replicas": 5}


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    docs = int(options.get("docs", DEFAULTS["docs"]))
    inserts = float(options.get("insert_ratio", DEFAULTS["insert_ratio"]))
    deletes = float(options.get("delete_ratio", DEFAULTS["delete_ratio"]))
    tokens = itertools.count(1)

    def next_op() -> dict[str, Any]:
        doc, roll = rng.randrange(docs), rng.random()
        if roll < inserts:
            after = "random" if rng.random() < 0.2 else "cursor"
            return {"f": "insert", "value": [doc, f"t{next(tokens)}"], "after": after}
        if roll < inserts + deletes:
            return {"f": "delete", "value": [doc, None]}
        return {"f": "read", "value": [doc, None]}

    return next_op


def final_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    docs = int(options.get("docs", DEFAULTS["docs"]))
    replicas = int(options.get("replicas", DEFAULTS["replicas"]))
    return [
        {"f": "final-read", "value": [d, None], "replica": i}
        for i in range(replicas)
        for d in range(docs)
    ]


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    return {}


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
    empty = not history.client_ops()  # valid, as Knossos and Porcupine say
    valid: Any = not anomalies if finals or empty else "unknown"
    out = {"valid": valid, "anomaly_types": sorted(anomalies), "anomalies": anomalies}
    if valid == "unknown":
        out["reason"] = "no ok final-read: the replicas' final texts are unknown"
    return out


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


WORKLOAD = Workload(
    "text",
    "collaborative editing: editors insert after their cursor and delete; final texts compared",
    generator,
    checkers,
    final_generator,
    DEFAULTS,
)
