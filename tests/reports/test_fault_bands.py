"""Reports draw a band for every declared fault kind, in its declared colour.

Guards: a fault kind declared in ``ddialab.vocabulary`` whose ops the report draws as
unrelated instants (its heal not closing its band), or in a hashed colour.
"""

from __future__ import annotations

from ddialab.vocabulary import FAULT_KINDS
from reports._history import nemesis_bands
from reports._svg import band_color


def _op(f: str, t: int) -> tuple[dict, dict]:
    return ({"f": f, "time": t, "index": t}, {"f": f, "time": t + 1, "index": t + 1})


def test_every_fault_kind_opens_a_band_its_heal_closes() -> None:
    for kind in FAULT_KINDS:
        ops = [_op(kind.f, 10)] + ([_op(kind.heal, 50)] if kind.heal else [])
        bands = nemesis_bands(ops, t_end=99)
        assert len(bands) == 1, kind.f
        band = bands[0]
        assert (band.start, band.end) == ((10, 51) if kind.heal else (10, 11)), kind.f
        assert band_color(band.kind) == kind.color, kind.f


def test_foreign_histories_keep_their_pairs() -> None:
    """Jepsen's ``crash``/``restart`` and generic ``start-X``/``stop-X`` still pair."""
    bands = nemesis_bands([_op("crash", 1), _op("start-x", 2), _op("restart", 5),
                           _op("stop-x", 7)], t_end=9)  # fmt: skip
    assert [(b.kind, b.start, b.end) for b in bands] == [("crash", 1, 6), ("x", 2, 8)]
