"""Counting, time, randomness and transformation combinators."""

from __future__ import annotations

from typing import Any

import pytest

from ddialab import generator as gen
from ddialab.errors import UsageError
from ddialab.generator import PENDING, Context

SEC = 1_000_000_000
READ = {"f": "read"}


def invokes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "invoke"]


def fs(events: list[dict[str, Any]]) -> list[Any]:
    return [e["f"] for e in invokes(events)]


def test_limit_counts() -> None:
    assert len(invokes(gen.simulate(gen.limit(5, gen.repeat(READ))))) == 5
    assert gen.simulate(gen.limit(0, gen.repeat(READ))) == []
    assert len(invokes(gen.simulate(gen.limit(5, [READ, READ])))) == 2


def test_limit_pending_does_not_count() -> None:
    ctx = Context.initial(1, nemesis=False).busy(0)
    g = gen.limit(1, gen.repeat(READ))
    assert gen.op(g, ctx) == (PENDING, g)


def test_repeat_takes_first_op_each_time() -> None:
    assert fs(gen.simulate(gen.repeat([{"f": "a"}, {"f": "b"}], 3))) == ["a", "a", "a"]


def test_cycle_restarts() -> None:
    events = gen.simulate(gen.cycle([{"f": "a"}, {"f": "b"}], 2))
    assert fs(events) == ["a", "b", "a", "b"]
    assert fs(gen.simulate(gen.limit(5, gen.cycle([{"f": "a"}, {"f": "b"}])))) == list("ababa")
    assert gen.simulate(gen.cycle([])) == []


def test_concat() -> None:
    assert fs(gen.simulate(gen.concat({"f": "a"}, None, [{"f": "b"}]))) == ["a", "b"]
    assert gen.concat() is None


def test_time_limit_cuts_at_time() -> None:
    events = gen.simulate(gen.time_limit(5, gen.repeat(READ)), latency_ns=SEC, concurrency=1)
    times = [e["time"] for e in invokes(events)]
    assert times == [0, SEC, 2 * SEC, 3 * SEC, 4 * SEC]


def test_time_limit_ends_while_pending() -> None:
    # A generator that waits forever still ends once the limit has passed.
    g = gen.time_limit(1, [READ, lambda ctx: None if ctx.time > 10 * SEC else PENDING_GEN])
    assert len(invokes(gen.simulate(g, tick_ns=SEC // 10))) == 1


class _Forever(gen.Generator):
    __slots__ = ()

    def op(self, ctx: Context) -> Any:
        return PENDING, self


PENDING_GEN = _Forever()


def test_delay_spaces_ops() -> None:
    times = [
        e["time"] for e in invokes(gen.simulate(gen.limit(4, gen.delay(0.5, gen.repeat(READ)))))
    ]
    assert times == [0, SEC // 2, SEC, 3 * SEC // 2]


def test_stagger_average_rate() -> None:
    g = gen.limit(2001, gen.stagger(0.01, gen.repeat(READ), seed=7))
    times = [e["time"] for e in invokes(gen.simulate(g))]
    mean_gap = (times[-1] - times[0]) / 2000
    assert 0.009 * SEC < mean_gap < 0.011 * SEC
    assert times == sorted(times) and len(set(times)) > 1900


def test_stagger_deterministic_by_seed() -> None:
    def times(seed: int | None, ctx_seed: int = 0) -> list[int]:
        g = gen.limit(20, gen.stagger(1, gen.repeat(READ), seed=seed))
        return [e["time"] for e in invokes(gen.simulate(g, seed=ctx_seed))]

    assert times(1) == times(1) and times(1) != times(2)
    assert times(None, 5) == times(None, 5) and times(None, 5) != times(None, 6)


def test_sleep_occupies_a_thread_off_the_record() -> None:
    events = gen.simulate(gen.phases({"f": "a"}, gen.sleep(2), {"f": "b"}), latency_ns=10)
    assert fs(events) == ["a", "b"]
    assert invokes(events)[1]["time"] == 10 + 2 * SEC


def test_log_is_off_the_record() -> None:
    assert fs(gen.simulate([gen.log("hello"), READ])) == ["read"]


def test_negative_duration_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        gen.stagger(-1, READ)


def test_mix_deterministic_by_seed() -> None:
    def seq(seed: int) -> list[Any]:
        return fs(
            gen.simulate(gen.limit(50, gen.mix([gen.repeat({"f": f}) for f in "abc"], seed=seed)))
        )

    assert seq(1) == seq(1)
    assert seq(1) != seq(2)
    assert set(seq(1)) == {"a", "b", "c"}


def test_mix_drops_exhausted_generators() -> None:
    g = gen.mix(
        [gen.limit(3, gen.repeat({"f": "a"})), gen.limit(5, gen.repeat({"f": "b"}))], seed=3
    )
    got = fs(gen.simulate(g))
    assert sorted(got) == ["a"] * 3 + ["b"] * 5


def test_map_and_filter() -> None:
    g = gen.map(
        lambda o: {**o, "value": o["value"] * 10}, [{"f": "w", "value": v} for v in range(4)]
    )
    g = gen.filter(lambda o: o["value"] != 20, g)
    assert [e["value"] for e in invokes(gen.simulate(g))] == [0, 10, 30]


def test_until_ok() -> None:
    def complete(ctx: Context, o: dict[str, Any]) -> dict[str, Any]:
        return {"type": "ok" if o["value"] >= 3 else "fail"}

    counter = iter(range(100))
    g = gen.until_ok(lambda: {"f": "cas", "value": next(counter)})
    got = [e["value"] for e in invokes(gen.simulate(g, concurrency=1, complete=complete))]
    assert got == [0, 1, 2, 3]


def test_flip_flop() -> None:
    g = gen.flip_flop(gen.repeat({"f": "a"}), [{"f": "b"}, {"f": "b"}])
    assert fs(gen.simulate(g)) == ["a", "b", "a", "b", "a"]
