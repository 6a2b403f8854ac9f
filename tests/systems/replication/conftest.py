"""Shared helpers for the replication tests: run a spec, and judge it with every checker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from checkers import get_checker
from ddialab.history import History
from ddialab.runner import TestSpec, simulate
from systems import get_system
from systems.sim import MS, RequestTimeout, World, run_simulated

ALL_FAULTS = ["partition", "kill", "pause", "clock"]


def make_spec(system: str, **kw: Any) -> TestSpec:
    base: dict[str, Any] = {
        "system": system,
        "workload": "session",
        "nemesis": ALL_FAULTS,
        "time_limit": 8.0,
        "rate": 100.0,
        "nemesis_interval": 1.0,
    }
    base.update(kw)
    return TestSpec(**base)


def judge(history: History, linearizable: bool = False) -> dict[str, Any]:
    """Guarantee -> verdict (session guarantees, convergence, linearizable), plus anomalies."""
    out: dict[str, Any] = {}
    session = get_checker("session")(history, {})
    out.update(session["guarantees"])
    conv = get_checker("convergence")(history, {})
    out["convergence"] = conv["valid"]
    out["anomalies"] = {"session": session["anomaly_types"], "convergence": conv["anomaly_types"]}
    if linearizable:
        plain = History([op for op in history if op.f != "final-read"])
        lin = get_checker("linearizable")(
            plain, {"model": "cas-register", "independent": True, "init": None}
        )
        out["linearizable"] = lin["valid"]
    return out


def run_and_judge(spec: TestSpec, linearizable: bool = False) -> dict[str, Any]:
    return judge(simulate(spec).history, linearizable)


Call = Callable[..., Awaitable[dict[str, Any] | None]]


def scenario(
    system: str,
    options: dict[str, Any],
    script: Callable[[World, Call], Awaitable[Any]],
    seed: int = 0,
) -> Any:
    """Run ``script(world, call)`` against a system's nodes, no workload, no nemesis.

    ``call(node, body)`` sends one request from a test client and returns the reply, or
    ``None`` on a timeout; ``trio.sleep`` inside the script is simulated time.
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


class Rig:
    """What the replication tests share (importlib mode: conftest is not importable)."""

    spec = staticmethod(make_spec)
    judge = staticmethod(judge)
    verdicts = staticmethod(run_and_judge)
    scenario = staticmethod(scenario)


@pytest.fixture
def rig() -> type[Rig]:
    return Rig
