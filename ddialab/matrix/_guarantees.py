"""Which checker result speaks for which guarantee (the matrix's columns), as data.

Each column is read off one run's ``results.json``: a verdict ``True`` (checked, no
violation), ``False`` (violated) or ``"unknown"`` (not decided), or ``None`` when the run
had no checker that speaks for it.  Transactional models come from Elle's ``not`` /
``also_not`` lists (a model in either is violated), session guarantees from the session
checker's per-guarantee verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GUARANTEES: list[dict[str, str]] = [
    {
        "name": "linearizable",
        "description": "single-object ops act atomically in real time",
    },
    {"name": "strict-serializable", "description": "serializable, in real-time order"},
    {"name": "serializable", "description": "Adya PL-3: no dependency cycles"},
    {"name": "snapshot-isolation", "description": "no G-single, no G-nonadjacent (Adya PL-SI)"},
    {"name": "repeatable-read", "description": "no G0, G1, G2-item (Adya PL-2.99)"},
    {"name": "read-committed", "description": "no G0, G1a, G1b, G1c (Adya PL-2)"},
    {"name": "read-uncommitted", "description": "no G0: no dirty writes (Adya PL-1)"},
    {"name": "read-your-writes", "description": "a session sees its own writes"},
    {"name": "monotonic-reads", "description": "a session never sees an older version"},
    {"name": "monotonic-writes", "description": "a session's writes are seen in order"},
    {"name": "writes-follow-reads", "description": "writes are seen after what they read"},
    {"name": "consistent-prefix", "description": "readers see a prefix of one write order"},
    {"name": "convergence", "description": "replicas agree after healing, no lost writes"},
    {"name": "durability", "description": "acknowledged-after-fsync writes survive crashes"},
    {"name": "field-preservation", "description": "no field lost across schema versions"},
    {"name": "index-consistency", "description": "index reads agree with acknowledged data"},
    # -- promises beyond the isolation/session guarantees (one block: see _BEYOND) --
    {"name": "no-lost-updates", "description": "increments under a lock are never lost"},
    {
        "name": "messages-processed",
        "description": "every consumed message is handed over, no offset skipped",
    },
    {
        "name": "multi-object-invariants",
        "description": "committed reads see invariants "
        "across objects: money conserved, copies agree, no dangling references",
    },
]
NAMES = [g["name"] for g in GUARANTEES]
TXN_MODELS = ("strict-serializable", "serializable", "snapshot-isolation", "repeatable-read",
              "read-committed", "read-uncommitted")  # fmt: skip
SESSION = ("read-your-writes", "monotonic-reads", "monotonic-writes", "writes-follow-reads",
           "consistent-prefix")  # fmt: skip


def verdicts(results: Mapping[str, Any]) -> dict[str, Any]:
    """Guarantee -> verdict for every guarantee this run's checkers speak for."""
    checkers = results.get("checkers", {})
    out: dict[str, Any] = {}
    for name, result in checkers.items():
        kind = _kind(name)
        if kind == "linearizable":
            out["linearizable"] = result.get("valid")
        elif kind == "elle":
            out.update(_txn_verdicts(result))
        elif kind == "session":
            out.update({g: v for g, v in (result.get("guarantees") or {}).items() if g in SESSION})
        elif kind in ("convergence", "durability", "field-preservation", "index-consistency"):
            out[kind] = result.get("valid")
        elif kind == "text":  # replicas' texts agree and keep every acknowledged insert
            out["convergence"] = result.get("valid")
        else:
            out.update(_beyond(kind, result))
    if out.get("linearizable") is True:
        # linearizable -> sequential -> causal -> every session guarantee (the lattice)
        for g in SESSION:
            out.setdefault(g, True)
    if "linearizable" in out:
        # the final reads, after healing and quiet, are linearizable reads: all of them see
        # the last write of each key (observable convergence, no acknowledged write lost);
        # a non-linearizable history does not tell either way
        out.setdefault("convergence", True if out["linearizable"] is True else "unknown")
    return out


def anomalies_for(results: Mapping[str, Any], guarantee: str) -> list[str]:
    """The anomaly types behind a violated guarantee (for the cell's tooltip)."""
    for name, result in results.get("checkers", {}).items():
        kind = _kind(name)
        if guarantee in SESSION and kind == "session":
            return [guarantee] if guarantee in result.get("anomaly_types", []) else []
        if (kind == "elle" and guarantee in TXN_MODELS) or kind == guarantee:
            return list(result.get("anomaly_types", []))
        if guarantee == "convergence" and kind == "text":
            return list(result.get("anomaly_types", []))
        if guarantee == "linearizable" and kind == "linearizable":
            return list(result.get("anomaly_types", []))
        if _BEYOND.get(kind) == guarantee or (
            kind == "kafka" and guarantee == "messages-processed"
        ):
            return list(result.get("anomaly_types", []))
    return []


#: checker kind -> the column it speaks for, beyond the guarantees above
_INVARIANTS = "multi-object-invariants"
_BEYOND = {"counter": "no-lost-updates", "set": "index-consistency", "bank": _INVARIANTS,
           "documents": _INVARIANTS, "graph": _INVARIANTS, "relational": _INVARIANTS}  # fmt: skip
#: the kafka anomalies that are a consumed message not processed
_UNPROCESSED = frozenset({"lost-delivery", "poll-skip"})


def _beyond(kind: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """``counter`` (the lock workload), ``set`` (secondary-index reads), the data-model
    invariants, and the consumer half of ``kafka``."""
    if kind in _BEYOND:
        return {_BEYOND[kind]: result.get("valid")}
    if kind == "kafka":
        valid = result.get("valid")
        if set(result.get("anomaly_types", [])) & _UNPROCESSED:
            return {"messages-processed": False}
        return {"messages-processed": True if valid in (True, False) else "unknown"}
    return {}


def _kind(checker_name: str) -> str:
    return checker_name.split("/")[0]


def _txn_verdicts(result: Mapping[str, Any]) -> dict[str, Any]:
    ruled_out = set(result.get("not", [])) | set(result.get("also_not", []))
    valid = result.get("valid")
    out: dict[str, Any] = {}
    for model in TXN_MODELS:
        if model in ruled_out:
            out[model] = False
        else:
            out[model] = "unknown" if valid not in (True, False) else True
    return out
