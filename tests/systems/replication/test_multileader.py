"""Multi-leader replication: convergence under faults; LWW, ranks and siblings misbehave."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from ddialab.runner import simulate
from systems import SYSTEMS
from systems.replication._crdt import apply, initial, show
from systems.replication._multileader import ENTRIES

Rig = Any


def test_entries_are_registered_and_claims_follow_options() -> None:
    for e in ENTRIES:
        assert SYSTEMS[e.name] is e
        assert "linearizable" not in e.claims
        assert ("convergence" in e.claims) == (e.defaults["conflict"] != "arrival")
    assert "read-your-writes" not in SYSTEMS["multi-leader-vv"].claims


def _entry(origin: str, seq: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": [origin, seq], "path": [origin], "key": 0, "data": data}


def test_or_set_keeps_a_concurrent_re_add() -> None:
    s = apply("or-set", initial("or-set"), _entry("a", 1, {"add": 7, "tag": ["a", 1]}))
    remove = _entry("b", 1, {"remove": [["a", 1]]})  # b removes the 7 it saw
    readd = _entry("a", 2, {"add": 7, "tag": ["a", 2]})  # concurrently, a adds 7 again
    one = apply("or-set", apply("or-set", s, remove), readd)
    other = apply("or-set", apply("or-set", s, readd), remove)
    assert one == other and show("or-set", one) == [7]


def test_pn_counter_is_idempotent_and_commutative() -> None:
    inc = _entry("a", 1, {"p": 3, "n": 0})
    dec = _entry("b", 1, {"p": 0, "n": 2})
    s1 = apply("pn-counter", apply("pn-counter", initial("pn-counter"), inc), dec)
    s2 = apply(
        "pn-counter", apply("pn-counter", apply("pn-counter", initial("pn-counter"), dec), inc), inc
    )
    assert s1 == s2 and show("pn-counter", s1) == 1


def test_custom_merge_hook_resolves_siblings() -> None:
    state = [{"v": 2, "dot": ["a", 1], "ctx": {}}, {"v": 5, "dot": ["b", 1], "ctx": {}}]
    assert show("custom", state, sum) == 7
    assert show("vv", state) == 5


CONVERGES = [
    ("multi-leader", 1, {}, {}),
    ("multi-leader-circular", 2, {"link_loss": 0.05}, {}),
    ("multi-leader-star", 3, {}, {}),
    ("multi-leader-lww-id", 1, {}, {}),
    ("multi-leader-vv", 2, {}, {}),
    ("multi-leader-or-set", 1, {}, {"mode": "set"}),
]


@pytest.mark.parametrize(("system", "seed", "options", "wopts"), CONVERGES)
def test_claimed_guarantees_hold_under_faults(
    rig: Rig, system: str, seed: int, options: dict[str, Any], wopts: dict[str, Any]
) -> None:
    spec = rig.spec(system, seed=seed, system_options=options, workload_options=wopts)
    v = rig.verdicts(spec)
    for guarantee in sorted(SYSTEMS[system].claims):
        assert v[guarantee] is True, (guarantee, v)
    assert v["anomalies"]["convergence"] == []  # no lost adds either (or-set)


def test_pn_counter_replicas_agree_on_a_total_the_increments_allow(rig: Rig) -> None:
    spec = rig.spec("multi-leader-pn-counter", seed=1, workload_options={"mode": "counter"})
    h = simulate(spec).history
    finals: dict[Any, set[int]] = {}
    certain: dict[Any, int] = {}
    possible: dict[Any, list[int]] = {}
    for inv, comp in h.completed_pairs():
        if inv.f == "final-read" and comp is not None and comp.type == "ok":
            finals.setdefault(comp.value[0], set()).add(comp.value[1])
        elif inv.f == "incr" and comp is not None and comp.type != "fail":
            key, delta = inv.value
            if comp.type == "ok":
                certain[key] = certain.get(key, 0) + delta
            else:
                possible.setdefault(key, []).append(delta)
    assert finals and all(len(totals) == 1 for totals in finals.values())
    for key, (total,) in finals.items():
        low = certain.get(key, 0) + sum(d for d in possible.get(key, []) if d < 0)
        high = certain.get(key, 0) + sum(d for d in possible.get(key, []) if d > 0)
        assert low <= total <= high


#: (system, nemesis, seed, guarantees violated): the recorded findings
FINDINGS = [
    # LWW with skewed clocks: a write that follows another causally gets an older timestamp
    ("multi-leader", ["clock"], 0, {"writes-follow-reads", "monotonic-writes"}),
    ("multi-leader-circular", ["clock"], 0, {"writes-follow-reads", "monotonic-writes"}),
    # the highest-ranked replica wins even over writes made after reading it
    ("multi-leader-lww-id", [], 0, {"writes-follow-reads"}),
    # siblings: the value shown can be a concurrent write, hiding the one depended on
    ("multi-leader-vv", [], 0, {"read-your-writes", "consistent-prefix"}),
]


@pytest.mark.parametrize(("system", "nemesis", "seed", "violated"), FINDINGS)
def test_conflict_handling_anomalies_are_caught(
    rig: Rig, system: str, nemesis: list[str], seed: int, violated: set[str]
) -> None:
    v = rig.verdicts(rig.spec(system, seed=seed, nemesis=nemesis))
    assert {g for g in violated if v[g] is False} == violated, v
    assert v["convergence"] is True


def test_a_failed_node_interrupts_the_circular_topology(rig: Rig) -> None:
    """DDIA: in a circular topology one failed node stops the flow until it returns."""

    async def script(world: Any, call: Any) -> list[Any]:
        world.host("dc2").crash()
        await call("dc1", {"type": "update", "f": "write", "key": "k", "value": 1})
        await trio.sleep(1.0)
        before = await call("dc3", {"type": "read", "key": "k"})
        world.host("dc2").start()
        await trio.sleep(1.0)
        after = await call("dc3", {"type": "read", "key": "k"})
        return [before["value"], after["value"]]

    assert rig.scenario("multi-leader-circular", {}, script) == [None, 1]
    assert rig.scenario("multi-leader", {}, script) == [1, 1]  # all-to-all routes around


def test_rga_orders_concurrent_inserts_the_same_everywhere() -> None:
    from systems.replication._crdt import rga_apply, rga_initial, rga_text

    h = {"ins": {"id": [1, "a"], "after": None, "tok": "H"}}
    x = {"ins": {"id": [2, "a"], "after": [1, "a"], "tok": "x"}}  # editor a types x after H
    y = {"ins": {"id": [2, "b"], "after": [1, "a"], "tok": "y"}}  # editor b, concurrently, y
    z = {"ins": {"id": [3, "a"], "after": [2, "a"], "tok": "z"}}  # a goes on typing: z after x
    gone = {"del": [1, "a"]}
    orders: list[list[dict[str, Any]]] = [
        [h, x, y, z, gone],
        [gone, z, y, x, h],
        [y, h, z, gone, x],
    ]
    texts = []
    for order in orders:
        state = rga_initial()
        for op in order:
            state = rga_apply(state, op)
        texts.append(rga_text(state))
        assert state["pending"] == []  # ops that arrived before their anchor were applied
    assert texts == [["y", "x", "z"]] * 3  # x z stays together: a's intent order


def test_collaborative_editing_converges_and_keeps_every_insert(rig: Rig) -> None:
    from workloads.text import check_text

    spec = rig.spec("multi-leader-text", workload="text", seed=1)
    h = simulate(spec).history
    result = check_text(h)
    assert result["valid"] is True, result
    assert sum(1 for op in h if op.f == "insert" and op.type == "ok") > 100


def test_an_offline_device_syncs_its_edits_when_it_reconnects(rig: Rig) -> None:
    """Each device is a leader: edits made offline on both sides become siblings."""

    async def script(world: Any, call: Any) -> list[Any]:
        devices = sorted(world.nodes)
        offline, online = devices[0], devices[1:]
        world.network.partition({offline: set(online), **{d: {offline} for d in online}})
        await call(offline, {"type": "update", "f": "write", "key": "note", "value": 1})
        await call(online[0], {"type": "update", "f": "write", "key": "note", "value": 2})
        await trio.sleep(1.0)
        apart = [(await call(d, {"type": "read", "key": "note"}))["siblings"] for d in devices]
        world.network.heal()
        await trio.sleep(1.0)
        synced = [(await call(d, {"type": "read", "key": "note"}))["siblings"] for d in devices]
        merged = await call(online[1], {"type": "update", "f": "write", "key": "note",
                                        "value": 3, "ctx": {"dc1": 1, "dc2": 1}})  # fmt: skip
        await trio.sleep(1.0)
        final = [(await call(d, {"type": "read", "key": "note"}))["siblings"] for d in devices]
        return [apart, synced, merged["type"], final]

    apart, synced, merged, final = rig.scenario("multi-leader-devices", {}, script)
    assert apart == [[1], [2], [2], [2], [2]]
    assert synced == [[1, 2]] * 5
    assert merged == "ok" and final == [[3]] * 5


def test_a_custom_merge_hook_named_by_module_and_function(rig: Rig) -> None:
    async def script(world: Any, call: Any) -> Any:
        world.network.partition({"dc1": {"dc2", "dc3"}, "dc2": {"dc1"}, "dc3": {"dc1"}})
        await call("dc1", {"type": "update", "f": "write", "key": "k", "value": 3})
        await call("dc2", {"type": "update", "f": "write", "key": "k", "value": 8})
        world.network.heal()
        await trio.sleep(1.0)
        return [(await call(n, {"type": "read", "key": "k"}))["value"] for n in world.nodes]

    options = {"conflict": "custom", "merge": "builtins:min"}
    assert rig.scenario("multi-leader", options, script) == [3, 3, 3]
    assert rig.scenario("multi-leader-vv", {}, script) == [8, 8, 8]  # the default: greatest


def test_without_conflict_resolution_leaders_diverge(rig: Rig) -> None:
    """The last write to arrive wins: each leader sees a different last write."""
    assert SYSTEMS["multi-leader-no-resolution"].claims == frozenset()
    v = rig.verdicts(rig.spec("multi-leader-no-resolution", seed=0, nemesis=[]))
    assert "divergence" in v["anomalies"]["convergence"]


def test_a_write_with_the_read_context_merges_the_siblings(rig: Rig) -> None:
    """Guards ``MultiLeaderClient.run`` sending ``ctx`` (the version vector of its last
    read) with each update: two leaders' concurrent writes are siblings everywhere; a client
    that read both and writes again replaces them on every leader.  Without the context the
    new write would be a third sibling."""

    async def script(world: Any, call: Any) -> list[Any]:
        system = SYSTEMS["multi-leader-vv"].build()
        c1, c2 = system.client(world, 1), system.client(world, 2)
        await c1.open("dc1")
        await c2.open("dc2")
        for client, value in ((c1, "a"), (c2, "b")):
            assert (await client.invoke({"f": "write", "value": ["k", value]}))["type"] == "ok"
        await trio.sleep(1.0)
        seen = await c1.invoke({"f": "read", "value": ["k", None]})
        await c1.invoke({"f": "write", "value": ["k", "ab"]})
        await trio.sleep(1.0)
        after = await c2.invoke({"f": "read", "value": ["k", None]})
        return [sorted(seen["siblings"]), after["value"], "siblings" in after]

    assert rig.scenario("multi-leader-vv", {}, script) == [["a", "b"], ["k", "ab"], False]
