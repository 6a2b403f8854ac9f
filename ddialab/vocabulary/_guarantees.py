"""Guarantees: every consistency model and session guarantee, the lattice, and the rest.

Theory of operation
-------------------
``MODELS`` is the one table of consistency models (after Elle's ``consistency-model``
namespace and ``docs/reference.md``).  Each ``Guarantee`` says, as data:

* ``kind`` -- ``txn`` (a transactional isolation level), ``object`` (a single-object
  model: linearizable, sequential, causal, PRAM) or ``session`` (Terry et al.'s session
  guarantees);
* ``implies`` -- the weaker models it implies directly (the lattice's edges, a -> b: every
  history satisfying a satisfies b);
* ``forbids`` -- the anomalies (names of ``ANOMALIES``) it directly forbids; a model also
  forbids whatever the models below it forbid;
* ``description`` and ``paper``; ``MODEL_ALIASES`` maps other spellings to the table's.

``OTHER_GUARANTEES`` are the properties outside the lattice that systems claim and the
matrix shows (convergence, durability, ...).  ``COLUMNS`` orders every claimable name as
the matrix shows them.  ``GUARANTEE_NAMES`` is every name a system may claim.

The functions are closures over the lattice: ``weaker`` (implied models, the given ones
included), ``stronger`` (every model implying one of them), ``by_strength`` (strongest
first) and ``contracted`` (the lattice drawn on some models only).

This module is data only: it imports nothing of the project.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Guarantee:
    """One named guarantee: a lattice model (``implies``/``forbids``) or another property."""

    name: str
    kind: str  # txn | object | session | other
    description: str
    paper: str
    implies: tuple[str, ...] = ()
    forbids: tuple[str, ...] = ()


ADYA = "Adya, Weak Consistency (MIT PhD thesis, 1999)"
CERONE = "Cerone, Bernardi, Gotsman, A Framework for Transactional Consistency Models (CONCUR 2015)"
ELLE = "Kingsbury, Alvaro, Elle: Inferring Isolation Anomalies (VLDB 2020)"
TERRY = "Terry et al., Session Guarantees for Weakly Consistent Replicated Data (PDIS 1994)"
DAUDJEE = "Daudjee, Salem, Lazy Database Replication with Snapshot Isolation (VLDB 2006)"
BAILIS = "Bailis et al., Highly Available Transactions (VLDB 2014)"
DDIA = "Kleppmann, Designing Data-Intensive Applications (2017)"


def _txn(name: str, description: str, paper: str, implies: str, forbids: str) -> Guarantee:
    return Guarantee(
        name, "txn", description, paper, tuple(implies.split()), tuple(forbids.split())
    )


def _obj(name: str, kind: str, description: str, paper: str, implies: str = "") -> Guarantee:
    forbids = (name,) if kind == "session" else ()
    return Guarantee(name, kind, description, paper, tuple(implies.split()), forbids)


_T = _txn
_MODEL_LIST = [
    _T("strict-serializable", "serializable, and the order respects real time", ADYA,
       "serializable strong-snapshot-isolation strong-session-serializable linearizable",
       "G1 G1c-realtime G2-realtime"),
    _T("strong-session-serializable", "serializable, and each process observes its own order",
       DAUDJEE, "serializable strong-session-snapshot-isolation", "G1-process G2-process"),
    _T("serializable", "equivalent to some serial execution: no dependency cycles (Adya PL-3)",
       ADYA, "repeatable-read snapshot-isolation update-serializable", "internal G1 G2"),
    _T("strong-snapshot-isolation", "snapshot isolation whose snapshots respect real time",
       DAUDJEE, "strong-session-snapshot-isolation strong-read-committed",
       "internal G1-realtime G-nonadjacent-realtime"),
    _T("strong-session-snapshot-isolation",
       "snapshot isolation whose snapshots respect each process's order", DAUDJEE,
       "snapshot-isolation strong-session-read-committed",
       "internal G1-process G-nonadjacent-process"),
    _T("snapshot-isolation",
       "each txn reads a consistent snapshot; no G-single, no G-nonadjacent (Adya PL-SI)", ADYA,
       "forward-consistent-view monotonic-atomic-view monotonic-snapshot-read "
       "parallel-snapshot-isolation prefix", "internal G1 G-nonadjacent"),
    _T("repeatable-read", "no G0, G1, G2-item: no item anti-dependency cycles (Adya PL-2.99)",
       ADYA, "cursor-stability monotonic-atomic-view", "G1 G2-item lost-update"),
    _T("update-serializable", "Adya PL-3U", ADYA, "forward-consistent-view", "G1"),
    _T("forward-consistent-view", "Adya PL-FCV", ADYA, "consistent-view", "G1"),
    _T("consistent-view", "Adya PL-2+: no G-single", ADYA,
       "cursor-stability monotonic-view", "G1 G-single"),
    _T("cursor-stability", "Adya PL-CS", ADYA, "read-committed", "G1 lost-update"),
    _T("monotonic-view", "Adya PL-2L", ADYA, "read-committed", "G1"),
    _T("monotonic-snapshot-read", "Adya PL-MSR", ADYA, "read-committed", "G1"),
    _T("parallel-snapshot-isolation", "Cerone et al.'s PSI", CERONE, "causal-cerone",
       "internal G1a"),
    _T("prefix", "Cerone et al.'s prefix consistency", CERONE, "causal-cerone", "internal G1a"),
    _T("causal-cerone", "Cerone et al.'s causal", CERONE, "read-atomic", "internal G1a"),
    _T("read-atomic", "atomic visibility (Cerone et al.)", CERONE, "monotonic-atomic-view",
       "internal G1a future-read"),
    _T("monotonic-atomic-view", "Bailis et al.'s MAV", BAILIS, "read-committed", ""),
    _T("strong-read-committed", "read committed, respecting real time", ELLE,
       "strong-session-read-committed strong-read-uncommitted", "G1c-realtime"),
    _T("strong-session-read-committed", "read committed, respecting process order", ELLE,
       "read-committed strong-session-read-uncommitted", "G1c-process"),
    _T("read-committed", "no G0, G1a, G1b, G1c (Adya PL-2)", ADYA, "read-uncommitted", "G1"),
    _T("strong-read-uncommitted", "read uncommitted, respecting real time", ELLE,
       "strong-session-read-uncommitted", "G0-realtime"),
    _T("strong-session-read-uncommitted", "read uncommitted, respecting process order", ELLE,
       "read-uncommitted", "G0-process"),
    _T("read-uncommitted", "no G0: no dirty writes (Adya PL-1)", ADYA, "",
       "G0 duplicate-elements cyclic-versions garbage-read"),
    _obj("linearizable", "object", "single-object ops act atomically in real time",
         "Herlihy, Wing, Linearizability (TOPLAS 1990)", "sequential"),
    _obj("sequential", "object", "single-object sequential consistency",
         "Lamport, How to Make a Multiprocessor Computer (IEEE TC 1979)", "causal"),
    _obj("causal", "object", "causal consistency",
         "Ahamad et al., Causal Memory (Distributed Computing 1995)",
         "writes-follow-reads PRAM consistent-prefix"),
    _obj("PRAM", "object", "pipelined RAM: each process's writes seen in order",
         "Lipton, Sandberg, PRAM (Princeton TR 1988)",
         "monotonic-reads monotonic-writes read-your-writes"),
    _obj("writes-follow-reads", "session", "writes are seen after what they read", TERRY),
    _obj("monotonic-reads", "session", "a session never sees an older version", TERRY),
    _obj("monotonic-writes", "session", "a session's writes are seen in order", TERRY),
    _obj("read-your-writes", "session", "a session sees its own writes", TERRY),
    _obj("consistent-prefix", "session", "readers see a prefix of one write order", DDIA),
]  # fmt: skip
MODELS: dict[str, Guarantee] = {g.name: g for g in _MODEL_LIST}

MODEL_ALIASES: dict[str, str] = {
    "strong-serializable": "strict-serializable",
    "conflict-serializable": "serializable",
    "PL-SS": "strict-serializable",
    "PL-3": "serializable",
    "PL-SI": "snapshot-isolation",
    "PL-2.99": "repeatable-read",
    "PL-2": "read-committed",
    "PL-1": "read-uncommitted",
    "si": "snapshot-isolation",
    "pram": "PRAM",
}

OTHER_GUARANTEES: dict[str, Guarantee] = {
    g.name: g
    for g in [
        Guarantee("convergence", "other", "replicas agree after healing, no lost writes", DDIA),
        Guarantee("durability", "other", "acknowledged-after-fsync writes survive crashes", DDIA),
        Guarantee("field-preservation", "other", "no field lost across schema versions", DDIA),
        Guarantee("index-consistency", "other", "index reads agree with acknowledged data", DDIA),
        # promises beyond isolation and sessions, each read off one workload's checker
        Guarantee("no-lost-updates", "other", "increments under a lock are never lost", DDIA),
        Guarantee(
            "messages-processed",
            "other",
            "every consumed message is handed over, no offset skipped",
            DDIA,
        ),
        Guarantee(
            "multi-object-invariants",
            "other",
            "committed reads see invariants across objects: money conserved, copies agree, "
            "no dangling references",
            DDIA,
        ),
        # matrix columns added by the matrix's hazard demonstrations (issue #18)
        Guarantee(
            "deletes-stay-deleted",
            "other",
            "no read returns a value its key lost to an acknowledged delete",
            DDIA,
        ),
    ]
}

#: the claimable guarantees in the order the matrix shows them
COLUMNS: tuple[str, ...] = (
    "linearizable", "strict-serializable", "serializable", "snapshot-isolation",
    "repeatable-read", "read-committed", "read-uncommitted", "read-your-writes",
    "monotonic-reads", "monotonic-writes", "writes-follow-reads", "consistent-prefix",
    *OTHER_GUARANTEES,
)  # fmt: skip
GUARANTEE_NAMES: frozenset[str] = frozenset(MODELS) | frozenset(OTHER_GUARANTEES)


def columns(kind: str) -> tuple[str, ...]:
    """The columns of one kind (``txn``, ``object``, ``session``, ``other``), in order."""
    return tuple(n for n in COLUMNS if guarantee(n).kind == kind)


def implied_columns(model: str, kind: str) -> frozenset[str]:
    """The columns of one kind that ``model`` implies (itself included): what a system
    providing ``model`` may claim of that kind."""
    return frozenset(weaker([model])) & frozenset(columns(kind))


def guarantee(name: str) -> Guarantee:
    """The entry of a model or other guarantee (``KeyError`` if unknown)."""
    return MODELS[name] if name in MODELS else OTHER_GUARANTEES[name]


def canonical_model(name: str) -> str | None:
    """The table's spelling of a model name, or ``None`` if it names no model."""
    name = MODEL_ALIASES.get(name, name)
    return name if name in MODELS else None


def _closure(start: Iterable[str], step: Callable[[str], Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo.extend(step(x))
    return seen


_IMPLIED_BY: dict[str, list[str]] = {m: [] for m in MODELS}
for _g in _MODEL_LIST:
    for _weaker in _g.implies:
        _IMPLIED_BY[_weaker].append(_g.name)


def weaker(models: Iterable[str]) -> set[str]:
    """The models given and every model they imply."""
    return _closure(models, lambda m: MODELS[m].implies)


def stronger(models: Iterable[str]) -> set[str]:
    """The models given and every model that implies one of them."""
    return _closure(models, lambda m: _IMPLIED_BY.get(m, ()))


def by_strength(models: Iterable[str]) -> tuple[str, ...]:
    """The models strongest first: the more models one implies, the earlier (a model
    implies strictly more than any it implies, so it precedes them); ties by name."""
    return tuple(sorted(models, key=lambda m: (-len(weaker([m])), m)))


def contracted(models: Iterable[str]) -> dict[str, list[str]]:
    """The lattice drawn on ``models`` only: each keeps its direct edges to kept models; an
    edge to a left-out model is followed down to the nearest kept ones, dropped where those
    are already below another target (so no drawn edge is implied by the others)."""
    keep = list(models)
    return {m: _targets(m, set(keep)) for m in keep}


def _targets(m: str, keep: set[str]) -> list[str]:
    out: list[str] = []
    for w in MODELS[m].implies:
        if w in keep:
            out.append(w)
            continue
        for x in _nearest_kept(w, keep):
            below_other = any(x in weaker([y]) - {y} for y in MODELS[m].implies if y != w)
            if x not in out and not below_other:
                out.append(x)
    return out


def _nearest_kept(m: str, keep: set[str]) -> list[str]:
    """The kept models first reached going down from a left-out ``m``, in edge order."""
    out: list[str] = []
    for w in MODELS[m].implies:
        for x in [w] if w in keep else _nearest_kept(w, keep):
            if x not in out:
                out.append(x)
    return out
