"""Thread-scoped combinators: restriction, per-thread copies, racing, barriers."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ddialab import generator as gen
from ddialab.generator import PENDING, Context

SEC = 1_000_000_000
READ = {"f": "read"}


def invokes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "invoke"]


def test_clients_never_use_the_nemesis() -> None:
    events = gen.simulate(gen.clients(gen.limit(20, gen.repeat(READ))), latency_ns=5)
    assert {e["process"] for e in events} == {0, 1, 2}


def test_nemesis_ops_only_on_the_nemesis_thread() -> None:
    g = gen.clients_and_nemesis(
        gen.limit(10, gen.repeat(READ)), gen.limit(3, gen.repeat({"f": "kill"}))
    )
    events = gen.simulate(g, latency_ns=5)
    by_f = {(e["f"], e["process"] == "nemesis") for e in events}
    assert by_f == {("read", False), ("kill", True)}
    assert [e["type"] for e in events if e["f"] == "kill"] == ["invoke", "info"] * 3


def test_nemesis_alone_on_a_context() -> None:
    ctx = Context.initial(2)
    o, _ = gen.op(gen.nemesis({"f": "kill"}), ctx)  # type: ignore[misc]
    assert o["process"] == "nemesis"
    assert gen.op(gen.nemesis({"f": "kill"}), ctx.busy("nemesis"))[0] is PENDING  # type: ignore[index]


def test_on_threads_forwards_only_its_events() -> None:
    g = gen.on_threads(lambda t: t == 1, gen.until_ok(gen.repeat(READ)))
    ctx = Context.initial(3)
    other_ok = {"type": "ok", "f": "read", "process": 0, "time": 0}
    assert g.update(ctx, other_ok) is g


def test_info_moves_process_on_by_concurrency() -> None:
    events = gen.simulate(
        gen.clients(gen.limit(6, gen.repeat(READ))),
        concurrency=2,
        complete=lambda ctx, o: {"type": "info"},
        latency_ns=1,
    )
    assert [e["process"] for e in invokes(events)] == [0, 1, 2, 3, 4, 5]
    assert all(e["process"] % 2 == i % 2 for i, e in enumerate(invokes(events)))


def test_fail_keeps_the_process() -> None:
    events = gen.simulate(
        gen.limit(3, gen.repeat(READ)), concurrency=1, complete=lambda c, o: {"type": "fail"}
    )
    assert {e["process"] for e in events} == {0}


def test_each_thread_gives_each_thread_its_own_copy() -> None:
    events = gen.simulate(
        gen.clients(gen.each_thread(gen.limit(2, gen.repeat(READ)))), latency_ns=3
    )
    assert Counter(e["process"] for e in invokes(events)) == {0: 2, 1: 2, 2: 2}


def test_each_thread_includes_nemesis_and_sees_one_thread() -> None:
    seen: list[tuple[Any, ...]] = []

    def probe(ctx: Context) -> dict[str, Any] | None:
        seen.append(ctx.all_threads)
        return None

    assert gen.simulate(gen.each_thread(probe)) == []
    assert set(seen) == {(0,), (1,), (2,), ("nemesis",)}


def test_each_process_fresh_copy_after_info() -> None:
    g = gen.clients(gen.each_process(gen.limit(1, gen.repeat(READ))))
    events = gen.simulate(
        g, concurrency=2, complete=lambda c, o: {"type": "info"}, max_ops=6, latency_ns=1
    )
    assert [e["process"] for e in invokes(events)] == [0, 1, 2, 3, 4, 5]
    ok = gen.simulate(g, concurrency=2)
    assert [e["process"] for e in invokes(ok)] == [0, 1]


def test_phases_are_barriers() -> None:
    g = gen.phases(
        gen.clients(gen.limit(5, gen.repeat({"f": "a"}))),
        gen.clients(gen.limit(5, gen.repeat({"f": "b"}))),
    )
    events = gen.simulate(g, latency_ns=7)
    last_a = max(i for i, e in enumerate(events) if e["f"] == "a")
    first_b = min(i for i, e in enumerate(events) if e["f"] == "b")
    assert events[last_a]["type"] == "ok" and last_a < first_b
    assert gen.phases() is None


def test_then_is_phases_in_natural_order() -> None:
    events = gen.simulate(gen.then({"f": "a"}, {"f": "b"}), latency_ns=1)
    assert [e["f"] for e in events] == ["a", "a", "b", "b"]


def test_synchronize_waits_for_all_free() -> None:
    ctx = Context.initial(2).busy(1)
    g = gen.synchronize(READ)
    assert gen.op(g, ctx) == (PENDING, g)
    o, _ = gen.op(g, ctx.free(1))  # type: ignore[misc]
    assert o["f"] == "read"


def test_any_soonest_wins_ties_to_first() -> None:
    ctx = Context.initial(2)
    late = gen.delay(0, {"f": "late", "time": 5})
    o, _ = gen.op(gen.any(late, {"f": "now"}), ctx)  # type: ignore[misc]
    assert o["f"] == "now"
    o, _ = gen.op(gen.any({"f": "x"}, {"f": "y"}), ctx)  # type: ignore[misc]
    assert o["f"] == "x"
    assert gen.op(gen.any(None, []), ctx) is None


def test_reserve_partitions_threads() -> None:
    g = gen.clients(
        gen.reserve(1, gen.repeat({"f": "w"}), 2, gen.repeat({"f": "cas"}), gen.repeat({"f": "r"}))
    )
    events = gen.simulate(g, concurrency=5, latency_ns=10, max_ops=100)
    by_f: dict[str, set[int]] = {}
    for e in invokes(events):
        by_f.setdefault(e["f"], set()).add(e["process"])
    assert by_f == {"w": {0}, "cas": {1, 2}, "r": {3, 4}}


def test_on_threads_without_threads_is_exhausted() -> None:
    g = gen.each_thread(gen.clients(gen.limit(1, gen.repeat(READ))))
    events = gen.simulate(g, concurrency=2, latency_ns=1)
    assert sorted(e["process"] for e in invokes(events)) == [0, 1]
