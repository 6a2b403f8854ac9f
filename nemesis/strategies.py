"""Hypothesis strategies for your own tests: fault schedules and valid or anomalous histories
(whole test specs, which name the runner's ``TestSpec``, are ``ddialab.testing.test_specs``).

::

    from hypothesis import given
    from nemesis.strategies import schedules, valid_histories, anomalous_histories

    @given(schedules(["n1", "n2", "n3"], time_limit_s=5))
    def test_my_system_survives(schedule): ...

Schedules are explicit (concrete nodes, grudges, deltas), so any example replays exactly
(``TestSpec(schedule=...)``), and hypothesis shrinks them by dropping events and moving
them earlier.  Every fault is followed by its heal.  Histories come from the checkers'
own generators (``checkers.session.testing`` and ``checkers.elle.synth``): valid ones are
linearizable by construction; anomalous ones carry planted anomalies, returned with the
anomaly types a checker must report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from ddialab import vocabulary
from nemesis._faults import PARTITION_KINDS
from nemesis._quality import NETWORK_KINDS

FAULT_KINDS = ("partition", "kill", "pause", "clock", "network")
#: heal of each band (``upgrade``, not in FAULT_KINDS: only systems with schema versions)
_HEAL = {k.band: k.heal for k in vocabulary.FAULT_KINDS if k.heal}
_S = 1_000_000_000


def _subset(nodes: Sequence[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(sorted(nodes)), min_size=1, unique=True).map(sorted)


def _fault_value(kind: str, nodes: Sequence[str]) -> st.SearchStrategy[tuple[str, Any]]:
    if kind == "kill":
        return _subset(nodes).map(lambda ns: ("kill", ns))
    if kind == "pause":
        return _subset(nodes).map(lambda ns: ("pause", ns))
    if kind == "clock":
        delta = st.integers(-2 * _S, 2 * _S)
        return st.dictionaries(st.sampled_from(sorted(nodes)), delta, min_size=1).map(
            lambda d: ("bump-clock", dict(sorted(d.items())))
        )
    if kind == "upgrade":  # the nemesis picks the next node itself, deterministically
        return st.just(("upgrade", None))
    if kind == "network":
        return st.tuples(st.sampled_from(sorted(NETWORK_KINDS)), _subset(nodes)).map(
            lambda t: ("degrade-network", _links(t[0], t[1], nodes))
        )
    return _subset(nodes).map(lambda side: ("start-partition", _grudge(side, nodes)))


def _links(kind: str, victims: list[str], nodes: Sequence[str]) -> dict[str, Any]:
    others = [n for n in sorted(nodes) if n not in victims]
    links = [[a, b] for v in victims for o in others for a, b in ((v, o), (o, v))]
    return {"kind": kind, "links": links, **NETWORK_KINDS[kind]}


def _grudge(side: list[str], nodes: Sequence[str]) -> dict[str, Any]:
    other = sorted(set(nodes) - set(side))
    if not other:
        return {"kind": "isolate", "isolated": side}
    cut = {n: other for n in side} | {n: side for n in other}
    return {"kind": "custom", "grudge": dict(sorted(cut.items()))}


@st.composite
def fault_events(
    draw: st.DrawFn,
    nodes: Sequence[str],
    time_limit_s: float = 10.0,
    kinds: Sequence[str] = FAULT_KINDS,
    max_faults: int = 4,
) -> list[dict[str, Any]]:
    """A list of explicit, timed fault events, each fault followed by its heal."""
    n = draw(st.integers(0, max_faults))
    end = round(time_limit_s * _S)
    events: list[dict[str, Any]] = []
    for _ in range(n):
        kind = draw(st.sampled_from(list(kinds)))
        f, value = draw(_fault_value(kind, nodes))
        start = draw(st.integers(0, max(0, end - 1)))
        stop = draw(st.integers(start, end))
        events.append({"time_ns": start, "f": f, "value": value})
        events.append({"time_ns": stop, "f": _HEAL[kind], "value": None})
    return sorted(events, key=lambda e: e["time_ns"])


def schedules(nodes: Sequence[str], **kwargs: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Schedule documents, as ``schedule.json`` holds them (see ``fault_events``)."""
    return fault_events(nodes, **kwargs).map(lambda evs: {"version": 1, "events": evs})


def valid_histories(mode: str = "register", max_ops: int = 60) -> st.SearchStrategy[Any]:
    """Histories of a linearizable store (``mode``: register, append or txn)."""
    from checkers.session.testing import linearizable_history

    return st.builds(
        lambda seed, n, p: linearizable_history(seed, n_ops=n, processes=p, mode=mode),
        st.integers(0, 2**32),
        st.integers(1, max_ops),
        st.integers(1, 5),
    )


def anomalous_histories(kind: str = "elle") -> st.SearchStrategy[tuple[Any, set[str]]]:
    """``(history, expected anomaly types)``: ``kind="elle"`` plants transactional
    anomalies (G0, G1c, G-single, ...) in list-append histories; ``"session"`` picks a
    session-guarantee violation (the expected set is the violated guarantee)."""
    if kind == "session":
        from checkers.session.testing import PLANTS as SESSION_PLANTS

        pairs = [(g, f) for g, fs in sorted(SESSION_PLANTS.items()) for f in fs.values()]
        return st.sampled_from(pairs).map(lambda gf: (gf[1](), {gf[0]}))
    from checkers.elle.synth import PLANTS, synth_history

    names = sorted(PLANTS["list-append"])
    return st.builds(
        lambda plants, seed, n: synth_history(n, plants, seed),
        st.lists(st.sampled_from(names), min_size=1, max_size=3),
        st.integers(0, 2**32),
        st.integers(10, 80),
    )


__all__ = [
    "FAULT_KINDS",
    "PARTITION_KINDS",
    "anomalous_histories",
    "fault_events",
    "schedules",
    "valid_histories",
]
