"""Single-version engines on a lock manager: read uncommitted, read committed, strict 2PL.

Theory of operation
-------------------
Every engine answers the same four calls the node makes, one micro-op at a time:
``begin(t)``, ``op(t, [f, k, v]) -> Step``, ``commit(t) -> Step`` and ``abort(t)``.  A
``Step`` is ``ok`` (with the completed micro-op, or at commit the writes to make durable),
``wait`` (the op is parked on a lock; the node re-runs it when ``resumed`` lists the txn)
or ``abort`` (with a reason code: the txn is gone).

This module's engines keep one committed value per key and a private write set per txn.
Writes take an exclusive lock held to commit (no dirty writes, so never G0, at every
level here).  What differs is reading:

* ``read-uncommitted`` -- a read sees the latest write, committed or not (the write-lock
  holder's private value): dirty reads, so G1a (reading an aborted write) and G1b
  (reading an intermediate write) appear.
* ``read-committed`` -- a read sees the latest committed value (or the txn's own write),
  takes no lock, and may see a different value next time: no G1, but read skew
  (G-single), lost updates and write skew (G2-item) -- PostgreSQL's default.
* ``two-phase-locking`` -- a read takes a shared lock held to commit (strict 2PL); a
  write upgrades it.  Conflicting txns wait; a wait that closes a cycle in the wait-for
  graph aborts the requester (``deadlock``).  Serializable, and strict: locks are
  released only after the commit is decided.

Because writers hold an exclusive lock, a key's committed value cannot change under a
txn that wrote it, so an append extends the committed list as it stands at commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from systems.transactions._locks import EXCLUSIVE, SHARED, LockManager

LEVELS = ("read-uncommitted", "read-committed", "two-phase-locking")


@dataclass
class Step:
    kind: str  # "ok" | "wait" | "abort"
    value: Any = None
    code: str = ""
    #: txns whose parked op can run now (a lock they waited for was granted)
    resumed: list[Any] = field(default_factory=list)


def apply_mop(current: Any, f: str, v: Any) -> Any:
    """The value of a key after micro-op ``[f, k, v]`` (a new object: never in place)."""
    if f == "w":
        return v
    if f == "append":
        return [*(current or []), v]
    raise ValueError(f"unknown micro-op {f!r}")


class LockingEngine:
    def __init__(self, level: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        self.level = level
        self.data: dict[Any, Any] = {}
        self.locks = LockManager()
        #: txn -> its private writes {key: value}
        self.txns: dict[Any, dict[Any, Any]] = {}

    def begin(self, txn: Any) -> None:
        self.txns[txn] = {}

    def active(self, txn: Any) -> bool:
        return txn in self.txns

    def op(self, txn: Any, mop: list[Any]) -> Step:
        f, k, v = mop
        reads_lock = self.level == "two-phase-locking"
        if f != "r" or reads_lock:
            got = self.locks.acquire(txn, k, SHARED if f == "r" else EXCLUSIVE)
            if got == "wait":
                return Step("wait")
            if got == "deadlock":
                return self._abort(txn, "deadlock")
        mine = self.txns[txn]
        if f == "r":
            return Step("ok", [f, k, self._read(txn, k)])
        mine[k] = apply_mop(mine.get(k, self.data.get(k)), f, v)
        return Step("ok", [f, k, v])

    def _read(self, txn: Any, k: Any) -> Any:
        mine = self.txns[txn]
        if k in mine:
            return mine[k]
        if self.level == "read-uncommitted":
            for holder, mode in self.locks.holders(k).items():
                if mode == EXCLUSIVE and k in self.txns.get(holder, {}):
                    return self.txns[holder][k]  # a dirty read
        return self.data.get(k)

    def commit(self, txn: Any) -> Step:
        writes = self.txns.pop(txn)
        self.data.update(writes)
        return Step("ok", writes, resumed=self.locks.release_all(txn))

    def abort(self, txn: Any) -> Step:
        return self._abort(txn, "aborted")

    def _abort(self, txn: Any, code: str) -> Step:
        self.txns.pop(txn, None)
        return Step("abort", code=code, resumed=self.locks.release_all(txn))

    def recover(self, writes: dict[Any, Any], ts: int) -> None:
        self.data.update(writes)
