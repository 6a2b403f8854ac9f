"""Network-quality and disk nemeses."""

from __future__ import annotations

from nemesis import DiskNemesis, NetworkNemesis
from systems.sim import Latency, World
from systems.single import KVNode

NODES = ["n1", "n2", "n3"]


class ThreeNodes:
    def node_names(self) -> list[str]:
        return NODES


def _world() -> World:
    world = World(2)
    for n in NODES:
        world.add_node(n, KVNode)
    world.start_all()
    return world


def test_degrade_links_then_heal() -> None:
    world, system = _world(), ThreeNodes()
    nem = NetworkNemesis()
    nem.setup(world, system)
    out = nem.invoke(world, system, {"f": "degrade-network", "value": "loss"})["value"]
    assert out["kind"] == "loss" and out["links"]
    src, dst = out["links"][0]
    assert world.network.links[(src, dst)].loss == 0.3
    nem.invoke(world, system, {"f": "heal-network"})
    assert not world.network.links


def test_explicit_delay_and_reorder_links() -> None:
    world, system = _world(), ThreeNodes()
    nem = NetworkNemesis()
    nem.setup(world, system)
    spec = {"kind": "delay", "links": [["n1", "n2"]], "delay_ns": 100}
    assert nem.invoke(world, system, {"f": "degrade-network", "value": spec})["value"] == spec
    assert world.network.links[("n1", "n2")].latency == Latency.uniform(50, 100)
    spec = {"kind": "reorder", "links": [["n2", "n1"]], "spread_ns": 10}
    nem.invoke(world, system, {"f": "degrade-network", "value": spec})
    assert world.network.links[("n2", "n1")].latency == Latency.uniform(0, 10)
    bad = nem.invoke(world, system, {"f": "degrade-network", "value": {"kind": "x", "links": []}})
    assert "unknown kind" in bad["error"]


def test_lose_unsynced_and_torn_crash_restart_at_once() -> None:
    world, system = _world(), ThreeNodes()
    disk = world.host("n1").disk
    disk.append("log", b"durable")
    disk.fsync("log")
    disk.append("log", b"-lost")
    nem = DiskNemesis()
    nem.setup(world, system)
    assert nem.invoke(world, system, {"f": "lose-unsynced", "value": ["n1"]})["value"] == ["n1"]
    assert disk.read("log") == b"durable" and world.host("n1").state == "up"
    disk.append("log", b"-torn")
    nem.invoke(world, system, {"f": "torn-crash", "value": ["n1"]})
    assert b"-torn".startswith(disk.read("log")[len(b"durable") :])


def test_flip_bit_in_a_named_file() -> None:
    world, system = _world(), ThreeNodes()
    disk = world.host("n2").disk
    disk.append("data-1", b"\x00\x00")
    disk.fsync("data-1")
    nem = DiskNemesis()
    nem.setup(world, system)
    v = {"node": "n2", "file": "data-1", "offset": 1, "bit": 3}
    assert nem.invoke(world, system, {"f": "flip-bit", "value": v})["value"] == v
    assert disk.read("data-1") == b"\x00\x08"
    rnd = nem.invoke(world, system, {"f": "flip-bit", "value": {"node": "n2", "file": "data"}})
    assert rnd["value"]["file"] == "data-1"
    missing = nem.invoke(world, system, {"f": "flip-bit", "value": {"node": "n1"}})
    assert "no such file" in missing["error"]
