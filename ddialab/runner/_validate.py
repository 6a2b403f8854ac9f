"""Checking a spec before anything runs: every name and option against a declared table.

Theory of operation
-------------------
A run's inputs are names (system, workload, nemesis packages, checkers), option maps (the
system's and the workload's) and numbers.  Each is checked against what its owner
declares -- the system and workload registries, ``SystemEntry.declared_options()``,
``Workload.declared_options()``, ``checkers.CHECKERS``, the nemesis table -- and the
first mistake is a ``UsageError`` (exit 2) naming the one thing that is wrong, with a
"did you mean" for names and the allowed values for enumerations.  Nothing is silently
accepted: an option no one declared would otherwise be ignored and the run would test
something other than what was asked.  ``validate_spec`` runs at the start of
``runner.run``, so the CLI, the matrix and the pytest plugin all get it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checkers import CHECKERS
from ddialab.errors import UsageError
from ddialab.runner._spec import TestSpec
from ddialab.vocabulary import OptionError, unknown_name, validate_options
from systems import get_system
from systems.external import workloads_of
from workloads import get_workload

#: numeric spec fields: (field, test, what it must be)
RANGES: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("time_limit", lambda v: v >= 0, ">= 0"),
    ("concurrency", lambda v: v >= 1, ">= 1"),
    ("rate", lambda v: v > 0, "> 0"),
    ("op_timeout", lambda v: v > 0, "> 0"),
    ("nemesis_interval", lambda v: v > 0, "> 0"),
    ("quiesce", lambda v: v >= 0, ">= 0"),
)


def flag(field: str) -> str:
    """The command-line flag of a spec field (``time_limit`` -> ``--time-limit``)."""
    return "--" + field.replace("_", "-")


def check_range(name: str, value: Any, test: Callable[[Any], bool], must: str) -> None:
    """A usage error naming ``name`` unless ``test(value)`` (NaN fails every test)."""
    if not test(value):
        raise UsageError(f"{name} must be {must}, got {value!r}")


def check_ranges(spec: TestSpec) -> None:
    for field, test, must in RANGES:
        check_range(flag(field), getattr(spec, field), test, must)


def check_checkers(names: list[str] | None) -> None:
    for name in names or []:
        if name not in CHECKERS:
            raise UsageError(unknown_name("checker", name, list(CHECKERS)))


def check_pairing(spec: TestSpec) -> None:
    """A system runs only the workloads it declares: any other pairing would drive it with
    ops its clients do not speak (a crash, or a history that checks nothing).

    Real datastores declare theirs in ``systems.external.WORKLOADS`` (their entries list
    none, so the simulated matrix leaves them out); a user's real system that declares no
    workload at all is taken at its word for whatever it is given."""
    entry = get_system(spec.system)
    workload = get_workload(spec.workload)
    declared = workloads_of(entry)
    if declared and workload.name not in declared:
        runs = ", ".join(declared)
        raise UsageError(
            f"system {entry.name} does not run workload {workload.name!r}; it runs: {runs}"
        )


def check_options(spec: TestSpec) -> None:
    entry = get_system(spec.system)
    workload = get_workload(spec.workload)
    try:
        validate_options(spec.system_options, entry.declared_options(), f"system {entry.name}")
        entry.check_options(spec.system_options)
        validate_options(
            spec.workload_options, workload.declared_options(), f"workload {workload.name}"
        )
        workload.check_options(spec.workload_options)
    except OptionError as e:
        raise UsageError(str(e)) from None


def validate_spec(spec: TestSpec) -> None:
    """Raise ``UsageError`` on the first name, option or number the spec gets wrong."""
    from nemesis import build_nemesis

    check_ranges(spec)
    check_pairing(spec)
    check_options(spec)
    check_checkers(spec.checkers)
    build_nemesis(spec.nemesis, spec)


__all__ = ["check_pairing", "check_range", "check_ranges", "flag", "validate_spec"]
