"""Nemeses on the simulated world: partitions, kills, pauses, clocks; composition."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ddialab.errors import UsageError
from ddialab.runner import TestSpec
from nemesis import (
    ClockNemesis,
    ComposedNemesis,
    KillNemesis,
    PartitionNemesis,
    PauseNemesis,
    build_nemesis,
    grudge_for,
    pick_nodes,
)
from systems.sim import World, run_simulated
from systems.single import KVNode

NODES = ["n1", "n2", "n3", "n4", "n5"]


class FiveNodes:
    def node_names(self) -> list[str]:
        return NODES


def _world() -> World:
    world = World(1)
    for n in NODES:
        world.add_node(n, KVNode)
    world.start_all()
    return world


def test_halves_cut_the_cluster_in_two() -> None:
    g = grudge_for("halves", NODES, random.Random(1))
    assert g["n1"] == {"n3", "n4", "n5"}
    assert g["n5"] == {"n1", "n2"}


def test_majorities_ring_gives_every_node_a_distinct_majority() -> None:
    g = grudge_for("majorities-ring", NODES, random.Random(2))
    visible = {n: frozenset(set(NODES) - g[n]) for n in NODES}
    assert all(len(v) == 3 and n in v for n, v in visible.items())
    assert len(set(visible.values())) == 5


def test_bridge_node_sees_both_sides() -> None:
    g = grudge_for("bridge", NODES, random.Random(3))
    bridges = [n for n in NODES if n not in g]
    assert len(bridges) == 1
    assert all(bridges[0] not in cut for cut in g.values())


@pytest.mark.parametrize(
    ("spec", "count"), [("one", 1), ("minority", 2), ("majority", 3), ("all", 5)]
)
def test_target_specs_pick_the_right_number(spec: str, count: int) -> None:
    assert len(pick_nodes(None, FiveNodes(), random.Random(1), spec)) == count


def test_kill_and_start() -> None:
    world, system = _world(), FiveNodes()
    nem = KillNemesis()
    nem.setup(world, system)
    killed = nem.invoke(world, system, {"f": "kill", "value": "majority"})["value"]
    assert len(killed) == 3
    assert all(world.host(n).state == "down" for n in killed)
    assert nem.invoke(world, system, {"f": "start"})["value"] == sorted(killed)
    assert all(h.state == "up" for h in world.nodes.values())


def test_pause_resume_and_teardown() -> None:
    world, system = _world(), FiveNodes()
    nem = PauseNemesis()
    nem.setup(world, system)
    paused = nem.invoke(world, system, {"f": "pause", "value": ["n2"]})["value"]
    assert paused == ["n2"]
    assert world.host("n2").state == "paused"
    nem.teardown(world, system)
    assert world.host("n2").state == "up"


def test_partition_isolate_and_heal() -> None:
    world, system = _world(), FiveNodes()
    nem = PartitionNemesis()
    nem.setup(world, system)
    out = nem.invoke(world, system, {"f": "start-partition", "value": "isolate"})["value"]
    victim = out["isolated"][0]
    assert world.network.blocked("c9", victim)  # even clients that attach later
    nem.invoke(world, system, {"f": "stop-partition"})
    assert not world.network.blocked("c9", victim)


def test_clock_bump_strobe_and_reset() -> None:
    async def main() -> list[int]:
        world, system = _world(), FiveNodes()
        nem = ClockNemesis()
        nem.setup(world, system)
        nem.invoke(world, system, {"f": "bump-clock", "value": {"n1": 5_000}})
        strobe = {"nodes": ["n2"], "delta": 7, "period": 10, "duration": 100}
        nem.invoke(world, system, {"f": "strobe-clock", "value": strobe})
        skews = [world.host("n1").clock.skew_ns(), world.host("n2").clock.skew_ns()]
        nem.invoke(world, system, {"f": "reset-clock"})
        return [*skews, world.host("n1").clock.skew_ns(), world.host("n2").clock.skew_ns()]

    assert run_simulated(main, seed=1) == [5_000, 7, 0, 0]


def test_composed_nemesis_routes_by_f_and_rejects_overlap() -> None:
    world, system = _world(), FiveNodes()
    both = ComposedNemesis([KillNemesis(), PauseNemesis()])
    both.setup(world, system)
    assert both.invoke(world, system, {"f": "kill", "value": ["n1"]})["value"] == ["n1"]
    assert "no nemesis" in both.invoke(world, system, {"f": "frob"})["error"]
    with pytest.raises(UsageError, match="both handle"):
        ComposedNemesis([KillNemesis(), KillNemesis()])


def test_build_nemesis_composes_packages_with_final_heals() -> None:
    package = build_nemesis(["partition", "kill"], TestSpec())
    assert package.name == "partition+kill"
    assert {op["f"] for op in package.final_ops} == {"stop-partition", "start"}
    with pytest.raises(UsageError, match="unknown nemesis"):
        build_nemesis(["nope"], TestSpec())


def _fs(history: Any) -> list[tuple[int, str]]:
    return [(op.time, op.f) for op in history.nemesis_ops() if op.type == "invoke"]


def test_composed_schedules_interleave_without_colliding() -> None:
    from ddialab.runner import simulate

    h = simulate(TestSpec(nemesis=["partition", "kill"], time_limit=9, seed=1)).history
    faults = _fs(h)
    assert ("start-partition" in {f for _, f in faults}) and ("kill" in {f for _, f in faults})
    starts = [t for t, f in faults if f == "start-partition"]
    kills = [t for t, f in faults if f == "kill"]
    assert not set(starts) & set(kills)


class FiveWithLeader(FiveNodes):
    def primaries(self, world: Any) -> list[str]:
        return ["n3"]


def test_one_way_partitions_are_asymmetric() -> None:
    g = grudge_for("one-way", NODES, random.Random(4))
    [deaf] = g
    assert g[deaf] == set(NODES) - {deaf}  # it drops everyone's messages; nobody drops its
    out = grudge_for("one-way-out", NODES, random.Random(4))
    assert all(cut == {deaf} for cut in out.values()) and deaf not in out


def test_isolate_primary_targets_the_leader() -> None:
    world, system = _world(), FiveWithLeader()
    nem = PartitionNemesis()
    nem.setup(world, system)
    out = nem.invoke(world, system, {"f": "start-partition", "value": "isolate-primary"})
    assert out["value"] == {"kind": "isolate-primary", "isolated": ["n3"]}
    assert len(pick_nodes(world, system, random.Random(1), "primaries")) == 1


def test_fault_completions_replay_as_explicit_values() -> None:
    world, system = _world(), FiveNodes()
    nem = PartitionNemesis()
    nem.setup(world, system)
    first = nem.invoke(world, system, {"f": "start-partition", "value": "majorities-ring"})
    grudge = dict(world.network.grudge)
    nem.invoke(world, system, {"f": "stop-partition"})
    again = nem.invoke(world, system, {"f": "start-partition", "value": first["value"]})
    assert again["value"] == first["value"] and world.network.grudge == grudge


def test_torn_kill_and_set_clock() -> None:
    async def main() -> tuple[Any, int]:
        world, system = _world(), FiveNodes()
        kill, clock = KillNemesis(), ClockNemesis()
        kill.setup(world, system)
        clock.setup(world, system)
        out = kill.invoke(world, system, {"f": "kill", "value": {"nodes": ["n1"], "torn": True}})
        clock.invoke(world, system, {"f": "set-clock", "value": {"n2": 9}})
        clock.invoke(world, system, {"f": "set-clock", "value": {"n2": 4}})
        return out["value"], world.host("n2").clock.skew_ns()

    assert run_simulated(main, seed=1) == ({"nodes": ["n1"], "torn": True}, 4)


def test_compose_shares_one_nemesis_per_class() -> None:
    package = build_nemesis(["kill", "kill-primary", "mix"], TestSpec())
    assert isinstance(package.nemesis, ComposedNemesis)
    kinds = [type(n).__name__ for n in package.nemesis.nemeses]
    assert len(kinds) == len(set(kinds))
    assert len({op["f"] for op in package.final_ops}) == len(package.final_ops)


def test_bitflip_takes_a_file_name_and_only_it_takes_an_argument() -> None:
    package = build_nemesis(["bitflip:wal"], TestSpec())
    assert package.generator.ops == ({"f": "flip-bit", "value": {"file": "wal"}},)
    with pytest.raises(UsageError, match="unknown nemesis"):
        build_nemesis(["kill:n1"], TestSpec())


def test_random_clock_faults_pick_a_minority_and_record_what_they_did() -> None:
    """Guards ``ClockNemesis``'s random strobe and bump: they pick a minority of the nodes
    (``pick_nodes(..., "minority")``) and the completion records every parameter (nodes,
    delta, period, duration; the per-node deltas), so the fault replays exactly."""

    async def main() -> list[Any]:
        world, system = _world(), FiveNodes()
        nem = ClockNemesis()
        nem.setup(world, system)
        strobe = nem.invoke(world, system, {"f": "strobe-clock"})
        bump = nem.invoke(world, system, {"f": "bump-clock"})
        return [strobe, bump]

    strobe, bump = run_simulated(main, seed=1)
    assert strobe["type"] == "info" and set(strobe["value"]) == {"nodes", "delta", "period",
                                                                 "duration"}  # fmt: skip
    assert 1 <= len(strobe["value"]["nodes"]) <= 2 and set(strobe["value"]["nodes"]) <= set(NODES)
    assert (strobe["value"]["period"], strobe["value"]["duration"]) == (10_000_000, 10**9)
    assert 1 <= len(bump["value"]) <= 2 and set(bump["value"]) <= set(NODES)
    assert all(abs(d) <= 2_000_000_000 for d in bump["value"].values())
