"""Raft's figure 8, scripted on the simulated network: no commitment by counting old replicas.

The Raft paper (Ongaro & Ousterhout, figure 8): S1 leads term 2 and gets entry 2 onto S2
only; S5 leads term 3 with its own entry 2 and crashes before replicating it; S1 comes back,
leads term 4 and copies its term-2 entry onto S3, so it sits on a majority.  Were S1 to
commit it *by counting replicas*, S5 could still be elected (its last term, 3, beats 2) and
overwrite a committed entry.  Raft's rule: a leader counts replicas only for entries of its
own term; older ones commit indirectly, with the first entry of its term.

Steps (a)-(b) are laid down as the nodes' durable state (log and ``[term, vote]`` on their
simulated disks), so the scenario does not depend on who wins which random election; step
(c) then runs on the simulated network with S5 down and ``batch=1``, so a lagging follower
receives entry 2 in one append and the leader's own noop (entry 3) in the next, which opens
the window in which entry 2 is on a majority and entry 3 is not.
"""

from __future__ import annotations

import contextlib
from typing import Any

import trio

from systems.consensus import RaftConfig, RaftNode
from systems.consensus._log import META, RaftLog, save_json
from systems.sim import MS, Message, RequestTimeout, Runtime, World, run_simulated

NODES = ("n1", "n2", "n3", "n4", "n5")
OLD = [1, ["noop"]]
TERM2 = [2, ["write", "k", "a"]]  # S1's entry of term 2, on S1 and S2
TERM3 = [3, ["write", "k", "b"]]  # S5's entry of term 3, on S5 only
#: (a)-(b) of figure 8: each node's log and [term, voted_for]
DURABLE: dict[str, tuple[list[list[Any]], list[Any]]] = {
    "n1": ([OLD, TERM2], [2, "n1"]),
    "n2": ([OLD, TERM2], [2, "n1"]),
    "n3": ([OLD], [3, "n5"]),
    "n4": ([OLD], [3, "n5"]),
    "n5": ([OLD, TERM3], [3, "n5"]),
}


Commit = tuple[str, int, int, int | None, int]  # node, its term, commit, entry term, holders


class RecordingRaftNode(RaftNode):
    """A Raft node that notes every commit index it reaches while it leads: with its term,
    that entry's term, and how many nodes' logs hold that entry right then (observation
    only: through the node protocol, reading the other nodes' logs from the world)."""

    def __init__(self, cfg: RaftConfig, commits: list[Commit], world: World) -> None:
        super().__init__(cfg)
        self.commits, self.world = commits, world

    def on_message(self, rt: Runtime, msg: Message) -> None:
        before = self.commit
        super().on_message(rt, msg)
        if self.role == "leader" and self.commit != before:
            entry_term = self.log.term_at(self.commit)
            self.commits.append((rt.name, self.term, self.commit, entry_term, self._holders()))

    def _holders(self) -> int:
        procs = [h.process for h in self.world.nodes.values()]
        return sum(1 for p in procs if isinstance(p, RaftNode)
                   and p.log.term_at(self.commit) == self.log.term_at(self.commit))  # fmt: skip


def _lay_down(world: World, name: str) -> None:
    entries, meta = DURABLE[name]
    RaftLog().put(world.host(name).disk, 1, entries)
    save_json(world.host(name).disk, META, meta)


def _figure8(seed: int) -> dict[str, Any]:
    """Run step (c) and then (d): S1's successor term commits; S5 returns and campaigns."""
    commits: list[Commit] = []
    cfg = RaftConfig(members=NODES, batch=1)

    async def main() -> dict[str, Any]:
        world = World(seed)
        for n in NODES:
            world.add_node(n, lambda: RecordingRaftNode(cfg, commits, world))
            _lay_down(world, n)
        for n in NODES[:4]:  # S5 is down during (c)
            world.host(n).start()
        async with world.running():
            await trio.sleep(3.0)
            leader = _leader(world)
            world.host(leader).crash()  # (d): the leader fails, S5 returns
            world.host("n5").start()
            await trio.sleep(3.0)
            reply = await _read(world)
        return {"leader_c": leader, "leader_d": _leader(world), "read": reply,
                "commits": commits}  # fmt: skip

    result: dict[str, Any] = run_simulated(main, seed=seed)
    return result


def _leader(world: World) -> str:
    leaders = [n for n, h in world.nodes.items()
               if isinstance(h.process, RaftNode) and h.process.role == "leader"]  # fmt: skip
    assert len(leaders) == 1, leaders
    return leaders[0]


async def _read(world: World) -> dict[str, Any] | None:
    client = world.client("tester")
    try:
        return await client.request(_leader(world), {"type": "read", "key": "k"}, 500 * MS)
    except RequestTimeout:
        return None


def test_a_leader_commits_an_older_terms_entry_only_through_one_of_its_own() -> None:
    """Guards the figure-8 rule in ``RaftNode._try_commit`` (``if self.log.term_at(n) !=
    self.term: break``): deleting it lets the term-4 leader commit entry 2 (term 2) as
    soon as a lagging follower acknowledges it, while its own noop (entry 3) is on a
    minority, which this test records and refuses.  Seeds vary who leads and when."""
    for seed in range(4):
        out = _figure8(seed)
        assert out["leader_c"] in ("n1", "n2"), "only S1/S2 hold the most up-to-date log"
        leading = [c for c in out["commits"] if c[0] == out["leader_c"]]
        assert leading, "the leader of (c) committed something"
        old_term_commits = [c for c in out["commits"] if c[3] != c[1]]
        assert old_term_commits == [], old_term_commits
        assert all(c[4] * 2 > len(NODES) for c in out["commits"]), out["commits"]
        # (d): entry 2 committed with the term-4 noop, so S5 (last term 3) cannot lead and
        # the write of term 2 survives the leader's crash
        assert out["leader_d"] != "n5"
        assert out["read"] is not None and out["read"]["value"] == "a", out["read"]


def _fresh_cluster(seed: int) -> list[Commit]:
    """Three fresh nodes; a client writes through whoever leads while a follower crashes."""
    commits: list[Commit] = []
    cfg = RaftConfig(members=NODES[:3])

    async def main() -> None:
        world = World(seed)
        for n in NODES[:3]:
            world.add_node(n, lambda: RecordingRaftNode(cfg, commits, world))
        world.start_all()
        async with world.running():
            await trio.sleep(1.0)
            client = world.client("tester")
            for i in range(6):
                if i == 3:
                    world.host(next(n for n in NODES[:3] if n != _leader(world))).crash()
                with contextlib.suppress(RequestTimeout):
                    await client.request(_leader(world), {"type": "write", "key": "k",
                                                          "value": i}, 300 * MS)  # fmt: skip

    run_simulated(main, seed=seed)
    return commits


def test_a_leader_commits_only_what_a_majority_of_logs_hold() -> None:
    """Guards replica counting in ``_try_commit``/``_stored``: a follower the leader has not
    heard from counts as storing nothing (``match.get(member, 0)``; a default of 1 commits
    a new leader's first entry before anyone else has it), and only acknowledged, durable
    entries count.  Every commit is checked against the nodes' actual logs."""
    for seed in range(3):
        commits = _fresh_cluster(seed)
        assert len(commits) >= 4, commits  # the noop and the writes committed
        assert all(c[4] * 2 > 3 for c in commits), commits
