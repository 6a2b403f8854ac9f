"""Partitioned KV: moves while clients run stay linearizable; the global index lags."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from checkers import get_checker
from ddialab.history import History
from ddialab.runner import TestSpec, simulate
from systems import SYSTEMS, get_system
from systems.partitioning import ENTRIES, MetaNode, PartitionClient, StorageNode
from systems.partitioning._nodes import POINTS, PartConfig, initial_map, pid_for, point_of
from systems.sim import World, run_simulated
from workloads import secondary_index

FAULTS = ["partition", "kill", "pause", "clock"]
REGISTER = {"model": "cas-register", "independent": True, "init": None}


@pytest.fixture(autouse=True)
def _index_workload(monkeypatch: pytest.MonkeyPatch) -> None:
    import workloads

    monkeypatch.setitem(workloads.WORKLOADS, "secondary-index", secondary_index.WORKLOAD)


def _run(system: str, workload: str, seed: int, nemesis: list[str], **kw: Any) -> History:
    spec = TestSpec(system=system, workload=workload, nemesis=nemesis, seed=seed,
                    time_limit=8.0, rate=50.0, nemesis_interval=1.0, **kw)  # fmt: skip
    return simulate(spec).history


#: what a linearizable, durable KV store claims (pinned literally: the lattice's session
#: guarantees below linearizable, convergence and durability)
LINEARIZABLE_KV = frozenset({"linearizable", "read-your-writes", "monotonic-reads",
                             "monotonic-writes", "writes-follow-reads", "consistent-prefix",
                             "convergence", "durability"})  # fmt: skip


CLAIMS = {
    **dict.fromkeys(["partitioned-hash", "partitioned-hash-any-node", "partitioned-range",
                     "partitioned-hash-routing-tier", "partitioned-range-dynamic",
                     "partitioned-consistent-hash"], LINEARIZABLE_KV),
    "partitioned-global-index": frozenset({"durability"}),
    "partitioned-term-index-async": frozenset(),
    "partitioned-term-index-sync": frozenset({"index-consistency"}),
    "partitioned-term-index-sync-nonatomic": frozenset(),
}  # fmt: skip


def test_entries_are_registered_with_honest_claims() -> None:
    """Guards the listed claims (each entry's default build; options:
    tests/runner/test_claims.py): every KV layout is linearizable and durable, the index
    variants claim only what their index keeps."""
    for e in ENTRIES:
        assert SYSTEMS[e.name] is e
    assert {e.name: e.claims for e in ENTRIES} == CLAIMS


def test_every_point_has_exactly_one_partition() -> None:
    for scheme in ("hash", "range"):
        cfg = PartConfig(("n1", "n2", "n3"), ("n1", "n2"), scheme=scheme, partitions=7)
        pmap = initial_map(cfg)
        for key in [0, 1, 63, 64, 500, 10**9, "idx/red", "k"]:
            assert pid_for(pmap, point_of(cfg, key)) in pmap
    cfg = PartConfig(("n1",), ("n1",), scheme="range", partitions=4)
    # key ranges keep neighbours together: sequential ids share a partition
    assert len({pid_for(initial_map(cfg), point_of(cfg, k)) for k in range(64)}) == 1


def test_partitions_move_to_a_joining_node_while_clients_write() -> None:
    system = get_system("partitioned-hash").build({"churn": False})

    async def main() -> dict[str, Any]:
        world = World(0)
        system.setup(world)
        world.start_all()
        async with world.running():
            client = system.client(world, 0)
            assert isinstance(client, PartitionClient)
            await client.open("n1")
            for i in range(150):
                out = await client.invoke({"f": "write", "value": [i % 10, i]})
                assert out["type"] == "ok", out
                await trio.sleep(0.02)
            reads = [await client.invoke({"f": "read", "value": [k, None]}) for k in range(10)]
            meta = world.host("meta").process
            assert isinstance(meta, MetaNode)
            owners = {v[2] for v in meta.map.values()}
            n4 = world.host("n4").process
            assert isinstance(n4, StorageNode)
            return {"reads": [r["value"] for r in reads], "owners": owners,
                    "version": meta.version, "redirects": client.redirects,
                    "n4": sorted(n4.parts)}  # fmt: skip

    out = run_simulated(main, seed=0)
    assert out["reads"] == [[k, 140 + k] for k in range(10)]
    assert "n4" in out["owners"] and out["n4"], "the joining node took partitions"
    assert out["version"] > 3


SAFE = [
    ("partitioned-hash", 0),
    ("partitioned-hash", 1),
    ("partitioned-hash-any-node", 2),
    ("partitioned-hash-routing-tier", 4),
    ("partitioned-range", 3),
    ("partitioned-range-dynamic", 4),
    ("partitioned-consistent-hash", 5),
]


@pytest.mark.parametrize(("system", "seed"), SAFE)
def test_single_key_ops_stay_linearizable_through_moves_and_faults(system: str, seed: int) -> None:
    h = _run(system, "register", seed, FAULTS)
    assert sum(op.type == "ok" for op in h.client_ops()) > 150
    assert get_checker("linearizable")(h, REGISTER)["valid"] is True
    durability = get_checker("durability")(h, {})  # writes fsynced before ack are durable
    assert durability["valid"] is True and durability["checked_writes"] > 0


@pytest.mark.parametrize("system", ["partitioned-hash-any-node", "partitioned-hash-routing-tier"])
def test_stale_routing_during_moves_is_forwarded(system: str) -> None:
    """A node whose map is stale (the push after a move is pending) sends a request to the
    former owner, which forwards it to the new one: two hops instead of one."""
    h = _run(system, "register", 5, [], workload_options={"keys": 60})
    hops = [op.extra.get("hops", 0) for op in h.client_ops() if op.type == "ok"]
    assert max(hops) >= 2, "some request met a stale map and was forwarded again"
    assert get_checker("linearizable")(h, REGISTER)["valid"] is True


def test_duplicated_requests_apply_once_even_after_a_move() -> None:
    """The network duplicates requests and forwards; partitions remember recent request ids
    (and take them along when they move), so a duplicate gets the original's reply."""
    h = _run("partitioned-hash-any-node", "register", 0, ["duplicate", "reorder", "loss", "kill"])
    assert get_checker("linearizable")(h, REGISTER)["valid"] is True


@pytest.mark.parametrize(
    "system", ["partitioned-hash", "partitioned-range", "partitioned-range-dynamic"]
)
def test_a_local_index_read_scatters_and_misses_nothing(system: str) -> None:
    h = _run(system, "secondary-index", 1, FAULTS)
    result = get_checker("set")(h, {})
    assert result["valid"] is True
    assert result["counts"]["stale"] == 0 and result["counts"]["lost"] == 0
    assert result["counts"]["stable"] > 100


def test_a_global_index_is_stale_and_that_is_a_finding_not_a_crash() -> None:
    h = _run("partitioned-global-index", "secondary-index", 0, [])
    result = get_checker("set")(h, {})
    assert result["valid"] is True  # eventually every document is indexed: nothing lost
    assert result["counts"]["stale"] > 0 and result["counts"]["lost"] == 0
    strict = get_checker("set")(h, {"linearizable": True})
    assert strict["valid"] is False and "stale" in strict["anomaly_types"]


def test_a_node_restarts_with_its_partitions() -> None:
    system = get_system("partitioned-hash").build({"churn": False})

    async def main() -> Any:
        world = World(1)
        system.setup(world)
        world.start_all()
        async with world.running():
            client = system.client(world, 0)
            await client.open("n1")
            for k in range(12):
                await client.invoke({"f": "write", "value": [k, k * 10]})
            for n in ("n1", "n2", "n3", "n4"):
                world.host(n).crash()
                world.host(n).start()
            return [(await client.invoke({"f": "read", "value": [k, None]}))["value"]
                    for k in range(12)]  # fmt: skip

    assert run_simulated(main, seed=1) == [[k, k * 10] for k in range(12)]


def test_dynamic_partitioning_splits_a_growing_key_range_and_spreads_it() -> None:
    system = get_system("partitioned-range-dynamic").build()

    async def main() -> dict[str, Any]:
        world = World(2)
        system.setup(world)
        world.start_all()
        async with world.running():
            client = system.client(world, 0)
            await client.open("n1")
            for i in range(200):  # sequential ids: every insert hits the last range
                assert (await client.invoke({"f": "add", "value": i}))["type"] == "ok"
                await trio.sleep(0.01)
            await trio.sleep(1.0)
            index = await client.invoke({"f": "read", "value": None})
            meta = world.host("meta").process
            assert isinstance(meta, MetaNode)
            return {"index": index["value"], "parts": len(meta.map),
                    "owners": {v[2] for v in meta.map.values()}}  # fmt: skip

    out = run_simulated(main, seed=2)
    assert out["index"] == list(range(200)), "scatter/gather over split partitions"
    assert out["parts"] >= 200 // 24
    assert len(out["owners"]) >= 3


def test_consistent_hashing_gives_a_joining_node_the_arcs_after_its_tokens() -> None:
    system = get_system("partitioned-consistent-hash").build()
    cfg = PartConfig(("n1", "n2", "n3", "n4"), ("n1", "n2", "n3"), rebalance="proportional")
    before = initial_map(cfg)
    assert {v[2] for v in before.values()} == {"n1", "n2", "n3"}

    async def main() -> dict[str, Any]:
        world = World(3)
        system.setup(world)
        world.start_all()
        async with world.running():
            client = system.client(world, 0)
            await client.open("n1")
            for i in range(150):
                out = await client.invoke({"f": "write", "value": [i % 40, i]})
                assert out["type"] == "ok", out
                await trio.sleep(0.02)
            reads = [await client.invoke({"f": "read", "value": [k, None]}) for k in range(40)]
            meta = world.host("meta").process
            assert isinstance(meta, MetaNode)
            return {"reads": [r["value"] for r in reads], "map": meta.map, "plan": meta.plan}

    out = run_simulated(main, seed=3)
    assert out["reads"] == [[k, 120 + k if k < 30 else 80 + k] for k in range(40)]
    assert out["plan"] == []
    from systems.partitioning._nodes import token_of

    mine = {token_of("n4", i) for i in range(4)}
    n4_arcs = [v for v in out["map"].values() if v[2] == "n4"]
    assert {lo for lo, _, _, _ in n4_arcs} == mine, "n4 owns exactly the arcs its tokens start"
    assert len(out["map"]) == len(before) + 4


@given(
    st.sampled_from(["fixed-hash", "fixed-range", "dynamic", "proportional"]),
    st.integers(1, 5),
    st.lists(st.integers(0, POINTS - 1), max_size=8),
)
def test_maps_tile_the_ring_through_splits(kind: str, tokens: int, cuts: list[int]) -> None:
    """Every map (and every map after splits) covers each point exactly once."""
    scheme = "range" if kind == "fixed-range" else "hash"
    rebalance = kind if kind in ("dynamic", "proportional") else "fixed"
    cfg = PartConfig(("n1", "n2", "n3"), ("n1", "n2"), scheme=scheme, partitions=5,
                     rebalance=rebalance, tokens=tokens)  # fmt: skip
    meta = MetaNode(cfg)
    for cut in cuts:
        pid = pid_for(meta.map, cut)
        if meta.map[pid][0] < cut:
            meta._start_split(pid, cut)
    arcs = sorted((lo, hi) for lo, hi, _, _ in meta.map.values())
    assert arcs[0][0] == 0 and arcs[-1][1] == POINTS
    assert all(a[1] == b[0] for a, b in itertools.pairwise(arcs))
