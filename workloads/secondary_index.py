"""The secondary-index workloads: query documents back through an index.

``secondary-index`` (below) inserts documents of one colour; ``term-index`` (further down)
moves documents between many terms and deletes them.

Ops: ``add`` (value: a new document id; the document gets the colour the system indexes)
and ``read`` (value ``None``; ok value: the ids the index returns for that colour).  Every
document has the colour, so the index for it is a grow-only set, checked by the set
checker: an acknowledged document missing from later index reads is ``lost``; one missing
for a while and then present is ``stale`` -- what an asynchronously maintained
(term-partitioned, global) index shows.  Stale elements are a *finding* (counted in the
result), an anomaly only when the set checker is asked for linearizability.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workloads._protocol import CheckerSpec, Workload, typed


@dataclass(frozen=True)
class IndexOptions:
    read_ratio: float = 0.3


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    read_ratio = typed(IndexOptions, options, "secondary-index").read_ratio
    ids = itertools.count()

    def next_op() -> dict[str, Any]:
        if rng.random() < read_ratio:
            return {"f": "read", "value": None}
        return {"f": "add", "value": next(ids)}

    return next_op


def final_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    typed(IndexOptions, options, "secondary-index")
    return [{"f": "read", "value": None, "final": True}]


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    typed(IndexOptions, options, "secondary-index")
    return {"set": ("set", {})}


WORKLOAD = Workload(
    "secondary-index",
    "insert documents and read them back by a secondary index; stale index reads reported",
    generator,
    checkers,
    final_generator,
    settings=IndexOptions,
)


# -- term-index: many terms, updates and deletes ---------------------------------------------
@dataclass(frozen=True)
class TermIndexOptions:
    docs: int = 12
    terms: tuple[str, ...] = ("red", "green", "blue", "amber")
    query_ratio: float = 0.4
    delete_ratio: float = 0.1


def _term(options: Mapping[str, Any]) -> TermIndexOptions:
    return typed(TermIndexOptions, options, "term-index")


def term_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    """``put [doc, term]`` (create or recolour), ``delete [doc, None]``, ``query [term,
    None]`` (ok value ``[term, docs]``: the documents the index lists under the term)."""
    o = _term(options)
    terms = list(o.terms)

    def next_op() -> dict[str, Any]:
        roll = rng.random()
        if roll < o.query_ratio:
            return {"f": "query", "value": [rng.choice(terms), None]}
        doc = rng.randrange(o.docs)
        if roll < o.query_ratio + o.delete_ratio:
            return {"f": "delete", "value": [doc, None]}
        return {"f": "put", "value": [doc, rng.choice(terms)]}

    return next_op


def term_final(rng: random.Random, options: Mapping[str, Any]) -> Any:
    terms = list(_term(options).terms)
    return [{"f": "query", "value": [t, None], "final": True} for t in terms]


def term_checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    _term(options)
    return {"index-consistency": ("term-index", {})}


TERM_INDEX = Workload(
    "term-index",
    "documents moved between many index terms and deleted; index reads compared with the "
    "documents' acknowledged terms (missing and stale entries)",
    term_generator,
    term_checkers,
    term_final,
    settings=TermIndexOptions,
)
WORKLOADS = [WORKLOAD, TERM_INDEX]
