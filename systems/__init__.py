"""Systems under test: the simulated world and every storage/replication model built on it.

Public surface::

    SYSTEMS                    # name -> SystemEntry (description, claims, factory)
    get_system(name)           # -> SystemEntry; also accepts "package.module:Attr"
    Client, System, Primaries, Upgradable, SystemEntry   # the protocols
    Scenario                   # a fault mix + workload the matrix runs a system under
    known_claims(names, owner) # claims given as an option, checked against the vocabulary
    KVClient, request_for, completion_for                # the key-value message client

Importing ``systems`` is light: the protocols load at once, while ``SYSTEMS`` and
``get_system`` (whose registry imports every family) and the KV client (which imports the
simulated world) load on first use (PEP 562 ``__getattr__``).  So a nemesis asking
``isinstance(system, Primaries)``, or a family importing ``SystemEntry``, does not load the
other families.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from systems._protocols import (
    Client,
    Primaries,
    Scenario,
    System,
    SystemEntry,
    Upgradable,
    known_claims,
)

if TYPE_CHECKING:
    from systems._kvclient import KVClient, completion_for, request_for
    from systems._registry import SYSTEMS, get_system

#: public name -> the private module that defines it, imported on first use
_LAZY = {
    "SYSTEMS": "systems._registry",
    "get_system": "systems._registry",
    "KVClient": "systems._kvclient",
    "completion_for": "systems._kvclient",
    "request_for": "systems._kvclient",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'systems' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "SYSTEMS",
    "Client",
    "KVClient",
    "Primaries",
    "Scenario",
    "System",
    "SystemEntry",
    "Upgradable",
    "completion_for",
    "get_system",
    "known_claims",
    "request_for",
]
