"""Explicit fault schedules: parsing, playing, saving in the run directory, replaying."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ddialab import generator as g
from ddialab.cli import main
from ddialab.errors import UsageError
from ddialab.runner import TestSpec, run, simulate
from ddialab.runner._schedule import load_schedule, run_schedule
from nemesis import HEAL_FS, NEMESES, ScheduleGen, build_nemesis, fault_units, parse_schedule

KILL = TestSpec(system="single-node-ack-before-fsync", nemesis=["kill"], seed=1, time_limit=5)


def test_parse_accepts_seconds_and_sorts_stably() -> None:
    events = parse_schedule(
        {"events": [{"time": 2, "f": "start"}, {"time_ns": 1, "f": "kill", "value": ["n1"]}]}
    )
    assert events == [
        {"time_ns": 1, "f": "kill", "value": ["n1"]},
        {"time_ns": 2_000_000_000, "f": "start", "value": None},
    ]


@pytest.mark.parametrize(
    "bad", [{"events": 3}, [{"f": "kill"}], [{"time_ns": -1, "f": "kill"}], [["kill"]]]
)
def test_parse_rejects_malformed_schedules(bad: Any) -> None:
    with pytest.raises(UsageError):
        parse_schedule(bad)


def test_schedule_gen_emits_each_event_at_its_time() -> None:
    events = parse_schedule([{"time_ns": 5, "f": "kill"}, {"time_ns": 9, "f": "start"}])
    out = g.simulate(g.nemesis(ScheduleGen(tuple(events))), concurrency=1)
    invokes = [(e["time"], e["f"]) for e in out if e["type"] == "invoke"]
    assert invokes == [(5, "kill"), (9, "start")]


def test_unknown_fault_in_a_schedule_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no nemesis handles"):
        build_nemesis([], replace(KILL, schedule={"events": [{"time_ns": 0, "f": "frob"}]}))


def test_a_schedule_brings_the_nemeses_it_needs() -> None:
    sched = {"events": [{"time_ns": 0, "f": "pause", "value": ["n1"]}]}
    package = build_nemesis(["kill"], replace(KILL, schedule=sched))
    assert {"pause", "kill"} <= package.nemesis.fs
    assert {op["f"] for op in package.final_ops} == {"start", "resume"}


def test_fault_units_keep_heals_with_their_fault() -> None:
    fs = ["kill", "start", "pause", "resume", "resume", "bump-clock"]
    assert fault_units([{"f": f} for f in fs], HEAL_FS) == [[0, 1], [2, 3, 4], [5]]


def test_replaying_the_recorded_schedule_gives_the_same_history() -> None:
    """Guards the split of a schedule event into the invoked ``value`` and the ``applied``
    explicit value: a replay must show the original invocation and perform the same fault."""
    original = simulate(KILL).history
    schedule = run_schedule(original, KILL)
    assert [e["f"] for e in schedule["events"]] == ["kill", "start"]
    kill = schedule["events"][0]
    assert kill["value"] == "one" and isinstance(kill["applied"], list)
    replayed = simulate(replace(KILL, schedule=schedule)).history
    assert [op.to_dict() for op in replayed] == [op.to_dict() for op in original]


#: one system with roles, disks and clocks, so every fault package has something to hit
_EVERY_FAULT = TestSpec(system="raft", seed=3, time_limit=6, nemesis_interval=1.0)


@pytest.mark.parametrize("package", sorted(NEMESES))
def test_cli_replay_is_byte_identical_for_every_fault_package(package: str, tmp_path: Path) -> None:
    """Guards ``ddialab run --replay``'s promise of an exact re-run: a replay that records
    the resolved value in the invocation, draws a target at random again, or loses a
    value's key order makes the two history files differ."""
    spec = replace(_EVERY_FAULT, nemesis=[package])
    first = run(spec, out=str(tmp_path / "a"))
    assert run_schedule(simulate(spec).history, spec)["events"], f"{package}: no faults ran"
    main(["run", "--replay", first.run_dir, "--out", str(tmp_path / "b")])
    a = (tmp_path / "a" / "history.jsonl").read_bytes()
    assert a == (tmp_path / "b" / "history.jsonl").read_bytes()


def test_run_dir_schedule_and_cli_replay(tmp_path: Path, capsys: Any) -> None:
    first = run(KILL, out=str(tmp_path / "a"))
    saved = json.loads((tmp_path / "a" / "schedule.json").read_text())
    assert saved == load_schedule(first.run_dir) and saved["version"] == 1
    assert main(["run", "--replay", first.run_dir, "--out", str(tmp_path / "b")]) == 1
    a = (tmp_path / "a" / "history.jsonl").read_bytes()
    assert a == (tmp_path / "b" / "history.jsonl").read_bytes()
    empty = tmp_path / "none.json"
    empty.write_text('{"version": 1, "events": []}')
    args = ["run", "-s", KILL.system, "-n", "kill", "--seed", "1", "--time-limit", "5"]
    main([*args, "--schedule", str(empty), "--out", str(tmp_path / "c")])
    c = (tmp_path / "c" / "history.jsonl").read_text()
    assert '"kill"' not in c  # no faults played; the final heal ("start") still runs
    assert main([*args, "--schedule", str(tmp_path / "nope.json")]) == 2
