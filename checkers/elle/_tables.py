"""Anomalies and consistency models as data, and the lattice arithmetic over them.

Theory of operation
-------------------
Three tables drive every verdict:

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

CYCLE_BASES = ("G0", "G1c", "G-single", "G-nonadjacent", "G2-item")
VARIANTS = ("", "-process", "-realtime")
#: Every cycle anomaly this checker searches for, in search order (weakest first).
CYCLE_TYPES = tuple(base + v for v in VARIANTS for base in CYCLE_BASES)

_BASE_DESCRIPTIONS = {
    "G0": "write cycle: a cycle of ww edges only (dirty write)",
    "G1c": "circular information flow: a cycle of ww/wr edges with at least one wr",
    "G-single": "read skew: a cycle with exactly one rw edge",
    "G-nonadjacent": "a cycle with two or more rw edges, no two adjacent",
    "G2-item": "write skew: a cycle with two or more rw edges, some two adjacent",
}
_VARIANT_DESCRIPTIONS = {
    "": "",
    "-process": "; the cycle needs process-order edges",
    "-realtime": "; the cycle needs real-time edges (one txn completed before another began)",
}


def _anomaly(description: str, *implies: str) -> dict[str, Any]:
    return {"description": description, "implies": list(implies)}


def _cycle_anomalies() -> dict[str, dict[str, Any]]:
    nxt = {"G0": "G1c", "G1c": "G1", "G-single": "G-nonadjacent", "G-nonadjacent": "G2-item"}
    nxt["G2-item"] = "G2"
    out = {}
    for i, v in enumerate(VARIANTS):
        stronger = VARIANTS[i + 1] if i + 1 < len(VARIANTS) else None
        for base in CYCLE_BASES:
            implies = [nxt[base] + v]
            if stronger is not None:
                implies.append(base + stronger)
            desc = _BASE_DESCRIPTIONS[base] + _VARIANT_DESCRIPTIONS[v]
            out[base + v] = _anomaly(desc, *implies)
    return out


ANOMALIES: dict[str, dict[str, Any]] = {
    **_cycle_anomalies(),
    "G1": _anomaly("(abstract) G1a, G1b or G1c", "G1-process"),
    "G1-process": _anomaly("(abstract) G1 with process edges", "G1-realtime"),
    "G1-realtime": _anomaly("(abstract) G1 with real-time edges"),
    "G2": _anomaly("(abstract) a cycle with anti-dependency edges", "G2-process"),
    "G2-process": _anomaly("(abstract) G2 with process edges", "G2-realtime"),
    "G2-realtime": _anomaly("(abstract) G2 with real-time edges"),
    "G1a": _anomaly("aborted read: a committed txn read a value a failed txn wrote", "G1"),
    "G1b": _anomaly("intermediate read: a committed txn read a non-final write", "G1"),
    "internal": _anomaly("a read disagrees with the same txn's earlier reads/writes of that key"),
    "dirty-update": _anomaly(
        "a failed txn's write is followed in the version order by a committed write", "G1a"
    ),
    "duplicate-elements": _anomaly("one element appears twice in one read of a list"),
    "incompatible-order": _anomaly("two reads of a list are not prefixes of one another", "G1a"),
    "lost-update": _anomaly(
        "two committed txns read the same version of a key and both wrote it", "G2-item"
    ),
    "cyclic-versions": _anomaly("(rw-register) the inferred version order of a key is cyclic"),
    "garbage-read": _anomaly("a read observed a value that no operation ever wrote"),
    "future-read": _anomaly(
        "a txn read an element it appends only later in the same txn (Elle; a violation of "
        "EXT in Cerone, Bernardi and Gotsman, 'A Framework for Transactional Consistency "
        "Models with Atomic Visibility', CONCUR 2015: a trivial wr cycle of one txn)",
        "G1c",
    ),
}

ANOMALY_ALIASES = {
    "G-single-item": "G-single",
    "G-single-item-process": "G-single-process",
    "G-single-item-realtime": "G-single-realtime",
    "G-nonadjacent-item": "G-nonadjacent",
    "G-nonadjacent-item-process": "G-nonadjacent-process",
    "G-nonadjacent-item-realtime": "G-nonadjacent-realtime",
    "G2-item-cycle": "G2-item",
    "unknown-read": "garbage-read",
}


def _model(description: str, implies: Iterable[str], forbids: Iterable[str]) -> dict[str, Any]:
    return {"description": description, "implies": list(implies), "forbids": list(forbids)}


_M = _model
CONSISTENCY_MODELS: dict[str, dict[str, Any]] = {
    "strict-serializable": _M(
        "serializable, and the order respects real time",
        [
            "serializable",
            "strong-snapshot-isolation",
            "strong-session-serializable",
            "linearizable",
        ],
        ["G1", "G1c-realtime", "G2-realtime"],
    ),
    "strong-session-serializable": _M(
        "serializable, and each process observes its own order",
        ["serializable", "strong-session-snapshot-isolation"],
        ["G1-process", "G2-process"],
    ),
    "serializable": _M(
        "equivalent to some serial execution (conflict serializability)",
        ["repeatable-read", "snapshot-isolation", "update-serializable"],
        ["internal", "G1", "G2"],
    ),
    "strong-snapshot-isolation": _M(
        "snapshot isolation whose snapshots respect real time",
        ["strong-session-snapshot-isolation", "strong-read-committed"],
        ["internal", "G1-realtime", "G-nonadjacent-realtime"],
    ),
    "strong-session-snapshot-isolation": _M(
        "snapshot isolation whose snapshots respect each process's order",
        ["snapshot-isolation", "strong-session-read-committed"],
        ["internal", "G1-process", "G-nonadjacent-process"],
    ),
    "snapshot-isolation": _M(
        "each txn reads a consistent snapshot; no write-write conflicts",
        [
            "forward-consistent-view",
            "monotonic-atomic-view",
            "monotonic-snapshot-read",
            "parallel-snapshot-isolation",
            "prefix",
        ],
        ["internal", "G1", "G-nonadjacent"],
    ),
    "repeatable-read": _M(
        "no item anti-dependency cycles (Adya PL-2.99)",
        ["cursor-stability", "monotonic-atomic-view"],
        ["G1", "G2-item", "lost-update"],
    ),
    "update-serializable": _M("Adya PL-3U", ["forward-consistent-view"], ["G1"]),
    "forward-consistent-view": _M("Adya PL-FCV", ["consistent-view"], ["G1"]),
    "consistent-view": _M(
        "Adya PL-2+: no G-single", ["cursor-stability", "monotonic-view"], ["G1", "G-single"]
    ),
    "cursor-stability": _M("Adya PL-CS", ["read-committed"], ["G1", "lost-update"]),
    "monotonic-view": _M("Adya PL-2L", ["read-committed"], ["G1"]),
    "monotonic-snapshot-read": _M("Adya PL-MSR", ["read-committed"], ["G1"]),
    "parallel-snapshot-isolation": _M(
        "Cerone et al.'s PSI", ["causal-cerone"], ["internal", "G1a"]
    ),
    "prefix": _M("Cerone et al.'s prefix consistency", ["causal-cerone"], ["internal", "G1a"]),
    "causal-cerone": _M("Cerone et al.'s causal", ["read-atomic"], ["internal", "G1a"]),
    "read-atomic": _M(
        "atomic visibility (Cerone et al.)",
        ["monotonic-atomic-view"],
        ["internal", "G1a", "future-read"],
    ),
    "monotonic-atomic-view": _M("Bailis et al.'s MAV", ["read-committed"], []),
    "strong-read-committed": _M(
        "read committed, respecting real time",
        ["strong-session-read-committed", "strong-read-uncommitted"],
        ["G1c-realtime"],
    ),
    "strong-session-read-committed": _M(
        "read committed, respecting process order",
        ["read-committed", "strong-session-read-uncommitted"],
        ["G1c-process"],
    ),
    "read-committed": _M("Adya PL-2: no G1", ["read-uncommitted"], ["G1"]),
    "strong-read-uncommitted": _M(
        "read uncommitted, respecting real time",
        ["strong-session-read-uncommitted"],
        ["G0-realtime"],
    ),
    "strong-session-read-uncommitted": _M(
        "read uncommitted, respecting process order", ["read-uncommitted"], ["G0-process"]
    ),
    "read-uncommitted": _M(
        "Adya PL-1: no G0",
        [],
        ["G0", "duplicate-elements", "cyclic-versions", "garbage-read"],
    ),
    "linearizable": _M("single-object real-time order", ["sequential"], []),
    "sequential": _M("single-object sequential consistency", ["causal"], []),
    "causal": _M("causal consistency", ["writes-follow-reads", "PRAM"], []),
    "PRAM": _M("pipelined RAM", ["monotonic-reads", "monotonic-writes", "read-your-writes"], []),
    "writes-follow-reads": _M("session guarantee", [], []),
    "monotonic-reads": _M("session guarantee", [], []),
    "monotonic-writes": _M("session guarantee", [], []),
    "read-your-writes": _M("session guarantee", [], []),
}

MODEL_ALIASES = {
    "strong-serializable": "strict-serializable",
    "conflict-serializable": "serializable",
    "PL-SS": "strict-serializable",
    "PL-3": "serializable",
    "PL-SI": "snapshot-isolation",
    "PL-2.99": "repeatable-read",
    "PL-2": "read-committed",
    "PL-1": "read-uncommitted",
    "si": "snapshot-isolation",
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


def _closure(start: Iterable[str], step: Any) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo.extend(step(x))
    return seen


def implied_anomalies(anomalies: Iterable[str]) -> set[str]:
    """The anomalies given, and every anomaly they imply."""
    return _closure(anomalies, lambda a: ANOMALIES.get(a, {}).get("implies", ()))


def implied_models(models: Iterable[str]) -> set[str]:
    """The models given, and every weaker model they imply."""
    return _closure(models, lambda m: CONSISTENCY_MODELS[m]["implies"])


_IMPLIED_BY: dict[str, list[str]] = {m: [] for m in CONSISTENCY_MODELS}
for _m, _spec in CONSISTENCY_MODELS.items():
    for _weaker in _spec["implies"]:
        _IMPLIED_BY[_weaker].append(_m)


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
    return _closure(direct, lambda m: _IMPLIED_BY[m])


def boundary(anomalies: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(not, also_not)``: the weakest models ruled out, and the stronger rest."""
    out = impossible_models(anomalies)
    weakest = {m for m in out if not (set(CONSISTENCY_MODELS[m]["implies"]) & out)}
    return sorted(weakest), sorted(out - weakest)
