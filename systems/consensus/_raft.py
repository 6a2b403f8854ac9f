"""A Raft node: elections, log replication, commitment, snapshots, membership, reads.

Theory of operation
-------------------
*Terms and elections.*  A follower that has heard nothing from a leader for its election
timeout (randomized in ``election_ns``, measured on the node's own clock) becomes a
candidate for the next term: it persists ``[term, voted_for=self]`` and asks every member
for a vote.  A node grants one vote per term (persisted before it replies), and only to a
candidate whose log is at least as up to date as its own (last term, then last index).
A majority of the current configuration makes a leader, which appends a ``noop`` so that
an entry of its own term commits.  Any message with a higher term turns the receiver into
a follower of that term.

*Replication and commitment.*  Every ``heartbeat_ns`` (and at once on a request) the leader
sends each member the entries after its ``next`` index, with the index and term that
precede them.  A follower whose log disagrees at that point refuses (with its last index as
a hint) and the leader backs up; otherwise it replaces any conflicting suffix, appends,
fsyncs, and only then acknowledges.  The leader commits the highest index of *its own term*
stored on a majority (Raft's figure 8 rule) and applies committed entries in order; the
reply to a client goes out when its entry applies.

*Reads.*  ``reads="log"``: a read is a log entry like a write.  ``reads="read-index"``
(default): the leader notes its commit index, sends a heartbeat round, and answers once a
majority acknowledged that round (so it was still the leader after the read arrived) and it
has applied up to the noted index.  ``reads="lease-unsafe"`` (named unsafe): a leader
whose last majority-acknowledged heartbeat was *sent* less than ``lease_ns`` ago by its own
clock answers at once from local state.  That is only sound if clocks are accurate: the
followers' election timeouts run on *their* clocks and the lease on the leader's, so a
clock that jumps (a strobe, an NTP step) while the leader is cut off lets a new leader be
elected and commit writes while the old one still trusts its lease: stale reads.  (A pause
alone does not break it here: the lease is checked when the held request is finally
processed, and check and read are one step of the state machine.)

*Snapshots.*  With ``snapshot_every = n > 0``, once ``n`` entries are applied beyond the
last snapshot, the state machine is written as a snapshot and the log forgets its prefix
(``systems.consensus._log``).  A follower whose ``next`` index is compacted away gets the
snapshot (``install``) instead of entries.

*Membership.*  Single-server changes: a ``reconfigure`` request (``add`` or ``remove`` one
node) appends ``["config", members]``, which takes effect as soon as it is in a log.  A
leader accepts one only when its previous configuration entry is committed and it has
committed an entry of its term.  A leader that commits a configuration without itself
steps down; nodes outside the configuration never campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from systems.consensus._log import META, RaftLog, Snapshot
from systems.consensus._machine import StateMachine, error, ok
from systems.sim import MS, Message, Runtime, load_json, save_json

READS = ("read-index", "log", "lease-unsafe")


@dataclass(frozen=True)
class RaftConfig:
    #: the initial voting members (later changed by ``config`` entries)
    members: tuple[str, ...]
    reads: str = "read-index"
    election_ns: tuple[int, int] = (300 * MS, 600 * MS)
    heartbeat_ns: int = 50 * MS
    lease_ns: int = 300 * MS
    snapshot_every: int = 0
    batch: int = 64
    lock_ttl_ns: int = 200 * MS
    #: every node, spares included (membership churn picks from these)
    cluster: tuple[str, ...] = ()
    #: with ``churn_ns > 0`` the leader changes the membership that often, one server at a
    #: time: it adds a spare, then removes a random other member, and so on
    churn_ns: int = 0


class RaftNode:
    def __init__(self, cfg: RaftConfig) -> None:
        self.cfg = cfg
        self.term = 0
        self.voted_for: str | None = None
        self.log = RaftLog()
        self.sm = StateMachine()
        self.commit = self.applied = 0
        self.members: list[str] = list(cfg.members)
        self.role = "follower"
        self.leader: str | None = None
        self.heard_at = 0
        self.timeout = 0
        self.votes: set[str] = set()
        # leader state
        self.next: dict[str, int] = {}
        self.match: dict[str, int] = {}
        self.pending: dict[int, tuple[Message, int]] = {}
        self.round = 0
        self.acked: dict[str, int] = {}
        self.sent_at: dict[int, int] = {}
        self.lease_until = 0
        self.reads: list[tuple[Message, int, int]] = []  # (request, read index, round)
        self.leader_ticks = 0

    # -- lifecycle ----------------------------------------------------------------------
    def on_start(self, rt: Runtime) -> None:
        self.term, self.voted_for = load_json(rt.disk, META, [0, None])
        self.log.recover(rt.disk)
        self.sm = StateMachine.load(self.log.snap.state)
        self.commit = self.applied = self.log.base
        self.members = self.log.members(list(self.cfg.members))
        self._reset_timeout(rt)
        rt.set_timer(self.cfg.heartbeat_ns, "tick")

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        rt.set_timer(self.cfg.heartbeat_ns, "tick")
        if self.role == "leader":
            self._broadcast(rt)
            self.leader_ticks += 1
            every = self.cfg.churn_ns // self.cfg.heartbeat_ns
            if every and self.leader_ticks % every == 0:
                self._churn(rt)
        elif rt.name in self.members and rt.now() - self.heard_at >= self.timeout:
            self._campaign(rt)

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        term = body.get("term")
        if isinstance(term, int) and term > self.term:
            self._become_follower(rt, term, None)
        handler = getattr(self, "_on_" + str(body.get("type")).replace("-", "_"), None)
        if handler is None:
            rt.reply(msg, error("unsupported", True, text=f"no request {body.get('type')!r}"))
        else:
            handler(rt, msg, body)

    # -- client requests ----------------------------------------------------------------
    def _leader_or_refuse(self, rt: Runtime, msg: Message) -> bool:
        if self.role == "leader":
            return True
        rt.reply(msg, error("not-leader", True, leader=self.leader))
        return False

    def _propose(self, rt: Runtime, msg: Message, cmd: list[Any]) -> None:
        if "msg_id" in msg.body:  # a duplicated request must take effect once
            cmd = ["session", msg.src, msg.body["msg_id"], cmd]
        index = self.log.last_index() + 1
        self.log.put(rt.disk, index, [[self.term, cmd]])
        self.pending[index] = (msg, self.term)
        self._broadcast(rt)
        self._try_commit(rt)

    def _on_write(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self._leader_or_refuse(rt, msg):
            self._propose(rt, msg, ["write", body["key"], body.get("value")])

    def _on_cas(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self._leader_or_refuse(rt, msg):
            self._propose(rt, msg, ["cas", body["key"], body["value"]])

    def _on_broadcast(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self._leader_or_refuse(rt, msg):
            self._propose(rt, msg, ["broadcast", body.get("value")])

    def _on_acquire(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self._leader_or_refuse(rt, msg):
            ttl = int(body.get("ttl") or self.cfg.lock_ttl_ns)
            self._propose(rt, msg, ["acquire", body["key"], body["value"], rt.now(), ttl])

    def _on_release(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self._leader_or_refuse(rt, msg):
            self._propose(rt, msg, ["release", body["key"], body["value"]])

    def _on_fenced_write(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self._leader_or_refuse(rt, msg):
            cmd = ["fenced-write", body["key"], body.get("value"), int(body["token"])]
            self._propose(rt, msg, cmd)

    def _on_fenced_read(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self._leader_or_refuse(rt, msg):
            self._propose(rt, msg, ["fenced-read", body["key"], int(body["token"])])

    def _on_read(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if not self._leader_or_refuse(rt, msg):
            return
        if self.cfg.reads == "log":
            self._propose(rt, msg, ["read", body["key"]])
            return
        if self.cfg.reads == "lease-unsafe" and self._lease_valid(rt):
            rt.reply(msg, self.sm.local_read(body["key"], self.applied))
            return
        self.round += 1
        self.reads.append((msg, self.commit, self.round))
        self._broadcast(rt, new_round=False)
        self._serve_reads(rt)

    def _lease_valid(self, rt: Runtime) -> bool:
        term_committed = self.log.term_at(self.commit) == self.term
        return term_committed and rt.now() < self.lease_until

    def _serve_reads(self, rt: Runtime) -> None:
        if not self.reads or self.log.term_at(self.commit) != self.term:
            return  # until the noop commits, the commit index may be behind the last leader's
        confirmed = self._majority_round()
        waiting = []
        for msg, index, rnd in self.reads:
            if rnd <= confirmed and self.applied >= index:
                rt.reply(msg, self.sm.local_read(msg.body["key"], index))
            else:
                waiting.append((msg, index, rnd))
        self.reads = waiting

    def _majority_round(self) -> int:
        """The highest heartbeat round a majority of members acknowledged (self included)."""
        rounds = sorted((self.round if m == self.leader else self.acked.get(m, 0))
                        for m in self.members)  # fmt: skip
        return rounds[(len(rounds) - 1) // 2] if rounds else 0

    # -- membership ---------------------------------------------------------------------
    def _on_reconfigure(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if not self._leader_or_refuse(rt, msg):
            return
        index = self._change_members(rt, body.get("add"), body.get("remove"))
        if index is None:
            rt.reply(msg, error("config-busy", True))
        else:
            self.pending[index] = (msg, self.term)

    def _change_members(self, rt: Runtime, add: str | None, remove: str | None) -> int | None:
        """Append a configuration with one server added or removed; None if one is pending."""
        if self.log.term_at(self.commit) != self.term or self._config_pending():
            return None
        members = [m for m in self.members if m != remove]
        if add and add not in members:
            members.append(add)
        index = self.log.last_index() + 1
        self.log.put(rt.disk, index, [[self.term, ["config", members]]])
        self.members = members
        for m in members:
            self.next.setdefault(m, index)
        self._broadcast(rt)
        self._try_commit(rt)
        return index

    def _churn(self, rt: Runtime) -> None:
        spares = [n for n in self.cfg.cluster if n not in self.members]
        others = [m for m in self.members if m != rt.name]
        if len(self.members) > len(self.cfg.members) and others:
            self._change_members(rt, None, rt.rng.choice(others))
        elif spares:
            self._change_members(rt, rt.rng.choice(spares), None)

    def _config_pending(self) -> bool:
        return any(
            self.log.command(i)[0] == "config"
            for i in range(self.commit + 1, self.log.last_index() + 1)
        )

    def _on_members(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        rt.reply(msg, ok(self.members, leader=self.leader, role=self.role, term=self.term))

    # -- replication --------------------------------------------------------------------
    def _broadcast(self, rt: Runtime, new_round: bool = True) -> None:
        if new_round:
            self.round += 1
        self.sent_at.setdefault(self.round, rt.now())
        for peer in self.members:
            if peer != rt.name:
                self._ship(rt, peer)

    def _ship(self, rt: Runtime, peer: str) -> None:
        nxt = self.next.get(peer, self.log.last_index() + 1)
        if nxt <= self.log.base:
            snap = self.log.snap
            rt.send(peer, {"type": "install", "term": self.term, "leader": rt.name,
                           "snapshot": snap.as_json(), "round": self.round})  # fmt: skip
            return
        prev = nxt - 1
        body = {
            "type": "append",
            "term": self.term,
            "leader": rt.name,
            "prev_index": prev,
            "prev_term": self.log.term_at(prev),
            "entries": self.log.slice(nxt, self.cfg.batch),
            "commit": self.commit,
            "round": self.round,
        }
        rt.send(peer, body)

    def _accept_leader(self, rt: Runtime, body: dict[str, Any]) -> bool:
        """An append/install from a current leader: follow it.  False if it is stale."""
        if body["term"] < self.term:
            return False
        if self.role != "follower":
            self._become_follower(rt, self.term, body["leader"])
        self.leader = body["leader"]
        self.heard_at = rt.now()
        return True

    def _on_append(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if not self._accept_leader(rt, body):
            rt.send(msg.src, self._append_reply(False, self.log.last_index(), body))
            return
        prev, entries = body["prev_index"], body["entries"]
        if prev < self.log.base:  # the prefix is in our snapshot: skip what it covers
            entries = entries[self.log.base - prev :]
            prev = self.log.base
        if self.log.term_at(prev) != body["prev_term"] and prev == body["prev_index"]:
            hint = min(self.log.last_index(), prev - 1)
            rt.send(msg.src, self._append_reply(False, hint, body))
            return
        self._merge(rt, prev, entries)
        last = prev + len(entries)
        if body["commit"] > self.commit:
            self._advance(rt, min(body["commit"], last))
        rt.send(msg.src, self._append_reply(True, last, body))

    def _append_reply(self, success: bool, match: int, body: dict[str, Any]) -> dict[str, Any]:
        return {"type": "append-reply", "term": self.term, "success": success,
                "match": match, "round": body.get("round", 0)}  # fmt: skip

    def _merge(self, rt: Runtime, prev: int, entries: list[list[Any]]) -> None:
        for i, e in enumerate(entries):
            index = prev + 1 + i
            if self.log.term_at(index) != e[0]:
                if index <= self.commit:
                    raise AssertionError(f"{rt.name}: committed entry {index} conflicts")
                self.log.put(rt.disk, index, entries[i:])
                self.members = self.log.members(list(self.cfg.members))
                return

    def _on_install(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if not self._accept_leader(rt, body):
            rt.send(msg.src, self._append_reply(False, self.log.last_index(), body))
            return
        snap = Snapshot(**body["snapshot"])
        if snap.base > self.commit:
            self.log.compact(rt.disk, snap)
            self.sm = StateMachine.load(snap.state)
            self.commit = self.applied = snap.base
            self.members = self.log.members(list(self.cfg.members))
        rt.send(msg.src, self._append_reply(True, snap.base, body))

    def _on_append_reply(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self.role != "leader" or body["term"] != self.term:
            return
        peer = msg.src
        if body["success"]:
            self.acked[peer] = max(self.acked.get(peer, 0), body["round"])
            self.match[peer] = max(self.match.get(peer, 0), body["match"])
            self.next[peer] = self.match[peer] + 1
            self._renew_lease()
            self._try_commit(rt)
            self._serve_reads(rt)
            if self.next[peer] <= self.log.last_index():
                self._ship(rt, peer)
        else:
            self.next[peer] = max(1, min(self.next.get(peer, 1) - 1, body["match"] + 1))
            self._ship(rt, peer)

    def _renew_lease(self) -> None:
        confirmed = self._majority_round()
        start = self.sent_at.get(confirmed)
        if start is not None:
            self.lease_until = max(self.lease_until, start + self.cfg.lease_ns)
        for r in [r for r in self.sent_at if r < confirmed]:
            del self.sent_at[r]

    def _try_commit(self, rt: Runtime) -> None:
        for n in range(self.log.last_index(), self.commit, -1):
            if self.log.term_at(n) != self.term:
                break
            stored = sum(1 for m in self.members if self._stored(rt, m) >= n)
            if stored * 2 > len(self.members):
                self._advance(rt, n)
                break
        if rt.name not in self.members and self._config_committed():
            self._become_follower(rt, self.term, None)

    def _stored(self, rt: Runtime, member: str) -> int:
        return self.log.last_index() if member == rt.name else self.match.get(member, 0)

    def _config_committed(self) -> bool:
        return self.role == "leader" and not self._config_pending()

    def _advance(self, rt: Runtime, commit: int) -> None:
        self.commit = max(self.commit, commit)
        while self.applied < self.commit:
            self.applied += 1
            result = self.sm.apply(self.applied, self.log.command(self.applied))
            waiting = self.pending.pop(self.applied, None)
            if waiting is not None:
                msg, term = waiting
                same = self.log.term_at(self.applied) == term
                rt.reply(msg, _committed(result) if same else error("superseded", True))
        self._maybe_snapshot(rt)
        self._serve_reads(rt)

    def _maybe_snapshot(self, rt: Runtime) -> None:
        every = self.cfg.snapshot_every
        if not every or self.applied - self.log.base < every:
            return
        members = self._members_at(self.applied)
        term = self.log.term_at(self.applied) or 0
        snap = Snapshot(self.applied, term, self.sm.dump(), members)
        self.log.compact(rt.disk, snap)

    def _members_at(self, index: int) -> list[str]:
        for i in range(index, self.log.base, -1):
            cmd = self.log.command(i)
            if cmd[0] == "config":
                return list(cmd[1])
        return list(self.log.snap.members) or list(self.cfg.members)

    # -- roles and elections ------------------------------------------------------------
    def _reset_timeout(self, rt: Runtime) -> None:
        self.heard_at = rt.now()
        self.timeout = rt.rng.randint(*self.cfg.election_ns)

    def _become_follower(self, rt: Runtime, term: int, leader: str | None) -> None:
        if term != self.term:
            self.term, self.voted_for = term, None
            save_json(rt.disk, META, [self.term, self.voted_for])
        was_leader = self.role == "leader"
        self.role, self.leader = "follower", leader
        if was_leader:
            for msg, _ in self.pending.values():  # may still commit under the next leader
                rt.reply(msg, error("leadership-lost", False))
            for msg, _, _ in self.reads:  # a read that was not answered had no effect
                rt.reply(msg, error("not-leader", True, leader=None))
            self.pending, self.reads = {}, []
            self.lease_until = 0

    def _campaign(self, rt: Runtime) -> None:
        self._reset_timeout(rt)
        self.term, self.voted_for = self.term + 1, rt.name
        self.role, self.leader = "candidate", None
        save_json(rt.disk, META, [self.term, self.voted_for])
        self.votes = {rt.name}
        body = {"type": "vote", "term": self.term,
                "last_index": self.log.last_index(), "last_term": self.log.last_term()}  # fmt: skip
        for peer in self.members:
            if peer != rt.name:
                rt.send(peer, body)
        self._count_votes(rt)

    def _on_vote(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        mine = (self.log.last_term(), self.log.last_index())
        grant = (
            body["term"] == self.term
            and self.voted_for in (None, msg.src)
            and (body["last_term"], body["last_index"]) >= mine
        )
        if grant:
            self.voted_for = msg.src
            save_json(rt.disk, META, [self.term, self.voted_for])
            self._reset_timeout(rt)
        rt.send(msg.src, {"type": "vote-reply", "term": self.term, "granted": grant})

    def _on_vote_reply(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if self.role == "candidate" and body["term"] == self.term and body["granted"]:
            self.votes.add(msg.src)
            self._count_votes(rt)

    def _count_votes(self, rt: Runtime) -> None:
        if sum(1 for m in self.members if m in self.votes) * 2 > len(self.members):
            self._become_leader(rt)

    def _become_leader(self, rt: Runtime) -> None:
        self.role, self.leader = "leader", rt.name
        last = self.log.last_index()
        self.next = {p: last + 1 for p in self.members if p != rt.name}
        self.match, self.acked, self.sent_at = {}, {}, {}
        self.round, self.lease_until = 0, 0
        self.log.put(rt.disk, last + 1, [[self.term, ["noop"]]])
        self._broadcast(rt)
        self._try_commit(rt)

    def _on_local_read(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        """Diagnostics: this node's applied state, whatever its role (not linearizable)."""
        rt.reply(msg, self.sm.local_read(body["key"], self.applied))


def _committed(reply: dict[str, Any]) -> dict[str, Any]:
    """A committed entry is fsynced on a majority's logs: its ok reply promises durability."""
    return {**reply, "durable": True} if reply.get("type") == "ok" else reply
