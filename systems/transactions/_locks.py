"""A lock manager: shared/exclusive locks per key, FIFO wait queues, deadlock detection.

Theory of operation
-------------------
Each key has a set of *holders* (txn -> ``"S"`` or ``"X"``) and a FIFO *queue* of waiting
requests.  A request is granted at once when it is compatible with every other holder
(``S`` with ``S`` only) and nobody is queued ahead of it -- except an *upgrade* (a holder
asking for more), which may jump the queue, since making it wait behind requests that
wait for it would be a deadlock by construction.  Otherwise it is queued.

An interactive transaction waits for at most one lock at a time, so the wait-for graph is
``txn -> the holders and earlier queued requests it conflicts with``.  Each time a request
has to wait, a depth-first search from the requester looks for a path back to it; if there
is one, the requester is the victim: its request is withdrawn and ``acquire`` answers
``"deadlock"`` (the caller aborts the txn, releasing its other locks).  Since every new
wait is checked, the graph never holds a cycle.

``release_all`` drops a txn's locks and queued request and grants, key by key, the queue's
head requests while they stay compatible; it returns the txns whose request was granted
so the caller can resume them.  Strict two-phase locking is the caller's discipline:
acquire as you go, release everything at commit or abort.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHARED = "S"
EXCLUSIVE = "X"


@dataclass
class _KeyLocks:
    holders: dict[Any, str] = field(default_factory=dict)
    queue: list[tuple[Any, str]] = field(default_factory=list)


def _covers(held: str | None, wanted: str) -> bool:
    return held in (EXCLUSIVE, wanted)


def _compatible(a: str, b: str) -> bool:
    return a == SHARED and b == SHARED


class LockManager:
    def __init__(self) -> None:
        self.keys: dict[Any, _KeyLocks] = {}
        #: txn -> the key it is queued on (at most one: transactions are interactive)
        self.waiting: dict[Any, Any] = {}
        #: txn -> keys it holds a lock on
        self.held: dict[Any, set[Any]] = {}

    # -- queries -----------------------------------------------------------------------
    def mode(self, txn: Any, key: Any) -> str | None:
        locks = self.keys.get(key)
        return locks.holders.get(txn) if locks else None

    def holders(self, key: Any) -> dict[Any, str]:
        locks = self.keys.get(key)
        return dict(locks.holders) if locks else {}

    def waits_for(self, txn: Any) -> set[Any]:
        """The txns ``txn`` waits for: conflicting holders and earlier conflicting waiters."""
        key = self.waiting.get(txn)
        if key is None:
            return set()
        locks = self.keys[key]
        wanted = next(m for t, m in locks.queue if t == txn)
        out = {t for t, m in locks.holders.items() if t != txn and not _compatible(m, wanted)}
        for t, m in locks.queue:
            if t == txn:
                break
            if not _compatible(m, wanted):
                out.add(t)
        return out

    # -- acquire / release -------------------------------------------------------------
    def acquire(self, txn: Any, key: Any, mode: str) -> str:
        """``"granted"``, ``"wait"`` (queued) or ``"deadlock"`` (not queued: abort)."""
        if txn in self.waiting:
            raise ValueError(f"txn {txn!r} is already waiting for {self.waiting[txn]!r}")
        locks = self.keys.setdefault(key, _KeyLocks())
        held = locks.holders.get(txn)
        if _covers(held, mode):
            return "granted"
        if self._grantable(locks, txn, mode, queue_ahead=held is None and bool(locks.queue)):
            self._grant(locks, txn, key, mode)
            return "granted"
        if held is None:
            locks.queue.append((txn, mode))
        else:  # an upgrade waits only for the other holders, ahead of the queue
            locks.queue.insert(0, (txn, mode))
        self.waiting[txn] = key
        if self._reaches(txn, txn):
            self._withdraw(txn)
            return "deadlock"
        return "wait"

    def try_acquire(self, txn: Any, key: Any, mode: str) -> bool:
        """Grant now or refuse (no-wait locking); never queues."""
        locks = self.keys.setdefault(key, _KeyLocks())
        if _covers(locks.holders.get(txn), mode):
            return True
        if not self._grantable(locks, txn, mode, queue_ahead=bool(locks.queue)):
            return False
        self._grant(locks, txn, key, mode)
        return True

    def release_all(self, txn: Any) -> list[Any]:
        """Drop ``txn``'s locks and queued request; return the txns granted as a result."""
        touched = set(self.held.pop(txn, set()))
        if txn in self.waiting:
            touched.add(self.waiting[txn])
            self._withdraw(txn)
        granted: list[Any] = []
        for key in sorted(touched, key=repr):
            locks = self.keys[key]
            locks.holders.pop(txn, None)
            granted.extend(self._grant_queue(locks, key))
            if not locks.holders and not locks.queue:
                del self.keys[key]
        return granted

    # -- internals ---------------------------------------------------------------------
    def _grantable(self, locks: _KeyLocks, txn: Any, mode: str, queue_ahead: bool) -> bool:
        if queue_ahead:
            return False
        return all(t == txn or _compatible(m, mode) for t, m in locks.holders.items())

    def _grant(self, locks: _KeyLocks, txn: Any, key: Any, mode: str) -> None:
        locks.holders[txn] = mode
        self.held.setdefault(txn, set()).add(key)

    def _grant_queue(self, locks: _KeyLocks, key: Any) -> list[Any]:
        granted = []
        while locks.queue:
            txn, mode = locks.queue[0]
            if not self._grantable(locks, txn, mode, queue_ahead=False):
                break
            locks.queue.pop(0)
            del self.waiting[txn]
            self._grant(locks, txn, key, mode)
            granted.append(txn)
        return granted

    def _withdraw(self, txn: Any) -> None:
        key = self.waiting.pop(txn)
        locks = self.keys[key]
        locks.queue = [(t, m) for t, m in locks.queue if t != txn]

    def _reaches(self, start: Any, target: Any) -> bool:
        seen: set[Any] = set()
        stack = list(self.waits_for(start))
        while stack:
            t = stack.pop()
            if t == target:
                return True
            if t not in seen:
                seen.add(t)
                stack.extend(self.waits_for(t))
        return False
