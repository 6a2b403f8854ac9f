"""Workloads: generators that drive clients, with the checkers that judge their histories.

Public surface: ``WORKLOADS`` (name -> ``Workload``), ``get_workload``, ``Workload``,
``Option`` (a workload's declared option), ``typed(Settings, options, name)`` (a
workload's options as its frozen settings dataclass), ``strongest_claim`` (the strongest
transactional model among a system's claims: the model Elle checks a transactional
workload against).
Each module in ``WORKLOAD_MODULES`` exports ``WORKLOAD`` (or ``WORKLOADS``, a list).  The
table is explicit: every module listed is imported, and a missing one (or a duplicate name)
fails loudly at import, never silently.
Adding a workload means writing its module and listing it here.
"""

import importlib

from ddialab.errors import UsageError
from ddialab.vocabulary import Option, unknown_name
from workloads._protocol import CheckerSpec, Workload, typed
from workloads._txn import strongest_claim

WORKLOAD_MODULES = (
    "workloads.register",
    "workloads.kv_delete",
    "workloads.list_append",
    "workloads.rw_register",
    "workloads.bank",
    "workloads.session",
    "workloads.text",
    "workloads.lock",
    "workloads.secondary_index",
    "workloads.derived",
    "workloads.documents",
    "workloads.records",
)


def _collect() -> dict[str, Workload]:
    table: dict[str, Workload] = {}
    for name in WORKLOAD_MODULES:
        module = importlib.import_module(name)
        for w in getattr(module, "WORKLOADS", None) or [module.WORKLOAD]:
            if w.name in table:
                raise ValueError(f"workload {w.name!r} is registered twice ({name})")
            table[w.name] = w
    return table


WORKLOADS: dict[str, Workload] = _collect()


def get_workload(name: str) -> Workload:
    try:
        return WORKLOADS[name]
    except KeyError:
        raise UsageError(unknown_name("workload", name, list(WORKLOADS))) from None


__all__ = [
    "WORKLOADS",
    "CheckerSpec",
    "Option",
    "Workload",
    "get_workload",
    "strongest_claim",
    "typed",
]
