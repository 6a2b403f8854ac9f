"""The replicated state machine every Raft node applies committed commands to.

Commands (the log's vocabulary; each applied in log order on every node, so every replica
goes through the same states):

* ``["noop"]`` -- a new leader's first entry (it commits the leader's term);
* ``["config", members]`` -- a membership change (the log's concern, a no-op here);
* ``["write", key, value]``, ``["cas", key, [old, new]]``, ``["read", key]`` -- a register
  map; ``read`` entries are reads *through the log* (option ``reads="log"``);
* ``["broadcast", value]`` -- total-order broadcast: delivered values, in log order;
* ``["acquire", lock, owner, now, ttl]`` -- a lock with a lease: granted if the lock is free,
  already the owner's, or its lease (``until``, on the clock of the leader that proposed
  the command) has run out.  The *fencing token* is the log index of the granting entry,
  so every later grant has a larger token;
* ``["release", lock, owner]``;
* ``["fenced-write", key, value, token]`` -- a write the storage refuses when a larger token
  has already touched that key (DDIA figure 8-5);
* ``["fenced-read", key, token]`` -- a read that also records its token: a lock holder's
  read-modify-write is fenced as a whole, so a holder whose lease ran out cannot write back a
  value computed from a read that a newer holder's read has since superseded.

* ``["session", client, request_id, command]`` -- a client's command tagged with its
  request id: applied only if the id is above the last one applied for that client, so a
  request the network duplicated (two copies, two log entries) takes effect once, and the
  copy answers with the original's reply (Raft's client sessions).  Each client's last
  ``SESSION_WINDOW`` request ids are remembered; an id older than all of them is refused
  (indefinitely: its client gave up on it long ago).

Replies are message bodies (``{"type": "ok", ...}`` or a definite error).
"""

from __future__ import annotations

import json
from typing import Any

SESSION_WINDOW = 32


def ok(value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"type": "ok", "value": value, **extra}


def error(code: str, definite: bool, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "definite": definite, **extra}


def key_of(k: Any) -> Any:
    """JSON turns tuple keys into lists; keep keys hashable."""
    return tuple(k) if isinstance(k, list) else k


class StateMachine:
    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.versions: dict[Any, int] = {}
        self.locks: dict[str, list[Any]] = {}  # lock -> [owner, token, until]
        self.fences: dict[Any, int] = {}
        self.delivered: list[Any] = []
        self.sessions: dict[str, list[list[Any]]] = {}  # client -> [[request id, reply]]

    def apply(self, index: int, cmd: list[Any]) -> dict[str, Any]:
        handler = getattr(self, "_" + str(cmd[0]).replace("-", "_"), None)
        if handler is None:
            return ok(None, index=index)
        result: dict[str, Any] = handler(index, *cmd[1:])
        return result

    def _session(self, index: int, client: str, request: int, cmd: list[Any]) -> dict[str, Any]:
        recent = self.sessions.setdefault(client, [])
        for seen, reply in recent:
            if seen == request:
                return dict(reply)
        if len(recent) >= SESSION_WINDOW and request < min(r for r, _ in recent):
            return error("duplicate", False, index=index)
        reply = self.apply(index, cmd)
        recent.append([request, reply])
        del recent[:-SESSION_WINDOW]
        return reply

    # -- register map ---------------------------------------------------------------------
    def _write(self, index: int, key: Any, value: Any) -> dict[str, Any]:
        k = key_of(key)
        self.data[k], self.versions[k] = value, index
        return ok(None, version=index, index=index)

    def _cas(self, index: int, key: Any, value: list[Any]) -> dict[str, Any]:
        k = key_of(key)
        if self.data.get(k) != value[0]:
            return error("cas-mismatch", True, index=index)
        return self._write(index, key, value[1])

    def _read(self, index: int, key: Any) -> dict[str, Any]:
        return self.local_read(key, index)

    def local_read(self, key: Any, index: int) -> dict[str, Any]:
        k = key_of(key)
        return ok(self.data.get(k), version=self.versions.get(k), index=index)

    # -- total-order broadcast ------------------------------------------------------------
    def _broadcast(self, index: int, value: Any) -> dict[str, Any]:
        self.delivered.append(value)
        return ok(None, index=index, position=len(self.delivered))

    # -- locks and fencing ----------------------------------------------------------------
    def _acquire(self, index: int, lock: str, owner: Any, now: int, ttl: int) -> dict[str, Any]:
        held = self.locks.get(lock)
        if held is not None and held[0] != owner and now < held[2]:
            return error("lock-held", True, holder=held[0])
        token = held[1] if held is not None and held[0] == owner else index
        self.locks[lock] = [owner, token, now + ttl]
        return ok(None, token=token, index=index)

    def _release(self, index: int, lock: str, owner: Any) -> dict[str, Any]:
        held = self.locks.get(lock)
        if held is not None and held[0] == owner:
            del self.locks[lock]
            return ok(None, index=index)
        return error("not-holder", True, index=index)

    def _fenced_write(self, index: int, key: Any, value: Any, token: int) -> dict[str, Any]:
        k = key_of(key)
        if token < self.fences.get(k, 0):
            return error("stale-token", True, token=token, fence=self.fences[k])
        self.fences[k] = token
        return self._write(index, key, value)

    def _fenced_read(self, index: int, key: Any, token: int) -> dict[str, Any]:
        k = key_of(key)
        if token < self.fences.get(k, 0):
            return error("stale-token", True, token=token, fence=self.fences[k])
        self.fences[k] = token
        return self.local_read(key, index)

    # -- snapshots ------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        """A copy of the state (a snapshot must not change as the live state does)."""
        state = {
            "data": [[k, v, self.versions.get(k)] for k, v in self.data.items()],
            "locks": self.locks,
            "fences": [[k, v] for k, v in self.fences.items()],
            "delivered": self.delivered,
            "sessions": self.sessions,
        }
        copy: dict[str, Any] = json.loads(json.dumps(state))
        return copy

    @classmethod
    def load(cls, state: dict[str, Any] | None) -> StateMachine:
        sm = cls()
        if not state:
            return sm
        for k, v, version in state["data"]:
            sm.data[key_of(k)] = v
            if version is not None:
                sm.versions[key_of(k)] = version
        sm.locks = {k: list(v) for k, v in state["locks"].items()}
        sm.fences = {key_of(k): v for k, v in state["fences"]}
        sm.delivered = list(state["delivered"])
        sm.sessions = {c: [list(x) for x in v] for c, v in state.get("sessions", {}).items()}
        return sm
