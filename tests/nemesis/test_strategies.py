"""The hypothesis strategies users get: schedules, test specs, valid/anomalous histories."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from checkers import get_checker
from ddialab.runner import TestSpec, simulate
from ddialab.testing import test_specs
from nemesis import HEAL_FS, build_nemesis, parse_schedule
from nemesis.strategies import anomalous_histories, schedules, valid_histories

LINEARIZABLE = {"model": "cas-register", "independent": True, "init": None}


@given(schedules(["n1", "n2", "n3"], time_limit_s=3))
def test_schedules_are_valid_and_heal_every_fault(schedule: dict[str, Any]) -> None:
    events = parse_schedule(schedule)
    assert events == schedule["events"]
    faults = [e for e in events if e["f"] not in HEAL_FS]
    assert len(faults) * 2 == len(events)
    spec = TestSpec(system="leader-follower", schedule=schedule)
    assert build_nemesis([], spec).nemesis.fs >= {e["f"] for e in events}


@settings(max_examples=4)
@given(test_specs(systems=["single-node", "leader-follower"], max_time_s=2))
def test_specs_run(spec: TestSpec) -> None:
    h = simulate(spec).history
    assert len(h.nemesis_ops()) >= 2 * len(spec.schedule["events"])  # type: ignore[index]


@settings(max_examples=10)
@given(valid_histories())
def test_valid_histories_are_linearizable(history: Any) -> None:
    """Guards the generator of valid histories (and the checker on them): linearizable,
    except a history whose every op is a read with no known result, which constrains
    nothing and so is "unknown" (fail closed), never valid."""
    result = get_checker("linearizable")(history, LINEARIZABLE)
    client = history.client_ops()
    if client and all(op.f == "read" and op.type != "ok" for op in client):
        assert result["valid"] == "unknown", result
    else:
        assert result["valid"] is True, result


@settings(max_examples=10)
@given(anomalous_histories())
def test_elle_anomalies_are_found(pair: tuple[Any, set[str]]) -> None:
    history, expected = pair
    found = set(get_checker("elle")(history, {})["anomaly_types"])
    assert expected <= found


@settings(max_examples=10)
@given(anomalous_histories("session"))
def test_session_anomalies_are_found(pair: tuple[Any, set[str]]) -> None:
    history, expected = pair
    assert expected <= set(get_checker("session")(history, {})["anomaly_types"])
