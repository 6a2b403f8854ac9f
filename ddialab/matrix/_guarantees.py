"""Which checker result speaks for which guarantee (the matrix's columns), as data.

A system claims a column when it names it or when a model it names implies it
(``claimed_columns``: the lattice's closure, so a serializable system is held to
repeatable read too).

Each column is read off one run's ``results.json``: a verdict ``True`` (checked, no
violation), ``False`` (violated) or ``"unknown"`` (not decided), or ``None`` when the run
had no checker that speaks for it.  Transactional models come from Elle's ``not`` /
``also_not`` lists (a model in either is violated), session guarantees from the session
checker's per-guarantee verdicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ddialab.vocabulary import COLUMNS, MODELS, columns, guarantee, weaker

GUARANTEES: list[dict[str, str]] = [
    {"name": name, "description": guarantee(name).description} for name in COLUMNS
]
NAMES = [g["name"] for g in GUARANTEES]
TXN_MODELS = columns("txn")  # strongest first
SESSION = columns("session")
OTHER = columns("other")  # each read off the checker of that name
#: what a linearizable verdict vouches for among the session columns (the lattice:
#: linearizable -> sequential -> causal -> every session guarantee)
IMPLIED_BY_LINEARIZABLE = tuple(g for g in SESSION if g in weaker(["linearizable"]))


def claimed_columns(claims: Iterable[str]) -> frozenset[str]:
    """The claims closed under implication: what a system claims, plus every column a
    claimed model implies in the vocabulary's lattice (serializable claims
    repeatable-read, read-committed, read-uncommitted, ...; linearizable the session
    guarantees).  A claim outside the lattice (convergence, a promise) stands alone."""
    given = frozenset(claims)
    return given | (frozenset(weaker(given & MODELS.keys())) & frozenset(NAMES))


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
        elif kind in OTHER:
            out[kind] = result.get("valid")
        else:
            out.update(_beyond(kind, result))
    if out.get("linearizable") is True:
        for g in IMPLIED_BY_LINEARIZABLE:
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
        if guarantee == "linearizable" and kind == "linearizable":
            return list(result.get("anomaly_types", []))
        if kind == "set" and guarantee == "index-consistency":
            return list(result.get("anomaly_types", [])) + list(result.get("findings", []))
        if _BEYOND.get(kind) == guarantee:
            return list(result.get("anomaly_types", []))
    return []


#: checker kind -> the column it speaks for, beyond the guarantees above (``text``:
#: replicas' texts agree and keep every acknowledged insert)
_INVARIANTS = "multi-object-invariants"
_BEYOND = {"counter": "no-lost-updates", "set": "index-consistency", "bank": _INVARIANTS,
           "documents": _INVARIANTS, "graph": _INVARIANTS, "relational": _INVARIANTS,
           "text": "convergence", "kafka": "messages-processed"}  # fmt: skip
#: the kafka anomalies that are a consumed message not processed
_UNPROCESSED = frozenset({"lost-delivery", "poll-skip"})


def _beyond(kind: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """``counter`` (the lock workload), ``set`` (secondary-index reads), the data-model
    invariants, ``text``, and the consumer half of ``kafka``."""
    if kind == "set":
        return {"index-consistency": _index_verdict(result)}
    if kind == "kafka":
        valid = result.get("valid")
        if set(result.get("anomaly_types", [])) & _UNPROCESSED:
            return {"messages-processed": False}
        return {"messages-processed": True if valid in (True, False) else "unknown"}
    if kind in _BEYOND:
        return {_BEYOND[kind]: result.get("valid")}
    return {}


def _index_verdict(result: Mapping[str, Any]) -> Any:
    """Index reads agree with acknowledged data: a document the index missed for a while
    (``stale``, a finding of the set checker, not its anomaly) breaks that as surely as
    a lost one."""
    if result.get("valid") is True and result.get("findings"):
        return False
    return result.get("valid")


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
