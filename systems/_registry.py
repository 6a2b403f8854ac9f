"""The table of built-in systems, plus user systems named as ``package.module:Attr``."""

from __future__ import annotations

import importlib

from ddialab.errors import UsageError
from systems._protocols import SystemEntry
from systems.single import ENTRY as SINGLE_NODE
from systems.single import ENTRY_UNSAFE as SINGLE_NODE_UNSAFE

SYSTEMS: dict[str, SystemEntry] = {e.name: e for e in [SINGLE_NODE, SINGLE_NODE_UNSAFE]}


def register_system(entry: SystemEntry) -> None:
    SYSTEMS[entry.name] = entry


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
