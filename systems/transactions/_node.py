"""The transactional node: interactive transactions over messages, one engine per level.

Theory of operation
-------------------
A client runs a transaction as a conversation: ``begin`` (the node answers with a txn
id), one ``op`` message per micro-op, then ``commit`` or ``abort``.  Between messages other
txns run on the node, so txns genuinely overlap and each isolation level shows the
anomalies it allows.  The node hands each step to its engine (``_engines.LockingEngine``
or ``_mvcc.MvccEngine``) and turns the engine's ``Step`` into a reply:

* ``ok``    -- reply with the completed micro-op (at commit: log the writes first);
* ``wait``  -- park the request; it is re-run when the engine reports the txn resumed
  (a lock it waited for was released by a commit or abort);
* ``abort`` -- the txn is gone; reply a *definite* error (``deadlock``, ``write-conflict``,
  ``serialization-failure``, ...), which the client completes as ``fail``.

A txn that outlives ``txn_timeout_ns`` (its client vanished) is aborted by a timer, so a
lost client cannot hold locks forever.  Commits are durable: the txn's writes are
appended to the log and fsynced before the reply; a restarted node replays the log (its
active txns are lost, and their clients' next message gets ``unknown-txn``).

``SerialNode`` is *actual serial execution* (DDIA 7, VoltDB/H-Store style): a txn arrives
whole, as a stored procedure, and one thread runs the queue one txn at a time, each
taking ``exec_ns`` of simulated time.  No concurrency, so no anomalies and no locks.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any, Protocol

from systems.sim import MS, Message, Runtime
from systems.transactions._engines import Step, apply_mop

LOG = "txnlog"


class Engine(Protocol):
    def begin(self, txn: Any) -> None: ...
    def active(self, txn: Any) -> bool: ...
    def op(self, txn: Any, mop: list[Any]) -> Step: ...
    def commit(self, txn: Any) -> Step: ...
    def abort(self, txn: Any) -> Step: ...
    def recover(self, writes: dict[Any, Any], ts: int) -> None: ...


def ok(value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"type": "ok", "value": value, **extra}


def error(code: str, definite: bool = True) -> dict[str, Any]:
    return {"type": "error", "code": code, "definite": definite}


def key_of(k: Any) -> Any:
    """JSON turns tuple keys into lists; keep keys hashable."""
    return tuple(k) if isinstance(k, list) else k


def log_commit(rt: Runtime, ts: int, writes: dict[Any, Any]) -> None:
    entry = {"ts": ts, "writes": [[k, v] for k, v in writes.items()]}
    rt.disk.append(LOG, (json.dumps(entry) + "\n").encode())
    rt.disk.fsync(LOG)


def replay(rt: Runtime) -> list[tuple[int, dict[Any, Any]]]:
    if not rt.disk.exists(LOG):
        return []
    out = []
    for line in rt.disk.read(LOG).splitlines():
        entry = json.loads(line)
        out.append((entry["ts"], {key_of(k): v for k, v in entry["writes"]}))
    return out


class TxnNode:
    def __init__(self, engine: Engine, txn_timeout_ns: int = 1000 * MS) -> None:
        self.engine = engine
        self.txn_timeout_ns = txn_timeout_ns
        self.next_id = 0
        self.commits = 0
        #: txn -> the request parked on a lock wait, with its micro-op
        self.parked: dict[Any, tuple[Message, list[Any]]] = {}
        self.prefix = ""

    def on_start(self, rt: Runtime) -> None:
        self.prefix = f"{rt.name}.{rt.incarnation}."
        for ts, writes in replay(rt):
            self.engine.recover(writes, ts)
            self.commits = ts

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        if name == "txn-timeout" and self.engine.active(payload):
            self._finish(rt, payload, self.engine.abort(payload), "txn-timeout")

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        kind = body.get("type")
        if kind == "begin":
            self._begin(rt, msg)
            return
        txn = body.get("txn")
        if kind not in ("op", "commit", "abort"):
            rt.reply(msg, error("unsupported"))
        elif not self.engine.active(txn) or txn in self.parked:
            rt.reply(msg, error("unknown-txn"))
        elif kind == "op":
            f, k, v = body["op"]
            self._run(rt, msg, txn, [f, key_of(k), v])
        elif kind == "commit":
            self._commit(rt, msg, txn)
        else:
            self._finish(rt, txn, self.engine.abort(txn), "aborted")
            rt.reply(msg, ok())

    def _begin(self, rt: Runtime, msg: Message) -> None:
        self.next_id += 1
        txn = self.prefix + str(self.next_id)
        self.engine.begin(txn)
        rt.set_timer(self.txn_timeout_ns, "txn-timeout", txn)
        rt.reply(msg, ok(txn=txn))

    def _run(self, rt: Runtime, msg: Message, txn: Any, mop: list[Any]) -> None:
        step = self.engine.op(txn, mop)
        if step.kind == "wait":
            self.parked[txn] = (msg, mop)
        elif step.kind == "ok":
            rt.reply(msg, ok(step.value))
        else:
            rt.reply(msg, error(step.code))
            self._resume(rt, step.resumed)

    def _commit(self, rt: Runtime, msg: Message, txn: Any) -> None:
        step = self.engine.commit(txn)
        if step.kind == "ok" and step.value:
            self.commits += 1
            log_commit(rt, self.commits, step.value)
        rt.reply(msg, ok() if step.kind == "ok" else error(step.code))
        self._resume(rt, step.resumed)

    def _finish(self, rt: Runtime, txn: Any, step: Step, code: str) -> None:
        """An abort not asked for by the txn's own request: fail its parked op, if any."""
        parked = self.parked.pop(txn, None)
        if parked is not None:
            rt.reply(parked[0], error(code))
        self._resume(rt, step.resumed)

    def _resume(self, rt: Runtime, txns: list[Any]) -> None:
        for txn in txns:
            parked = self.parked.pop(txn, None)
            if parked is not None:
                self._run(rt, parked[0], txn, parked[1])


class SerialNode:
    """Actual serial execution: whole txns (stored procedures), one at a time, in order."""

    def __init__(self, exec_ns: int = MS // 5) -> None:
        self.exec_ns = exec_ns
        self.data: dict[Any, Any] = {}
        self.queue: deque[Message] = deque()
        self.busy = False
        self.commits = 0

    def on_start(self, rt: Runtime) -> None:
        for ts, writes in replay(rt):
            self.data.update(writes)
            self.commits = ts

    def on_message(self, rt: Runtime, msg: Message) -> None:
        if msg.body.get("type") != "txn":
            rt.reply(msg, error("unsupported"))
            return
        self.queue.append(msg)
        if not self.busy:
            self.busy = True
            rt.set_timer(self.exec_ns, "run")

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        msg = self.queue.popleft()
        done: list[list[Any]] = []
        writes: dict[Any, Any] = {}
        for f, k, v in msg.body["ops"]:
            k = key_of(k)
            if f == "r":
                done.append([f, k, writes.get(k, self.data.get(k))])
            else:
                writes[k] = apply_mop(writes.get(k, self.data.get(k)), f, v)
                done.append([f, k, v])
        if writes:
            self.data.update(writes)
            self.commits += 1
            log_commit(rt, self.commits, writes)
        rt.reply(msg, ok(done))
        self.busy = bool(self.queue)
        if self.busy:
            rt.set_timer(self.exec_ns, "run")
