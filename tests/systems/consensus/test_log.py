"""Raft's log on disk, snapshots and installs, and single-server membership changes."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from systems.consensus import RaftNode
from systems.consensus._log import LOG, RaftLog, Snapshot
from systems.sim import SimDisk, World

from .conftest import Call, scenario, to_leader


def _disk() -> SimDisk:
    return SimDisk(random.Random(0))


def test_a_conflicting_suffix_is_replaced_by_an_append() -> None:
    disk, log = _disk(), RaftLog()
    log.put(disk, 1, [[1, ["write", "k", 1]], [1, ["write", "k", 2]], [1, ["write", "k", 3]]])
    log.put(disk, 2, [[2, ["write", "k", 9]]])
    again = RaftLog()
    again.recover(disk)
    assert again.entries == [[1, ["write", "k", 1]], [2, ["write", "k", 9]]]
    assert again.last_index() == 2 and again.last_term() == 2


def test_a_torn_last_line_is_dropped_and_cut_off() -> None:
    disk, log = _disk(), RaftLog()
    log.put(disk, 1, [[1, ["noop"]]])
    disk.append(LOG, b'[2, 1, ["wri')  # a power cut mid-append (unsynced, then torn)
    disk.fsync(LOG)
    again = RaftLog()
    again.recover(disk)
    assert again.last_index() == 1
    again.put(disk, 2, [[1, ["write", "k", 1]]])
    lines = disk.read(LOG).decode().splitlines()
    assert [json.loads(x)[0] for x in lines] == [1, 2]


def test_compaction_keeps_the_suffix_and_survives_recovery() -> None:
    disk, log = _disk(), RaftLog()
    log.put(disk, 1, [[1, ["write", "k", i]] for i in range(10)])
    log.compact(disk, Snapshot(6, 1, {"x": 1}, ["n1"]))
    assert log.base == 6 and log.last_index() == 10 and log.term_at(6) == 1
    assert log.term_at(3) is None
    again = RaftLog()
    again.recover(disk)
    assert (again.base, again.last_index(), again.snap.state) == (6, 10, {"x": 1})
    assert again.command(7) == ["write", "k", 6]


def _node(world: World, name: str) -> RaftNode:
    proc = world.host(name).process
    assert isinstance(proc, RaftNode)
    return proc


def test_a_follower_that_fell_behind_a_snapshot_catches_up_by_install() -> None:
    async def script(world: World, call: Call) -> dict[str, Any]:
        await to_leader(world, call, {"type": "write", "key": "k", "value": 0})
        leader = next(n for n in world.nodes if _node(world, n).role == "leader")
        lagging = next(n for n in world.nodes if n != leader)
        world.host(lagging).crash()
        for i in range(1, 41):
            await to_leader(world, call, {"type": "write", "key": i % 4, "value": i})
        world.host(lagging).start()
        await to_leader(world, call, {"type": "write", "key": "k", "value": "last"})
        import trio

        await trio.sleep(0.3)
        ahead, behind = _node(world, leader), _node(world, lagging)
        return {
            "leader_base": ahead.log.base,
            "lagging_base": behind.log.base,
            "same": behind.sm.data == ahead.sm.data,
            "value": behind.sm.data.get("k"),
        }

    out = scenario("raft-snapshots", {}, script)
    assert out["leader_base"] >= 32 and out["lagging_base"] >= 32
    assert out["same"] and out["value"] == "last"


def test_single_server_changes_move_the_cluster_to_new_nodes() -> None:
    async def script(world: World, call: Call) -> dict[str, Any]:
        import trio

        await to_leader(world, call, {"type": "write", "key": "k", "value": 0})
        steps = [{"add": "n4"}, {"add": "n5"}, {"remove": "n1"}, {"remove": "n2"}]
        for i, step in enumerate(steps, 1):
            reply = await to_leader(world, call, {"type": "reconfigure", **step})
            assert reply["type"] == "ok", reply
            await to_leader(world, call, {"type": "write", "key": "k", "value": i})
        await trio.sleep(0.5)
        world.host("n1").crash()
        world.host("n2").crash()
        await to_leader(world, call, {"type": "write", "key": "k", "value": "after"})
        read = await to_leader(world, call, {"type": "read", "key": "k"})
        await trio.sleep(0.3)
        views = {n: _node(world, n).members for n in ("n3", "n4", "n5")}
        data = {n: _node(world, n).sm.data.get("k") for n in ("n3", "n4", "n5")}
        return {"read": read["value"], "views": views, "data": data}

    out = scenario("raft", {"nodes": 5, "members": 3}, script)
    assert out["read"] == "after"
    assert all(v == ["n3", "n4", "n5"] for v in out["views"].values())
    assert set(out["data"].values()) == {"after"}


def test_total_order_broadcast_delivers_one_order_everywhere() -> None:
    async def script(world: World, call: Call) -> list[list[Any]]:
        import trio

        async def sender(i: int) -> None:
            for j in range(5):
                await to_leader(world, call, {"type": "broadcast", "value": f"{i}.{j}"})

        async with trio.open_nursery() as nursery:
            for i in range(3):
                nursery.start_soon(sender, i)
            await trio.sleep(0.2)
            world.host("n2").crash()
            await trio.sleep(0.3)
            world.host("n2").start()
        await trio.sleep(1.0)
        return [_node(world, n).sm.delivered for n in world.nodes]

    orders = scenario("raft", {}, script)
    assert len(orders[0]) >= 15 and all(o == orders[0] for o in orders)
    for i in range(3):  # each sender's messages in its own order
        mine = [v for v in orders[0] if v.startswith(f"{i}.")]
        assert mine == sorted(set(mine))


def test_membership_churn_keeps_changing_the_voters_while_writes_commit() -> None:
    async def script(world: World, call: Call) -> dict[str, Any]:
        import trio

        for i in range(60):
            await to_leader(world, call, {"type": "write", "key": "k", "value": i})
            await trio.sleep(0.05)
        leader = next(n for n in world.nodes if _node(world, n).role == "leader")
        node = _node(world, leader)
        configs = [
            node.log.command(i)[1]
            for i in range(node.log.base + 1, node.log.last_index() + 1)
            if node.log.command(i)[0] == "config"
        ]
        read = await to_leader(world, call, {"type": "read", "key": "k"})
        await trio.sleep(0.3)
        return {"configs": configs, "read": read["value"], "members": node.members,
                "data": {m: _node(world, m).sm.data.get("k") for m in node.members}}  # fmt: skip

    out = scenario("raft-membership", {}, script)
    assert len(out["configs"]) >= 4
    assert len({tuple(sorted(c)) for c in out["configs"]}) >= 3, "different voter sets"
    pairs = zip(out["configs"], out["configs"][1:], strict=False)
    assert all(abs(len(a) - len(b)) == 1 for a, b in pairs), "one server at a time"
    assert out["read"] == 59 and set(out["data"].values()) == {59}


Step = tuple[str, int, int]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["put", "compact", "crash"]), st.integers(0, 30), st.integers(1, 4)
        ),
        max_size=25,
    )
)
def test_recovery_gives_back_the_log_that_was_synced(steps: list[Step]) -> None:
    """Whatever puts (with conflicting suffixes), compactions and crashes happen, a
    recovered log equals the in-memory log at the last crash-free moment."""
    disk, log = _disk(), RaftLog()
    for op, at, n in steps:
        if op == "put":
            index = max(log.base + 1, min(at, log.last_index() + 1))
            log.put(disk, index, [[n, ["write", "k", index]]] * n)
        elif op == "compact" and log.base < at <= log.last_index():
            log.compact(disk, Snapshot(at, log.term_at(at) or 0, {"at": at}, ["n1"]))
        else:
            disk.crash(torn=True)
        again = RaftLog()
        again.recover(disk)
        assert (again.base, again.entries) == (log.base, log.entries)


def test_one_membership_change_at_a_time() -> None:
    """Guards ``_change_members``/``_on_reconfigure``: while a configuration entry is not yet
    committed, a second change is refused with a retryable ``config-busy`` (two overlapping
    single-server changes could produce two disjoint majorities), and the first still
    completes."""

    async def script(world: World, call: Call) -> list[Any]:
        import trio

        await to_leader(world, call, {"type": "write", "key": "k", "value": 0})
        leader = next(n for n in world.nodes if _node(world, n).role == "leader")
        async with trio.open_nursery() as nursery:
            replies: list[Any] = []

            async def ask(step: dict[str, str]) -> None:
                replies.append(await call(leader, {"type": "reconfigure", **step}))

            nursery.start_soon(ask, {"add": "n4"})
            await trio.sleep(0)
            nursery.start_soon(ask, {"add": "n5"})
        return sorted((r["type"], r.get("code"), r.get("definite")) for r in replies)

    replies = scenario("raft", {"nodes": 5, "members": 3}, script)
    assert replies == [("error", "config-busy", True), ("ok", None, None)]


def test_a_compaction_ignores_a_temporary_file_left_by_a_crash() -> None:
    """Guards ``RaftLog.compact`` deleting ``log.tmp`` before writing it: a crash during an
    earlier compaction can leave a longer temporary file; overwriting it in place would glue
    that file's stale tail onto the new log, and recovery would replay entries that are
    gone."""
    disk, log = _disk(), RaftLog()
    log.put(disk, 1, [[1, ["write", "k", i]] for i in range(1, 11)])
    stale = "".join(json.dumps([i, 7, ["write", "k", -i]]) + "\n" for i in range(1, 40))
    disk.write(LOG + ".tmp", 0, stale.encode())
    disk.fsync(LOG + ".tmp")
    log.compact(disk, Snapshot(base=8, base_term=1, state=None, members=[]))
    again = RaftLog()
    again.recover(disk)
    assert again.entries == [[1, ["write", "k", 9]], [1, ["write", "k", 10]]]
    assert again.last_index() == 10


def test_a_snapshot_records_the_configuration_in_force() -> None:
    """Guards ``RaftNode._members_at``: a snapshot taken after a membership change records
    the new members (found from the last ``config`` entry up to its index), so a node that
    installs it knows the cluster it belongs to."""

    async def script(world: World, call: Call) -> dict[str, Any]:
        await to_leader(world, call, {"type": "write", "key": "k", "value": 0})
        assert (await to_leader(world, call, {"type": "reconfigure", "add": "n4"}))["type"] == "ok"
        for i in range(8):
            await to_leader(world, call, {"type": "write", "key": "k", "value": i})
        return {n: (_node(world, n).log.base, _node(world, n).log.snap.members)
                for n in ("n1", "n2", "n3")}  # fmt: skip

    out = scenario("raft", {"nodes": 4, "members": 3, "snapshot_every": 4}, script)
    for base, members in out.values():
        assert base >= 4 and members == ["n1", "n2", "n3", "n4"], out
