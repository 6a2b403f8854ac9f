"""Workloads: generators that drive clients, with the checkers that judge their histories.

Public surface: ``WORKLOADS`` (name -> ``Workload``), ``get_workload``, ``Workload``.
Each workload module exports ``WORKLOAD``; modules not present are skipped, so adding a
workload means adding its module name to ``WORKLOAD_MODULES``.
"""

from ddialab._optional import present_modules
from ddialab.errors import UsageError
from workloads._protocol import CheckerSpec, Workload

WORKLOAD_MODULES = (
    "workloads.register",
    "workloads.kv_delete",
    "workloads.list_append",
    "workloads.rw_register",
    "workloads.bank",
    "workloads.set",
    "workloads.counter",
    "workloads.session",
    "workloads.text",
    "workloads.queue",
    "workloads.lock",
    "workloads.secondary_index",
    "workloads.derived",
    "workloads.documents",
    "workloads.records",
)


def _collect() -> dict[str, Workload]:
    table: dict[str, Workload] = {}
    for module in present_modules(WORKLOAD_MODULES):
        for w in getattr(module, "WORKLOADS", [getattr(module, "WORKLOAD", None)]):
            if w is not None:
                table[w.name] = w
    return table


WORKLOADS: dict[str, Workload] = _collect()


def get_workload(name: str) -> Workload:
    try:
        return WORKLOADS[name]
    except KeyError:
        raise UsageError(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}") from None


__all__ = ["WORKLOADS", "CheckerSpec", "Workload", "get_workload"]
