"""Every registered name is backed by something that runs.

Enumerates the real tables (``SYSTEMS``, ``WORKLOADS``, ``CHECKERS``, the CLI's
subcommands), so a new system, workload or claim is covered the day it is registered.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from checkers import CHECKERS
from ddialab.cli import SUBCOMMAND_MODULES
from ddialab.matrix import verdicts
from ddialab.matrix._plan import DEFAULT_NEMESES
from systems import SYSTEMS
from systems.external import workloads_of
from workloads import WORKLOADS, Workload

SESSION_ALL = {"guarantees": {g: True for g in (
    "read-your-writes", "monotonic-reads", "monotonic-writes", "writes-follow-reads",
    "consistent-prefix")}}  # fmt: skip


def _checker_specs(workload: Workload, options: dict[str, Any]) -> dict[str, Any]:
    return workload.checkers({**(workload.defaults or {}), **options, "nemesis": DEFAULT_NEMESES})


def _speaks_for(result_names: list[str]) -> set[str]:
    """The guarantees the matrix reads off results with these names (via ``verdicts``)."""
    fake = {"valid": True, "not": [], "also_not": [], **SESSION_ALL}
    return set(verdicts({"checkers": {name: fake for name in result_names}}))


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_every_workload_declares_a_registered_checker(name: str) -> None:
    """Guards against a workload that runs no checker (a run of it would be judged by nothing)."""
    specs = _checker_specs(WORKLOADS[name], {})
    assert specs, f"workload {name} declares no checker"
    for result_name, (checker, _) in specs.items():
        assert checker in CHECKERS, f"{name}: {result_name} names unknown checker {checker}"


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_every_registered_checker_loads(name: str) -> None:
    """Guards against a table entry whose module or function does not exist."""
    assert callable(CHECKERS[name].load())


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_every_claim_maps_to_a_checker_on_one_of_its_workloads(name: str) -> None:
    """Guards against a claim no run of the system can confirm or refute (an n/a cell)."""
    entry = SYSTEMS[name]
    covered: set[str] = set()
    for workload in workloads_of(entry):
        options = dict(entry.workload_options.get(workload, {}))
        covered |= _speaks_for(list(_checker_specs(WORKLOADS[workload], options)))
    missing = sorted(entry.build().claims - covered)
    assert not missing, (
        f"{name} claims {missing} but no checker of {workloads_of(entry)} speaks for it"
    )


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_every_system_pairs_with_registered_workloads(name: str) -> None:
    """Guards against a system entry naming a workload that does not exist."""
    workloads = workloads_of(SYSTEMS[name])
    assert workloads and set(workloads) <= set(WORKLOADS), workloads


def test_every_subcommand_module_imports() -> None:
    """Guards against a listed subcommand module that is missing (it used to be skipped)."""
    for module in SUBCOMMAND_MODULES:
        assert callable(importlib.import_module(module).add_parser)
