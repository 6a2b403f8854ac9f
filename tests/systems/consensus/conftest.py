"""Shared helpers for the consensus tests: specs, the linearizability verdict, scenarios."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from checkers import get_checker
from ddialab.history import History
from ddialab.runner import TestSpec
from systems import get_system
from systems.sim import MS, RequestTimeout, World, run_simulated

ALL_FAULTS = ["partition", "kill", "pause", "clock"]
REGISTER = {"model": "cas-register", "independent": True, "init": None}


def make_spec(system: str, **kw: Any) -> TestSpec:
    base: dict[str, Any] = {
        "system": system,
        "workload": "register",
        "nemesis": ALL_FAULTS,
        "time_limit": 10.0,
        "rate": 100.0,
        "nemesis_interval": 1.0,
    }
    base.update(kw)
    return TestSpec(**base)


def linearizable(history: History) -> Any:
    return get_checker("linearizable")(history, REGISTER)["valid"]


Call = Callable[..., Awaitable[dict[str, Any] | None]]


def scenario(
    system: str,
    options: dict[str, Any],
    script: Callable[[World, Call], Awaitable[Any]],
    seed: int = 0,
) -> Any:
    """Run ``script(world, call)`` on a system's nodes (no workload, no nemesis).

    ``call(node, body)`` sends one request from a test client: the reply, or ``None`` on a
    timeout.  ``trio.sleep`` inside the script is simulated time.
    """
    built = get_system(system).build(options)

    async def main() -> Any:
        world = World(seed)
        built.setup(world)
        world.start_all()
        async with world.running():
            endpoint = world.client("tester")

            async def call(node: str, body: dict[str, Any], timeout_ms: int = 300) -> Any:
                try:
                    return await endpoint.request(node, body, timeout_ms * MS)
                except RequestTimeout:
                    return None

            return await script(world, call)

    return run_simulated(main, seed=seed)


async def to_leader(world: World, call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """Send ``body`` to whichever node leads, retrying until some leader answers."""
    import trio

    nodes = list(world.nodes)
    for attempt in range(60):
        reply = await call(nodes[attempt % len(nodes)], body)
        if reply is not None and reply.get("code") not in ("not-leader", "config-busy"):
            return reply
        await trio.sleep(0.05)
    raise AssertionError(f"no leader answered {body}")
