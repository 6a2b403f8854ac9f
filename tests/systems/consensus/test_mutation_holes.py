"""Raft and its lock service: holes found by mutation testing (issue #19).

The survivors of ``tools/mutation.py run systems/consensus --sample 60 --seed 1``, each
test naming the mutant it kills: error codes and reply fields a client acts on, a request
field read under a wrong name, and the term/vote persisted before a node acts on it.
docs/testing.md lists the survivors judged equivalent.
"""

from __future__ import annotations

from typing import Any

import trio

from systems.consensus import LockClient, LockOptions, RaftClient, RaftNode, StateMachine
from systems.sim import MS, World, run_simulated

from .conftest import Call, scenario, to_leader


def _node(world: World, name: str) -> RaftNode:
    proc = world.host(name).process
    assert isinstance(proc, RaftNode)
    return proc


def _leader(world: World) -> str:
    [leader] = [n for n in world.nodes if _node(world, n).role == "leader"]
    return leader


def _fields(reply: dict[str, Any] | None) -> dict[str, Any] | None:
    """A node's reply without the transport's ``in_reply_to``."""
    return None if reply is None else {k: v for k, v in reply.items() if k != "in_reply_to"}


def _cut_off(world: World, node: str) -> None:
    """``node`` and its peers drop each other's messages; clients still reach everyone."""
    others = set(world.nodes) - {node}
    world.network.partition({node: others, **{o: {node} for o in others}})


def test_an_unknown_request_is_refused_as_unsupported() -> None:
    """Guards ``RaftNode.on_message``'s reply to a request no handler takes: code
    ``unsupported`` (mutant: ``"UNSUPPORTED"``), a definite failure."""

    async def script(world: World, call: Call) -> Any:
        return _fields(await call("n1", {"type": "frob"}))

    reply = scenario("raft", {}, script)
    assert reply == {"type": "error", "code": "unsupported", "definite": True,
                     "text": "no request 'frob'"}  # fmt: skip


def test_a_fenced_write_to_a_follower_is_refused_with_the_leader_hint() -> None:
    """Guards ``_on_fenced_write`` refusing through its runtime (mutant:
    ``_leader_or_refuse(None, msg)``: a follower crashes instead of answering)."""

    async def script(world: World, call: Call) -> Any:
        await to_leader(world, call, {"type": "write", "key": "k", "value": 1})
        leader = _leader(world)
        follower = next(n for n in world.nodes if n != leader)
        body = {"type": "fenced-write", "key": "k", "value": 2, "token": 1}
        return leader, _fields(await call(follower, body))

    leader, reply = scenario("raft-lock", {}, script)
    assert reply == {"type": "error", "code": "not-leader", "definite": True, "leader": leader}


def test_an_acquire_with_its_own_ttl_expires_after_it() -> None:
    """Guards ``_on_acquire`` reading the request's ``ttl`` (mutant: ``body.get("XXttlXX")``,
    the 200 ms default whatever was asked): a 10 ms lease is free again 100 ms later."""

    async def script(world: World, call: Call) -> list[Any]:
        first = {"type": "acquire", "key": "L", "value": "a", "ttl": 10 * MS}
        got = await to_leader(world, call, first)
        await trio.sleep(0.1)
        again = await to_leader(world, call, {"type": "acquire", "key": "L", "value": "b"})
        return [got["type"], again["type"], again.get("token", 0) > got["token"]]

    assert scenario("raft-lock", {}, script) == ["ok", "ok", True]


def test_a_refused_acquire_names_the_holder() -> None:
    """Guards ``StateMachine._acquire``'s ``lock-held`` reply carrying ``holder`` (mutant:
    the field dropped)."""
    sm = StateMachine()
    sm.apply(5, ["acquire", "L", "a", 0, 100])
    assert sm.apply(6, ["acquire", "L", "b", 50, 100]) == {
        "type": "error", "code": "lock-held", "definite": True, "holder": "a"}  # fmt: skip


def test_a_deposed_leader_fails_its_pending_reads_definitely_and_persists_the_new_term() -> None:
    """Guards ``_become_follower``: reads a deposed leader had not answered get a definite
    ``not-leader`` (mutant: ``definite=None``, which a client records as indeterminate), and
    the new term is saved before the node acts on it (mutant: ``save_json(rt.disk, None,
    ...)``); likewise ``_on_vote`` saving the vote it grants (same mutant there).  After
    every node restarts, each remembers its term and vote."""

    async def script(world: World, call: Call) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        await to_leader(world, call, {"type": "write", "key": "k", "value": 1})
        old = _leader(world)
        _cut_off(world, old)
        replies: list[Any] = []

        async def read() -> None:
            replies.append(_fields(await call(old, {"type": "read", "key": "k"}, timeout_ms=5000)))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(read)
            await trio.sleep(2)
            world.network.heal()
        await trio.sleep(0.5)
        before = {n: (_node(world, n).term, _node(world, n).voted_for) for n in world.nodes}
        for host in world.nodes.values():
            host.crash()
        for host in world.nodes.values():
            host.start()
        after = {n: (_node(world, n).term, _node(world, n).voted_for) for n in world.nodes}
        return replies[0], before, after

    reply, before, after = scenario("raft", {}, script)
    assert reply == {"type": "error", "code": "not-leader", "definite": True, "leader": None}
    assert after == before
    assert len({term for term, _ in before.values()}) == 1, "the old leader heard the new term"
    assert sum(vote is not None for _, vote in before.values()) >= 2, "votes were cast"


class _Scripted(LockClient):
    """A lock client whose requests get scripted replies, in order (``None``: a timeout)."""

    def __init__(self, world: World, replies: list[dict[str, Any] | None]) -> None:
        super().__init__(world, 1, ["n1"], LockOptions(pause_probability=0))
        self.replies = replies
        self.sent: list[str] = []

    async def request(self, body: dict[str, Any], retry_timeouts: bool) -> dict[str, Any] | None:
        self.sent.append(body["type"])
        return self.replies.pop(0) if body["type"] != "release" else {"type": "ok"}


def _add(replies: list[dict[str, Any] | None]) -> tuple[dict[str, Any], list[str]]:
    async def main() -> tuple[dict[str, Any], list[str]]:
        client = _Scripted(World(1), replies)
        return await client.invoke({"f": "add", "value": 1}), client.sent

    result: tuple[dict[str, Any], list[str]] = run_simulated(main, seed=1)
    return result


def test_a_lock_client_retries_while_the_lock_is_held() -> None:
    """Guards ``LockClient._acquire`` retrying on ``lock-held`` (mutant: the code compared
    with ``"XXlock-heldXX"``, giving up at once with ``no-lock``)."""
    held = {"type": "error", "code": "lock-held", "definite": True, "holder": "c2"}
    out, sent = _add([held, {"type": "ok", "token": 9}, {"type": "ok", "value": 4},
                      {"type": "ok"}])  # fmt: skip
    assert out == {"type": "ok", "value": 1, "token": 9}
    assert sent == ["acquire", "acquire", "fenced-read", "fenced-write", "release"]


def test_an_unanswered_lock_client_request_is_reported_as_a_timeout() -> None:
    """Guards ``_code``'s ``"timeout"`` for a request with no reply (mutant: ``"TIMEOUT"``):
    an unanswered read fails, an unanswered write is indeterminate."""
    token = {"type": "ok", "token": 3}
    read_lost, _ = _add([token, None])
    write_lost, _ = _add([token, {"type": "ok", "value": 0}, None])
    assert read_lost == {"type": "fail", "value": 1, "error": "timeout"}
    assert write_lost == {"type": "info", "value": 1, "error": "timeout"}


def test_a_client_that_finds_no_leader_fails_definitely() -> None:
    """Guards ``RaftClient.request``'s last answer when every node says ``not-leader`` with
    no hint: ``{"type": "error", "code": "no-leader", "definite": True}`` (mutant: the
    ``code`` key renamed, so the op would fail with a generic error)."""

    async def script(world: World, call: Call) -> Any:
        world.network.partition({n: set(world.nodes) - {n} for n in world.nodes})
        client = RaftClient(world, 7, sorted(world.nodes))
        return _fields(await client.request({"type": "read", "key": "k"}, True))

    assert scenario("raft", {}, script) == {"type": "error", "code": "no-leader",
                                            "definite": True}  # fmt: skip
