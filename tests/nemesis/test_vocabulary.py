"""The fault vocabulary (``ddialab.vocabulary.FAULT_KINDS``) and the nemeses agree.

Guards: a fault kind added to a nemesis but not declared (replay would not keep its
explicit value, the shrinker would not group its heal), a declared kind no nemesis
performs, a real fault the real nemesis cannot perform (or performs without declaring it
real), and the tables derived from the vocabulary drifting from it.
"""

from __future__ import annotations

from hypothesis import given, settings

from ddialab.vocabulary import (
    FAULT_FS,
    FAULT_KINDS,
    FAULTS,
    HEAL_FS,
    RESOLVED_FS,
    fault_fs,
    real_fs,
)
from nemesis import HEALS, NEMESIS_CLASSES
from nemesis.real import ABILITIES, RealNemesis, abilities_missing
from nemesis.strategies import FAULT_KINDS as STRATEGY_KINDS
from nemesis.strategies import fault_events

SIM_FS = frozenset().union(*(cls.fs for cls in NEMESIS_CLASSES))


def test_every_f_a_nemesis_handles_is_declared() -> None:
    """A nemesis's new ``f`` fails here until it is declared once."""
    assert set() == SIM_FS - FAULT_FS
    assert RealNemesis.fs - FAULT_FS == set()


def test_every_declared_kind_is_handled_where_it_applies() -> None:
    """Each kind's fault and heal are handled by a simulated and/or the real nemesis,
    exactly as its ``sim``/``real`` flags say."""
    for kind in FAULT_KINDS:
        fs = fault_fs([kind])
        assert kind.sim == (fs <= SIM_FS), kind.f
        assert kind.real == (fs <= RealNemesis.fs), kind.f
        assert kind.sim or kind.real, kind.f


def test_real_abilities_cover_exactly_the_real_kinds() -> None:
    assert frozenset(ABILITIES) == real_fs() == RealNemesis.fs

    class Bare:
        pass

    assert "simulated world only" in str(abilities_missing(Bare(), "bump-clock"))
    assert abilities_missing(Bare(), "kill") == "kill()/start()"


def test_final_heals_derive_from_the_vocabulary() -> None:
    """Every nemesis class's final heal is its kinds' heal, unless left as is."""
    for cls in NEMESIS_CLASSES:
        expected = {k.heal for k in FAULT_KINDS if k.f in cls.fs and k.heal_at_end and k.heal}
        heal = HEALS[cls]
        assert ({heal["f"]} if heal else set()) == expected, cls.__name__
    assert HEALS[next(c for c in NEMESIS_CLASSES if "upgrade" in c.fs)] is None


def test_heals_and_resolved_faults_are_disjoint_and_declared() -> None:
    assert set() == HEAL_FS & RESOLVED_FS
    assert {k.heal for k in FAULT_KINDS if k.heal} == HEAL_FS
    assert {"start-partition", "kill", "flip-bit", "upgrade"} <= RESOLVED_FS


def test_strategy_kinds_are_declared_bands() -> None:
    assert set(STRATEGY_KINDS) <= {k.band for k in FAULT_KINDS}


@settings(max_examples=25)
@given(fault_events(["n1", "n2", "n3"], kinds=(*STRATEGY_KINDS, "upgrade"), max_faults=1))
def test_strategies_follow_each_fault_with_its_declared_heal(events: list[dict]) -> None:
    """``nemesis.strategies`` heals each fault it draws with the vocabulary's heal."""
    faults = [e["f"] for e in events if e["f"] in FAULTS]
    heals = [e["f"] for e in events if e["f"] in HEAL_FS]
    assert heals == [FAULTS[f].heal for f in faults]
