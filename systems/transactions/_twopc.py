"""Atomic commit across partitions: two-phase commit with a durable coordinator log.

Theory of operation
-------------------
Keys are split over participant nodes ``p1..pN`` (an integer key ``k`` lives on
``p(k mod N + 1)``).  A client hands a whole txn to the coordinator, which runs it one
micro-op at a time on the owning participants (so txns interleave there), then commits
it atomically with 2PC (DDIA 7, "Atomic Commit and Two-Phase Commit"):

1. **execute** -- each participant takes a shared (read) or exclusive (write) lock and
   buffers writes.  Locks are *no-wait*: a conflict aborts the txn at once
   (``lock-conflict``), which rules out distributed deadlocks at the price of aborts.
   Locks are held to the end (strict 2PL), so the result is strict serializable.
2. **prepare** -- each participant makes its writes and locks durable (fsync) and votes
   yes; from then on it has given up the right to abort: it is *in doubt*.
3. **decide** -- all yes: the coordinator appends ``commit`` to its log and fsyncs: that
   is the commit point; the client is told ``ok``.  Any no (or a timeout before the
   commit point): abort everywhere (presumed abort: aborts are not logged).
4. **complete** -- participants apply the writes, log, release locks and ack; when all
   acked, the coordinator logs ``end``.

A coordinator crash between prepare and decision leaves the participants in doubt: they
hold their locks (blocking every conflicting txn) and ask the coordinator ``status``
every ``status_interval_ns`` -- they may not decide alone.  The restarted coordinator
answers from its log: a logged commit is re-sent until acked; a txn without one was never
committed by anyone and is aborted.  A participant that crashes recovers its prepared
txns (and their locks) from its own log.  ``decision_delay_ns`` / ``commit_delay_ns``
widen the windows before and after the commit point, so a test can crash the
coordinator inside them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ddialab.vocabulary import implied_columns, option, option_defaults, typed_options
from systems import SystemEntry
from systems.sim import MS, Message, Runtime, World
from systems.transactions._client import TxnClient
from systems.transactions._engines import apply_mop
from systems.transactions._locks import EXCLUSIVE, SHARED, LockManager
from systems.transactions._node import error, key_of, ok

COORDINATOR = "coord"
PLOG, CLOG, EPOCH = "participant-log", "coordinator-log", "epoch"


def owner(key: Any, participants: int) -> str:
    n = key if isinstance(key, int) else zlib.crc32(json.dumps(key).encode())
    return f"p{n % participants + 1}"


def _append(rt: Runtime, path: str, entry: dict[str, Any], sync: bool = True) -> None:
    rt.disk.append(path, (json.dumps(entry) + "\n").encode())
    if sync:
        rt.disk.fsync(path)


def _entries(rt: Runtime, path: str) -> list[dict[str, Any]]:
    if not rt.disk.exists(path):
        return []
    return [json.loads(line) for line in rt.disk.read(path).splitlines()]


# -- participants ------------------------------------------------------------------------
@dataclass
class _Branch:
    """A txn's branch on one participant."""

    writes: dict[Any, Any] = field(default_factory=dict)
    prepared: bool = False


class Participant:
    def __init__(self, active_timeout_ns: int, status_interval_ns: int) -> None:
        self.active_timeout_ns = active_timeout_ns
        self.status_interval_ns = status_interval_ns
        self.data: dict[Any, Any] = {}
        self.locks = LockManager()
        self.branches: dict[str, _Branch] = {}

    def on_start(self, rt: Runtime) -> None:
        for e in _entries(rt, PLOG):
            txn = e["txn"]
            if e["kind"] == "prepare":
                writes = {key_of(k): v for k, v in e["writes"]}
                self.branches[txn] = _Branch(writes, prepared=True)
                for k, mode in e["locks"]:
                    self.locks.try_acquire(txn, key_of(k), mode)
            elif e["kind"] == "commit":
                self.data.update(self.branches.pop(txn).writes)
                self.locks.release_all(txn)
            else:
                self.branches.pop(txn, None)
                self.locks.release_all(txn)
        for txn in self.in_doubt():
            rt.set_timer(self.status_interval_ns, "in-doubt", txn)

    def in_doubt(self) -> list[str]:
        return [t for t, b in self.branches.items() if b.prepared]

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        branch = self.branches.get(payload)
        if name == "active-timeout" and branch is not None and not branch.prepared:
            self._drop(payload)
        elif name == "in-doubt" and branch is not None and branch.prepared:
            rt.send(COORDINATOR, {"type": "status", "txn": payload})
            rt.set_timer(self.status_interval_ns, "in-doubt", payload)

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        kind, txn = body.get("type"), str(body.get("txn"))
        if kind == "op":
            self._op(rt, msg, txn, body["op"])
        elif kind == "prepare":
            self._prepare(rt, msg, txn)
        elif kind in ("commit", "abort", "decision"):
            decision = body.get("decision", kind)
            self._complete(rt, txn, decision == "commit")
            rt.reply(msg, {"type": "ack", "txn": txn})
        elif kind == "inspect":
            rt.reply(msg, ok(self._inspect()))
        else:
            rt.reply(msg, error("unsupported"))

    def _op(self, rt: Runtime, msg: Message, txn: str, mop: list[Any]) -> None:
        f, k, v = mop[0], key_of(mop[1]), mop[2]
        branch = self.branches.get(txn)
        reply = {"type": "op-done", "txn": txn, "seq": msg.body.get("seq")}
        if branch is None and not msg.body.get("first"):
            # we lost this branch's earlier writes (a crash): it must not commit
            rt.reply(msg, {**reply, "type": "op-failed", "code": "unknown-txn"})
            return
        if branch is None:
            branch = self.branches[txn] = _Branch()
            rt.set_timer(self.active_timeout_ns, "active-timeout", txn)
        if branch.prepared or not self.locks.try_acquire(txn, k, SHARED if f == "r" else EXCLUSIVE):
            if not branch.prepared:
                self._drop(txn)
            rt.reply(msg, {**reply, "type": "op-failed", "code": "lock-conflict"})
            return
        if f == "r":
            value = branch.writes.get(k, self.data.get(k))
        else:
            branch.writes[k] = apply_mop(branch.writes.get(k, self.data.get(k)), f, v)
            value = v
        rt.reply(msg, {**reply, "value": [f, k, value]})

    def _prepare(self, rt: Runtime, msg: Message, txn: str) -> None:
        branch = self.branches.get(txn)
        if branch is None:
            rt.reply(msg, {"type": "vote", "txn": txn, "yes": False})
            return
        if not branch.prepared:
            held = [[k, self.locks.mode(txn, k)] for k in self.locks.held.get(txn, ())]
            writes = [[k, v] for k, v in branch.writes.items()]
            _append(rt, PLOG, {"kind": "prepare", "txn": txn, "writes": writes, "locks": held})
            branch.prepared = True
            rt.set_timer(self.status_interval_ns, "in-doubt", txn)
        rt.reply(msg, {"type": "vote", "txn": txn, "yes": True})

    def _complete(self, rt: Runtime, txn: str, commit: bool) -> None:
        branch = self.branches.get(txn)
        if branch is None:
            return
        if branch.prepared:
            _append(rt, PLOG, {"kind": "commit" if commit else "abort", "txn": txn})
        if commit:
            self.data.update(branch.writes)
        self._drop(txn)

    def _drop(self, txn: str) -> None:
        self.branches.pop(txn, None)
        self.locks.release_all(txn)

    def _inspect(self) -> dict[str, Any]:
        return {
            "in_doubt": self.in_doubt(),
            "locks": {k: dict(locks.holders) for k, locks in self.locks.keys.items()},
            "data": dict(self.data),
        }


# -- the coordinator ---------------------------------------------------------------------
@dataclass
class _Txn:
    client: Message
    ops: list[Any]
    done: list[Any] = field(default_factory=list)
    participants: set[str] = field(default_factory=set)
    votes: set[str] = field(default_factory=set)
    phase: str = "execute"  # execute | prepare | decided


class Coordinator:
    def __init__(self, options: TwoPhaseOptions) -> None:
        self.partitions = options.partitions
        self.txn_timeout_ns = options.txn_timeout_ns
        self.decision_delay_ns = options.decision_delay_ns
        self.commit_delay_ns = options.commit_delay_ns
        self.epoch = 0
        self.next_id = 0
        self.txns: dict[str, _Txn] = {}
        #: committed txns not yet acknowledged by every participant -> who still owes an ack
        self.unacked: dict[str, set[str]] = {}
        self.committed: set[str] = set()

    def on_start(self, rt: Runtime) -> None:
        self.epoch = len(_entries(rt, EPOCH)) + 1  # one line per start: txn ids stay unique
        _append(rt, EPOCH, {"epoch": self.epoch})
        for e in _entries(rt, CLOG):
            if e["kind"] == "commit":
                self.committed.add(e["txn"])
                self.unacked[e["txn"]] = set(e["participants"])
            else:
                self.unacked.pop(e["txn"], None)
        for txn in self.unacked:
            self._send_decision(rt, txn)

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        if name == "txn-timeout":
            t = self.txns.get(payload)
            if t is not None and t.phase != "decided":
                self._abort(rt, payload, "txn-timeout")
        elif name == "decide":
            self._commit_point(rt, payload)
        elif name == "send-commit" or (name == "resend" and payload in self.unacked):
            self._send_decision(rt, payload)

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        kind, txn = body.get("type"), str(body.get("txn"))
        if kind == "txn":
            self._begin(rt, msg)
        elif kind == "status":
            self._status(rt, msg, txn)
        elif kind == "ack":
            self._ack(rt, msg.src, txn)
        elif txn in self.txns:
            self._progress(rt, msg, self.txns[txn], txn)

    def _begin(self, rt: Runtime, msg: Message) -> None:
        self.next_id += 1
        txn = f"{self.epoch}.{self.next_id}"
        self.txns[txn] = _Txn(msg, list(msg.body["ops"]))
        rt.set_timer(self.txn_timeout_ns, "txn-timeout", txn)
        self._next_op(rt, txn)

    def _next_op(self, rt: Runtime, txn: str) -> None:
        t = self.txns[txn]
        if len(t.done) == len(t.ops):
            t.phase = "prepare"
            for p in sorted(t.participants):
                rt.send(p, {"type": "prepare", "txn": txn})
            return
        f, k, v = t.ops[len(t.done)]
        p = owner(key_of(k), self.partitions)
        first = p not in t.participants
        t.participants.add(p)
        body = {"type": "op", "txn": txn, "seq": len(t.done), "op": [f, k, v], "first": first}
        rt.send(p, body)

    def _progress(self, rt: Runtime, msg: Message, t: _Txn, txn: str) -> None:
        body = msg.body
        if body["type"] == "op-failed" and t.phase == "execute":
            self._abort(rt, txn, body["code"])
        elif body["type"] == "op-done" and t.phase == "execute" and body["seq"] == len(t.done):
            t.done.append(body["value"])
            self._next_op(rt, txn)
        elif body["type"] == "vote" and t.phase == "prepare":
            if not body["yes"]:
                self._abort(rt, txn, "vote-no")
                return
            t.votes.add(msg.src)
            if t.votes == t.participants:
                t.phase = "decided"
                rt.set_timer(self.decision_delay_ns, "decide", txn)

    def _commit_point(self, rt: Runtime, txn: str) -> None:
        t = self.txns.pop(txn)
        _append(rt, CLOG, {"kind": "commit", "txn": txn, "participants": sorted(t.participants)})
        self.committed.add(txn)
        self.unacked[txn] = set(t.participants)
        rt.reply(t.client, ok(t.done))
        rt.set_timer(self.commit_delay_ns, "send-commit", txn)

    def _send_decision(self, rt: Runtime, txn: str) -> None:
        for p in sorted(self.unacked.get(txn, ())):
            rt.send(p, {"type": "commit", "txn": txn})
        rt.set_timer(100 * MS, "resend", txn)

    def _abort(self, rt: Runtime, txn: str, code: str) -> None:
        t = self.txns.pop(txn)
        for p in sorted(t.participants):
            rt.send(p, {"type": "abort", "txn": txn})
        rt.reply(t.client, error(code))

    def _status(self, rt: Runtime, msg: Message, txn: str) -> None:
        if txn in self.txns:
            return  # still deciding: the participant asks again later
        decision = "commit" if txn in self.committed else "abort"
        rt.send(msg.src, {"type": "decision", "txn": txn, "decision": decision})

    def _ack(self, rt: Runtime, src: str, txn: str) -> None:
        owed = self.unacked.get(txn)
        if owed is None:
            return
        owed.discard(src)
        if not owed:
            del self.unacked[txn]
            _append(rt, CLOG, {"kind": "end", "txn": txn}, sync=False)


# -- the system --------------------------------------------------------------------------
@dataclass(frozen=True)
class TwoPhaseOptions:
    """The 2PC system's options (one declaration: types, defaults, help)."""

    partitions: int = option(3, help="participants the keys are partitioned over")
    timeout_ns: int = option(800 * MS, help="the client's budget for a whole txn")
    txn_timeout_ns: int = option(400 * MS, help="the coordinator aborts a txn older than this")
    active_timeout_ns: int = option(
        1000 * MS, help="a participant aborts an unprepared txn idle this long"
    )
    status_interval_ns: int = option(100 * MS, help="an in-doubt participant asks this often")
    decision_delay_ns: int = option(0, help="the window before the commit point")
    commit_delay_ns: int = option(0, help="the window after it, before sending commit")


#: what the entry lists (every field: the dataclass's defaults)
DEFAULTS: dict[str, Any] = option_defaults(TwoPhaseOptions)


#: strict 2PL plus an atomic commit across participants: strict serializability and every
#: transactional column it implies (the vocabulary's lattice)
CLAIMS = implied_columns("strict-serializable", "txn")


class TwoPhaseCommitSystem:
    name = "txn-2pc"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        self.settings = typed_options(TwoPhaseOptions, options, "system txn-2pc")
        self.claims = CLAIMS

    def participants(self) -> list[str]:
        return [f"p{i}" for i in range(1, self.settings.partitions + 1)]

    def node_names(self) -> list[str]:
        return [COORDINATOR, *self.participants()]

    def setup(self, world: World) -> None:
        o = self.settings
        world.add_node(COORDINATOR, lambda: Coordinator(o))
        active, status = o.active_timeout_ns, o.status_interval_ns
        for name in self.participants():
            world.add_node(name, lambda: Participant(active, status))

    def client(self, world: World, process: int) -> TxnClient:
        return TxnClient(
            world,
            f"c{process}",
            timeout_ns=self.settings.timeout_ns,
            stored_procedures=True,  # the whole txn in one message: no think time between mops
            node=COORDINATOR,
        )


ENTRY = SystemEntry(
    "txn-2pc",
    "keys partitioned over participants; strict 2PL (no-wait) + two-phase commit",
    TwoPhaseCommitSystem,
    DEFAULTS,
    ("list-append", "rw-register"),
    settings=TwoPhaseOptions,
)
