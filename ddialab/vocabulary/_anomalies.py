"""Anomaly names: every anomaly type a checker reports, defined once.

Theory of operation
-------------------
``ANOMALIES`` maps each name a checker may put in ``anomaly_types`` to an ``Anomaly``: a
one-line English ``definition``, the ``source`` it is named after, the checkers that report
it (``reported_by``, names from the checker registry), and the anomalies it ``implies``
(a G0 cycle is also a G1c cycle; a -process cycle is also a -realtime one), which the
lattice arithmetic of ``checkers.elle`` closes over.  Abstract names (G1, G2, ...) are
never reported; models forbid them and concrete anomalies imply them.

Transactional names follow Adya's thesis and Elle; cycle anomalies come in three variants:
plain, ``-process`` (the cycle needs process-order edges) and ``-realtime`` (it needs
real-time edges).  ``ANOMALY_ALIASES`` maps Elle's other spellings to ours.

This module is data only: it imports nothing of the project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Anomaly:
    name: str
    definition: str
    source: str
    reported_by: tuple[str, ...] = ()  # empty: abstract, implied only
    implies: tuple[str, ...] = ()


ADYA = "Adya, Weak Consistency (MIT PhD thesis, 1999)"
ELLE = "Kingsbury, Alvaro, Elle: Inferring Isolation Anomalies (VLDB 2020)"
JEPSEN = "Jepsen (jepsen.checker), Kingsbury"
TERRY = "Terry et al., Session Guarantees for Weakly Consistent Replicated Data (PDIS 1994)"
DDIA = "Kleppmann, Designing Data-Intensive Applications (2017)"
KNOSSOS = "Herlihy, Wing, Linearizability (TOPLAS 1990); Knossos, Porcupine"
CERONE = (
    "Cerone, Bernardi, Gotsman, A Framework for Transactional Consistency Models with "
    "Atomic Visibility (CONCUR 2015)"
)

CYCLE_BASES = ("G0", "G1c", "G-single", "G-nonadjacent", "G2-item")
VARIANTS = ("", "-process", "-realtime")
_BASE_DEFINITIONS = {
    "G0": "write cycle: a cycle of ww edges only (dirty write)",
    "G1c": "circular information flow: a cycle of ww/wr edges with at least one wr",
    "G-single": "read skew: a cycle with exactly one rw edge",
    "G-nonadjacent": "a cycle with two or more rw edges, no two adjacent",
    "G2-item": "write skew: a cycle with two or more rw edges, some two adjacent",
}
_VARIANT_DEFINITIONS = {
    "": "",
    "-process": "; the cycle needs process-order edges",
    "-realtime": "; the cycle needs real-time edges (one txn completed before another began)",
}
_NEXT_BASE = {"G0": "G1c", "G1c": "G1", "G-single": "G-nonadjacent",
              "G-nonadjacent": "G2-item", "G2-item": "G2"}  # fmt: skip


def _cycle(base: str, i: int) -> Anomaly:
    v = VARIANTS[i]
    implies = [_NEXT_BASE[base] + v] + ([base + VARIANTS[i + 1]] if i + 1 < len(VARIANTS) else [])
    definition = _BASE_DEFINITIONS[base] + _VARIANT_DEFINITIONS[v]
    return Anomaly(base + v, definition, ADYA if not v else ELLE, ("elle",), tuple(implies))


def _a(name: str, definition: str, source: str, by: str, implies: str = "") -> Anomaly:
    return Anomaly(name, definition, source, tuple(by.split()), tuple(implies.split()))


_LIST = [
    *(_cycle(base, i) for i in range(len(VARIANTS)) for base in CYCLE_BASES),
    _a("G1", "(abstract) G1a, G1b or G1c", ADYA, "", "G1-process"),
    _a("G1-process", "(abstract) G1 with process edges", ELLE, "", "G1-realtime"),
    _a("G1-realtime", "(abstract) G1 with real-time edges", ELLE, ""),
    _a("G2", "(abstract) a cycle with anti-dependency edges", ADYA, "", "G2-process"),
    _a("G2-process", "(abstract) G2 with process edges", ELLE, "", "G2-realtime"),
    _a("G2-realtime", "(abstract) G2 with real-time edges", ELLE, ""),
    _a("G1a", "aborted read: a committed txn read a value a failed txn wrote", ADYA, "elle", "G1"),
    _a("G1b", "intermediate read: a committed txn read a non-final write", ADYA, "elle", "G1"),
    _a("internal", "a read disagrees with the same txn's earlier reads/writes of that key",
       ELLE, "elle"),
    _a("dirty-update", "a failed txn's write is followed in the version order by a committed "
       "write", ELLE, "elle", "G1a"),
    _a("duplicate-elements", "one element appears twice in one read of a list", ELLE, "elle"),
    _a("incompatible-order", "two reads of a list are not prefixes of one another", ELLE,
       "elle", "G1a"),
    _a("lost-update", "two committed txns read the same version of a key and both wrote it",
       "Berenson et al., A Critique of ANSI SQL Isolation Levels (SIGMOD 1995)", "elle",
       "G2-item"),
    _a("cyclic-versions", "the inferred version order of a key is cyclic", ELLE,
       "elle session"),
    _a("garbage-read", "a read observed a value that no operation ever wrote", ELLE,
       "elle register-simple"),
    _a("future-read", "a txn read an element it appends only later in the same txn (a "
       "violation of Cerone et al.'s EXT: a trivial wr cycle of one txn)", CERONE, "elle", "G1c"),
    _a("long-fork", "two readers saw two writes to different keys in opposite orders",
       "Sovran et al., Transactional Storage for Geo-Replicated Systems (SOSP 2011)",
       "long-fork"),
    _a("wrong-total", "a read of all accounts summed to other than the constant total",
       JEPSEN, "bank"),
    _a("negative-value", "a read saw an account with a negative balance", JEPSEN, "bank"),
    _a("nil-balance", "a read saw an account with no balance at all", JEPSEN, "bank"),
    _a("unexpected-key", "a read saw an account that was never created", JEPSEN, "bank"),
    _a("nonlinearizable", "no order of the ops respects real time and the sequential model",
       KNOSSOS, "linearizable"),
    _a("read-your-writes", "a session read a key and missed its own earlier write to it",
       TERRY, "session"),
    _a("monotonic-reads", "a session read a version older than one it had already read",
       TERRY, "session"),
    _a("monotonic-writes", "a reader saw a session's later write without its earlier one",
       TERRY, "session"),
    _a("writes-follow-reads", "a reader saw a write without the write its session had read "
       "before it", TERRY, "session"),
    _a("consistent-prefix", "a reader saw a later write without an earlier one it depends on",
       DDIA, "session"),
    _a("divergence", "replicas (or a view and its source) disagree after quiescence", DDIA,
       "convergence text derived-view"),
    _a("lost-writes", "an acknowledged write is missing from the final reads", JEPSEN,
       "convergence"),
    _a("unexpected", "a read saw a value (element) that was never written", JEPSEN,
       "convergence set queue"),
    _a("lost-durable-writes", "a write acknowledged after fsync was lost by a crash", DDIA,
       "durability"),
    _a("resurrected-delete", "a read returned a value an acknowledged delete had removed",
       DDIA, "deletes"),
    _a("duplicated", "one element (id) was returned twice", JEPSEN, "unique-ids set queue"),
    _a("lost", "an acknowledged element is missing from every later read", JEPSEN, "set queue"),
    _a("stale", "a read missed an element some earlier read had already seen", JEPSEN, "set"),
    _a("out-of-order", "a FIFO queue delivered elements out of their enqueue order", JEPSEN,
       "queue"),
    _a("out-of-bounds", "a counter read outside the bounds of the increments around it",
       JEPSEN, "counter"),
    _a("lost-insert", "an acknowledged insert is missing from the converged text",
       "Shapiro et al., Conflict-free Replicated Data Types (SSS 2011)", "text"),
    _a("intent-order", "an inserted token does not follow the token it was inserted after",
       "Kleppmann et al., Interleaving Anomalies in Collaborative Text Editors (PaPoC 2019)",
       "text"),
    _a("resurrected", "a deleted token came back in the converged text",
       "Shapiro et al., Conflict-free Replicated Data Types (SSS 2011)", "text"),
    _a("duplicate", "a message was delivered twice at different offsets", JEPSEN, "kafka"),
    _a("inconsistent-offsets", "one offset of a log held two different messages", JEPSEN,
       "kafka"),
    _a("lost-delivery", "an acknowledged message was skipped by every consumer", JEPSEN,
       "kafka"),
    _a("lost-write", "an acknowledged send never appeared in the log", JEPSEN, "kafka"),
    _a("nonmonotonic-poll", "a consumer's polls went backwards in the log", JEPSEN, "kafka"),
    _a("nonmonotonic-send", "a producer's sends landed out of order in the log", JEPSEN,
       "kafka"),
    _a("poll-skip", "a consumer's polls skipped over messages of the log", JEPSEN, "kafka"),
    _a("aggregate-mismatch", "a derived aggregate disagrees with its source data", DDIA,
       "derived-view"),
    _a("index-mismatch", "a derived index disagrees with its source data", DDIA,
       "derived-view"),
    _a("inconsistent-copies", "denormalised copies of one record disagree", DDIA, "documents"),
    _a("dangling-edge", "an edge points at a vertex that does not exist", DDIA, "graph"),
    _a("half-written-edge", "only one direction of a two-way edge was written", DDIA, "graph"),
    _a("dangling-reference", "a foreign key points at a row that does not exist", DDIA,
       "relational"),
    _a("lost-field", "a field written by one schema version was lost by another's update",
       "DDIA ch. 4 (forward and backward compatibility)", "lost-fields"),
    _a("undecodable-record", "a reader could not decode a record a writer stored",
       "DDIA ch. 4 (forward and backward compatibility)", "lost-fields"),
    _a("missing-entry", "an index query missed a document that contains the term", DDIA,
       "term-index"),
    _a("phantom-entry", "an index query returned a document that never held the term", DDIA,
       "term-index"),
    _a("stale-entry", "an index query returned a document for a term it no longer holds",
       DDIA, "term-index"),
    _a("mixed-visibility", "a write one index query saw was unseen by a later query of "
       "another term's partition (not atomically visible)", DDIA, "term-index"),
]  # fmt: skip
ANOMALIES: dict[str, Anomaly] = {a.name: a for a in _LIST}

ANOMALY_ALIASES: dict[str, str] = {
    "G-single-item": "G-single",
    "G-single-item-process": "G-single-process",
    "G-single-item-realtime": "G-single-realtime",
    "G-nonadjacent-item": "G-nonadjacent",
    "G-nonadjacent-item-process": "G-nonadjacent-process",
    "G-nonadjacent-item-realtime": "G-nonadjacent-realtime",
    "G2-item-cycle": "G2-item",
    "unknown-read": "garbage-read",
}


def reported_by(checker: str) -> frozenset[str]:
    """The anomaly names the checker ``checker`` (a registry name) may report."""
    return frozenset(a.name for a in _LIST if checker in a.reported_by)


def implied(names: Iterable[str]) -> set[str]:
    """The anomalies given and every anomaly they imply (unknown names stay as they are)."""
    out: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in out:
            out.add(name)
            todo.extend(ANOMALIES[name].implies if name in ANOMALIES else ())
    return out


def family(checker: str) -> dict[str, Anomaly]:
    """The anomalies a checker reports plus every abstract one they imply (its table)."""
    names = implied(reported_by(checker))
    return {a.name: a for a in _LIST if a.name in names}
