"""Inline ops: client coroutines stepped by hand from scheduler callbacks, no trio task."""

from __future__ import annotations

import types
from collections.abc import Generator
from typing import Any

import pytest
import trio

from systems import KVClient
from systems.sim import (
    MS,
    InlineError,
    InlineOp,
    Latency,
    Message,
    NetworkConfig,
    RequestTimeout,
    Runtime,
    World,
    inline_safe,
    run_simulated,
)


class Echo:
    """Replies ``{"type": "ok", "n": n}`` to every request, unless told to stay silent."""

    def on_start(self, rt: Runtime) -> None: ...
    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None: ...

    def on_message(self, rt: Runtime, msg: Message) -> None:
        if msg.body["type"] != "silent":
            rt.reply(msg, {"type": "ok", "n": msg.body.get("n"), "at": rt.now()})


def _run_inline(
    make: Any, timeout_ns: int = 10**9, dup: float = 0.0
) -> tuple[list[Any], list[str]]:
    """Start ``make(world, log)`` as an inline op in a fresh world (constant 1 ms links);
    return what ``done`` received and the op's log."""
    results: list[Any] = []
    log: list[str] = []

    async def main() -> None:
        world = World(1, NetworkConfig(latency=Latency.constant(1 * MS), duplicate=dup))
        world.add_node("n1", Echo)
        world.start_all()
        async with world.running():
            op = InlineOp(make(world, log), results.append)
            op.start(world.scheduler, timeout_ns, lambda: "timed out")
            with trio.fail_after(10):  # simulated seconds: a lost wake-up fails, not hangs
                while not op.finished:
                    await trio.sleep(0.001)

    run_simulated(main, seed=1)
    return results, log


def test_requests_park_and_resume_in_the_scheduler_with_the_reply() -> None:
    """Guards the inline request path: two sequential requests each park and are resumed
    by their reply at the simulated time it arrives (1 ms each way), and ``done`` gets
    the coroutine's result exactly once, even with every message duplicated."""

    async def op(world: World, log: list[str]) -> list[Any]:
        c = world.client("c1")
        first = await c.request("n1", {"type": "q", "n": 1}, 50 * MS)
        second = await c.request("n1", {"type": "q", "n": 2}, 50 * MS)
        return [first["n"], first["at"], second["n"], second["at"]]

    results, _ = _run_inline(op, dup=1.0)
    assert results == [[1, 1 * MS, 2, 3 * MS]]


def test_a_request_without_reply_raises_request_timeout_at_its_deadline() -> None:
    """Guards the inline request timeout (a heap entry): no reply means RequestTimeout at
    exactly send time + timeout, not a hang and not the op's own timeout."""

    async def op(world: World, log: list[str]) -> str:
        c = world.client("c1")
        try:
            await c.request("n1", {"type": "silent"}, 20 * MS)
        except RequestTimeout:
            return f"timeout at {world.now()}"
        return "reply"

    results, _ = _run_inline(op)
    assert results == [f"timeout at {20 * MS}"]


def test_the_op_timeout_closes_the_coroutine_and_answers_once() -> None:
    """Guards ``InlineOp``'s own timeout: a op still parked at its deadline is closed (its
    ``finally`` runs, so the endpoint forgets the request) and ``done`` gets
    ``on_timeout()``; the late request timeout does not resume it a second time."""

    async def op(world: World, log: list[str]) -> str:
        c = world.client("c1")
        try:
            await c.request("n1", {"type": "silent"}, 500 * MS)
        finally:
            log.append(f"closed, waiting {len(c._waiting)}")
        return "finished"

    results, log = _run_inline(op, timeout_ns=30 * MS)
    assert results == ["timed out"]
    assert log == ["closed, waiting 0"]


@types.coroutine
def _trio_like_trap() -> Generator[Any, Any, Any]:
    return (yield "not a park")


def test_awaiting_anything_but_park_fails_loudly() -> None:
    """Guards the one rule of inline ops: a coroutine that yields something else (as a
    trio sleep or event would) is closed and ``InlineError`` names what it yielded; it is
    not silently resumed or left hanging."""
    closed: list[bool] = []

    async def op() -> None:
        try:
            await _trio_like_trap()
        finally:
            closed.append(True)

    inline = InlineOp(op(), lambda result: pytest.fail("done must not be called"))
    with pytest.raises(InlineError, match="not a park"):
        inline.step(None)
    assert closed == [True] and inline.finished


def test_inline_safety_is_declared_per_class_not_inherited() -> None:
    """Guards the promise: ``KVClient`` declares itself inline-safe; a subclass (which may
    add a trio sleep) is not trusted until it declares it too."""

    class Sleepy(KVClient):
        pass

    class Declared(KVClient):
        sim_inline = True

    world = World(1)
    assert inline_safe(KVClient(world, "a"))
    assert not inline_safe(Sleepy(world, "b"))
    assert inline_safe(Declared(world, "c"))


def test_a_finished_op_leaves_no_timeout_on_the_heap() -> None:
    """Guards the cancelled timeouts: once an inline op has its reply, neither the
    request's timeout nor the op's own timeout may remain a live heap entry (each would
    otherwise be drained later as a no-op: ~40% of a simulated run's heap entries)."""
    left: list[int] = []

    async def op(world: World, log: list[str]) -> int:
        c = world.client("c1")
        reply = await c.request("n1", {"type": "q", "n": 1}, 50 * MS)
        world.scheduler.after(0, lambda: left.append(world.scheduler.pending()))
        return int(reply["n"])

    results, _ = _run_inline(op)
    assert results == [1]
    assert left == [0]  # the op-timeout is cancelled in _finish, before this runs
