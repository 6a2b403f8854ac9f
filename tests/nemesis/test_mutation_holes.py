"""Fault nemeses: holes found by mutation testing (issue #19), each test naming its mutant.

The survivors of ``tools/mutation.py run nemesis --sample 60 --seed 1``: completion
fields a replay or a report reads (``kind``, ``value``, ``type``), a target spec or
parameter read under a wrong name, a random stream renamed or left unseeded.  See
docs/testing.md for the ones judged equivalent.
"""

from __future__ import annotations

from typing import Any

from nemesis import ClockNemesis, ComposedNemesis, KillNemesis, PartitionNemesis, PauseNemesis
from systems.sim import World, run_simulated
from systems.single import KVNode

NODES = ["n1", "n2", "n3", "n4", "n5"]


class FiveNodes:
    def node_names(self) -> list[str]:
        return NODES


def _world(seed: int = 1) -> World:
    world = World(seed)
    for n in NODES:
        world.add_node(n, KVNode)
    world.start_all()
    return world


def test_an_op_no_nemesis_handles_completes_as_info_with_its_value() -> None:
    """Guards ``ComposedNemesis.invoke``'s fallback completion: ``"type": "info"`` (mutant:
    the key renamed, leaving a completion without a type), the op's value and the error."""
    world, system = _world(), FiveNodes()
    out = ComposedNemesis([KillNemesis()]).invoke(world, system, {"f": "frob", "value": 3})
    assert out == {"type": "info", "value": 3, "error": "no nemesis for frob"}


def test_a_kill_without_a_value_uses_the_nemesis_target() -> None:
    """Guards ``KillNemesis.invoke`` passing ``self.target`` to ``_kill_args`` as the
    default spec (mutant: ``None``, which ``pick_nodes`` reads as "all")."""
    world, system = _world(), FiveNodes()
    nem = KillNemesis(target="majority")
    nem.setup(world, system)
    killed = nem.invoke(world, system, {"f": "kill"})["value"]
    assert len(killed) == 3
    assert sorted(n for n, h in world.nodes.items() if h.state == "down") == sorted(killed)


def test_isolate_cuts_off_exactly_one_node() -> None:
    """Guards the ``isolate`` kind's spec ``"one"`` (mutant: ``"XXoneXX"``, an unknown
    spec that ``pick_nodes`` reads as every node)."""
    world, system = _world(), FiveNodes()
    nem = PartitionNemesis()
    nem.setup(world, system)
    out = nem.invoke(world, system, {"f": "start-partition", "value": "isolate"})["value"]
    assert len(out["isolated"]) == 1
    others = [n for n in NODES if n not in out["isolated"]]
    assert not world.network.blocked(others[0], others[1])


def test_a_grudge_partition_completion_names_its_kind_and_replays() -> None:
    """Guards the ``kind`` key of a grudge partition's completion (mutant: ``"KIND"``): the
    recorded value must say which kind was cut, as the isolate completion does."""
    world, system = _world(), FiveNodes()
    nem = PartitionNemesis()
    nem.setup(world, system)
    out = nem.invoke(world, system, {"f": "start-partition", "value": "halves"})
    assert out["type"] == "info"
    assert out["value"]["kind"] == "halves"
    assert out["value"]["grudge"]["n1"] == ["n3", "n4", "n5"]


def test_an_explicit_strobe_keeps_every_parameter_it_was_given() -> None:
    """Guards ``ClockNemesis._strobe`` reading ``duration`` from the op's value (mutant:
    ``v.get(None, 1_000_000_000)``, the default whatever was asked): the completion, which
    replays the fault, must be the strobe performed."""

    async def main() -> dict[str, Any]:
        world, system = _world(), FiveNodes()
        nem = ClockNemesis()
        nem.setup(world, system)
        spec = {"nodes": ["n2"], "delta": 7, "period": 10, "duration": 100}
        return nem.invoke(world, system, {"f": "strobe-clock", "value": spec})

    out = run_simulated(main, seed=1)
    assert out == {
        "type": "info",
        "value": {"nodes": ["n2"], "delta": 7, "period": 10, "duration": 100},
    }


def test_drift_clock_sets_the_rates_and_records_them() -> None:
    """Guards ``drift-clock``'s completion ``value`` (mutant: the key renamed ``VALUE``, so a
    replay would draw new random rates) and the drift actually applied."""

    async def main() -> tuple[dict[str, Any], float]:
        world, system = _world(), FiveNodes()
        nem = ClockNemesis()
        nem.setup(world, system)
        out = nem.invoke(world, system, {"f": "drift-clock", "value": {"n4": 0.5}})
        return out, world.host("n4").clock.drift

    out, drift = run_simulated(main, seed=1)
    assert out == {"type": "info", "value": {"n4": 0.5}}
    assert drift == 0.5


def _draws(world: World, purpose: str) -> list[float]:
    rng = world.rng_for(purpose)
    return [rng.random() for _ in range(3)]


def test_each_nemesis_draws_from_its_own_named_stream() -> None:
    """Guards the stream names of the module docstring, ``world.rng_for("nemesis/<name>")``
    (mutant: ``"NEMESIS/KILL"``): a run's faults, and recorded seeds, depend on them."""
    world, system = _world(7), FiveNodes()
    for nemesis, name in [
        (KillNemesis(), "kill"),
        (PauseNemesis(), "pause"),
        (PartitionNemesis(), "partition"),
        (ClockNemesis(), "clock"),
    ]:
        nemesis.setup(world, system)
        assert [nemesis.rng.random() for _ in range(3)] == _draws(world, f"nemesis/{name}")


def _victims(make: Any, f: str, heal: str) -> list[Any]:
    world, system = _world(), FiveNodes()
    nem = make()  # no setup: the nemesis's own default stream
    picks = []
    for _ in range(12):
        picks.append(nem.invoke(world, system, {"f": f})["value"])
        nem.invoke(world, system, {"f": heal})
    return picks


def test_a_nemesis_used_before_setup_is_still_deterministic() -> None:
    """Guards the seeded default ``random.Random(0)`` of ``KillNemesis``, ``PauseNemesis``
    and ``PartitionNemesis`` (mutants: ``Random(None)``, seeded from the OS, or ``None``):
    all randomness comes from a seed, even for a nemesis nobody set up."""
    for make, f, heal in [
        (KillNemesis, "kill", "start"),
        (PauseNemesis, "pause", "resume"),
        (PartitionNemesis, "start-partition", "stop-partition"),
    ]:
        assert _victims(make, f, heal) == _victims(make, f, heal)
