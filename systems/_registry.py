"""The table of built-in systems, gathered from each family package, plus user systems.

Each family package (``systems.single``, ``systems.storage``, ...) exports ``ENTRIES``, a
list of ``SystemEntry``.  A family that is not installed (or not written yet) is skipped,
so families are added without touching this file's logic: list the module below.  Users
name their own system as ``package.module:Attr`` (a ``SystemEntry``).
"""

from __future__ import annotations

import importlib

from ddialab._optional import present_modules
from ddialab.errors import UsageError
from systems._protocols import SystemEntry

FAMILY_MODULES = (
    "systems.single",
    "systems.storage",
    "systems.replication",
    "systems.partitioning",
    "systems.transactions",
    "systems.consensus",
    "systems.derived",
    "systems.external",
)


def _collect() -> dict[str, SystemEntry]:
    table: dict[str, SystemEntry] = {}
    for module in present_modules(FAMILY_MODULES):
        for entry in getattr(module, "ENTRIES", []):
            table[entry.name] = entry
    return table


SYSTEMS: dict[str, SystemEntry] = _collect()


def get_system(name: str) -> SystemEntry:
    if name in SYSTEMS:
        return SYSTEMS[name]
    if ":" in name:
        return _load_user_system(name)
    raise UsageError(f"unknown system {name!r}; known: {', '.join(SYSTEMS)} (or module:Attr)")


def _load_user_system(target: str) -> SystemEntry:
    module, _, attr = target.partition(":")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise UsageError(f"cannot load system {target!r}: {e}") from None
    if not isinstance(obj, SystemEntry):
        raise UsageError(f"{target!r} is not a systems.SystemEntry")
    return obj
