"""The pytest plugin, exercised in a child pytest run (pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

PASSING = """
def test_single_node_is_linearizable(ddialab):
    result = ddialab.check(system="single-node", workload="register",
                           nemesis=["partition", "kill"], time_limit=4)
    assert result.spec.seed == ddialab.seed
"""

FAILING = """
def test_unsafe_node(ddialab):
    ddialab.check(system="single-node-ack-before-fsync", workload="register",
                  nemesis=["kill"], time_limit=10, rate=100, nemesis_interval=1)
"""

ASYNC = """
import trio

async def test_from_trio(ddialab):
    await trio.sleep(0)
    result = await ddialab.run_async(system="single-node", workload="register", time_limit=2)
    assert result.valid is True
"""


def test_seeds_option_parametrizes_over_seeds(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PASSING)
    result = pytester.runpytest("-p", "no:cacheprovider", "--ddialab-seed", "5",
                                "--ddialab-seeds", "3", "-v")  # fmt: skip
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*seed5*PASSED*", "*seed6*PASSED*", "*seed7*PASSED*"])


def test_failure_message_has_explanation_seed_and_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FAILING)
    out = pytester.path / "runs"
    result = pytester.runpytest("-p", "no:cacheprovider", "--ddialab-seed", "1",
                                "--ddialab-out", str(out))  # fmt: skip
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "ddialab run INVALID: single-node-ack-before-fsync x register x kill" in text
    assert "nonlinearizable" in text
    assert "seed: 1" in text
    assert "replay: ddialab run --system single-node-ack-before-fsync" in text
    assert "report: " in text and "report.html" in text
    assert list(out.rglob("history.jsonl"))


def test_async_tests_run_under_pytest_trio(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(ASYNC)
    pytester.makeini("[pytest]\ntrio_mode = true\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
