"""Single-leader replication: a replication log with LSNs, followers, failover with terms.

Theory of operation
-------------------
Every change is an entry ``[term, kind, key, value]`` in the leader's log; its position
(1-based) is its *log sequence number*.  The leader appends and fsyncs, then ships entries
to each follower (``append``: the entries after ``prev_lsn``/``prev_term``, plus the
leader's commit LSN).  A follower whose log does not match at ``prev_lsn`` refuses, and the
leader backs up until it does (followers that crashed or were cut off catch up this way);
a follower discards a conflicting suffix of its log.  Nodes serve reads from the
*committed* prefix only, applied in LSN order, so every replica's state is a prefix of one
log.

When an entry is *committed* (visible, acknowledged) is the replication mode:

* ``sync``      -- every follower has it on disk (one slow follower blocks writes);
* ``semi-sync`` -- ``sync_acks`` followers have it (with 3 nodes and 1 ack: a majority);
* ``async``     -- the leader has it; followers get it with the next shipment (every tick),
  so they lag, and a failover loses what they had not received.

Leader reads (``kind == "read"``) go through the log too, so a deposed leader that cannot
commit cannot answer them from stale state.

Failover (``failover`` option):

* ``none``     -- the first node is the leader for ever; while it is down, writes fail;
* ``safe``     -- a follower that has not heard from a leader for a few ticks becomes a
  candidate for a new *term* (epoch) and asks for votes; a node votes once per term, only
  for a candidate whose log is at least as up to date as its own (last term, then LSN), so
  the elected node is the most up-to-date of a majority.  Every message carries the term: a
  deposed leader's appends are refused and it steps down when it sees the higher term;
* ``careless`` -- (named unsafe) a follower that times out promotes itself at once: no
  votes, no check that it has the latest writes.  Two leaders can coexist (split brain) and
  a stale follower can take over, discarding acknowledged writes (DDIA chapter 5).

Terms and votes live in ``meta``, the log in ``log``, the commit LSN in ``commit``; each is
fsynced before the node acts on it, so a restarted node resumes where it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from systems.replication._common import error, key_of, ok
from systems.sim import MS, Message, Runtime, load_json, save_json

LOG, META, COMMIT = "log", "meta", "commit"
TICK_NS = 50 * MS
WRITE_KINDS = ("write", "append", "cas")


@dataclass(frozen=True)
class LeaderConfig:
    nodes: tuple[str, ...]
    replication: str = "semi-sync"
    sync_acks: int = 1
    failover: str = "safe"
    election_ticks: tuple[int, int] = (4, 8)
    batch: int = 64


class LeaderNode:
    def __init__(self, cfg: LeaderConfig) -> None:
        self.cfg = cfg
        self.term: int = 0
        self.voted_for: str | None = None
        self.log: list[list[Any]] = []
        self.commit = self.applied = 0
        self.data: dict[Any, Any] = {}
        self.versions: dict[Any, int] = {}
        self.results: dict[int, dict[str, Any]] = {}
        self.role = "follower"
        self.leader: str | None = None
        self.quiet, self.patience = 0, 0
        self.votes: set[str] = set()
        self.next: dict[str, int] = {}
        self.match: dict[str, int] = {}
        self.pending: dict[int, Message] = {}

    # -- lifecycle ----------------------------------------------------------------------
    def on_start(self, rt: Runtime) -> None:
        self.term, self.voted_for = load_json(rt.disk, META, [0, None])
        if rt.disk.exists(LOG):
            self.log = [json.loads(x) for x in rt.disk.read(LOG).decode().splitlines()]
        self._advance(rt, min(load_json(rt.disk, COMMIT, 0), len(self.log)), persist=False)
        self.patience = rt.rng.randint(*self.cfg.election_ticks)
        if self.cfg.failover == "none":
            self.leader = self.cfg.nodes[0]
            if rt.name == self.leader:
                self._become_leader(rt, max(self.term, 1))
        rt.set_timer(TICK_NS, "tick")

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        rt.set_timer(TICK_NS, "tick")
        if self.role == "leader":
            self._ship_all(rt)
            return
        self.quiet += 1
        if self.cfg.failover != "none" and self.quiet >= self.patience:
            self._time_out(rt)

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        term = body.get("term")
        if isinstance(term, int) and term > self.term:
            self._step_down(rt, term)
        handler = getattr(self, "_on_" + str(body.get("type")).replace("-", "_"), None)
        if handler is None:
            rt.reply(msg, error("unsupported", True))
        else:
            handler(rt, msg, body)

    # -- client requests ----------------------------------------------------------------
    def _on_request(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if body.get("kind") not in (*WRITE_KINDS, "read"):
            rt.reply(msg, error("unsupported", True, text=f"no op {body.get('kind')!r}"))
            return
        if self.role != "leader":
            rt.reply(msg, error("not-leader", True, leader=self.leader))
            return
        entry = [self.term, body["kind"], body["key"], body.get("value")]
        lsn = self._append_local(rt, [entry])
        self.pending[lsn] = msg
        if self.cfg.replication != "async":
            self._ship_all(rt)
        self._try_commit(rt)

    def _on_local_read(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        need = body.get("min_lsn") or 0
        if self.applied < need:
            rt.reply(msg, error("behind", True, lsn=self.applied))
            return
        key = key_of(body["key"])
        version = self.versions.get(key)
        rt.reply(msg, ok(self.data.get(key), version=version, lsn=self.applied, node=rt.name))

    # -- replication --------------------------------------------------------------------
    def _append_local(self, rt: Runtime, entries: list[list[Any]]) -> int:
        for e in entries:
            self.log.append(e)
            rt.disk.append(LOG, (json.dumps(e) + "\n").encode())
        rt.disk.fsync(LOG)
        return len(self.log)

    def _ship_all(self, rt: Runtime) -> None:
        for peer in self.cfg.nodes:
            if peer != rt.name:
                self._ship(rt, peer)

    def _ship(self, rt: Runtime, peer: str) -> None:
        nxt = self.next.get(peer, len(self.log) + 1)
        prev = nxt - 1
        body = {
            "type": "append",
            "term": self.term,
            "leader": rt.name,
            "prev_lsn": prev,
            "prev_term": self.log[prev - 1][0] if prev > 0 else 0,
            "entries": self.log[prev : prev + self.cfg.batch],
            "commit": self.commit,
        }
        rt.send(peer, body)

    def _on_append(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if body["term"] < self.term:
            rt.send(msg.src, {"type": "append-reply", "term": self.term, "success": False})
            return
        if self.role != "follower":
            self.role = "follower"
            self._fail_pending(rt)
        self.leader, self.quiet = body["leader"], 0
        prev = body["prev_lsn"]
        if prev > len(self.log) or (prev > 0 and self.log[prev - 1][0] != body["prev_term"]):
            hint = min(len(self.log), prev - 1)
            rt.send(msg.src, _reply(self.term, False, hint))
            return
        last = self._merge(rt, prev, body["entries"])
        if body["commit"] > self.commit:
            self._advance(rt, min(body["commit"], last))
        rt.send(msg.src, _reply(self.term, True, last))

    def _merge(self, rt: Runtime, prev: int, entries: list[list[Any]]) -> int:
        for i, e in enumerate(entries):
            lsn = prev + 1 + i
            if lsn <= len(self.log) and self.log[lsn - 1][0] != e[0]:
                self._truncate(rt, lsn - 1)
            if lsn > len(self.log):
                self._append_local(rt, entries[i:])
                break
        return prev + len(entries)

    def _truncate(self, rt: Runtime, size: int) -> None:
        """Drop a conflicting suffix; if applied entries go, rebuild state from the log."""
        del self.log[size:]
        rt.disk.delete(LOG)
        rt.disk.write(LOG, 0, "".join(json.dumps(e) + "\n" for e in self.log).encode())
        rt.disk.fsync(LOG)
        if self.applied > size:
            self.data, self.versions, self.applied = {}, {}, 0
            self.commit = 0
            self._advance(rt, size)

    def _on_append_reply(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self.role != "leader" or body["term"] != self.term:
            return
        peer = msg.src
        if body["success"]:
            self.match[peer] = max(self.match.get(peer, 0), body["match"])
            self.next[peer] = self.match[peer] + 1
            self._try_commit(rt)
        elif "match" in body:
            self.next[peer] = max(1, min(self.next.get(peer, 1) - 1, body["match"] + 1))
            self._ship(rt, peer)

    def _try_commit(self, rt: Runtime) -> None:
        if self.cfg.replication == "async":
            self._advance(rt, len(self.log))
            return
        peers = len(self.cfg.nodes) - 1
        need = peers if self.cfg.replication == "sync" else min(self.cfg.sync_acks, peers)
        for n in range(len(self.log), self.commit, -1):
            if self.log[n - 1][0] != self.term:
                break
            if sum(1 for m in self.match.values() if m >= n) >= need:
                self._advance(rt, n)
                break

    def _advance(self, rt: Runtime, commit: int, persist: bool = True) -> None:
        if commit <= self.commit and self.applied >= commit:
            return
        self.commit = max(self.commit, commit)
        if persist:
            save_json(rt.disk, COMMIT, self.commit)
        while self.applied < self.commit:
            self.applied += 1
            result = self._apply(self.applied, self.log[self.applied - 1])
            waiting = self.pending.pop(self.applied, None)
            if waiting is not None:
                rt.reply(waiting, result)

    def _apply(self, lsn: int, entry: list[Any]) -> dict[str, Any]:
        _, kind, key, value = entry
        key = key_of(key)
        if kind == "write":
            self.data[key], self.versions[key] = value, lsn
        elif kind == "append":
            self.data[key], self.versions[key] = [*self.data.get(key, []), value], lsn
        elif kind == "cas":
            if self.data.get(key) != value[0]:
                return error("cas-mismatch", True, lsn=lsn)
            self.data[key], self.versions[key] = value[1], lsn
        elif kind == "read":
            return ok(self.data.get(key), version=self.versions.get(key), lsn=lsn)
        return ok(None, version=lsn, lsn=lsn)

    # -- roles and elections ------------------------------------------------------------
    def _step_down(self, rt: Runtime, term: int) -> None:
        self.term, self.voted_for = term, None
        save_json(rt.disk, META, [self.term, self.voted_for])
        if self.role != "follower":
            self.role = "follower"
            self._fail_pending(rt)

    def _fail_pending(self, rt: Runtime) -> None:
        """Requests in flight may still commit under the next leader: indefinite."""
        for waiting in self.pending.values():
            rt.reply(waiting, error("deposed", False))
        self.pending.clear()

    def _time_out(self, rt: Runtime) -> None:
        self.quiet, self.patience = 0, rt.rng.randint(*self.cfg.election_ticks)
        if self.cfg.failover == "careless":
            self._become_leader(rt, self.term + 1)
            return
        self.term, self.voted_for, self.role = self.term + 1, rt.name, "candidate"
        save_json(rt.disk, META, [self.term, self.voted_for])
        self.votes = {rt.name}
        last_term = self.log[-1][0] if self.log else 0
        for peer in self.cfg.nodes:
            if peer != rt.name:
                rt.send(
                    peer,
                    {
                        "type": "vote",
                        "term": self.term,
                        "last_lsn": len(self.log),
                        "last_term": last_term,
                    },
                )

    def _on_vote(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        mine = (self.log[-1][0] if self.log else 0, len(self.log))
        grant = (
            body["term"] == self.term
            and self.voted_for in (None, msg.src)
            and (body["last_term"], body["last_lsn"]) >= mine
        )
        if grant:
            self.voted_for, self.quiet = msg.src, 0
            save_json(rt.disk, META, [self.term, self.voted_for])
        rt.send(msg.src, {"type": "vote-reply", "term": self.term, "granted": grant})

    def _on_vote_reply(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self.role != "candidate" or body["term"] != self.term or not body["granted"]:
            return
        self.votes.add(msg.src)
        if len(self.votes) * 2 > len(self.cfg.nodes):
            self._become_leader(rt, self.term)

    def _become_leader(self, rt: Runtime, term: int) -> None:
        if term != self.term:
            self.term, self.voted_for = term, rt.name
            save_json(rt.disk, META, [self.term, self.voted_for])
        self.role, self.leader = "leader", rt.name
        self.next = {p: len(self.log) + 1 for p in self.cfg.nodes if p != rt.name}
        self.match = {}
        if self.cfg.failover != "none":
            self._append_local(rt, [[self.term, "noop", None, None]])
        self._ship_all(rt)
        self._try_commit(rt)


def _reply(term: int, success: bool, match: int) -> dict[str, Any]:
    return {"type": "append-reply", "term": term, "success": success, "match": match}
