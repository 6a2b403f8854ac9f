"""Fault injection: nemeses for the simulated world, named packages, composition.

Public surface::

    NEMESES, build_nemesis(names, spec) -> NemesisPackage
    Nemesis, NemesisPackage, ComposedNemesis, compose
    PartitionNemesis, KillNemesis, PauseNemesis, ClockNemesis, grudge_for, pick_nodes
"""

from nemesis._core import ComposedNemesis, Nemesis, NemesisPackage, compose
from nemesis._faults import (
    ClockNemesis,
    KillNemesis,
    PartitionNemesis,
    PauseNemesis,
    grudge_for,
    pick_nodes,
)
from nemesis._packages import NEMESES, NemesisEntry, alternate, build_nemesis

__all__ = [
    "NEMESES",
    "ClockNemesis",
    "ComposedNemesis",
    "KillNemesis",
    "Nemesis",
    "NemesisEntry",
    "NemesisPackage",
    "PartitionNemesis",
    "PauseNemesis",
    "alternate",
    "build_nemesis",
    "compose",
    "grudge_for",
    "pick_nodes",
]
