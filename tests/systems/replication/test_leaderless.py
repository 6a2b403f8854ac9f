"""Leaderless replication: convergence holds; DDIA's quorum edge cases are caught by seed."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from ddialab.history import History
from ddialab.runner import simulate
from systems import SYSTEMS
from systems.replication import leaderless_claims
from systems.replication._leaderless import ENTRIES
from systems.replication._versions import clock_of, merge, resolve
from systems.sim import MS, Latency

Rig = Any


def test_entries_are_registered_and_claims_follow_options() -> None:
    for e in ENTRIES:
        assert SYSTEMS[e.name] is e
        assert e.claims == leaderless_claims(e.defaults)
        assert "linearizable" not in e.claims
    assert SYSTEMS["leaderless"].claims == {"convergence"}
    assert SYSTEMS["leaderless-no-repair"].claims == frozenset()


def test_dotted_version_vectors_keep_concurrent_writes_as_siblings() -> None:
    a = {"v": 1, "dot": ["n1", 1], "ctx": {}}
    b = {"v": 2, "dot": ["n1", 2], "ctx": {}}  # same node, concurrent: not a successor
    c = {"v": 3, "dot": ["n2", 1], "ctx": {"n1": 2}}  # saw both
    assert [s["v"] for s in merge("vv", [a], [b])] == [1, 2]
    assert merge("vv", [a, b], [c]) == [c]
    assert merge("vv", [c], [a]) == [c]
    assert clock_of([a, b]) == {"n1": 2}
    assert resolve(merge("vv", [a], [b])) == 2


def test_last_write_wins_keeps_the_greatest_timestamp() -> None:
    old = {"v": 1, "ts": [5, "n1"]}
    new = {"v": 2, "ts": [3, "n2"]}  # written later, by a clock that runs behind
    assert merge("lww", [old], [new]) == [old]


CONVERGES = [
    ("leaderless", 1, {}),
    ("leaderless", 2, {"link_loss": 0.05}),
    ("leaderless-sloppy", 3, {}),
    ("leaderless-lww", 4, {}),
]


@pytest.mark.parametrize(("system", "seed", "options"), CONVERGES)
def test_anti_entropy_converges_after_faults(
    rig: Rig, system: str, seed: int, options: dict[str, Any]
) -> None:
    assert "convergence" in SYSTEMS[system].claims
    v = rig.verdicts(rig.spec(system, seed=seed, system_options=options))
    assert v["convergence"] is True, v


def test_without_anti_entropy_replicas_diverge(rig: Rig) -> None:
    v = rig.verdicts(rig.spec("leaderless-no-repair", seed=1))
    assert "divergence" in v["anomalies"]["convergence"]


def test_concurrent_writes_break_session_guarantees(rig: Rig) -> None:
    """Siblings: the value shown may be a concurrent write, not the session's own."""
    v = rig.verdicts(rig.spec("leaderless", seed=1))
    assert v["read-your-writes"] is False
    assert v["monotonic-reads"] is False


SPARSE = {"keys": 8, "read_ratio": 0.85}
#: (system, system options, nemesis, seed, workload options): a non-linearizable history
NON_LINEARIZABLE: list[tuple[str, dict[str, Any], list[str], int, dict[str, Any]]] = [
    # strict quorum W + R > N without read repair: a partial write is seen, then unseen
    ("leaderless-no-repair", {}, ["partition", "kill"], 1, SPARSE),
    # sloppy quorum W + R > N: acknowledged by fallbacks, home replicas serve stale reads
    ("leaderless-sloppy", {}, ["partition"], 0, {}),
]


@pytest.mark.parametrize(("system", "options", "nemesis", "seed", "wopts"), NON_LINEARIZABLE)
def test_quorum_edge_cases_are_not_linearizable(
    rig: Rig,
    system: str,
    options: dict[str, Any],
    nemesis: list[str],
    seed: int,
    wopts: dict[str, Any],
) -> None:
    spec = rig.spec(system, seed=seed, nemesis=nemesis, system_options=options)
    spec.workload_options = wopts
    assert rig.verdicts(spec, linearizable=True)["linearizable"] is False


def test_the_same_seed_with_a_strict_quorum_is_linearizable(rig: Rig) -> None:
    """The control for the sloppy finding: same nodes, faults and seed, strict quorum."""
    spec = rig.spec("leaderless-sloppy", seed=0, nemesis=["partition"])
    spec.system_options = {"sloppy": False}
    assert rig.verdicts(spec, linearizable=True)["linearizable"] is True


def lost_updates(history: History) -> list[dict[str, Any]]:
    """Final values whose write completed before another acknowledged write began."""
    started: dict[Any, int] = {}
    writes: dict[Any, list[tuple[int, int, Any]]] = {}
    finals: dict[Any, set[Any]] = {}
    for op in history.client_ops():
        if op.type == "invoke":
            started[op.process] = op.time
        elif op.f == "write" and op.type == "ok":
            writes.setdefault(op.value[0], []).append((started[op.process], op.time, op.value[1]))
        elif op.f == "final-read" and op.type == "ok":
            finals.setdefault(op.value[0], set()).add(op.value[1])
    lost = []
    for key, seen in finals.items():
        ws = writes.get(key, [])
        winner = [w for w in ws if len(seen) == 1 and w[2] in seen]
        later = [w[2] for w in ws if winner and w[0] > winner[0][1]]
        if later:
            lost.append({"key": key, "kept": winner[0][2], "lost": later})
    return lost


def test_lww_with_skewed_clocks_loses_updates(rig: Rig) -> None:
    h = simulate(rig.spec("leaderless-lww", seed=0, nemesis=["clock"])).history
    assert lost_updates(h)
    assert rig.judge(h, linearizable=True)["linearizable"] is False


def test_lww_without_skew_keeps_the_last_write(rig: Rig) -> None:
    h = simulate(rig.spec("leaderless-lww", seed=0, nemesis=[])).history
    assert lost_updates(h) == []


def test_sloppy_quorum_hands_hinted_writes_off_to_the_home_replicas(rig: Rig) -> None:
    async def script(world: Any, call: Any) -> dict[str, Any]:
        cfg = SYSTEMS["leaderless-sloppy"].build().cfg  # type: ignore[attr-defined]
        coordinator, *cut = cfg.home("k")
        fallbacks = [n for n in cfg.ring("k") if n not in cfg.home("k")]
        others = [n for n in world.nodes if n not in cut]
        world.network.partition({**{c: set(others) for c in cut}, **{o: set(cut) for o in others}})
        put = await call(coordinator, {"type": "put", "key": "k", "value": 1})
        hinted = [sorted(world.host(f).process.hints) for f in fallbacks]
        world.network.heal()
        await trio.sleep(1.0)
        homes = [(await call(n, {"type": "local-read", "key": "k"}))["value"] for n in cut]
        kept = [("k" in world.host(f).process.data) for f in fallbacks]
        return {"put": put["type"], "hinted": hinted, "homes": homes, "kept": kept}

    out = rig.scenario("leaderless-sloppy", {}, script)
    assert out["put"] == "ok"
    assert sorted(h for hs in out["hinted"] for h, _ in hs) == sorted(
        SYSTEMS["leaderless-sloppy"].build().cfg.home("k")[1:]  # type: ignore[attr-defined]
    )
    assert out["homes"] == [1, 1]
    assert out["kept"] == [False, False]


@pytest.mark.parametrize(("anti_entropy", "expected"), [(True, 1), (False, None)])
def test_merkle_anti_entropy_repairs_a_replica_nobody_reads(
    rig: Rig, anti_entropy: bool, expected: Any
) -> None:
    async def script(world: Any, call: Any) -> Any:
        world.network.partition({"n3": {"n1", "n2"}, "n1": {"n3"}, "n2": {"n3"}})
        assert (await call("n1", {"type": "put", "key": "k", "value": 1}))["type"] == "ok"
        world.network.heal()
        await trio.sleep(2.0)
        return (await call("n3", {"type": "local-read", "key": "k"}))["value"]

    options = {"read_repair": False, "anti_entropy": anti_entropy}
    assert rig.scenario("leaderless", options, script) == expected


def test_asynchronous_read_repair_still_lets_a_later_read_go_back_in_time(rig: Rig) -> None:
    """DDIA's quorum edge case: a failed write survives on one replica; a quorum read that
    includes it returns the new value, a later one that does not returns the old value,
    because read repair runs after the first read has answered (here over slow links)."""

    async def script(world: Any, call: Any) -> list[Any]:
        cfg = SYSTEMS["leaderless"].build({"nodes": 4}).cfg  # type: ignore[attr-defined]
        h1, h2, h3 = cfg.home("k")
        (c,) = [n for n in world.nodes if n not in (h1, h2, h3)]
        world.network.partition({h1: {h2, h3}, h2: {h1}, h3: {h1}})
        failed = await call(h1, {"type": "put", "key": "k", "value": "new"})
        world.network.partition({h1: {h3}, h3: {h1}})
        for slow in (h2, h3):
            world.network.set_link(c, slow, latency=Latency.constant(100 * MS))
        first = await call(c, {"type": "get", "key": "k"})
        second = await call(h3, {"type": "get", "key": "k"})
        return [failed["code"], failed["definite"], first["value"], second["value"]]

    code, definite, first, second = rig.scenario("leaderless", {"nodes": 4}, script)
    assert (code, definite) == ("quorum", False)  # the write failed, indefinitely
    assert (first, second) == ("new", None)  # new, then old: not linearizable


@pytest.mark.parametrize(("read_repair", "stale_after"), [(True, 1), (False, None)])
def test_read_repair_brings_a_stale_replica_up_to_date(
    rig: Rig, read_repair: bool, stale_after: Any
) -> None:
    """Guards ``QuorumNode._repair`` (read repair made a no-op, or its digest comparison
    inverted): a write lands on n1 and n2 while n3 is cut off; with anti-entropy off, only a
    quorum read can bring n3 up to date.  With read repair on, n3 holds the value after one
    read; with it off (``read_repair: false``), n3 stays empty: replicas do not converge."""

    async def script(world: Any, call: Any) -> list[Any]:
        world.network.partition({"n3": {"n1", "n2"}, "n1": {"n3"}, "n2": {"n3"}})
        assert (await call("n1", {"type": "put", "key": "k", "value": 1}))["type"] == "ok"
        world.network.heal()
        before = (await call("n3", {"type": "local-read", "key": "k"}))["value"]
        read = (await call("n2", {"type": "get", "key": "k"}))["value"]
        await trio.sleep(0.5)
        after = (await call("n3", {"type": "local-read", "key": "k"}))["value"]
        fresh = [(await call(n, {"type": "local-read", "key": "k"}))["value"] for n in ("n1", "n2")]
        return [before, read, after, fresh]

    options = {"read_repair": read_repair, "anti_entropy": False}
    assert rig.scenario("leaderless", options, script) == [None, 1, stale_after, [1, 1]]


def test_a_client_write_after_a_read_supersedes_the_siblings_it_saw(rig: Rig) -> None:
    """Guards the client's causal context (``QuorumClient.run`` keeping ``reply["ctx"]``
    per key and sending it with the next write): two concurrent writes become siblings; a
    client that read them and writes again replaces both (DDIA's shopping-cart merge).  Were
    the context dropped, the new write would be one more sibling.  Also: an op the system
    does not support fails definitely, saying so."""

    async def script(world: Any, call: Any) -> list[Any]:
        system = SYSTEMS["leaderless"].build()
        c1, c2 = system.client(world, 1), system.client(world, 2)
        await c1.open("n1")
        await c2.open("n2")
        for client, value in ((c1, "a"), (c2, "b")):
            assert (await client.invoke({"f": "write", "value": ["k", value]}))["type"] == "ok"
        seen = await c1.invoke({"f": "read", "value": ["k", None]})
        await c1.invoke({"f": "write", "value": ["k", "ab"]})
        after = await c2.invoke({"f": "read", "value": ["k", None]})
        odd = await c1.invoke({"f": "cas", "value": ["k", ["ab", "c"]]})
        return [sorted(seen["siblings"]), after["value"], "siblings" in after, odd]

    siblings, value, still_siblings, odd = rig.scenario("leaderless", {}, script)
    assert siblings == ["a", "b"]
    assert (value, still_siblings) == (["k", "ab"], False)
    assert odd == {"type": "fail", "value": ["k", ["ab", "c"]], "error": "unsupported"}
