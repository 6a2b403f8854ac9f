"""Single-leader replication: claims hold under faults; DDIA's hazards are caught by seed."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from checkers import get_checker
from ddialab.runner import simulate
from systems import SYSTEMS, Primaries
from systems.replication import claims_for
from systems.replication._single import ENTRIES

Rig = Any
CHECKED = {
    "read-your-writes",
    "monotonic-reads",
    "monotonic-writes",
    "writes-follow-reads",
    "consistent-prefix",
    "convergence",
    "linearizable",
}


def test_entries_are_registered_and_claims_follow_options() -> None:
    """Guards the listed claims (each entry's default build; options:
    tests/runner/test_claims.py): leader reads earn linearizability, the routing variants
    their session guarantees only, async failover convergence only."""
    session = {"monotonic-writes", "writes-follow-reads", "convergence"}
    for e in ENTRIES:
        assert SYSTEMS[e.name] is e
    assert (
        SYSTEMS["leader-follower-sync"].claims
        == SYSTEMS["leader-follower"].claims
        == {*session, "linearizable", "read-your-writes", "monotonic-reads", "consistent-prefix"}
    )
    assert SYSTEMS["leader-follower-async-reads"].claims == session
    assert SYSTEMS["leader-follower-async-ryw"].claims == {*session, "read-your-writes"}
    assert SYSTEMS["leader-follower-async-sticky"].claims == {
        *session,
        "monotonic-reads",
        "consistent-prefix",
    }
    assert SYSTEMS["leader-follower-async-failover"].claims == {"convergence"}
    assert "linearizable" in SYSTEMS["leader-follower"].claims
    assert SYSTEMS["leader-follower-careless-failover"].claims == frozenset()
    assert claims_for({"replication": "async", "failover": "safe"}) == {"convergence"}
    assert "read-your-writes" in claims_for({"failover": "none", "reads": "ryw"})
    assert "monotonic-reads" not in claims_for({"failover": "none", "reads": "ryw"})


def test_the_leader_is_a_primary() -> None:
    system = SYSTEMS["leader-follower-sync"].build()
    assert isinstance(system, Primaries)


def test_same_seed_same_history(rig: Rig) -> None:
    spec = rig.spec("leader-follower", seed=3, time_limit=3.0)
    a, b = simulate(spec).history, simulate(spec).history
    assert [(o.type, o.f, o.value, o.time) for o in a] == [
        (o.type, o.f, o.value, o.time) for o in b
    ]


SAFE = [
    ("leader-follower", 1, {}),
    ("leader-follower", 2, {"link_loss": 0.05}),
    ("leader-follower-sync", 4, {}),
    ("leader-follower-async-ryw", 1, {}),
    ("leader-follower-async-sticky", 2, {"link_loss": 0.05}),
    ("leader-follower-async-reads", 3, {}),
]


def test_leader_follower_survives_faults_aimed_at_the_leader(rig: Rig) -> None:
    """The nemesis finds the leader through ``systems.Primaries``: isolate it, kill it,
    and drop messages on a minority's links; acknowledged appends all survive."""
    spec = rig.spec(
        "leader-follower",
        seed=0,
        nemesis=["partition-primary", "kill-primary", "loss"],
        workload_options={"mode": "append"},
    )
    v = rig.verdicts(spec)
    assert v["anomalies"]["convergence"] == []
    for guarantee in sorted(SYSTEMS["leader-follower"].claims & CHECKED - {"linearizable"}):
        assert v[guarantee] is True, (guarantee, v)


def test_killing_the_async_leader_loses_acknowledged_writes(rig: Rig) -> None:
    spec = rig.spec(
        "leader-follower-async-failover",
        seed=0,
        nemesis=["partition-primary", "kill-primary", "loss"],
        workload_options={"mode": "append"},
    )
    assert "lost-writes" in rig.verdicts(spec)["anomalies"]["convergence"]


@pytest.mark.parametrize(("system", "seed", "options"), SAFE)
def test_claimed_guarantees_hold_under_faults(
    rig: Rig, system: str, seed: int, options: dict[str, Any]
) -> None:
    claims = SYSTEMS[system].claims
    spec = rig.spec(system, seed=seed, system_options=options)
    v = rig.verdicts(spec, linearizable="linearizable" in claims)
    for guarantee in sorted(claims & CHECKED):
        assert v[guarantee] is True, (guarantee, v)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_leader_follower_is_linearizable_with_cas(rig: Rig, seed: int) -> None:
    spec = rig.spec("leader-follower", workload="register", seed=seed)
    h = simulate(spec).history
    assert any(op.f == "cas" and op.type == "ok" for op in h)
    lin = get_checker("linearizable")(h, {"model": "cas-register", "independent": True})
    assert lin["valid"] is True


#: (system, seed, workload options, nemesis, guarantee that must be violated, anomaly)
FINDINGS: list[tuple[str, int, dict[str, Any], list[str], str]] = [
    # async follower reads: a client misses its own write, and reads go back in time
    ("leader-follower-async-reads", 2, {}, ["partition", "kill", "pause"], "read-your-writes"),
    ("leader-follower-async-reads", 2, {}, ["partition", "kill", "pause"], "monotonic-reads"),
    # a sticky follower is monotonic but still lags its own session's writes
    ("leader-follower-async-sticky", 2, {}, ["partition", "kill", "pause"], "read-your-writes"),
]


@pytest.mark.parametrize(("system", "seed", "wopts", "nemesis", "guarantee"), FINDINGS)
def test_session_anomalies_are_caught_at_the_recorded_seed(
    rig: Rig,
    system: str,
    seed: int,
    wopts: dict[str, Any],
    nemesis: list[str],
    guarantee: str,
) -> None:
    assert guarantee not in SYSTEMS[system].claims
    spec = rig.spec(system, seed=seed, nemesis=nemesis, workload_options=wopts)
    assert rig.verdicts(spec)[guarantee] is False


#: careless or asynchronous failover loses acknowledged writes (appends make them visible)
LOST_WRITES = [
    ("leader-follower-careless-failover", 1),
    ("leader-follower-async-failover", 1),
]


@pytest.mark.parametrize(("system", "seed"), LOST_WRITES)
def test_failover_hazards_lose_acknowledged_writes(rig: Rig, system: str, seed: int) -> None:
    spec = rig.spec(
        system, seed=seed, nemesis=["partition", "kill"], workload_options={"mode": "append"}
    )
    v = rig.verdicts(spec)
    assert "lost-writes" in v["anomalies"]["convergence"]


def test_safe_failover_keeps_acknowledged_appends(rig: Rig) -> None:
    spec = rig.spec(
        "leader-follower",
        seed=1,
        nemesis=["partition", "kill"],
        workload_options={"mode": "append"},
    )
    v = rig.verdicts(spec)
    assert v["anomalies"]["convergence"] == []
    assert v["read-your-writes"] is True and v["monotonic-writes"] is True


def _request(kind: str, key: Any, value: Any = None) -> dict[str, Any]:
    return {"type": "request", "kind": kind, "key": key, "value": value}


def test_a_crashed_follower_catches_up_from_the_log(rig: Rig) -> None:
    async def script(world: Any, call: Any) -> list[Any]:
        world.host("n3").crash()
        acks = [await call("n1", _request("write", "k", v)) for v in range(1, 6)]
        world.host("n3").start()
        await trio.sleep(0.5)
        caught_up = await call("n3", {"type": "local-read", "key": "k"})
        return [[a["lsn"] for a in acks], caught_up["value"], caught_up["version"]]

    lsns, value, version = rig.scenario("leader-follower-async-reads", {}, script)
    assert lsns == [1, 2, 3, 4, 5]
    assert (value, version) == (5, 5)


def test_a_deposed_leaders_writes_are_rejected_and_discarded(rig: Rig) -> None:
    """Safe failover: a new term is elected; the old leader cannot commit and steps down."""

    async def script(world: Any, call: Any) -> dict[str, Any]:
        system = SYSTEMS["leader-follower"].build()
        assert isinstance(system, Primaries)
        await trio.sleep(1.0)
        (old,) = system.primaries(world)
        old_term = world.host(old).process.term
        others = [n for n in world.nodes if n != old]
        world.network.partition({old: set(others), **{n: {old} for n in others}})
        await trio.sleep(1.5)
        (new,) = [n for n in system.primaries(world) if n != old]
        stale = await call(old, _request("write", "k", "stale"))
        fresh = await call(new, _request("write", "k", "fresh"))
        world.network.heal()
        await trio.sleep(1.0)
        return {
            "stale": stale,
            "fresh": fresh["type"],
            "terms": (old_term, world.host(new).process.term),
            "leaders": system.primaries(world),
            "values": [
                (await call(n, {"type": "local-read", "key": "k"}))["value"] for n in world.nodes
            ],
        }

    out = rig.scenario("leader-follower", {}, script)
    assert out["stale"] is None  # cut off from every follower, the old leader never answers
    assert out["fresh"] == "ok"
    assert out["terms"][1] > out["terms"][0]
    assert len(out["leaders"]) == 1
    assert out["values"] == ["fresh", "fresh", "fresh"]


def test_reading_from_the_leader_for_a_while_fails_when_lag_outlasts_the_window(
    rig: Rig,
) -> None:
    """DDIA's time-window heuristic: a partitioned follower lags longer than the window."""
    assert "read-your-writes" not in SYSTEMS["leader-follower-async-recent"].claims
    spec = rig.spec(
        "leader-follower-async-recent",
        seed=0,
        nemesis=["partition"],
        system_options={"ryw_window_ms": 100},
    )
    assert rig.verdicts(spec)["read-your-writes"] is False


def test_careless_failover_splits_the_brain(rig: Rig) -> None:
    """Careless failover: a cut-off leader and its replacement both acknowledge writes; on
    healing one leader is left and the other side's acknowledged write is gone."""

    async def script(world: Any, call: Any) -> dict[str, Any]:
        system = SYSTEMS["leader-follower-careless-failover"].build({"replication": "async"})
        assert isinstance(system, Primaries)
        await trio.sleep(1.0)
        (old,) = system.primaries(world)
        others = [n for n in world.nodes if n != old]
        world.network.partition({old: set(others), **{n: {old} for n in others}})
        await trio.sleep(1.5)
        leaders = system.primaries(world)
        (new,) = [n for n in leaders if n != old]
        acks = [
            (await call(old, _request("write", "k", "old-side")))["type"],
            (await call(new, _request("write", "k", "new-side")))["type"],
        ]
        world.network.heal()
        await trio.sleep(1.0)
        values = {(await call(n, {"type": "local-read", "key": "k"}))["value"] for n in world.nodes}
        return {
            "leaders": leaders,
            "acks": acks,
            "after": system.primaries(world),
            "values": values,
        }

    out = rig.scenario("leader-follower-careless-failover", {"replication": "async"}, script)
    assert len(out["leaders"]) == 2  # split brain
    assert out["acks"] == ["ok", "ok"]
    assert len(out["after"]) == 1
    assert out["values"] == {"new-side"}  # the old leader's acknowledged write is lost


def test_reads_go_to_the_leader_for_a_window_after_a_write(rig: Rig) -> None:
    """Guards ``reads: ryw-recent`` (``LeaderClient._replica_read``): for ``ryw_window_ms``
    after its write a client reads from the leader and sees the write even though the
    followers, cut off, lag; after the window it reads any replica again and can see the
    stale value (so the window is what gives read-your-writes here)."""

    async def script(world: Any, call: Any) -> list[Any]:
        system = SYSTEMS["leader-follower-async-recent"].build()
        client = system.client(world, 1)
        await client.open("n2")
        world.network.partition({"n2": {"n1"}, "n3": {"n1"}})  # followers hear nothing
        wrote, soon = [], []
        for i in range(1, 7):
            done = await client.invoke({"f": "write", "value": ["k", i]})
            wrote.append((done["type"], done["value"]))
            soon.append((await client.invoke({"f": "read", "value": ["k", None]}))["value"][1])
        await trio.sleep(0.6)
        later = [(await client.invoke({"f": "read", "value": ["k", None]}))["value"][1]
                 for _ in range(8)]  # fmt: skip
        return [wrote, soon, sorted(set(later), key=repr)]

    wrote, soon, later = rig.scenario("leader-follower-async-recent", {}, script)
    assert wrote == [("ok", ["k", i]) for i in range(1, 7)]
    assert soon == [1, 2, 3, 4, 5, 6]
    assert later == [6, None]  # the leader or a stale follower, at random
