"""The table of built-in systems, gathered from each family package, plus user systems.

Each family package (``systems.single``, ``systems.storage``, ...) exports ``ENTRIES``, a
list of ``SystemEntry``.  The table is explicit: every family listed below is imported,
and a missing one, a family without ``ENTRIES`` or a name registered twice fails loudly
at import.  Adding a family means writing it and listing it here.  Users name their own
system as ``package.module:Attr`` (a ``SystemEntry``).
"""

from __future__ import annotations

import importlib

from ddialab.errors import UsageError
from ddialab.vocabulary import unknown_name
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
    for name in FAMILY_MODULES:
        for entry in importlib.import_module(name).ENTRIES:
            if entry.name in table:
                raise ValueError(f"system {entry.name!r} is registered twice ({name})")
            table[entry.name] = entry
    return table


SYSTEMS: dict[str, SystemEntry] = _collect()


def get_system(name: str) -> SystemEntry:
    if name in SYSTEMS:
        return SYSTEMS[name]
    if ":" in name:
        return _load_user_system(name)
    raise UsageError(unknown_name("system", name, list(SYSTEMS)) + " (or module:Attr)")


def _load_user_system(target: str) -> SystemEntry:
    module, _, attr = target.partition(":")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise UsageError(f"cannot load system {target!r}: {e}") from None
    if not isinstance(obj, SystemEntry):
        raise UsageError(f"{target!r} is not a systems.SystemEntry")
    return obj
