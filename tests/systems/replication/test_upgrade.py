"""Rolling upgrades: per-node schema versions, the upgrade nemesis, lost fields by seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checkers import get_checker
from ddialab.cli import main
from ddialab.history import History
from ddialab.runner import TestSpec, run, shrink_run, simulate
from nemesis import build_nemesis
from systems import SYSTEMS, Upgradable
from systems.replication._upgrade import ENTRIES, RecordSystem, claims_for


def spec(system: str, **kw: Any) -> TestSpec:
    base: dict[str, Any] = {"system": system, "workload": "records", "nemesis": ["upgrade"],
                            "time_limit": 5.0, "nemesis_interval": 1.0}  # fmt: skip
    return TestSpec(**{**base, **kw})


def verdict(history: History) -> dict[str, Any]:
    result: dict[str, Any] = get_checker("lost-fields")(history, {})
    return result


def upgrades(history: History) -> list[Any]:
    return [(op.value, op.error) for op in history
            if op.process == "nemesis" and op.type == "info" and op.f == "upgrade"]  # fmt: skip


def test_entries_are_registered_with_their_claims_and_the_upgrade_nemesis() -> None:
    """Guards registration: each entry in SYSTEMS, claims computed from options, and the
    upgrade scenario the matrix plan runs (its only one)."""
    for e in ENTRIES:
        assert SYSTEMS[e.name] is e and e.claims == claims_for(e.defaults)
        assert [s.nemesis for s in e.scenarios] == [("upgrade",)] and not e.common_mix
        assert isinstance(e.build(), Upgradable)
    assert SYSTEMS["leader-follower-rolling-upgrade"].claims == {"field-preservation"}
    assert SYSTEMS["leader-follower-upgrade-drops-unknown"].claims == frozenset()
    assert SYSTEMS["leader-follower-upgrade-forced-incompatible"].claims == frozenset()


@pytest.mark.parametrize("name", ["leader-follower-rolling-upgrade",
                                  "leader-follower-rolling-upgrade-avro"])  # fmt: skip
@pytest.mark.parametrize("seed", [0, 1])
def test_keeping_unknown_fields_loses_none_through_a_rolling_upgrade(name: str, seed: int) -> None:
    """Guards kept unknown fields (tagged and Avro): under upgrades and downgrades every
    read by v2 code still has the email an acknowledged write set."""
    history = simulate(spec(name, seed=seed)).history
    moves = [err for v, err in upgrades(history) if v.get("node")]
    assert len(moves) >= 2 and set(moves) == {None}
    r = verdict(history)
    assert r["valid"] is True and r["reads_checked"] > 20


@pytest.mark.parametrize("seed", [0, 1])
def test_old_code_that_drops_unknown_fields_is_caught(seed: int) -> None:
    """Guards the hazard and the checker end to end: among the witnesses, a record written
    by v2 code, rewritten by a v1 update, read back by v2 code without its email."""
    r = verdict(simulate(spec("leader-follower-upgrade-drops-unknown", seed=seed)).history)
    assert r["valid"] is False and "lost-field" in r["anomaly_types"]
    witnesses = r["anomalies"]["lost-field"]
    assert all(w["field"] == "email" and w["read_schema"] == 2 for w in witnesses)
    rmw = [w for w in witnesses
           if w["write_schema"] == 2 and any(u["schema"] == 1 for u in w["updates"])]  # fmt: skip
    assert rmw, "no loss by a v1 read-modify-write of a v2 record"


def test_an_incompatible_upgrade_is_refused_unless_forced() -> None:
    """Guards the compatibility check before the upgrade (v3 adds a required field without
    default): refused, nobody moves, every record decodes; forced, v3 cannot decode."""
    opts = {"versions": [2, 3], "force_upgrade": False}
    history = simulate(spec("leader-follower-rolling-upgrade", system_options=opts)).history
    refusals = upgrades(history)
    assert refusals and all(err == "incompatible-schema" for _, err in refusals)
    assert any("tier" in p for v, _ in refusals for p in v["refused"])
    assert verdict(history)["valid"] is True
    forced = simulate(spec("leader-follower-upgrade-forced-incompatible")).history
    r = verdict(forced)
    assert r["anomaly_types"] == ["undecodable-record"]
    w = r["anomalies"]["undecodable-record"][0]
    assert w["reader_schema"] == 3 and w["writer_schema"] == 2


def test_the_nemesis_rolls_forward_one_node_at_a_time_then_back() -> None:
    """Guards the rolling order and the explicit, replayable values."""
    system = RecordSystem({"nodes": 3, "versions": [1, 2]})

    class FakeWorld:
        def host(self, name: str) -> Any:
            return type("Host", (), {"state": "down"})()

    package = build_nemesis(["upgrade"], spec("leader-follower-rolling-upgrade"))
    nem, world = package.nemesis, FakeWorld()
    seen = [nem.invoke(world, system, {"f": f})["value"]
            for f in ["upgrade"] * 4 + ["downgrade"] * 4]  # fmt: skip
    nodes = [v["node"] for v in seen]
    assert nodes == ["n1", "n2", "n3", None, "n3", "n2", "n1", None]
    assert nem.invoke(world, system, {"f": "upgrade", "value": seen[1]})["value"] == seen[1]
    assert system.schema_versions() == {"n1": 1, "n2": 2, "n3": 1}


def test_replay_of_an_upgrade_schedule_is_byte_identical(tmp_path: Path) -> None:
    """Guards replayability: schedule.json holds each move explicitly (``applied``) and a
    replay reproduces the history byte for byte."""
    first = run(spec("leader-follower-upgrade-drops-unknown"), out=str(tmp_path / "a"))
    events = json.loads((tmp_path / "a" / "schedule.json").read_text())["events"]
    assert [e["f"] for e in events][:3] == ["upgrade"] * 3
    assert all("applied" in e for e in events[:3])
    assert main(["run", "--replay", first.run_dir, "--out", str(tmp_path / "b")]) == 1
    original = (tmp_path / "a" / "history.jsonl").read_bytes()
    assert (tmp_path / "b" / "history.jsonl").read_bytes() == original


def test_shrinking_keeps_the_lost_field_with_fewer_ops(tmp_path: Path) -> None:
    """Guards shrinkability: upgrade faults are units the shrinker removes or keeps."""
    src = run(spec("leader-follower-upgrade-drops-unknown"), out=str(tmp_path / "orig"))
    out = shrink_run(src.run_dir, out=str(tmp_path / "small"), max_runs=10)
    assert out["reproduced"] and out["anomaly"] == "lost-field"
    assert out["after"]["ops"] < out["before"]["ops"]
    assert 1 <= out["after"]["faults"] <= out["before"]["faults"]
