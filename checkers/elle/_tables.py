"""Anomalies and consistency models as data, and the lattice arithmetic over them.

Theory of operation
-------------------
Three tables drive every verdict, derived from ``ddialab.vocabulary`` (defined there once):

* ``ANOMALIES``: each anomaly's description and the anomalies it *implies* (a G0 cycle is
  also a G1c; a G-single is also a G-nonadjacent; a -process anomaly is also -realtime).
* ``CONSISTENCY_MODELS``: each model's description, the weaker models it *implies* (the
  lattice of ``docs/reference.md``, after Elle's ``consistency-model`` namespace) and the
  anomalies it *directly forbids*.
* ``MODEL_ALIASES`` / ``ANOMALY_ALIASES``: other spellings accepted on input.

A model forbids an anomaly when it, or any model it implies, directly forbids that anomaly
or any anomaly implying it.  An anomaly rules out every model forbidding it; ``boundary``
splits those into the weakest (``not``) and the stronger rest (``also_not``).

Our rw edges are all item anti-dependencies (no predicates), so G-single and
G-nonadjacent cycles are also G2-item cycles in Adya's sense; the table says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ddialab.errors import UsageError
from ddialab.vocabulary import (
    ANOMALY_ALIASES,
    CYCLE_BASES,
    MODEL_ALIASES,
    MODELS,
    VARIANTS,
    anomaly_family,
    implied,
    stronger,
    weaker,
)

#: Every cycle anomaly this checker searches for, in search order (weakest first).
CYCLE_TYPES = tuple(base + v for v in VARIANTS for base in CYCLE_BASES)

ANOMALIES: dict[str, dict[str, Any]] = {
    name: {"description": a.definition, "implies": list(a.implies)}
    for name, a in anomaly_family("elle").items()
}
CONSISTENCY_MODELS: dict[str, dict[str, Any]] = {
    name: {
        "description": g.description,
        "implies": list(g.implies),
        "forbids": [a for a in g.forbids if a in ANOMALIES],
    }
    for name, g in MODELS.items()
}
DEFAULT_MODEL = "strict-serializable"


def canonical_anomaly(name: str) -> str:
    return ANOMALY_ALIASES.get(name, name)


def canonical_model(name: str) -> str:
    """The table's spelling of a model name; ``UsageError`` if it is unknown."""
    name = MODEL_ALIASES.get(name, name)
    if name not in CONSISTENCY_MODELS:
        known = ", ".join(sorted(CONSISTENCY_MODELS))
        raise UsageError(f"unknown consistency model {name!r}; known models: {known}")
    return name


def implied_anomalies(anomalies: Iterable[str]) -> set[str]:
    """The anomalies given, and every anomaly they imply."""
    return implied(anomalies)


def implied_models(models: Iterable[str]) -> set[str]:
    """The models given, and every weaker model they imply."""
    return weaker(models)


def prohibited_anomalies(model: str) -> set[str]:
    """Every anomaly whose presence means ``model`` does not hold."""
    direct = {
        a
        for m in implied_models([canonical_model(model)])
        for a in CONSISTENCY_MODELS[m]["forbids"]
    }
    return {a for a in ANOMALIES if implied_anomalies([a]) & direct}


def impossible_models(anomalies: Iterable[str]) -> set[str]:
    """Every model ruled out by the anomalies found."""
    found = implied_anomalies(anomalies)
    direct = {m for m, spec in CONSISTENCY_MODELS.items() if found & set(spec["forbids"])}
    return stronger(direct)


def boundary(anomalies: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(not, also_not)``: the weakest models ruled out, and the stronger rest."""
    out = impossible_models(anomalies)
    weakest = {m for m in out if not (set(CONSISTENCY_MODELS[m]["implies"]) & out)}
    return sorted(weakest), sorted(out - weakest)
