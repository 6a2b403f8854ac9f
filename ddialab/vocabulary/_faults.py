"""The fault vocabulary: every fault kind a nemesis can perform, declared once.

Theory of operation
-------------------
A fault kind is named by the ``f`` of the nemesis op that starts it (``kill``,
``start-partition``, ``bump-clock``).  Its declaration says everything the other layers
need to know about it, so none of them keeps a table of its own:

* ``heal`` -- the ``f`` that undoes it (``None``: nothing to undo, e.g. a bit flip).
  Schedules group a fault with the heals that follow it (the shrinker removes them
  together), hypothesis strategies follow each fault with its heal, and reports draw
  the span from the fault to its heal as one band.
* ``heal_at_end`` -- whether every run performs the heal once after the main phase
  (``False`` for ``upgrade``: versions stay where the run left them).
* ``resolved`` -- the invocation value is a *spec* (``"one"``, ``"isolate"``) that the
  nemesis resolves; its completion's value is the explicit one (nodes, grudge, deltas),
  which ``schedule.json`` keeps as ``applied`` so a replay draws nothing at random.
* ``band`` and ``color`` -- the report band the fault opens (several kinds share one:
  every clock fault is a ``clock`` band) and its colour.
* ``sim`` / ``real`` -- whether simulated worlds and/or real processes can suffer it.

Adding a fault kind is one ``FaultKind`` line here plus the nemesis that performs it;
``tests/nemesis/test_vocabulary.py`` fails until every layer agrees.

This module is data only: it imports nothing of the project.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultKind:
    """One fault kind, named by the ``f`` that starts it."""

    f: str
    heal: str | None
    resolved: bool
    band: str
    color: str
    sim: bool
    real: bool
    description: str
    heal_at_end: bool = True


_PARTITION, _KILL, _PAUSE = "#f4c7c3", "#c9daf8", "#fce5cd"
_CLOCK, _NETWORK, _DISK, _UPGRADE = "#d9d2e9", "#d0e0e3", "#ead1dc", "#d9ead3"


def _clock(f: str, what: str) -> FaultKind:
    return FaultKind(f, "reset-clock", True, "clock", _CLOCK, True, False, what)


def _disk(f: str, what: str) -> FaultKind:
    return FaultKind(f, None, True, "disk", _DISK, True, False, what)


#: every fault kind, in the order reports list their legends
FAULT_KINDS: tuple[FaultKind, ...] = (
    FaultKind("start-partition", "stop-partition", True, "partition", _PARTITION, True, True,
              "network partition: nodes stop hearing from some others"),
    FaultKind("kill", "start", True, "kill", _KILL, True, True,
              "crash nodes (volatile state and unsynced disk lost); start restarts them"),
    FaultKind("pause", "resume", True, "pause", _PAUSE, True, True,
              "pause nodes (SIGSTOP-like); resume continues them"),
    _clock("bump-clock", "jump some nodes' clocks by a delta"),
    _clock("set-clock", "set some nodes' clock offsets"),
    _clock("strobe-clock", "strobe some nodes' clocks back and forth"),
    _clock("drift-clock", "make a node's clock run fast or slow"),
    FaultKind("degrade-network", "heal-network", True, "network", _NETWORK, True, False,
              "loss, duplication, delay or reordering on some links"),
    _disk("lose-unsynced", "power-cut a node: unsynced writes lost, restart at once"),
    _disk("torn-crash", "power-cut a node with a torn final write, restart at once"),
    _disk("flip-bit", "flip one bit in a file of a node"),
    FaultKind("upgrade", "downgrade", True, "upgrade", _UPGRADE, True, False,
              "restart a node on the next schema version; downgrade goes back",
              heal_at_end=False),
)  # fmt: skip

#: fault kind by the ``f`` that starts it
FAULTS: dict[str, FaultKind] = {k.f: k for k in FAULT_KINDS}
#: every ``f`` that heals some fault kind
HEAL_FS: frozenset[str] = frozenset(k.heal for k in FAULT_KINDS if k.heal)
#: faults whose invocation value is a spec; their completion's value is explicit
RESOLVED_FS: frozenset[str] = frozenset(k.f for k in FAULT_KINDS if k.resolved)
#: every ``f`` a nemesis op may carry: faults and heals
FAULT_FS: frozenset[str] = frozenset(FAULTS) | HEAL_FS


def fault_fs(kinds: tuple[FaultKind, ...] | list[FaultKind]) -> frozenset[str]:
    """The start and heal ``f`` names of some kinds."""
    return frozenset(f for k in kinds for f in (k.f, k.heal) if f)


def real_fs() -> frozenset[str]:
    """Every ``f`` (faults and heals) a real system can suffer."""
    return fault_fs([k for k in FAULT_KINDS if k.real])


def band_of(f: str) -> tuple[FaultKind, bool] | None:
    """``(kind, opens)`` for a declared fault or heal ``f``; ``None`` for another name.

    A heal shared by several kinds (``reset-clock``) answers the first of them: they
    share one band.
    """
    kind = FAULTS.get(f)
    if kind is not None:
        return kind, True
    for kind in FAULT_KINDS:
        if kind.heal == f:
            return kind, False
    return None


__all__ = [
    "FAULTS",
    "FAULT_FS",
    "FAULT_KINDS",
    "HEAL_FS",
    "RESOLVED_FS",
    "FaultKind",
    "band_of",
    "fault_fs",
    "real_fs",
]
