"""Holes found by mutation testing (issue #19), sixth pass: each test names the surviving
mutant it kills (fresh samples of 60, seeds 51, 53 and 55).

Every mutation below was applied by hand, the test seen to fail, and the source restored.
See docs/testing.md, "systems/consensus, sixth pass (fresh samples)".
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import trio

from ddialab.vocabulary import OptionError
from systems import get_system
from systems.consensus import LockClient, LockOptions, RaftClient, RaftNode, StateMachine
from systems.consensus._log import RaftLog
from systems.sim import SimDisk, World, run_simulated
from workloads import WORKLOADS

from .conftest import Call, scenario, to_leader

CONSENSUS = ["raft", "raft-lock", "raft-membership"]


def _node(world: World, name: str) -> RaftNode:
    proc = world.host(name).process
    assert isinstance(proc, RaftNode)
    return proc


def _fields(reply: dict[str, Any] | None) -> dict[str, Any] | None:
    """A node's reply without the transport's ``in_reply_to``."""
    return None if reply is None else {k: v for k, v in reply.items() if k != "in_reply_to"}


# -- sixth pass, fresh sample --seed 51 ---------------------------------------------------


@pytest.mark.parametrize("name", ["raft-lock"])
def test_a_lock_entry_validates_its_options_before_a_run(name: str) -> None:
    """Kills ``_lock._entry`` dropping ``settings=LockOptions``: without the settings the
    entry checks nothing before a run (``check_options`` passes anything) and lists none
    of the lock's options; a misspelt ``locking`` choice is refused up front."""
    entry = get_system(name)
    with pytest.raises(OptionError, match="fenced"):
        entry.check_options({"locking": "fencd"})
    assert {"locking", "lock_ttl_ms", "pause_probability"} <= {
        o.name for o in entry.declared_options()
    }


@pytest.mark.parametrize("name", CONSENSUS)
def test_every_consensus_entry_names_workloads_that_exist(name: str) -> None:
    """Kills ``_system._entry``'s workloads ``("register",)`` -> ``("REGISTER",)``: the
    matrix pairs a system with the workloads it names; a name no workload has pairs it
    with nothing."""
    workloads = get_system(name).workloads
    assert "register" in workloads
    assert set(workloads) <= set(WORKLOADS)


class _Scripted(LockClient):
    """A lock client whose requests get scripted replies, in order."""

    def __init__(self, world: World, replies: list[dict[str, Any] | None]) -> None:
        super().__init__(world, 1, ["n1"], LockOptions(pause_probability=0))
        self.replies = replies

    async def request(self, body: dict[str, Any], retry_timeouts: bool) -> dict[str, Any] | None:
        return self.replies.pop(0) if body["type"] != "release" else {"type": "ok"}


def test_a_definitely_refused_fenced_write_fails_the_add() -> None:
    """Kills ``LockClient._add`` ``reply.get("definite")`` -> ``get("DEFINITE")``: a write
    the leader definitely refused (a stale token) did not happen, so the add fails; the
    mutant recorded it as indeterminate (``info``)."""
    refused = {"type": "error", "code": "stale-token", "definite": True}

    async def main() -> dict[str, Any]:
        client = _Scripted(World(1), [{"type": "ok", "token": 3}, {"type": "ok", "value": 0},
                                      refused])  # fmt: skip
        return await client.invoke({"f": "add", "value": 1})

    out = run_simulated(main, seed=1)
    assert out == {"type": "fail", "value": 1, "error": "stale-token"}


def test_recovering_an_intact_log_writes_nothing() -> None:
    """Kills ``RaftLog.recover`` ``if good < len(raw)`` -> ``<=``: a log with no torn tail
    is not truncated or fsynced on recovery (the mutant fsynced every restart)."""
    disk = SimDisk(random.Random(0))
    log = RaftLog()
    log.put(disk, 1, [[1, ["write", "k", 1]], [1, ["write", "k", 2]]])
    before = disk.fsyncs
    again = RaftLog()
    again.recover(disk)
    assert (again.last_index(), disk.fsyncs) == (2, before)


def test_a_leader_that_removes_itself_steps_down_once_the_change_commits() -> None:
    """Kills ``RaftNode._config_committed`` ``self.role == "leader"`` -> ``"LEADER"``: a
    leader no longer in the committed configuration becomes a follower (the mutant kept
    leading a cluster it was not a member of); the others elect a leader among
    themselves."""

    async def script(world: World, call: Call) -> Any:
        await to_leader(world, call, {"type": "write", "key": "k", "value": 1})
        old = next(n for n in world.nodes if _node(world, n).role == "leader")
        reply = await call(old, {"type": "reconfigure", "remove": old})
        await trio.sleep(1)
        roles = {n: _node(world, n).role for n in world.nodes}
        return old, reply["type"], roles

    old, replied, roles = scenario("raft", {}, script)
    assert replied == "ok"
    assert roles[old] == "follower"
    assert [n for n, r in roles.items() if r == "leader" and n != old]


def test_an_unsupported_client_op_fails() -> None:
    """Kills ``RaftClient.invoke`` ``"fail"`` -> ``"FAIL"``: an op the register client
    does not know is a definite failure in the history contract's vocabulary."""

    async def main() -> dict[str, Any]:
        client = RaftClient(World(1), 1, ["n1"])
        return await client.invoke({"f": "frob", "value": ["k", 1]})

    assert run_simulated(main, seed=1) == {"type": "fail", "value": ["k", 1],
                                           "error": "unsupported"}  # fmt: skip


def test_a_client_read_moves_on_from_a_node_that_does_not_answer() -> None:
    """Kills ``RaftClient.request`` ``continue`` -> ``break`` (after a timeout it may
    retry): the client's first guess is down, so it tries the next node and reads the
    value, where the mutant gave up with ``no-leader``."""

    async def script(world: World, call: Call) -> Any:
        await to_leader(world, call, {"type": "write", "key": "k", "value": 7})
        leader = next(n for n in world.nodes if _node(world, n).role == "leader")
        down = next(n for n in sorted(world.nodes) if n != leader)
        world.host(down).crash()
        client = RaftClient(world, 7, [down, *sorted(set(world.nodes) - {down})])
        return _fields(await client.request({"type": "read", "key": "k"}, True))

    reply = scenario("raft", {}, script)
    assert (reply["type"], reply["value"]) == ("ok", 7)


def test_members_reports_the_nodes_view_of_the_cluster() -> None:
    """Kills ``RaftNode._on_members`` dropping ``leader=`` and ``role=self.role`` ->
    ``role=None`` ("no tests" mutants: nothing asked a node for its members): each node
    answers with the members, the leader it follows, its role and term."""

    async def script(world: World, call: Call) -> Any:
        await to_leader(world, call, {"type": "write", "key": "k", "value": 1})
        leader = next(n for n in world.nodes if _node(world, n).role == "leader")
        term = _node(world, leader).term
        return leader, term, {n: _fields(await call(n, {"type": "members"})) for n in world.nodes}

    leader, term, replies = scenario("raft", {}, script)
    for n, reply in replies.items():
        assert reply == {"type": "ok", "value": ["n1", "n2", "n3"], "leader": leader,
                         "role": "leader" if n == leader else "follower", "term": term}  # fmt: skip


def test_a_stale_install_is_refused_with_the_newer_term() -> None:
    """Kills ``RaftNode._on_install`` replying ``_append_reply(True, …)`` to a stale
    leader: the refusal must say ``success: false`` (a leader of that newer term that
    took it for a success would set the node's match index from a log it never
    checked).  A snapshot install from term 0 reaches a follower of term >= 1."""

    async def script(world: World, call: Call) -> Any:
        await to_leader(world, call, {"type": "write", "key": "k", "value": 1})
        leader = next(n for n in world.nodes if _node(world, n).role == "leader")
        follower = next(n for n in sorted(world.nodes) if n != leader)
        got: list[Any] = []
        world.network.attach("spy", got.append)
        body = {"type": "install", "term": 0, "leader": "spy", "snapshot": {}, "round": 5}
        world.network.send("spy", follower, body)
        await trio.sleep(0.1)
        return _node(world, follower).term, [m.body for m in got]

    term, bodies = scenario("raft", {}, script)
    assert term >= 1
    assert bodies == [{"type": "append-reply", "term": term, "success": False,
                       "match": bodies[0]["match"], "round": 5}]  # fmt: skip


# -- sixth pass, fresh sample --seed 53 ---------------------------------------------------


def test_state_machine_replies_carry_their_codes_and_indices() -> None:
    """Kills ``StateMachine._cas`` ``"cas-mismatch"`` -> ``"XXcas-mismatchXX"``,
    ``_fenced_read`` dropping ``definite=True`` (a ``TypeError``: no test reached a stale
    fenced read) and ``_read`` ``local_read(key, index)`` -> ``(key, None)``: a failed
    cas names its cause, a stale token is refused definitely with the fence, and a read
    says at which log index it was served."""
    sm = StateMachine()
    sm.apply(1, ["write", "k", 1])
    assert sm.apply(2, ["cas", "k", [5, 6]]) == {"type": "error", "code": "cas-mismatch",
                                                  "definite": True, "index": 2}  # fmt: skip
    assert sm.apply(3, ["read", "k"]) == {"type": "ok", "value": 1, "version": 1, "index": 3}
    sm.apply(4, ["fenced-read", "k", 7])
    assert sm.apply(5, ["fenced-read", "k", 6]) == {"type": "error", "code": "stale-token",
                                                     "definite": True, "token": 6,
                                                     "fence": 7}  # fmt: skip


def test_a_new_leader_starts_its_term_with_a_noop_entry() -> None:
    """Kills ``RaftNode._become_leader`` ``["noop"]`` -> ``["NOOP"]``: the leader's first
    entry of its term is the state machine's documented ``["noop"]`` (it commits the
    term before reads are served); every node's log holds it."""

    async def script(world: World, call: Call) -> Any:
        await to_leader(world, call, {"type": "write", "key": "k", "value": 1})
        await trio.sleep(0.2)
        return [_node(world, n).log.command(1) for n in sorted(world.nodes)]

    assert scenario("raft", {}, script) == [["noop"]] * 3


def test_membership_churn_changes_once_per_period() -> None:
    """Kills ``RaftNode.on_timer`` ``leader_ticks += 1`` -> ``+= 2``: the leader counts
    heartbeats to time its membership changes; counting two a tick, it changed the
    configuration twice per ``membership_churn_ms`` (500 ms).  Over 2 s of one
    leadership: about 4 changes."""

    async def script(world: World, call: Call) -> Any:
        await to_leader(world, call, {"type": "write", "key": "k", "value": 1})
        leader = next(n for n in world.nodes if _node(world, n).role == "leader")
        node = _node(world, leader)

        def configs() -> int:
            return sum(node.log.command(i)[0] == "config"
                       for i in range(node.log.base + 1, node.log.last_index() + 1))  # fmt: skip

        before = configs()
        await trio.sleep(2.0)
        return node.role, configs() - before

    role, changes = scenario("raft-membership", {}, script)
    assert role == "leader"
    assert 3 <= changes <= 5, changes


# -- sixth pass, fresh sample --seed 55 ---------------------------------------------------


def test_a_stale_fenced_write_is_refused_naming_its_token() -> None:
    """Kills ``StateMachine._fenced_write`` dropping ``token=token`` from the
    ``stale-token`` refusal: the reply names the token refused and the fence it fell
    below."""
    sm = StateMachine()
    sm.apply(1, ["fenced-write", "k", 1, 7])
    assert sm.apply(2, ["fenced-write", "k", 2, 6]) == {"type": "error", "code": "stale-token",
                                                         "definite": True, "token": 6,
                                                         "fence": 7}  # fmt: skip


class _Sent:
    """A runtime stand-in that keeps what ``_ship`` sends."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, dst: str, body: dict[str, Any]) -> None:
        self.sent.append((dst, body))


def test_a_snapshot_install_carries_the_heartbeat_round() -> None:
    """Kills ``RaftNode._ship`` ``"round"`` -> ``"XXroundXX"`` in the install message: a
    follower acknowledges the round it was sent (``_append_reply`` reads ``round``), and
    the leader's read-index reads wait for a majority round; an install without it was
    acknowledged as round 0."""

    async def script(world: World, call: Call) -> Any:
        for v in range(10):
            await to_leader(world, call, {"type": "write", "key": "k", "value": v})
        leader = next(n for n in world.nodes if _node(world, n).role == "leader")
        node = _node(world, leader)
        peer = next(n for n in sorted(world.nodes) if n != leader)
        node.next[peer] = node.log.base  # behind the snapshot: it gets an install
        rt = _Sent(leader)
        node._ship(rt, peer)  # type: ignore[arg-type]
        return node.log.base, node.round, [(dst == peer, body) for dst, body in rt.sent]

    base, rnd, sent = scenario("raft", {"snapshot_every": 4}, script)
    assert base >= 4
    [(to_peer, body)] = sent
    assert to_peer
    assert (body["type"], body["round"]) == ("install", rnd)
