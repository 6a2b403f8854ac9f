"""The pure interpreter, and properties of random compositions played through it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddialab import generator as gen
from ddialab.errors import UsageError
from ddialab.generator import PENDING, Context

SEC = 1_000_000_000
READ = {"f": "read"}


def invokes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "invoke"]


def test_latency_and_default_completions() -> None:
    events = gen.simulate([READ, {"f": "kill", "process": "nemesis"}], latency_ns=5)
    assert [(e["type"], e["process"], e["time"]) for e in events] == [
        ("invoke", 0, 0),
        ("invoke", "nemesis", 0),
        ("ok", 0, 5),
        ("info", "nemesis", 5),
    ]


def test_complete_none_means_info_and_values_pass_through() -> None:
    events = gen.simulate([READ], complete=lambda c, o: None)
    assert events[1]["type"] == "info" and events[1]["f"] == "read"
    events = gen.simulate([READ], complete=lambda c, o: {"type": "ok", "value": 3})
    assert events[1]["value"] == 3


def test_bad_completion_type() -> None:
    with pytest.raises(UsageError):
        gen.simulate([READ], complete=lambda c, o: {"type": "invoke"})


def test_op_for_busy_thread_is_rejected() -> None:
    class Rude(gen.Generator):
        __slots__ = ()

        def op(self, ctx: Context) -> Any:
            return {"type": "invoke", "f": "r", "process": 0, "time": ctx.time}, self

    with pytest.raises(UsageError):
        gen.simulate(Rude(), latency_ns=1)


def test_deadlock_is_reported() -> None:
    class Stuck(gen.Generator):
        __slots__ = ()

        def op(self, ctx: Context) -> Any:
            return PENDING, self

    with pytest.raises(UsageError):
        gen.simulate(Stuck(), max_idle_ticks=10)


def test_max_ops_drains_in_flight() -> None:
    events = gen.simulate(gen.repeat(READ), max_ops=4, latency_ns=1)
    assert len(invokes(events)) == 4 and len(events) == 8


# -- properties --------------------------------------------------------------------------

LEAVES = st.sampled_from(["r", "w", "cas"]).map(lambda f: gen.repeat({"f": f}))


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    n = st.integers(0, 6)
    seed = st.integers(0, 3)
    secs = st.sampled_from([0, 0.001, 0.5])
    return st.one_of(
        st.builds(gen.limit, n, children),
        st.builds(gen.stagger, secs, children, seed),
        st.builds(gen.delay, secs, children),
        st.builds(gen.time_limit, st.sampled_from([0.0001, 1.0]), children),
        st.builds(lambda g, s: gen.mix([g, READ], seed=s), children, seed),
        st.builds(gen.each_thread, children),
        st.builds(gen.clients, children),
        st.builds(lambda a, b: gen.phases(a, b), children, children),
        st.builds(lambda a, b: gen.any(a, b), children, children),
        st.builds(gen.flip_flop, children, children),
        st.builds(lambda a, b: [a, b], children, children),
        st.builds(gen.until_ok, children),
        st.builds(gen.each_process, children),
        st.builds(gen.cycle, children, st.sampled_from([None, 2])),
        st.builds(gen.repeat, children, st.sampled_from([None, 3])),
        st.builds(gen.synchronize, children),
        # a filter over a finite source: over an infinite one that emits only rejected ops
        # it could never end (see test_filter_that_never_passes_is_an_error_not_a_hang)
        st.builds(
            lambda g: gen.then(gen.filter(lambda o: o["f"] != "cas", [{"f": "cas"}, READ]), g),
            children,
        ),
        st.builds(lambda g: gen.map(lambda o: {**o, "value": 1}, g), children),
        st.builds(lambda a, b: gen.reserve(1, a, b), children, children),
    )


GENS = st.recursive(LEAVES, _extend, max_leaves=6)
RUN = {
    "concurrency": st.integers(1, 4),
    "latency_ns": st.sampled_from([0, 1, 1_000_000, SEC]),
    "info": st.booleans(),
}


def _play(g: Any, concurrency: int, latency_ns: int, info: bool) -> list[dict[str, Any]]:
    def complete(ctx: Context, o: dict[str, Any]) -> dict[str, Any]:
        return {"type": "info" if info and o["f"] == "w" else "ok"}

    return gen.simulate(
        g,
        concurrency=concurrency,
        latency_ns=latency_ns,
        complete=complete,
        max_ops=200,
        max_idle_ticks=2_000,
    )


@given(g=GENS, n=st.integers(0, 10), **RUN)
def test_limit_never_exceeds_n(
    g: Any, n: int, concurrency: int, latency_ns: int, info: bool
) -> None:
    assert len(invokes(_play(gen.limit(n, g), concurrency, latency_ns, info))) <= n


@given(g=GENS, **RUN)
def test_histories_are_well_formed(g: Any, concurrency: int, latency_ns: int, info: bool) -> None:
    """Guards the simulator's bookkeeping: times never go back, a process has one op open
    and is never reused after an ``info``, a client process is a non-negative int whose
    thread (``p % concurrency``) runs one op at a time, and every op completes."""
    events = _play(g, concurrency, latency_ns, info)
    times = [e["time"] for e in events]
    assert times == sorted(times)
    open_: dict[Any, dict[str, Any]] = {}
    retired: set[Any] = set()
    for e in events:
        p = e["process"]
        if e["type"] == "invoke":
            assert p not in open_ and p not in retired
            if p != "nemesis":
                assert isinstance(p, int) and p >= 0, p
                busy = {q % concurrency for q in open_ if q != "nemesis"}
                assert p % concurrency not in busy, (p, sorted(open_, key=str))
            open_[p] = e
        else:
            assert open_.pop(p)["f"] == e["f"]
            if e["type"] == "info" and p != "nemesis":
                retired.add(p)
    assert not open_


@given(g=GENS, **RUN)
def test_deterministic(g: Any, concurrency: int, latency_ns: int, info: bool) -> None:
    assert _play(g, concurrency, latency_ns, info) == _play(g, concurrency, latency_ns, info)


@given(GENS, st.integers(1, 4), st.integers(0, 10**9), st.data())
def test_op_is_pure(g: Any, concurrency: int, time: int, data: st.DataObject) -> None:
    ctx = Context.initial(concurrency, time=time)
    for t in data.draw(st.lists(st.sampled_from(ctx.all_threads), max_size=3)):
        ctx = ctx.busy(t)
    first = gen.op(g, ctx)
    assert gen.op(g, ctx) == first
    if first is not None and first[0] is not PENDING:
        assert gen.op(first[1], ctx) == gen.op(first[1], ctx)


def test_long_runs_do_not_nest() -> None:
    # Function generators, lists and cycles must not grow a wrapper per op (no recursion).
    g = gen.any(
        gen.limit(3000, lambda: {"f": "r"}),
        gen.nemesis(gen.limit(3000, gen.cycle([{"f": "a"}, lambda: [{"f": "b"}]]))),
    )
    assert len(invokes(gen.simulate(g, max_ops=10_000))) == 6000


@given(client=GENS, fault=GENS, **RUN)
def test_nemesis_ops_stay_on_the_nemesis_thread(
    client: Any, fault: Any, concurrency: int, latency_ns: int, info: bool
) -> None:
    tagged = gen.map(lambda o: {**o, "fault": True}, fault)
    events = _play(gen.clients_and_nemesis(client, tagged), concurrency, latency_ns, info)
    for e in events:
        assert (e["process"] == "nemesis") == bool(e.get("fault"))


def test_filter_that_never_passes_is_an_error_not_a_hang() -> None:
    never = gen.filter(lambda o: o["f"] != "cas", gen.repeat({"f": "cas"}))
    with pytest.raises(UsageError, match="none passed"):
        gen.simulate(never)
