"""The text workload: several editors type into shared documents, then every replica is read.

Ops: ``{"f": "insert", "value": [doc, token], "after": "cursor" | "random"}`` -- type a
unique token right after this editor's previous one (its cursor), or after a random token it
has seen (or at the start); the client reports the anchor it used in the completion's
``after``.  ``{"f": "delete", "value": [doc, None]}`` deletes a random token the editor has
seen (the completion names it).  ``{"f": "read", "value": [doc, None]}`` returns the text
as a list of tokens.  After the faults heal, ``final-read`` ops read every document from
every replica (``replica`` index, as in the session workload).

Checked by the ``text`` checker (``checkers.text.check_text``): replicas converge, no
acknowledged insert is lost, no acknowledged delete resurrects, intent order is kept.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checkers.text import check_text
from workloads._protocol import CheckerSpec, Workload, typed


@dataclass(frozen=True)
class TextOptions:
    docs: int = 1
    insert_ratio: float = 0.7
    delete_ratio: float = 0.1
    replicas: int = 5


def _typed(options: Mapping[str, Any]) -> TextOptions:
    return typed(TextOptions, options, "text")


def generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    o = _typed(options)
    docs, inserts, deletes = o.docs, o.insert_ratio, o.delete_ratio
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
    o = _typed(options)
    docs, replicas = o.docs, o.replicas
    return [
        {"f": "final-read", "value": [d, None], "replica": i}
        for i in range(replicas)
        for d in range(docs)
    ]


def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
    _typed(options)
    return {"text": ("text", {})}


WORKLOAD = Workload(
    "text",
    "collaborative editing: editors insert after their cursor and delete; final texts compared",
    generator,
    checkers,
    final_generator,
    settings=TextOptions,
)


__all__ = ["WORKLOAD", "TextOptions", "check_text", "final_generator", "generator"]
