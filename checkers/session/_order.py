"""What the history proves about the version order of each key, and on what evidence.

Theory of operation
-------------------
Session guarantees are statements about which writes a read's state *includes*.  A read of
key ``k`` returning ``v`` includes write ``w`` when ``w`` is ``v`` or precedes ``v`` in the
version order of ``k``.  The checker never guesses that order; ``Facts.includes`` answers
``True``, ``False`` or ``None`` (unknown), naming the evidence it used:

``direct``              the read returned the written value itself;
``initial-state``       the read returned ``null`` (the initial state): it includes no write;
``append-list``         append keys: a read's list is the state; membership and position
                        are observed directly;
``system-version``      an int version per key supplied by the system (``extra["version"]``,
                        e.g. a log sequence number): ``w`` is included iff its version is at
                        most the read's;
``vector-clock``        ``extra["vclock"]``: ``w`` is included iff its clock is <= the read's;
``wfr-keys`` etc.       a version order the user declared (options ``wfr_keys``,
                        ``sequential_keys``, ``linearizable_keys``; see ``_assumed``), when
                        its graph orders the two values (named after its sources);
``single-writer-order`` a key written by exactly one process, and no system version: its
                        version order is taken to be that process's write order (the order
                        monotonic writes demands; see ``docs/session.md``).

Anything else (two writers, no system version, neither value initial) is ``unknown``.

Append keys are judged against ``G``, the longest list read from the key; for set keys
(``add``) G orders the elements by the read that first returned them, so that a set read
holding exactly G's first n elements is a "prefix" too.  A read that is a
prefix of ``G`` is stored as its length (``int``); the rare read that is not (an
incompatible-order anomaly, outside this checker's remit) keeps its tuple and is judged by
membership alone.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from checkers.session._assumed import Assumed, derive
from checkers.session._model import MOP_ADD, MOP_APPEND, Parsed, Txn

INITIAL = "initial-state"
DIRECT = "direct"
APPEND = "append-list"
VERSION = "system-version"
VCLOCK = "vector-clock"
SINGLE = "single-writer-order"
UNKNOWN_EV = "unknown"

Decision = tuple[bool | None, str]


@dataclass
class KeyFacts:
    key: Any
    append: bool = False  # a collection key: append (a list) or add (a set)
    unordered: bool = False  # add: a set, so only membership counts, never position
    writes: dict[Any, Txn] = field(default_factory=dict)  # value -> writer txn
    writers: set[int | str] = field(default_factory=set)
    single_pos: dict[Any, int] | None = None  # value -> position, for single-writer keys
    versions: dict[Any, tuple[int, int]] = field(default_factory=dict)  # value -> (v, op)
    vclocks: dict[Any, tuple[dict[str, int], int]] = field(default_factory=dict)
    conflicting: set[Any] = field(default_factory=set)  # values given two versions
    G: tuple[Any, ...] = ()
    gidx: dict[Any, int] = field(default_factory=dict)
    prefix_reads: list[tuple[int, int]] = field(default_factory=list)  # sorted (len, op)
    proc_gpos: dict[int | str, list[int]] = field(default_factory=dict)  # P -> sorted G pos
    odd_reads: list[tuple[tuple[Any, ...], int]] = field(default_factory=list)  # not G prefixes


class Facts:
    """Per-key facts plus per-process indexes of writes and reads."""

    def __init__(self, parsed: Parsed, assumptions: list[str] | None = None) -> None:
        self.parsed = parsed
        self.keys: dict[Any, KeyFacts] = {}
        # (process, key) -> [(seq, value)] and [(seq, read value, txn)], in session order
        self.pwrites: dict[tuple[int | str, Any], list[tuple[int, Any]]] = {}
        self.preads: dict[tuple[int | str, Any], list[tuple[int, Any, Txn]]] = {}
        self.duplicate_writes: list[tuple[Any, Any]] = []
        self._positions: dict[tuple[int | str, Any], dict[Any, int]] = {}
        self._index_writes()
        self._index_versions()
        registers = {key for key, k in self.keys.items() if not k.append}
        self.assumed: Assumed = derive(parsed, registers, assumptions or [])
        self._index_append_lists()
        self._index_reads()
        # session-order dependencies count only writes known to have happened (ok txns)
        self.pwrites_ok = {
            pk: [(s, v) for s, v in ws if self.keys[pk[1]].writes[v].ok]
            for pk, ws in self.pwrites.items()
        }
        self.pwrite_seqs = {pk: [s for s, _ in ws] for pk, ws in self.pwrites_ok.items()}
        self.pread_seqs = {pk: [s for s, _, _ in rs] for pk, rs in self.preads.items()}

    # -- building -----------------------------------------------------------------------
    def kf(self, key: Any) -> KeyFacts:
        k = self.keys.get(key)
        if k is None:
            k = self.keys[key] = KeyFacts(key)
        return k

    def _index_writes(self) -> None:
        for t in self.parsed.txns:
            for key, value, kind in t.writes:
                k = self.kf(key)
                k.append = k.append or kind in (MOP_APPEND, MOP_ADD)
                k.unordered = k.unordered or kind == MOP_ADD
                if value in k.writes:
                    self.duplicate_writes.append((key, value))
                    continue
                k.writes[value] = t
                k.writers.add(t.process)
                self.pwrites.setdefault((t.process, key), []).append((t.seq, value))
        for k in self.keys.values():
            if len(k.writers) == 1 and not k.append:
                (p,) = k.writers
                k.single_pos = {v: i for i, (_, v) in enumerate(self.pwrites[(p, k.key)])}

    def _index_versions(self) -> None:
        for t in self.parsed.txns:
            for table, attr, read in (
                (t.versions, "versions", False),
                (t.vclocks, "vclocks", False),
                (t.read_versions, "versions", True),
                (t.read_vclocks, "vclocks", True),
            ):
                for key, n in table.items():
                    for value in self._values_versioned(t, key, read):
                        self._note(getattr(self.kf(key), attr), key, value, n, t.op)

    @staticmethod
    def _values_versioned(t: Txn, key: Any, read: bool) -> list[Any]:
        written = [v for k, v, _ in t.writes if k == key]
        if written and not read:
            return written[-1:]  # the txn's final write to the key created the version
        if key in t.reads and (read or not written):
            return [t.reads[key]]
        return []

    def _note(self, table: dict[Any, Any], key: Any, value: Any, version: Any, op: int) -> None:
        old = table.get(value)
        if old is not None and old[0] != version:
            self.kf(key).conflicting.add(value)
        elif old is None:
            table[value] = (version, op)

    def _index_append_lists(self) -> None:
        order: dict[Any, tuple[list[Any], set[Any]]] = {}  # set keys: first-seen order
        for t in self.parsed.txns:
            for key, value in t.reads.items():
                k = self.keys.get(key)
                if k is None or not k.append or not isinstance(value, tuple):
                    continue
                if k.unordered:
                    seq, seen = order.setdefault(key, ([], set()))
                    new = set(value) - seen
                    seq += sorted(new, key=repr)
                    seen |= new
                elif len(value) > len(k.G):
                    k.G = value
        for key, (seq, _) in order.items():
            self.keys[key].G = tuple(seq)
        for k in self.keys.values():
            if not k.append:
                continue
            k.gidx = {}
            for i, e in enumerate(k.G):
                k.gidx.setdefault(e, i)
            for i, e in enumerate(k.G):
                w = k.writes.get(e)
                if w is not None and k.gidx[e] == i:
                    k.proc_gpos.setdefault(w.process, []).append(i)

    def _index_reads(self) -> None:
        for t in self.parsed.txns:
            for key, value in list(t.reads.items()):
                k = self.keys.get(key)
                if k is not None and k.append:
                    value = self._append_obs(k, value, t.op)
                    t.reads[key] = value
                self.preads.setdefault((t.process, key), []).append((t.seq, value, t))
        for k in self.keys.values():
            k.prefix_reads.sort()

    @staticmethod
    def _append_obs(k: KeyFacts, value: Any, op: int) -> Any:
        if value is None:
            value = ()
        if not isinstance(value, tuple):
            return Scalar(value)  # not a list: judged unknown (an int is no prefix length)
        n = len(value)
        if k.G[:n] == value or (k.unordered and frozenset(k.G[:n]) == frozenset(value)):
            k.prefix_reads.append((n, op))
            return n
        k.odd_reads.append((value, op))
        return frozenset(value) if k.unordered else value

    # -- questions ----------------------------------------------------------------------
    def includes(self, key: Any, obs: Any, w: Any) -> Decision:
        """Does a state of ``key`` observed as ``obs`` include the write of ``w``?"""
        k = self.keys.get(key)
        if k is None:
            return None, UNKNOWN_EV
        if k.append:
            return self._append_includes(k, obs, w)
        if obs == w:
            return True, DIRECT
        if obs is None and None not in k.writes:
            return False, INITIAL
        return self.precedes(k, w, obs)

    def _append_includes(self, k: KeyFacts, obs: Any, w: Any) -> Decision:
        if isinstance(obs, int):
            return k.gidx.get(w, len(k.G)) < obs, APPEND
        if isinstance(obs, tuple | frozenset):
            return w in obs, APPEND
        return None, UNKNOWN_EV

    def precedes(self, k: KeyFacts, a: Any, b: Any) -> Decision:
        """Register keys: is ``a`` at or before ``b`` in the version order?"""
        if a == b:
            return True, DIRECT
        if a in k.conflicting or b in k.conflicting:
            return None, UNKNOWN_EV
        if k.versions:
            va, vb = k.versions.get(a), k.versions.get(b)
            if va is not None and vb is not None:
                return va[0] <= vb[0], VERSION
        if k.vclocks:
            ca, cb = k.vclocks.get(a), k.vclocks.get(b)
            if ca is not None and cb is not None:
                return _vc_leq(ca[0], cb[0]), VCLOCK
        if k.key in self.assumed.graphs:
            got = self.assumed.order(k.key, a, b)
            if got is not None:
                return got, self.assumed.evidence[k.key]
        if k.single_pos is not None and not k.versions and not k.vclocks:
            pa, pb = k.single_pos.get(a), k.single_pos.get(b)
            if pa is not None and pb is not None:
                return pa <= pb, SINGLE
        return None, UNKNOWN_EV

    def writer_op(self, key: Any, value: Any) -> int | None:
        k = self.keys.get(key)
        w = k.writes.get(value) if k is not None else None
        return w.op if w is not None else None

    def version_witness(self, key: Any, value: Any) -> Any:
        """The system-supplied version of a value and the op that carried it, if any."""
        k = self.keys[key]
        got = k.versions.get(value) or k.vclocks.get(value)
        return None if got is None else {"version": got[0], "op": got[1]}

    def position(self, process: int | str, key: Any, value: Any) -> int:
        """Where ``value`` falls among the process's writes to ``key`` (0-based)."""
        table = self._positions.get((process, key))
        if table is None:
            ws = self.pwrites[(process, key)]
            table = self._positions[(process, key)] = {v: i for i, (_, v) in enumerate(ws)}
        return table[value]

    def last_write_before(self, process: int | str, key: Any, seq: int) -> Any:
        """The process's last ok write to ``key`` in a txn before its txn number ``seq``."""
        seqs = self.pwrite_seqs.get((process, key))
        if not seqs:
            return _NONE
        i = bisect_left(seqs, seq)
        return self.pwrites_ok[(process, key)][i - 1][1] if i else _NONE

    def last_read_upto(self, process: int | str, key: Any, seq: int) -> tuple[Any, Txn] | None:
        """The process's latest read of ``key`` in a txn numbered at most ``seq``."""
        seqs = self.pread_seqs.get((process, key))
        if not seqs:
            return None
        i = bisect_right(seqs, seq)
        r = self.preads[(process, key)][i - 1]
        return (r[1], r[2]) if i else None

    def shortest_read_with(self, k: KeyFacts, pos: int) -> int | None:
        """The op index of the shortest prefix read that contains position ``pos`` of G;
        else the first other read holding that element (a set's G, in first-seen order,
        can hold elements that no read of a prefix of it shows)."""
        i = bisect_right(k.prefix_reads, (pos + 1, -1))
        if i < len(k.prefix_reads):
            return k.prefix_reads[i][1]
        return next((op for value, op in k.odd_reads if k.G[pos] in value), None)

    def show(self, key: Any, obs: Any) -> Any:
        """An observed state as the JSON value that was read."""
        k = self.keys.get(key)
        if k is not None and k.append and isinstance(obs, int):
            return sorted(k.G[:obs], key=repr) if k.unordered else list(k.G[:obs])
        if isinstance(obs, frozenset):
            return sorted(obs, key=repr)
        return obs.value if isinstance(obs, Scalar) else obs


@dataclass(frozen=True, slots=True)
class Scalar:
    """A read of a collection key that returned no list (``5``, ``"s"``): kept apart from
    the ints that stand for prefixes of G, so every comparison with it is unknown."""

    value: Any


class _Missing:
    def __repr__(self) -> str:
        return "<no write>"


_NONE: Any = _Missing()


def is_none(v: Any) -> bool:
    return v is _NONE


def _vc_leq(a: dict[str, int], b: dict[str, int]) -> bool:
    return all(n <= b.get(node, 0) for node, n in a.items())
