"""Normalising a history into transactions, sessions and per-key facts.

Theory of operation
-------------------
Every client op the session checker understands becomes a ``Txn``: a single-object op
(``read``/``write``/``append`` with value ``[key, v]``) is a one-micro-op transaction, and a
``txn`` op keeps its micro-ops ``["r"|"w"|"append", key, v]``.  Only outcomes matter:

* ``ok``   -- reads are observations, writes happened;
* ``info`` -- (or no completion) writes *may* have happened: they can be observed, but a
  read's value is unknown, so its reads are dropped;
* ``fail`` -- nothing happened; the op is dropped.

A transaction's *external* reads are its reads of keys it had not yet written itself; reads
of its own writes are internal consistency, not a session matter.  Values and keys are
frozen with the vocabulary's ``freeze`` (lists become tuples, objects and booleans are
tagged, so ``true`` and ``1`` stay two values) so they can be dictionary keys;
``ddialab.vocabulary.thaw`` turns them back.

A process id is a session (the history contract gives a fresh id after an indeterminate op).
Each process's transactions are numbered 0, 1, 2, ... in invocation order (``seq``).

System-supplied versions are read from the completion's ``extra`` (else the invocation's):
``extra["version"]`` an int and ``extra["vclock"]`` a ``{node: int}`` dict for single-object
ops; for ``txn`` ops each is a dict from key (as a JSON object key, i.e. ``str(key)``) to the
int or vclock of that key.  On a write it is the version the write created; on a read, the
version of the state the read returned.  A txn that reads a key and then writes it may
also say what it read: ``extra["read_version"]`` / ``extra["read_vclock"]``, keyed like the
others.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from checkers import ANYTHING, Grammar, MopError, parse_mops
from ddialab.history import NEMESIS, History, Op
from ddialab.vocabulary import MOP_KINDS, freeze

SINGLE_FS = ("read", "write", "append", "add")
TXN_F = "txn"
MOP_READ, MOP_WRITE, MOP_APPEND, MOP_ADD = "r", "w", "append", "add"
_MOP_OF_F = {"read": MOP_READ, "write": MOP_WRITE, "append": MOP_APPEND, "add": MOP_ADD}


@dataclass(slots=True)
class Txn:
    """One op (single-object or transaction) that took, or may have taken, effect."""

    id: int
    op: int  # index of the completion (the invocation when there is none)
    process: int | str
    seq: int  # position among this process's txns
    ok: bool  # False: indeterminate (info / never completed)
    reads: dict[Any, Any] = field(default_factory=dict)  # key -> value read (external)
    writes: list[tuple[Any, Any, str]] = field(default_factory=list)  # (key, value, mop)
    versions: dict[Any, int] = field(default_factory=dict)
    vclocks: dict[Any, dict[str, int]] = field(default_factory=dict)
    read_versions: dict[Any, int] = field(default_factory=dict)  # txn read k, then wrote it
    read_vclocks: dict[Any, dict[str, int]] = field(default_factory=dict)
    invoke: int = -1  # op index of the invocation (real time, for linearizable_keys)
    complete: int | None = None  # op index of an ok completion; None if not ok


@dataclass
class Parsed:
    txns: list[Txn]
    by_process: dict[int | str, list[Txn]]
    skipped: int  # client ops the checker could not read (bad value shapes)
    ignored: int = 0  # client ops with an ``f`` outside the vocabulary


def parse(history: History) -> Parsed:
    txns: list[Txn] = []
    by_process: dict[int | str, list[Txn]] = {}
    skipped = ignored = 0
    for inv, comp in _client_pairs(history):
        outcome = comp.type if comp is not None else "info"
        if inv.f not in SINGLE_FS and inv.f != TXN_F:
            ignored += 1
            continue
        if outcome == "fail":
            continue
        seq = len(by_process.get(inv.process, ()))
        txn = Txn(len(txns), (comp or inv).index, inv.process, seq, outcome == "ok")
        txn.invoke, txn.complete = inv.index, (comp.index if txn.ok and comp else None)
        if not _fill(txn, inv, comp):
            skipped += 1
            continue
        txns.append(txn)
        by_process.setdefault(inv.process, []).append(txn)
    return Parsed(txns, by_process, skipped, ignored)


def _client_pairs(history: History) -> Iterator[tuple[Op, Op | None]]:
    for inv, comp in history.completed_pairs():
        if inv.process != NEMESIS:
            yield inv, comp


def _fill(txn: Txn, inv: Op, comp: Op | None) -> bool:
    src = comp if comp is not None and comp.type == "ok" else inv
    mops = _mops(inv.f, src.value)
    if mops is None:
        return False
    written: set[Any] = set()
    for kind, key, value in mops:
        if kind == MOP_READ:
            if txn.ok and key not in written and key not in txn.reads:
                txn.reads[key] = value
        else:
            txn.writes.append((key, value, kind))
            written.add(key)
    if inv.extra or (comp is not None and comp.extra):
        extra = dict(inv.extra)
        if comp is not None:
            extra.update(comp.extra)
        if not _VERSION_KEYS.isdisjoint(extra):
            _versions(txn, inv.f, mops, extra)
    return True


_VERSION_KEYS = frozenset(("version", "vclock", "read_version", "read_vclock"))


#: The session checker's micro-ops (the checkers' one parser): any kind of
#: ``MOP_KINDS``, any key and value (frozen with the vocabulary's ``freeze``), always
#: all three parts.
GRAMMAR = Grammar(
    frozenset(MOP_KINDS),
    ANYTHING,
    ANYTHING,
    ANYTHING,
    short_reads=False,
    freeze_key=freeze,
    freeze_value=freeze,
)


def _mops(f: str, value: Any) -> list[Any] | None:
    """The micro-ops of an op as [kind, frozen key, frozen value], or None if malformed.

    A single-object op ``[key, v]`` is the one micro-op ``[kind of f, key, v]``."""
    if f != TXN_F:
        if not (isinstance(value, list) and len(value) == 2):
            return None
        value = [[_MOP_OF_F[f], *value]]
    try:
        return parse_mops(value, GRAMMAR, "ok")
    except MopError:
        return None


_TABLES = (
    ("version", "vclock", "versions", "vclocks"),
    ("read_version", "read_vclock", "read_versions", "read_vclocks"),
)


def _versions(txn: Txn, f: str, mops: list[Any], extra: dict[str, Any]) -> None:
    for vname, cname, ints_attr, clocks_attr in _TABLES:
        version, vclock = extra.get(vname), extra.get(cname)
        if version is None and vclock is None:
            continue
        ints, clocks = getattr(txn, ints_attr), getattr(txn, clocks_attr)
        if f != TXN_F:
            _note_version(ints, clocks, mops[0][1], version, vclock)
            continue
        for key in {key for _, key, _ in mops}:
            v = version.get(str(key)) if isinstance(version, dict) else None
            vc = vclock.get(str(key)) if isinstance(vclock, dict) else None
            _note_version(ints, clocks, key, v, vc)


def _note_version(ints: dict[Any, int], clocks: dict[Any, Any], key: Any, v: Any, vc: Any) -> None:
    if isinstance(v, int) and not isinstance(v, bool):
        ints[key] = v
    if isinstance(vc, dict) and _is_vclock(vc):
        clocks[key] = {str(n): c for n, c in vc.items()}


def _is_vclock(vc: Any) -> bool:
    return isinstance(vc, dict) and all(
        isinstance(n, int) and not isinstance(n, bool) for n in vc.values()
    )
