"""Workloads: generators that drive clients, with the checkers that judge their histories.

Public surface: ``WORKLOADS`` (name -> ``Workload``), ``get_workload``, ``Workload``.
"""

from ddialab.errors import UsageError
from workloads._protocol import CheckerSpec, Workload
from workloads.register import WORKLOAD as REGISTER

WORKLOADS: dict[str, Workload] = {w.name: w for w in [REGISTER]}


def get_workload(name: str) -> Workload:
    try:
        return WORKLOADS[name]
    except KeyError:
        raise UsageError(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}") from None


__all__ = ["WORKLOADS", "CheckerSpec", "Workload", "get_workload"]
