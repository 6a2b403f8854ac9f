"""Every named package builds, and every op it schedules is handled by its nemesis."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from ddialab.runner import TestSpec, simulate
from nemesis import NEMESES, Alternate, build_nemesis
from systems import get_system
from systems.sim import World, run_simulated


@pytest.mark.parametrize("name", sorted(NEMESES))
def test_package_ops_are_handled_and_healed(name: str) -> None:
    async def main() -> list[Any]:
        world = World(3)
        system = get_system("leader-follower").build()
        system.setup(world)
        world.start_all()
        package = build_nemesis([name], TestSpec())
        assert isinstance(package.generator, Alternate)
        package.nemesis.setup(world, system)
        ops = [*package.generator.ops, *package.generator.ops, *package.final_ops]
        out = [package.nemesis.invoke(world, system, dict(op)) for op in ops]
        package.nemesis.teardown(world, system)
        assert all(h.state == "up" for h in world.nodes.values())
        return out

    outs = run_simulated(main, seed=1)
    assert all(o["type"] == "info" for o in outs)
    assert not [o for o in outs if "no nemesis" in str(o.get("error"))]


def test_mix_interleaves_several_fault_kinds() -> None:
    spec = TestSpec(system="leader-follower", nemesis=["mix"], time_limit=10, seed=2)
    spec.nemesis_interval = 0.5
    h = simulate(spec).history
    fs = {op.f for op in h.nemesis_ops() if op.type == "invoke"}
    assert {"start-partition", "kill", "pause", "bump-clock", "degrade-network"} <= fs
    assert {"stop-partition", "start", "resume", "reset-clock", "heal-network"} <= fs


def test_primary_targets_follow_the_systems_roles() -> None:
    async def main() -> tuple[list[str], Any]:
        world = World(4)
        system: Any = get_system("leader-follower").build()
        system.setup(world)
        world.start_all()
        async with world.running():
            await trio.sleep(2)  # simulated: time for an election
            leaders = system.primaries(world)
            package = build_nemesis(["partition-primary", "kill-primary"], TestSpec())
            package.nemesis.setup(world, system)
            iso = package.nemesis.invoke(
                world, system, {"f": "start-partition", "value": "isolate-primary"}
            )
            killed = package.nemesis.invoke(world, system, {"f": "kill", "value": "primaries"})
        return leaders, (iso["value"]["isolated"], killed["value"])

    leaders, (isolated, killed) = run_simulated(main, seed=1)
    assert leaders and isolated == sorted(leaders) == killed
