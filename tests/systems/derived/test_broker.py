"""The log broker: produce/fetch/poll over messages, recovery, retention, and runs.

The run tests are the issue's acceptance: the honest broker passes the ``kafka`` checker
under kill; each named flawed variant is caught with a recorded seed.
"""

from __future__ import annotations

from typing import Any

import pytest
import trio

from checkers.derived import check_kafka
from ddialab.runner import TestSpec, simulate
from systems.derived import BrokerNode
from systems.sim import MS, World, run_simulated


def _session(steps: list[Any], seed: int = 1, **node: Any) -> list[dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        world = World(seed)
        world.add_node("b1", lambda: BrokerNode(**node))
        world.start_all()
        out: list[dict[str, Any]] = []
        async with world.running():
            c = world.client("c1")
            for step in steps:
                if callable(step):
                    step(world)
                    await trio.sleep(0.05)
                else:
                    out.append(await c.request("b1", step, 500 * MS))
        return out

    return run_simulated(main, seed=seed)


def _produce(p: int, v: Any) -> dict[str, Any]:
    return {"type": "produce", "partition": p, "value": v}


def _crash_restart(world: World) -> None:
    world.host("b1").crash()
    world.host("b1").start()


def test_offsets_are_dense_per_partition_and_survive_a_crash() -> None:
    replies = _session([
        _produce(0, "a"), _produce(0, "b"), _produce(1, "c"), _crash_restart,
        _produce(0, "d"), {"type": "fetch", "partition": 0, "offset": 0},
        {"type": "produce", "partition": 9, "value": "x"},
    ])  # fmt: skip
    assert [r["offset"] for r in replies[:4]] == [0, 1, 0, 2]
    assert replies[4]["records"] == [[0, "a"], [1, "b"], [2, "d"]]
    assert replies[5]["code"] == "unknown-partition" and replies[5]["definite"]


def test_ack_before_fsync_loses_acknowledged_records_and_reuses_offsets() -> None:
    replies = _session(
        [_produce(0, "a"), _produce(0, "b"), _crash_restart, _produce(0, "c"),
         {"type": "fetch", "partition": 0, "offset": 0}],
        durable=False,
    )  # fmt: skip
    assert [r["offset"] for r in replies[:3]] == [0, 1, 0]
    assert replies[3]["records"] == [[0, "c"]]


def test_retention_deletes_old_segments_and_resets_positions() -> None:
    steps: list[Any] = [_produce(0, i) for i in range(10)]
    steps += [
        {"type": "fetch", "partition": 0, "offset": 0},
        {"type": "poll", "group": "g", "member": "m", "positions": [[0, 1]]},
        _crash_restart,
        {"type": "fetch", "partition": 0, "offset": 0},
    ]
    replies = _session(steps, partitions=1, segment_records=3, retain_records=4)
    fetch, poll, after = replies[10], replies[11], replies[12]
    assert fetch["log_start"] == 6 and fetch["records"][0] == [6, 6]
    assert poll["resets"] == [0] and poll["records"] == [[0, 6, [[6, 6], [7, 7], [8, 8], [9, 9]]]]
    assert after["log_start"] == 6 and len(after["records"]) == 4


def test_group_assigns_partitions_round_robin_and_commits_durably() -> None:
    def poll(member: str, **extra: Any) -> dict[str, Any]:
        return {"type": "poll", "group": "g", "member": member, **extra}

    replies = _session([
        _produce(0, "a"), _produce(1, "b"),
        poll("m1"), poll("m2"), poll("m1", commit=[[0, 1], [1, 1]]),
        _crash_restart,
        {"type": "committed", "group": "g", "partition": 0},
        {"type": "committed", "group": "g", "partition": 1},
    ], partitions=2)  # fmt: skip
    assert replies[2]["assignment"] == [0, 1]
    assert replies[3]["assignment"] == [1]
    assert replies[4]["assignment"] == [0]
    # m1 no longer holds partition 1: its commit there is refused (fenced)
    assert replies[5]["offset"] == 1 and replies[6]["offset"] is None


def _run(system: str, seed: int, nemesis: tuple[str, ...] = ("kill",)) -> dict[str, Any]:
    spec = TestSpec(
        system=system, workload="kafka", nemesis=list(nemesis), seed=seed,
        time_limit=8, concurrency=4, rate=100,
    )  # fmt: skip
    return check_kafka(simulate(spec).history, {})


@pytest.mark.parametrize("seed", [0, 1])
def test_honest_broker_passes_under_kill_and_consumer_crashes(seed: int) -> None:
    r = _run("log-broker", seed)
    assert r["valid"] is True, r["anomalies"]
    assert r["stats"]["unseen"] == 0


def test_ack_before_fsync_is_caught_with_a_recorded_seed() -> None:
    r = _run("log-broker-ack-before-fsync", seed=0)
    assert r["valid"] is False
    assert {"lost-write", "inconsistent-offsets"} <= set(r["anomaly_types"])
    assert "no poll ever returned it" in r["anomalies"]["lost-write"][0]["explanation"]


def test_commit_before_process_is_caught_with_a_recorded_seed() -> None:
    r = _run("log-broker-commit-before-process", seed=0, nemesis=())
    assert r["anomaly_types"] == ["lost-delivery"]


def test_honest_broker_with_aggressive_retention_expires_but_loses_nothing() -> None:
    spec = TestSpec(
        system="log-broker", workload="kafka", nemesis=["kill"], seed=0, time_limit=8,
        concurrency=4, rate=100, system_options={"segment_records": 4, "retain_records": 8},
    )  # fmt: skip
    r = check_kafka(simulate(spec).history, {})
    assert r["valid"] is True, r["anomalies"]
    assert r["stats"]["expired"] > 100


def test_a_torn_tail_is_cut_off_and_the_log_goes_on() -> None:
    def torn(world: World) -> None:
        world.host("b1").crash(torn=True)
        world.host("b1").start()

    # 16 records (the 16th triggers the fsync), then one unsynced record that tears
    steps: list[Any] = [_produce(0, i) for i in range(16)]
    steps += [_produce(0, "b" * 50), torn, _produce(0, "c")]
    steps += [{"type": "fetch", "partition": 0, "offset": 0}]
    records = _session(steps, seed=3, durable=False)[-1]["records"]
    assert records == [*[[i, i] for i in range(16)], [16, "c"]]
