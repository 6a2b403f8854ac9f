"""Systems under test: the simulated world and every storage/replication model built on it.

Public surface::

    SYSTEMS                    # name -> SystemEntry (description, claims, factory)
    get_system(name)           # -> SystemEntry; also accepts "package.module:Attr"
    Client, System, Primaries, Upgradable, SystemEntry   # the protocols
    Scenario                   # a fault mix + workload the matrix runs a system under
"""

from systems._protocols import Client, Primaries, Scenario, System, SystemEntry, Upgradable
from systems._registry import SYSTEMS, get_system

__all__ = [
    "SYSTEMS",
    "Client",
    "Primaries",
    "Scenario",
    "System",
    "SystemEntry",
    "Upgradable",
    "get_system",
]
