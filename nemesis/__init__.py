"""Fault injection: nemeses for the simulated world, named packages, composition,
explicit schedules and shrinking; faults for real servers (``nemesis.real``) drive the
loopback TCP proxy, signals and libfaketime of ``systems.external``.

Public surface::

    NEMESES, build_nemesis(names, spec) -> NemesisPackage
    Nemesis, NemesisPackage, ComposedNemesis, compose, alternate, Alternate
    PartitionNemesis, KillNemesis, PauseNemesis, ClockNemesis, grudge_for, pick_nodes
    NetworkNemesis, DiskNemesis
    ScheduleGen, parse_schedule, schedule_document, fault_units   # schedules as data
    ddmin                                                         # delta debugging
    nemesis.strategies (hypothesis strategies; imports hypothesis)
"""

from nemesis._core import ComposedNemesis, Nemesis, NemesisPackage, compose
from nemesis._faults import (
    PARTITION_KINDS,
    TARGETS,
    ClockNemesis,
    KillNemesis,
    PartitionNemesis,
    PauseNemesis,
    grudge_for,
    pick_nodes,
)
from nemesis._packages import (
    HEALS,
    NEMESES,
    NEMESIS_CLASSES,
    Alternate,
    NemesisEntry,
    alternate,
    build_nemesis,
    schedule_package,
)
from nemesis._quality import NETWORK_KINDS, DiskNemesis, NetworkNemesis
from nemesis._schedule import (
    HEAL_FS,
    ScheduleGen,
    fault_units,
    parse_schedule,
    schedule_document,
)
from nemesis._shrink import ddmin

__all__ = [
    "HEALS",
    "HEAL_FS",
    "NEMESES",
    "NEMESIS_CLASSES",
    "NETWORK_KINDS",
    "PARTITION_KINDS",
    "TARGETS",
    "Alternate",
    "ClockNemesis",
    "ComposedNemesis",
    "DiskNemesis",
    "KillNemesis",
    "Nemesis",
    "NemesisEntry",
    "NemesisPackage",
    "NetworkNemesis",
    "PartitionNemesis",
    "PauseNemesis",
    "ScheduleGen",
    "alternate",
    "build_nemesis",
    "compose",
    "ddmin",
    "fault_units",
    "grudge_for",
    "parse_schedule",
    "pick_nodes",
    "schedule_document",
    "schedule_package",
]
